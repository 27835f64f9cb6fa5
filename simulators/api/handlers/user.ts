import { CodeError, errs } from '../../../src/protocol/errors.js';
import { obj, objs, optInt, optStr, str, strs } from '../args.js';
import { ensureUsers, newUser, requireAdmin, requireSelfOrAdmin, rpcContext } from '../access.js';
import { AccountStatus, ApiErrCode, API_PATHS, type UserInfo } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRoute } from '../server.js';
import type { UserRecord } from '../../services/user-store.js';

/** At most this many users per user_register call (the provisioning client batches below it). */
export const MAX_REGISTER_BATCH = 1000;

export function userInfoOf(u: UserRecord): UserInfo {
  return { userID: u.userID, nickname: u.nickname, faceURL: u.faceURL, ex: u.ex, createTime: u.createTime, appMangerLevel: u.appMangerLevel, globalRecvMsgOpt: u.globalRecvMsgOpt };
}

/** A wrapped optional value of update_user_info_ex ({"value": x}) or a plain one. */
function wrapped(b: Record<string, unknown>, k: string): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v) && typeof (v as { value?: unknown }).value === 'string') return (v as { value: string }).value;
  throw errs.args(`${k} must be a string or {"value": string}`);
}

/** /user/*: registrations live in the same Redis the other simulators use. */
export function userRoutes(d: ApiDeps): ApiRoute[] {
  const update = async (b: Record<string, unknown>, ctx: Parameters<ApiRoute['handler']>[1]) => {
    const info = obj(b, 'userInfo', true);
    const userID = str(info, 'userID');
    requireSelfOrAdmin(ctx, userID);
    await ensureUsers(d, [userID]);
    const fields: { nickname?: string; faceURL?: string; ex?: string } = {};
    const nickname = wrapped(info, 'nickname');
    const faceURL = wrapped(info, 'faceURL');
    const ex = wrapped(info, 'ex');
    if (nickname) fields.nickname = nickname;
    if (faceURL) fields.faceURL = faceURL;
    if (ex !== undefined) fields.ex = ex;
    await d.users.update(userID, fields);
    return {};
  };
  return [
    {
      path: API_PATHS.user.userRegister,
      handler: async (b, ctx) => {
        const list = objs(b, 'users', { required: true, max: MAX_REGISTER_BATCH });
        requireAdmin(ctx);
        const users = list.map((u) => {
          const userID = str(u, 'userID');
          if (userID.includes(':')) throw errs.args("userID contains ':' is invalid userID");
          return { ...newUser(userID, optStr(u, 'nickname')), faceURL: optStr(u, 'faceURL'), ex: optStr(u, 'ex') };
        });
        if (new Set(users.map((u) => u.userID)).size !== users.length) throw errs.args('userID repeated');
        const exist = await d.users.exist(users.map((u) => u.userID));
        const taken = users.filter((_, i) => exist[i]).map((u) => u.userID);
        // Upstream refuses the whole batch when any user exists.
        if (taken.length > 0) throw new CodeError(ApiErrCode.RegisteredAlready, 'RegisteredAlreadyError', `userID registered already: ${taken.slice(0, 10).join(', ')}${taken.length > 10 ? ', ...' : ''}`);
        await d.users.add(users);
        return undefined;
      },
    },
    {
      path: API_PATHS.user.getUsersInfo,
      handler: async (b) => {
        const ids = strs(b, 'userIDs', { required: true });
        return { usersInfo: (await d.users.get(ids)).map(userInfoOf) };
      },
    },
    { path: API_PATHS.user.updateUserInfo, handler: update },
    { path: API_PATHS.user.updateUserInfoEx, handler: update },
    {
      path: API_PATHS.user.accountCheck,
      handler: async (b, ctx) => {
        requireAdmin(ctx);
        const ids = strs(b, 'checkUserIDs', { required: true });
        const exist = await d.users.exist(ids);
        return { results: ids.map((userID, i) => ({ userID, accountStatus: exist[i] || d.adminUserIDs.includes(userID) ? AccountStatus.Registered : AccountStatus.Unregistered })) };
      },
    },
    {
      path: API_PATHS.user.getUsersOnlineStatus,
      handler: async (b, ctx) => {
        const ids = strs(b, 'userIDs', { required: true });
        requireAdmin(ctx);
        const online = new Map((await d.gateways.onlineStatus(ids, rpcContext(ctx))).map((r) => [r.userID, r]));
        // Upstream answers every asked user: online ones with their connections, the rest offline.
        return ids.map((userID) => online.get(userID) ?? { userID, status: 0, detailPlatformStatus: [] });
      },
    },
    {
      path: API_PATHS.user.getAllUsersUID,
      handler: async (b, ctx) => {
        requireAdmin(ctx);
        const p = obj(b, 'pagination');
        const show = Math.min(Math.max(optInt(p, 'showNumber'), 1), 1000);
        const num = Math.max(optInt(p, 'pageNumber'), 1);
        const all = (await d.users.all()).sort();
        return { total: all.length, userIDs: all.slice((num - 1) * show, num * show) };
      },
    },
  ];
}
