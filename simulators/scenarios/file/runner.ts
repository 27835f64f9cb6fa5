/**
 * Runs a scenario file: phases bring in virtual users (VUs), each picks a flow by weight and
 * walks its steps on its own connection. Everything is bounded: arrivals stop at the end of
 * the phases (or the load window), every wait has a timeout, at most `maxVUs` run at once,
 * and the load window's signal stops the VUs still running.
 */
import type { SimConn } from '../engine.js';
import { numberedUsers, type Scenario, type ScenarioContext } from '../scenario.js';
import { pace, sleep } from '../timing.js';
import { INTEGRITY_CHECKS } from '../checks.js';
import type { FlowCounts, FlowsSection } from '../report.js';
import { peerOf } from '../builtins/chat.js';
import { expand, type Flow, type ScenarioFile, type Step } from './schema.js';
import { ReqIdentifier } from '../../../src/protocol/identifiers.js';

/** Options of {@link fileScenario}. */
export interface FileScenarioOptions {
  /** Most VUs running at once; arrivals beyond are skipped (and counted). Default 5000. */
  maxVUs?: number;
}

type FlowStats = FlowCounts;
const emptyStats = (): FlowStats => ({ started: 0, completed: 0, failed: 0, aborted: 0, failures: {} });

/** A step failed (the VU stops; its connection is closed). */
class StepError extends Error {}

/** The scenario of a validated file; `source` is the file path shown in the report. */
export function fileScenario(doc: ScenarioFile, source: string, o: FileScenarioOptions = {}): Scenario {
  const sends = doc.flows.some((f) => f.steps.some((s) => s.kind === 'send'));
  const usesMessages = sends || doc.flows.some((f) => f.steps.some((s) => s.kind === 'waitPush'));
  const maxVUs = o.maxVUs ?? 5000;
  return {
    name: `run ${doc.name}`,
    params: { file: source, name: doc.name, users: doc.users, phases: doc.phases, flows: doc.flows.map((f) => ({ name: f.name, weight: f.weight, steps: f.steps.length })), groups: Object.keys(doc.groups) },
    trackMessages: usesMessages,
    // No kick check: VUs share the user pool, so two on one user and platform kick each other by policy.
    defaultChecks: ['flows.started>0', 'flows.failed==0', ...(sends ? ['messages.sent>0'] : []), ...(usesMessages ? INTEGRITY_CHECKS : [])],
    userIDs: (ids) => numberedUsers(ids, doc.users),
    extraPlatforms: [...new Set(doc.flows.flatMap((f) => f.steps.flatMap((st) => (st.kind === 'connect' && st.platformID !== undefined ? [st.platformID] : []))))],
    async run(ctx) {
      const { run, target } = ctx;
      for (const [name, members] of Object.entries(doc.groups)) {
        const groupID = run.groupID(name);
        const ids = members.map((n) => run.userID(n));
        if (!(await target.defineGroup(groupID, ids))) ctx.note(`group ${groupID}: an external gateway must know it (msggw serve --group ${groupID}=${ids.slice(0, 3).join(',')}...) or members join on their first send only`);
        run.setGroup(groupID, ids);
      }
      const stats = new Map<string, FlowStats>(doc.flows.map((f) => [f.name, emptyStats()]));
      const byPhase = new Map<string, FlowStats>(doc.phases.map((ph) => [ph.name, emptyStats()]));
      // The load window (--duration, or the phases plus time to finish) bounds arrivals and VUs alike.
      const window = ctx.within(ctx.loadMs);
      const running = new Set<Promise<void>>();
      let vuSeq = 0;
      let skipped = 0;
      const spawn = (phaseName: string, loopUntil: number | undefined, userNumber?: number): void => {
        if (running.size >= maxVUs) {
          skipped++;
          return;
        }
        const vu = ++vuSeq;
        const n = userNumber ?? ((vu - 1) % doc.users) + 1;
        const flow = ctx.rng.weighted(doc.flows.map((f) => ({ value: f, weight: f.weight })));
        const vars: Record<string, string> = {
          ...doc.variables,
          user: run.userID(n),
          peer: run.userID(peerOf(n, doc.users)),
          n: String(n),
          vu: String(vu),
          prefix: run.o.prefix,
          flow: flow.name,
          phase: phaseName,
        };
        const p = runVU(ctx, flow, vars, window, loopUntil, [stats.get(flow.name)!, byPhase.get(phaseName)!]).finally(() => running.delete(p));
        running.add(p);
      };
      const arrivalsEnd = performance.now() + Math.min(doc.totalMs, ctx.loadMs);
      ctx.markLoadStart();
      for (const phase of doc.phases) {
        if (window.aborted || performance.now() >= arrivalsEnd) break;
        const phaseMs = Math.min(phase.durationMs, arrivalsEnd - performance.now());
        ctx.status(`phase ${phase.name}`);
        ctx.phase(phase.name);
        if (phase.users !== undefined) {
          const until = performance.now() + phaseMs;
          for (let i = 0; i < phase.users; i++) spawn(phase.name, until);
          await sleep(phaseMs, window);
        } else {
          const phaseStart = performance.now();
          await pace({ rate: phase.arrivalRate!, durationMs: phaseMs, signal: window }, () => spawn(phase.name, undefined));
          // The pacer returns at the last arrival; the phase lasts its whole duration.
          await sleep(phaseStart + phaseMs - performance.now(), window);
        }
      }
      ctx.phase(null);
      ctx.status('finishing flows');
      // The window signal ends VUs still running at the cap; this only waits for them to wind down.
      await Promise.all([...running]);
      ctx.markLoadEnd();
      const section: FlowsSection = { vus: vuSeq, skipped, byFlow: Object.fromEntries(stats), byPhase: Object.fromEntries(byPhase) };
      ctx.section('flows', section);
      if (skipped > 0) ctx.note(`${skipped} arrivals skipped: more than ${maxVUs} virtual users were running`);
    },
  };
}

