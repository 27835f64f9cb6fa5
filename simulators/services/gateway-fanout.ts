import type { ServicePool } from '../../src/rpc/pool.js';
import type { MsgGatewayMethods } from '../../src/rpc/services.js';
import type { PushFn } from './msg.js';

/** How long one gateway gets to take a batch push. */
const PUSH_TIMEOUT_MS = 10_000;

/**
 * The hop from the msg service back to the gateways: every registered gateway node gets
 * `SuperGroupOnlineBatchPushOneMsg` and delivers to its own connections, as upstream's push
 * service does. A node that fails is logged; the others still deliver.
 */
export function gatewayFanOut(hubs: ServicePool<MsgGatewayMethods>, log?: (line: string) => void): PushFn {
  return async (msgData, userIDs, ctx) => {
    const nodes = await hubs.all();
    await Promise.all(
      nodes.map((hub) =>
        hub.SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs: userIDs }, ctx, { timeoutMs: PUSH_TIMEOUT_MS }).catch((e: unknown) => {
          log?.(`push to gateway ${hub.address} failed: ${(e as Error).message}`);
        }),
      ),
    );
  };
}
