import { requireAdmin, requireSelfOrAdmin, ensureUsers } from '../access.js';
import { optStr, page, str, strs } from '../args.js';
import { API_PATHS, type FriendInfo } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRoute } from '../server.js';
import { fullIDs, incremental } from '../sync.js';
import { versionLists } from '../../services/version-log.js';
import { userInfoOf } from './user.js';

/** /friend/*: friendships come from import_friend; black lists and applications are always empty. */
export function friendRoutes(d: ApiDeps): ApiRoute[] {
  const friendInfos = async (owner: string, ids?: string[]): Promise<FriendInfo[]> => {
    const recs = await d.friends.get(owner, ids);
    const users = new Map((await d.users.get(recs.map((r) => r.friendUserID))).map((u) => [u.userID, u]));
    return recs.map((r) => {
      const u = users.get(r.friendUserID);
      return {
        ownerUserID: r.ownerUserID,
        remark: r.remark,
        createTime: r.createTime,
        friendUser: u ? userInfoOf(u) : { userID: r.friendUserID },
        addSource: r.addSource,
        operatorUserID: r.operatorUserID,
        ex: r.ex,
      };
    });
  };
  const owner = (b: Record<string, unknown>, ctx: Parameters<ApiRoute['handler']>[1], key = 'userID') => {
    const id = optStr(b, key) || ctx.opUserID;
    requireSelfOrAdmin(ctx, id);
    return id;
  };
  return [
    {
      path: API_PATHS.friend.importFriend,
      handler: async (b, ctx) => {
        requireAdmin(ctx);
        const ownerUserID = str(b, 'ownerUserID');
        const friendUserIDs = strs(b, 'friendUserIDs', { required: true, max: 1000 }).filter((f) => f !== ownerUserID);
        await ensureUsers(d, [ownerUserID, ...friendUserIDs]);
        await d.friends.import(ownerUserID, friendUserIDs, ctx.opUserID);
        return {};
      },
    },
    {
      path: API_PATHS.friend.getIncrementalFriends,
      handler: async (b, ctx) => {
        const userID = owner(b, ctx);
        return incremental(d.versions, versionLists.friends(userID), b, (ids) => friendInfos(userID, ids));
      },
    },
    {
      path: API_PATHS.friend.getFriendList,
      handler: async (b, ctx) => {
        const userID = owner(b, ctx);
        const all = (await friendInfos(userID)).sort((x, y) => (x.friendUser?.userID ?? '').localeCompare(y.friendUser?.userID ?? ''));
        return { friendsInfo: page(all, b), total: all.length };
      },
    },
    {
      path: API_PATHS.friend.getDesignatedFriends,
      handler: async (b, ctx) => {
        const userID = owner(b, ctx, 'ownerUserID');
        return { friendsInfo: await friendInfos(userID, strs(b, 'friendUserIDs', { required: true, max: 1000 })) };
      },
    },
    {
      path: API_PATHS.friend.getFullFriendUserIDs,
      handler: async (b, ctx) => {
        const userID = owner(b, ctx);
        const ids = (await d.friends.friendIDs(userID)).sort();
        const r = await fullIDs(d.versions, versionLists.friends(userID), ids, b);
        return { version: r.version, versionID: r.versionID, equal: r.equal, userIDs: r.ids };
      },
    },
    {
      path: API_PATHS.friend.getBlackList,
      handler: async (b, ctx) => {
        owner(b, ctx);
        return { blacks: [], total: 0 };
      },
    },
    {
      path: API_PATHS.friend.getSpecifiedBlacks,
      handler: async (b, ctx) => {
        owner(b, ctx, 'ownerUserID');
        return { blacks: [], total: 0 };
      },
    },
    { path: API_PATHS.friend.getDesignatedFriendApply, handler: async () => ({ friendRequests: [] }) },
  ];
}
