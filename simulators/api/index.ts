import { Metadata } from '@grpc/grpc-js';
import { errs } from '../../src/protocol/errors.js';
import type { RedisClient } from '../../src/redis/connect.js';
import type { CallInfo, RpcHandlers } from '../../src/rpc/server.js';
import type { AuthMethods, MsgMethods } from '../../src/rpc/services.js';
import { FriendStore } from '../services/friend-store.js';
import { GroupStore } from '../services/group-store.js';
import type { MsgStore } from '../services/msg-store.js';
import { UserStore } from '../services/user-store.js';
import type { VersionLog } from '../services/version-log.js';
import { ensureUsers } from './access.js';
import { DEFAULT_API_PORT } from './contract.js';
import type { ApiDeps, ApiGateways } from './deps.js';
import { apiRoutes } from './routes.js';
import { ApiServer, type ApiCallInfo } from './server.js';

export { ApiServer, type ApiCallInfo } from './server.js';
export * from './contract.js';

export interface ApiSimulatorOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  redis: RedisClient;
  /** The msg simulator's store (built with the same `versions`, so conversations are logged). */
  msgStore: MsgStore;
  versions: VersionLog;
  /** The auth simulator's handlers (token issue, parse, kick: the same Redis token states the gateway checks). */
  auth: Partial<RpcHandlers<AuthMethods>>;
  /** The msg simulator's handlers (SendMsg stores and pushes through the hub). */
  msg: Partial<RpcHandlers<MsgMethods>>;
  gateways: ApiGateways;
  adminUserIDs: readonly string[];
  /** Upstream's rule: only registered users, only issued tokens (the auth handlers must agree). */
  strict: boolean;
  maxBodyBytes?: number;
  onCall?: (e: ApiCallInfo) => void;
  log?: (line: string) => void;
}

const IN_PROCESS: CallInfo = { path: '', metadata: new Metadata() };

function must<T>(fn: T | undefined, name: string): T {
  if (!fn) throw new Error(`the REST API needs the ${name} handler`);
  return fn;
}

/** Builds the REST API simulator on the simulators' stores; call start() on the result. */
export function createApiSimulator(o: ApiSimulatorOptions): ApiServer {
  const getAdminToken = must(o.auth.getAdminToken, 'auth.getAdminToken');
  const getUserToken = must(o.auth.getUserToken, 'auth.getUserToken');
  const parseToken = must(o.auth.parseToken, 'auth.parseToken');
  const forceLogout = must(o.auth.forceLogout, 'auth.forceLogout');
  const sendMsg = must(o.msg.SendMsg, 'msg.SendMsg');
  const users = new UserStore(o.redis);
  const deps: ApiDeps = {
    users,
    friends: new FriendStore(o.redis, o.versions),
    groups: new GroupStore(o.redis, o.msgStore, o.versions),
    msgs: o.msgStore,
    versions: o.versions,
    auth: {
      getAdminToken: async (secret, userID, ctx) => norm(await getAdminToken({ secret, userID }, ctx, IN_PROCESS)),
      getUserToken: async (userID, platformID, ctx) => norm(await getUserToken({ userID, platformID }, ctx, IN_PROCESS)),
      parseToken: async (token, ctx) => {
        const r = await parseToken({ token }, ctx, IN_PROCESS);
        return { userID: r.userID ?? '', platformID: r.platformID ?? 0, expireTimeSeconds: r.expireTimeSeconds ?? 0 };
      },
      forceLogout: async (userID, platformID, ctx) => {
        await forceLogout({ userID, platformID }, ctx, IN_PROCESS);
      },
    },
    gateways: o.gateways,
    sendMsg: async (msgData, ctx) => {
      const r = await sendMsg({ msgData: msgData as never }, ctx, IN_PROCESS);
      return { serverMsgID: r.serverMsgID ?? '', clientMsgID: r.clientMsgID ?? '', sendTime: r.sendTime ?? 0 };
    },
    adminUserIDs: o.adminUserIDs,
    autoRegister: !o.strict,
  };
  return new ApiServer({
    host: o.host,
    port: o.port,
    // Like the admin stream: only the default port moves when taken; a port asked for fails loudly.
    fallbackToFreePort: o.port === DEFAULT_API_PORT,
    routes: apiRoutes(deps),
    adminUserIDs: o.adminUserIDs,
    ...(o.maxBodyBytes ? { maxBodyBytes: o.maxBodyBytes } : {}),
    ...(o.onCall ? { onCall: o.onCall } : {}),
    ...(o.log ? { log: o.log } : {}),
    parseToken: async (token, operationID) => {
      const who = await deps.auth.parseToken(token, { operationID });
      if (!who.userID) throw errs.tokenUnknown('token has no user');
      // The friendly mode registers a user the first time their (offline-minted) token is used.
      if (deps.autoRegister) await ensureUsers(deps, [who.userID]);
      return who;
    },
  });
}

function norm(r: { token?: string | null; expireTimeSeconds?: number | null }): { token: string; expireTimeSeconds: number } {
  return { token: r.token ?? '', expireTimeSeconds: r.expireTimeSeconds ?? 0 };
}
