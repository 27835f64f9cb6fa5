/** `presence`: subscribers watching users that churn on and offline (2005 subscriptions). */
import type { PresenceEvent } from '../../client/index.js';
import type { SimConn } from '../engine.js';
import { forEachLimit, type Scenario, type ScenarioContext } from '../scenario.js';
import { pace, waitUntil } from '../timing.js';
import { ReqIdentifier } from '../../../src/protocol/identifiers.js';

/** Parameters of {@link presenceScenario}. */
export interface PresenceParams {
  subscribers: number;
  watched: number;
  /** On/offline flips per second over all watched users. */
  churn: number;
  durationMs: number;
  /** After the churn, how long subscribers get to converge on the final states. */
  settleMs: number;
}

interface Watched {
  userID: string;
  index: number;
  conn: SimConn | undefined;
  online: boolean;
  /** When the current state was initiated (performance.now()). */
  changedAt: number;
  busy: boolean;
}

/**
 * Watched users start half online; subscribers subscribe to all of them; then random watched
 * users flip at `churn`/s. Each 2005 push that shows a subscriber a user's new state gives a
 * presence latency sample (flip initiated -> push read); flips inside one status batch may
 * merge, so only convergence is asserted: after the settle time every subscriber must see
 * every user's true state (`presence.stale`).
 */
export function presenceScenario(p: PresenceParams): Scenario {
  return {
    name: 'presence',
    params: { ...p },
    // Presence names its users <prefix>w<i> (watched) and <prefix>s<i> (subscribers).
    userIDs: (ids) => [...Array.from({ length: p.watched }, (_, i) => ids.groupID(`w${i + 1}`)), ...Array.from({ length: p.subscribers }, (_, i) => ids.groupID(`s${i + 1}`))],
    trackMessages: false,
    defaultChecks: ['presence.notifications>0', 'presence.stale==0', 'kicks.unexpected==0'],
    async run(ctx) {
      const { run } = ctx;
      const setup = ctx.within(ctx.setupTimeoutMs);
      const watched: Watched[] = Array.from({ length: p.watched }, (_, i) => ({ userID: run.groupID(`w${i + 1}`), index: i, conn: undefined, online: false, changedAt: performance.now(), busy: false }));
      const byID = new Map(watched.map((w) => [w.userID, w]));
      ctx.status('watched users online');
      await forEachLimit(watched.filter((w) => w.index % 2 === 0), 32, (w) => flip(ctx, w), setup);

      // seen[subscriber conn id][watched index] = online as last shown to that subscriber
      const seen = new Map<number, Int8Array>();
      const onPresence = (sub: SimConn, ev: PresenceEvent): void => {
        const row = seen.get(sub.id);
        if (row === undefined) return;
        for (const e of ev.tips.subscribers) {
          const w = byID.get(e.userID);
          if (w === undefined) continue;
          const online = e.onlinePlatformIDs.length > 0 ? 1 : 0;
          const before = row[w.index];
          row[w.index] = online;
          if (!ev.reply && before !== online && (w.online ? 1 : 0) === online) run.metrics.latency('presence', performance.now() - w.changedAt);
        }
      };
      ctx.status(`subscribing ${p.subscribers}`);
      const subs = await run.openMany(p.subscribers, (i) => ({ userID: run.groupID(`s${i + 1}`), mixIndex: i }), { signal: setup });
      const ids = watched.map((w) => w.userID);
      await forEachLimit(
        subs.conns,
        32,
        async (c) => {
          seen.set(c.id, new Int8Array(p.watched).fill(-1));
          c.client.on('presence', (ev) => onPresence(c, ev));
          await run.request(c, ReqIdentifier.WsSubUserOnlineStatus, () => c.client.subscribe(ids));
        },
        setup,
      );
      const stale = (): number => {
        let n = 0;
        for (const c of subs.conns) {
          if (!c.isOpen) continue;
          const row = seen.get(c.id)!;
          for (const w of watched) if (row[w.index] !== (w.online ? 1 : 0)) n++;
        }
        return n;
      };
      ctx.status('initial states');
      await waitUntil(() => stale() === 0, p.settleMs, setup, 25);

      ctx.markLoadStart();
      ctx.status('churning');
      const flips = await pace({ rate: p.churn, durationMs: p.durationMs, signal: ctx.signal }, () => {
        const idle = watched.filter((w) => !w.busy);
        if (idle.length === 0) return;
        void flip(ctx, idle[ctx.rng.int(idle.length)]!);
      });
      await waitUntil(() => watched.every((w) => !w.busy), 10_000, ctx.signal);
      ctx.markLoadEnd();
      ctx.status('settling');
      await waitUntil(() => stale() === 0, p.settleMs, ctx.signal, 25);
      const left = stale();
      ctx.metric('presence.stale', left);
      ctx.section('presence', { subscribers: subs.conns.length, watched: p.watched, flips, stale: left, online: watched.filter((w) => w.online).length });
    },
  };
}

/** Takes a watched user on- or offline; the state counts from the moment the sim acts. */
async function flip(ctx: ScenarioContext, w: Watched): Promise<void> {
  w.busy = true;
  try {
    w.changedAt = performance.now();
    if (w.online && w.conn !== undefined) {
      w.online = false;
      await ctx.run.close(w.conn);
      w.conn = undefined;
    } else {
      w.online = true;
      try {
        w.conn = await ctx.run.connect({ userID: w.userID, mixIndex: w.index });
      } catch {
        w.online = false;
      }
    }
  } finally {
    w.busy = false;
  }
}
