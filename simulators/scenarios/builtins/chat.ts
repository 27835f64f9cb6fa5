/** `chat`: single-chat pairs sending at a target rate; the reference messaging load. */
import type { SimConn } from '../engine.js';
import { forEachLimit, numberedUsers, type Scenario, type ScenarioContext } from '../scenario.js';
import { pace } from '../timing.js';
import { MESSAGE_CHECKS, type PaceTarget } from '../checks.js';

/** Parameters of {@link chatScenario}. */
export interface ChatParams {
  /** Users (paired u1-u2, u3-u4, ...; an odd last user pairs with u1). */
  users: number;
  /** Messages per second, over all senders. */
  rate: number;
  durationMs: number;
}

/** Every user connected, then messages at `rate`/s round-robin over the users, each to its pair peer. */
export function chatScenario(p: ChatParams): Scenario {
  return {
    name: 'chat',
    params: { ...p },
    userIDs: (ids) => numberedUsers(ids, p.users),
    trackMessages: true,
    defaultChecks: [...MESSAGE_CHECKS, 'kicks.unexpected==0'],
    paceTargets: (m) => [rateTarget(p.rate, p.durationMs, m)],
    async run(ctx) {
      const conns = await openAndSync(ctx, p.users);
      if (conns.length < 2) throw new Error(`chat needs at least 2 connected users, got ${conns.length}`);
      await sendPairs(ctx, conns, p.rate, p.durationMs);
    },
  };
}

/** Opens users 1..n and runs each one's initial sync (the SDK's login catch-up, which also sets the seq baseline). */
export async function openAndSync(ctx: ScenarioContext, users: number): Promise<SimConn[]> {
  const { run } = ctx;
  ctx.status(`connecting ${users}`);
  const setup = ctx.within(ctx.setupTimeoutMs);
  const res = await run.openMany(users, (i) => ({ userID: run.userID(i + 1), mixIndex: i }), { signal: setup });
  ctx.status('initial sync');
  await forEachLimit(res.conns, 64, (c) => run.catchUp(c), setup);
  // openMany completes out of order; peers are chosen by user number.
  return res.conns.sort((a, b) => a.id - b.id);
}

/** The pair peer of user number n (1-based) among `count` users. */
export function peerOf(n: number, count: number): number {
  if (n % 2 === 1) return n + 1 <= count ? n + 1 : 1;
  return n - 1;
}

/** Sends at `rate`/s for `durationMs`, round-robin over `conns`, each message to the sender's pair peer. */
export async function sendPairs(ctx: ScenarioContext, conns: readonly SimConn[], rate: number, durationMs: number): Promise<number> {
  const { run } = ctx;
  const count = conns.length;
  const peers = conns.map((_, i) => run.userID(peerOf(i + 1, count)));
  ctx.markLoadStart();
  ctx.status('sending');
  const n = await pace({ rate, durationMs, signal: ctx.signal }, (i) => {
    const k = i % count;
    void run.send(conns[k]!, { userID: peers[k]! });
  });
  ctx.markLoadEnd();
  return n;
}

/** The `--rate` target of a sending scenario, against the measured `throughput.sent`. */
export function rateTarget(rate: number, durationMs: number, m: Readonly<Record<string, number | null>>): PaceTarget {
  return { what: `--rate ${rate}`, asked: rate, reached: m['throughput.sent'] ?? null, possible: Math.floor((rate * durationMs) / 1000) };
}
