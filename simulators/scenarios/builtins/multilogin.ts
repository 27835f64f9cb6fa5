/** `multilogin`: logins that trigger each rule of the target's multi-login policy, and checks the kicks. */
import type { SimConn } from '../engine.js';
import { forEachLimit, type Scenario, type ScenarioContext } from '../scenario.js';
import { sleep, waitUntil } from '../timing.js';

/** Parameters of {@link multiloginScenario}. */
export interface MultiloginParams {
  users: number;
  /** The policy the target runs (upstream multiLogin.policy): 0, 1, 4 or 5. */
  policy: number;
  /** Cap of the whole login sequence. */
  durationMs: number;
  /** How long an expected kick may take. */
  kickTimeoutMs: number;
}

/**
 * Per user, logins on this platform sequence. It repeats a platform (same-terminal rule),
 * mixes classes (Mobile 1/2, PC 3/4/7, Pad 8/9, Web 5, MiniWeb 6, HarmonyOS 11) and goes PC
 * after non-PC and back (policy 5), so each policy's rules all fire.
 */
export const LOGIN_SEQUENCE: readonly number[] = [1, 2, 1, 3, 4, 3, 7, 5, 5, 6, 9, 8, 2, 11, 11, 4];

/** The sim's own model of the policies (PROTOCOL.md section 4), kept apart from the gateway's code it checks. */
const CLASS: Record<number, string> = { 1: 'Mobile', 2: 'Mobile', 3: 'PC', 4: 'PC', 7: 'PC', 8: 'Pad', 9: 'Pad', 5: 'Web', 6: 'MiniWeb', 10: 'Admin', 11: 'HarmonyOS' };

/** Which of the live sessions (platform IDs) a new login on `platformID` kicks under `policy`. */
export function expectedKicks(policy: number, live: readonly number[], platformID: number): boolean[] {
  switch (policy) {
    case 1:
      return live.map((p) => p === platformID);
    case 4:
      return live.map((p) => CLASS[p] === CLASS[platformID]);
    case 5:
      return live.map((p) => CLASS[platformID] !== 'PC' && CLASS[p] !== 'PC');
    default:
      return live.map(() => false);
  }
}

/** See the module comment. Every login uses a fresh token (the same token is never kicked). */
export function multiloginScenario(p: MultiloginParams): Scenario {
  return {
    name: 'multilogin',
    params: { ...p },
    trackMessages: false,
    // Policy 0 calls for no kick; every other policy's sequence makes some.
    defaultChecks: [...(p.policy === 0 ? [] : ['kicks.expected>0']), 'kicks.missing==0', 'kicks.unexpected==0'],
    async run(ctx) {
      const { run, target } = ctx;
      if (!run.o.tokens.canMint) throw new Error('multilogin needs a fresh token per login: use --secret, not --tokens');
      if (target.policy !== undefined && target.policy !== p.policy) ctx.note(`the in-process gateway runs policy ${target.policy} but --policy ${p.policy} is expected`);
      const totals = { logins: 0, expected: 0, observed: 0, missing: 0, unexpected: 0, closedWithoutKick: 0 };
      const expectedSet = new Set<SimConn>();
      const all: SimConn[] = [];
      const window = ctx.within(p.durationMs);
      ctx.markLoadStart();
      ctx.status('logging in');
      const users = Array.from({ length: p.users }, (_, i) => run.userID(i + 1));
      await forEachLimit(users, 32, (u) => loginSequence(ctx, u, p, window, totals, expectedSet, all), window);
      // A late kick still counts as unexpected: give stray kicks a moment to land.
      await sleep(100, ctx.signal);
      for (const c of all) if (c.kicked && !expectedSet.has(c)) totals.unexpected++;
      ctx.markLoadEnd();
      ctx.metric('kicks.expected', totals.expected);
      ctx.metric('kicks.observed', totals.observed);
      ctx.metric('kicks.missing', totals.missing);
      ctx.metric('kicks.unexpected', totals.unexpected);
      ctx.section('multilogin', { policy: p.policy, sequence: LOGIN_SEQUENCE, ...totals });
    },
  };
}

async function loginSequence(
  ctx: ScenarioContext,
  userID: string,
  p: MultiloginParams,
  window: AbortSignal,
  totals: { logins: number; expected: number; observed: number; missing: number; closedWithoutKick: number },
  expectedSet: Set<SimConn>,
  all: SimConn[],
): Promise<void> {
  let live: SimConn[] = [];
  for (let k = 0; k < LOGIN_SEQUENCE.length && !window.aborted; k++) {
    const platformID = LOGIN_SEQUENCE[k]!;
    live = live.filter((c) => c.endedAt === 0);
    const kicks = expectedKicks(p.policy, live.map((c) => c.platformID), platformID);
    const victims = live.filter((_, i) => kicks[i]);
    let conn: SimConn;
    try {
      conn = await ctx.run.connect({ userID, platformID, tokenVariant: k + 1 });
    } catch {
      continue;
    }
    totals.logins++;
    all.push(conn);
    for (const v of victims) expectedSet.add(v);
    totals.expected += victims.length;
    await waitUntil(() => victims.every((v) => v.endedAt > 0), p.kickTimeoutMs, window, 10);
    for (const v of victims) {
      if (v.kicked && v.endedAt > 0) totals.observed++;
      else {
        totals.missing++;
        if (v.endedAt > 0) totals.closedWithoutKick++;
      }
    }
    live.push(conn);
  }
}