/** Runs one VU; `tallies` are its flow's and its phase's counts. */
async function runVU(ctx: ScenarioContext, flow: Flow, vars: Record<string, string>, signal: AbortSignal, loopUntil: number | undefined, tallies: readonly FlowStats[]): Promise<void> {
  const { run } = ctx;
  const c = run.metrics.counters;
  c.flowsStarted++;
  for (const t of tallies) t.started++;
  const vu: VUState = { conn: undefined, pushMark: 0 };
  try {
    do {
      for (const step of flow.steps) {
        if (signal.aborted) throw new StepError('aborted');
        await execStep(ctx, step, vars, vu, signal);
      }
    } while (loopUntil !== undefined && performance.now() < loopUntil && !signal.aborted);
    c.flowsCompleted++;
    for (const t of tallies) t.completed++;
  } catch (e) {
    if (signal.aborted) {
      for (const t of tallies) t.aborted++;
    } else {
      c.flowsFailed++;
      const reason = e instanceof StepError ? e.message : `error: ${(e as Error).message}`;
      for (const t of tallies) {
        t.failed++;
        t.failures[reason] = (t.failures[reason] ?? 0) + 1;
      }
      run.metrics.error(`flow ${flow.name}: ${reason}`);
    }
  } finally {
    if (vu.conn !== undefined && vu.conn.endedAt === 0) await run.close(vu.conn);
  }
}

interface VUState {
  conn: SimConn | undefined;
  /** Pushes counted by the previous waitPush. */
  pushMark: number;
}

async function execStep(ctx: ScenarioContext, step: Step, vars: Record<string, string>, vu: VUState, signal: AbortSignal): Promise<void> {
  const { run } = ctx;
  const need = (what: string): SimConn => {
    if (vu.conn === undefined || !vu.conn.isOpen) throw new StepError(`${what} without an open connection`);
    return vu.conn;
  };
  switch (step.kind) {
    case 'connect': {
      if (vu.conn !== undefined && vu.conn.endedAt === 0) throw new StepError('connect while connected');
      try {
        vu.conn = await run.connect({ userID: vars.user!, platformID: step.platformID, sdkType: step.sdkType, background: step.background, mixIndex: Number(vars.n) - 1 });
      } catch {
        throw new StepError('connect failed');
      }
      vu.pushMark = 0;
      // What the SDKs do on login; also sets the seq baseline for this connection.
      if (run.o.trackMessages) await run.catchUp(vu.conn);
      return;
    }
    case 'send': {
      const conn = need('send');
      const target = step.group !== undefined ? { groupID: run.groupID(step.group) } : { userID: expand(step.to!, vars) };
      const text = step.text === undefined ? undefined : expand(step.text, vars);
      for (let i = 0; i < step.count && !signal.aborted; i++) {
        if (i > 0 && step.intervalMs > 0) await sleep(step.intervalMs, signal);
        await run.send(conn, target, text);
      }
      return;
    }
    case 'waitPush': {
      const conn = need('waitPush');
      const from = vu.pushMark;
      vu.pushMark += step.count;
      if (!(await conn.waitPushes(vu.pushMark, step.timeoutMs, signal)) && !signal.aborted) {
        throw new StepError(`waitPush: ${conn.pushes - from} of ${step.count} pushes within ${step.timeoutMs}ms`);
      }
      return;
    }
    case 'subscribe': {
      const conn = need('subscribe');
      try {
        await run.request(conn, ReqIdentifier.WsSubUserOnlineStatus, () => conn.client.subscribe(step.users.map((u) => expand(u, vars))));
      } catch {
        throw new StepError('subscribe failed');
      }
      return;
    }
    case 'sleep':
      await sleep(step.ms + (step.jitterMs > 0 ? ctx.rng.next() * step.jitterMs : 0), signal);
      return;
    case 'disconnect': {
      const conn = vu.conn;
      vu.conn = undefined;
      if (conn === undefined || conn.endedAt > 0) return;
      if (step.abrupt) conn.client.terminate();
      else await run.close(conn);
      return;
    }
  }
}
