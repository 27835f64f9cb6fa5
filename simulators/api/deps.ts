import type { msggateway, sdkws } from '../../src/protocol/pb-types.js';
import type { Init } from '../../src/protocol/pb.js';
import type { RpcContext } from '../../src/rpc/context.js';
import type { FriendStore } from '../services/friend-store.js';
import type { GroupStore } from '../services/group-store.js';
import type { MsgStore } from '../services/msg-store.js';
import type { UserStore } from '../services/user-store.js';
import type { VersionLog } from '../services/version-log.js';

/** The auth service as the API uses it (the auth simulator's handlers, or anything alike). */
export interface ApiAuth {
  getAdminToken(secret: string, userID: string, ctx: RpcContext): Promise<{ token: string; expireTimeSeconds: number }>;
  getUserToken(userID: string, platformID: number, ctx: RpcContext): Promise<{ token: string; expireTimeSeconds: number }>;
  parseToken(token: string, ctx: RpcContext): Promise<{ userID: string; platformID: number; expireTimeSeconds: number }>;
  /** Marks the user's tokens of the platform kicked (the token half of upstream's forceKickOff). */
  forceLogout(userID: string, platformID: number, ctx: RpcContext): Promise<void>;
}

/** The gateways, reached through discovery as upstream's API and auth service reach them. */
export interface ApiGateways {
  /** KickUserOffline on every gateway. */
  kick(userID: string, platformID: number, ctx: RpcContext): Promise<void>;
  /** GetUsersOnlineStatus on every gateway, merged (the caller must be an admin). */
  onlineStatus(userIDs: string[], ctx: RpcContext): Promise<msggateway.GetUsersOnlineStatusResp_SuccessResult[]>;
}

/** Everything the REST API simulator is backed by: the simulators' own stores and services. */
export interface ApiDeps {
  users: UserStore;
  friends: FriendStore;
  groups: GroupStore;
  msgs: MsgStore;
  versions: VersionLog;
  auth: ApiAuth;
  gateways: ApiGateways;
  /** The msg simulator's SendMsg: stores, assigns the seq, pushes through the hub. */
  sendMsg(msgData: Init<sdkws.MsgData>, ctx: RpcContext): Promise<{ serverMsgID: string; clientMsgID: string; sendTime: number }>;
  adminUserIDs: readonly string[];
  /**
   * The friendly default: a user first seen with a valid token, or named by an admin call, is
   * registered on the fly (offline-minted tokens need no user_register). Off with
   * --strict-tokens, where users must be registered as on a real OpenIM.
   */
  autoRegister: boolean;
}
