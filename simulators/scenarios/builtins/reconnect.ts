/** `reconnect`: chat traffic while clients are dropped abruptly; they reconnect with backoff and must catch up without gaps. */
import { numberedUsers, type Scenario } from '../scenario.js';
import { pace } from '../timing.js';
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
    userIDs: (prefix) => numberedUsers(prefix, p.users),
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
      const drops =
        p.drops > 0
          ? pace({ rate: (p.drops * 1000) / Math.max(1, dropWindow), durationMs: dropWindow, maxCount: p.drops, signal: ctx.signal }, () => {
              const open = conns.filter((c) => c.isOpen);
              if (open.length === 0) return;
              run.drop(open[ctx.rng.int(open.length)]!);
              dropped++;
            })
          : Promise.resolve(0);
      await Promise.all([sendPairs(ctx, conns, p.rate, p.durationMs), drops]);
      ctx.section('reconnect', { drops: dropped });
    },
  };
}
