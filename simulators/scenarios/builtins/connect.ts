/** `connect`: a connection storm (optionally ramped) and a hold, measuring handshakes and drops. */
import { numberedUsers, type Scenario } from '../scenario.js';
import { sleep } from '../timing.js';

/** Parameters of {@link connectScenario}. */
export interface ConnectParams {
  users: number;
  /** New connections per second (0 = as fast as the concurrency allows). */
  rampPerSec: number;
  /** How long every connection is held open once all are open. */
  holdMs: number;
  /** Cap of ramp + hold (--duration); default unbounded by it (ramp + hold). */
  durationMs?: number;
}

/**
 * Opens `users` connections (user n on the platform mix's n-th platform), holds them, then
 * lets the run close them. Drops during the hold show up as `connections.dropped`.
 */
export function connectScenario(p: ConnectParams): Scenario {
  return {
    name: 'connect',
    params: { ...p },
    userIDs: (ids) => numberedUsers(ids, p.users),
    trackMessages: false,
    defaultChecks: ['connections.opened>0', 'kicks.unexpected==0'],
    // The ramp counts from the first dial to the last handshake (time.open).
    paceTargets: (m) => {
      if (p.rampPerSec <= 0) return [];
      const opened = m['connections.opened'] ?? 0;
      const ms = m['time.open'];
      return [{ what: `--ramp ${p.rampPerSec}`, asked: p.rampPerSec, reached: ms ? (opened * 1000) / ms : null }];
    },
    async run(ctx) {
      const { run } = ctx;
      const cap = p.durationMs !== undefined ? ctx.within(p.durationMs) : ctx.signal;
      ctx.markLoadStart();
      ctx.status(`opening ${p.users}`);
      ctx.phase('ramp');
      const res = await run.openMany(p.users, (i) => ({ userID: run.userID(i + 1), mixIndex: i }), { rampPerSec: p.rampPerSec, signal: cap });
      if (res.opened + res.failed < p.users) ctx.note(`stopped opening at ${res.opened + res.failed}/${p.users}: the duration cap or an abort came first`);
      ctx.status(`holding ${res.opened}`);
      ctx.phase('hold');
      await sleep(p.holdMs, cap);
      ctx.phase(null);
      ctx.markLoadEnd();
      ctx.section('connect', { requested: p.users, opened: res.opened, failed: res.failed, timeToOpenMs: Math.round(res.durationMs) });
    },
  };
}
