import type { RpcHandlers } from '../../src/rpc/server.js';
import type { PushMsgServiceMethods } from '../../src/rpc/services.js';

/** One recorded DelUserPushToken call (what a logout asks the push service to do). */
export interface DelPushTokenCall {
  userID: string;
  platformID: number;
  operationID: string;
  at: number;
}

/** The push service simulator: records DelUserPushToken calls (bounded), nothing else to do offline. */
export function pushHandlers(record: DelPushTokenCall[], max = 1000): Partial<RpcHandlers<PushMsgServiceMethods>> {
  return {
    DelUserPushToken: async (req, ctx) => {
      if (record.length >= max) record.shift();
      record.push({ userID: req.userID, platformID: req.platformID, operationID: ctx.operationID, at: Date.now() });
      return {};
    },
  };
}
