import { errs } from '../protocol/errors.js';
import type { msggateway } from '../protocol/pb-types.js';
import type { RpcHandlers } from '../rpc/server.js';
import type { MsgGatewayMethods } from '../rpc/services.js';
import type { ConnRegistry } from '../gateway/registry.js';
import type { RpcContext } from '../rpc/context.js';
import type { PushDelivery } from './push.js';

export interface HubOptions {
  /** The gateway's connections. */
  registry: ConnRegistry;
  /** Applies the multi-login policy to a login on another node (MultiTerminalLoginCheck). */
  remoteLogin: (login: { userID: string; platformID: number; token: string }, ctx: RpcContext) => void;
  delivery: PushDelivery;
  adminUserIDs: readonly string[];
}

/**
 * The gateway's gRPC face, `openim.msggateway.msgGateway` (PROTOCOL.md section 6): how the
 * push service delivers to online users and how admins query and kick them.
 */
export function hubHandlers(o: HubOptions): RpcHandlers<MsgGatewayMethods> {
  const users = o.registry;
  const batchPush: RpcHandlers<MsgGatewayMethods>['SuperGroupOnlineBatchPushOneMsg'] = async (req, ctx, call) => {
    if (!req.msgData) throw errs.args('msgData is empty');
    const singlePushResult = await o.delivery.push(req.msgData, req.pushToUserIDs, ctx.operationID, call.deadline);
    return { singlePushResult };
  };
  return {
    SuperGroupOnlineBatchPushOneMsg: batchPush,
    OnlineBatchPushOneMsg: batchPush,
    OnlinePushMsg: async (req, ctx, call) => {
      if (!req.msgData) throw errs.args('msgData is empty');
      const [r] = await o.delivery.push(req.msgData, [req.pushToUserID], ctx.operationID, call.deadline);
      return { resp: (r?.resp ?? []).map((p) => ({ ...p, RecvID: req.pushToUserID })) };
    },
    GetUsersOnlineStatus: async (req, ctx) => {
      if (!ctx.opUserID || !o.adminUserIDs.includes(ctx.opUserID)) throw errs.noPermission('only app manager');
      const successResult: msggateway.GetUsersOnlineStatusResp_SuccessResult[] = [];
      for (const userID of req.userIDs) {
        const clients = users.getAll(userID);
        if (clients.length === 0) continue;
        successResult.push({
          userID,
          status: 1,
          detailPlatformStatus: clients.map((c) => ({ platformID: c.platformID, connID: c.connID, isBackground: c.background, token: c.token })),
        });
      }
      return { successResult, failedResult: [] };
    },
    KickUserOffline: async (req) => {
      for (const userID of req.kickUserIDList) users.kickPlatform(userID, req.platformID, 'kicked through the hub (KickUserOffline)');
      return {};
    },
    MultiTerminalLoginCheck: async (req, ctx) => {
      o.remoteLogin({ userID: req.userID, platformID: req.platformID, token: req.token }, ctx);
      return {};
    },
  };
}
