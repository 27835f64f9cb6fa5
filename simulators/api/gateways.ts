import { CodeError } from '../../src/protocol/errors.js';
import { ErrCode } from '../../src/protocol/errors.js';
import type { msggateway } from '../../src/protocol/pb-types.js';
import type { ServicePool } from '../../src/rpc/pool.js';
import type { MsgGatewayMethods } from '../../src/rpc/services.js';
import type { ApiGateways } from './deps.js';

const HUB_TIMEOUT_MS = 5000;

/**
 * The API's way to the gateways: every node registered in discovery, as upstream's auth service
 * (force_logout) and API (get_users_online_status) reach them. A node that fails is logged and
 * skipped, except a permission refusal, which is the caller's answer.
 */
export function hubGateways(hubs: ServicePool<MsgGatewayMethods>, log?: (line: string) => void): ApiGateways {
  return {
    kick: async (userID, platformID, ctx) => {
      const nodes = await hubs.all();
      await Promise.all(
        nodes.map((hub) =>
          hub.KickUserOffline({ kickUserIDList: [userID], platformID }, ctx, { timeoutMs: HUB_TIMEOUT_MS }).catch((e: unknown) => {
            log?.(`KickUserOffline on gateway ${hub.address} failed: ${(e as Error).message}`);
          }),
        ),
      );
    },
    onlineStatus: async (userIDs, ctx) => {
      const nodes = await hubs.all();
      const merged = new Map<string, msggateway.GetUsersOnlineStatusResp_SuccessResult>();
      for (const hub of nodes) {
        try {
          const r = await hub.GetUsersOnlineStatus({ userIDs }, ctx, { timeoutMs: HUB_TIMEOUT_MS });
          for (const s of r.successResult) {
            const have = merged.get(s.userID);
            if (have) have.detailPlatformStatus.push(...s.detailPlatformStatus);
            else merged.set(s.userID, { ...s, detailPlatformStatus: [...s.detailPlatformStatus] });
          }
        } catch (e) {
          if (CodeError.is(e, ErrCode.NoPermissionError)) throw e;
          log?.(`GetUsersOnlineStatus on gateway ${hub.address} failed: ${(e as Error).message}`);
        }
      }
      return [...merged.values()];
    },
  };
}
