/** `reconnect`: chat traffic while clients are dropped abruptly; they reconnect with backoff and must catch up without gaps. */
import { numberedUsers, type Scenario } from '../scenario.js';
import { pace, sleep } from '../timing.js';
import { openAndSync, rateTarget, sendPairs } from './chat.js';
import { MESSAGE_CHECKS } from '../checks.js';

/** Parameters of {@link reconnectScenario}. */
export interface ReconnectParams {
  users: number;
  /** Messages per second over all senders. */
  rate: number;
  durationMs: number;
  /** Abrupt drops spread over the first 80 % of the window. */
  drops: number;
  /** First reconnect delay (doubles per failed attempt, capped at 8x or 2 s). */
  backoffMs: number;
}

/**
 * The chat load, plus `drops` abrupt disconnects (socket destroyed, no close frame) of random
 * open clients. Each reconnects with backoff, then catches up (GetNewestSeq + pull); the
 * ledger counts a message pulled instead of pushed as delivered, so `lost` and `gaps` must
 * both end at 0.
 */
export function reconnectScenario(p: ReconnectParams): Scenario {
  return {
    name: 'reconnect',
    params: { ...p },
    userIDs: (ids) => numberedUsers(ids, p.users),
    trackMessages: true,
    defaultChecks: [...MESSAGE_CHECKS, 'kicks.unexpected==0'],
    paceTargets: (m) => [rateTarget(p.rate, p.durationMs, m)],
    reconnect: { minDelayMs: p.backoffMs, maxDelayMs: Math.max(2000, p.backoffMs * 8) },
    async run(ctx) {
      const { run } = ctx;
      const conns = await openAndSync(ctx, p.users);
      if (conns.length < 2) throw new Error(`reconnect needs at least 2 connected users, got ${conns.length}`);
      const dropWindow = p.durationMs * 0.8;
      let dropped = 0;
      const dropOne = (): boolean => {
        const open = conns.filter((c) => c.isOpen && !c.dropping);
        return open.length > 0 && run.drop(open[ctx.rng.int(open.length)]!);
      };
      const drops = (async () => {
        if (p.drops <= 0) return;
        let owed = 0;
        await pace({ rate: (p.drops * 1000) / Math.max(1, dropWindow), durationMs: dropWindow, maxCount: p.drops, signal: ctx.signal }, () => {
          owed++;
          while (owed > 0 && dropOne()) {
            owed--;
            dropped++;
          }
        });
        // A loaded machine can run the pacer late (or find every client down at a tick): the
        // drops asked for are still made, as soon as a client is open, within the load window.
        owed = p.drops - dropped;
        const until = performance.now() + p.durationMs;
        while (owed > 0 && !ctx.signal.aborted && performance.now() < until) {
          if (dropOne()) {
            owed--;
            dropped++;
          } else await sleep(20, ctx.signal);
        }
      })();
      await Promise.all([sendPairs(ctx, conns, p.rate, p.durationMs), drops]);
      ctx.section('reconnect', { drops: dropped });
    },
  };
}
