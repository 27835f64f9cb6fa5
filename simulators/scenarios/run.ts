/**
 * One sim run from start to report: start (or reach) the target, run the scenario under a
 * hard time cap with a per-second sampler and progress line, drain outstanding deliveries,
 * close every client and the in-process node, then build the report and check thresholds.
 */
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { SimRun } from './engine.js';
import { SimMetrics, type SimCounters, type TimelinePoint } from './metrics.js';
import { Progress, type ProgressSink } from './progress.js';
import { defaultChecks, paceWarnings } from './checks.js';
import { buildReport, withThresholds, type SimReport } from './report.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { scrapeRssMB, startTarget, type InProcessStarter, type Target, type TargetSpec } from './target.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';
import type { TokenSource } from './tokens.js';
import { Rng, type Weighted } from './units.js';
import { RunNaming, type ShardPlan } from './shard.js';
import { provisionRun, ProvisionError, type ProvisionSpec } from '../provision/run.js';

/** The default platform mix: what a mobile-first app's connections look like. */
export const DEFAULT_PLATFORMS: readonly Weighted<number>[] = [
  { value: 2, weight: 40 },
  { value: 1, weight: 30 },
  { value: 5, weight: 20 },
  { value: 3, weight: 10 },
];

/** Options of {@link runSim}. */
export interface SimOptions {
  scenario: Scenario;
  target: TargetSpec;
  /** Starts an in-process target (harness/ `startSimTarget`); needed unless the target is external. */
  inProcess?: InProcessStarter;
  tokens: TokenSource;
  /** Load window (`--duration`) handed to the scenario. */
  loadMs: number;
  /** Prefix of user and group IDs; default `sim<random>_`. */
  prefix?: string;
  seed?: number;
  platforms?: readonly Weighted<number>[];
  sdk?: readonly Weighted<'go' | 'js'>[];
  /** Handshakes in flight at once; default 256. */
  concurrency?: number;
  /** Connections per second when opening many; default 0 (unlimited). */
  rampPerSec?: number;
  requestTimeoutMs?: number;
  /** Bound of the set-up before the load; default 60 s. */
  setupTimeoutMs?: number;
  /** The wait for outstanding deliveries, reconnects and catch-ups gives up after this long without progress (and at 12x in all); default 5 s. */
  drainMs?: number;
  /** See SimRunOptions.lossGraceMs; default 1 s. */
  lossGraceMs?: number;
  maxInFlightSends?: number;
  thresholds?: readonly Threshold[];
  /** The scenario's built-in checks (checks.ts); default true (`--no-default-checks` turns them off). */
  defaultChecks?: boolean;
  progress?: ProgressSink;
  /** Ctrl-C: stops the run early (a report is still made). */
  signal?: AbortSignal;
  /**
   * Provision the target's OpenIM through its REST API before the load (`--api`): register the
   * run's users, use server-issued tokens instead of `tokens`, create groups there.
   */
  provision?: ProvisionSpec;
  /** Called with the target once it is up (tests see where it runs). */
  onTarget?: (t: Target) => void;
  /** This run drives one shard of the users (`--shard i/n`, a worker of `--workers`). */
  shard?: ShardPlan;
  /** Called with every per-second sample (a worker forwards them to its parent's progress line). */
  onSample?: (s: RunSample) => void;
}

/** A per-second sample with the running totals behind it. */
export interface RunSample {
  point: TimelinePoint;
  counters: SimCounters;
  errors: number;
  status: string;
}

/** What {@link runSim} returns. */
export interface SimResult {
  report: SimReport;
  /** Failed checks, default and given (empty when all passed). */
  failed: ThresholdResult[];
}


/** Thrown when the target cannot be started; nothing ran. */
export class TargetStartError extends Error {}

/** See the module comment. Never throws for scenario failures: they end up in `report.run.error`. */
export async function runSim(o: SimOptions): Promise<SimResult> {
  const seed = o.seed ?? (Date.now() & 0x7fffffff);
  const rng = new Rng(seed);
  // Random even with a fixed seed: runs sharing a gateway (or an embedded Redis) must not share users.
  const prefix = o.prefix ?? `sim${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}_`;
  const setupTimeoutMs = o.setupTimeoutMs ?? 60_000;
  const drainMs = o.drainMs ?? 5000;
  const naming = RunNaming.forShard(prefix, o.shard?.shard, o.shard?.userOffset ?? 0);
  let target: Target;
  try {
    target = await startTarget(o.target, o.inProcess);
  } catch (e) {
    throw new TargetStartError((e as Error).message, { cause: e });
  }
  let tokens = o.tokens;
  if (o.provision) {
    const ids = o.scenario.userIDs?.(naming);
    if (!ids) {
      await target.close();
      throw new ProvisionError('plan', undefined, `scenario ${o.scenario.name} mints a fresh token per login and cannot run on server-issued tokens (--api): run it against msggw serve with --secret`);
    }
    const platformIDs = [...new Set([...(o.platforms ?? DEFAULT_PLATFORMS).map((w) => w.value), ...(o.scenario.extraPlatforms ?? [])])];
    const line = (text: string) => o.progress?.write(`provision: ${text}\n`);
    let provisioned;
    try {
      provisioned = await provisionRun(o.provision, ids, platformIDs, line);
    } catch (e) {
      await target.close();
      throw e;
    }
    tokens = provisioned.tokens;
    const inner = target;
    // Groups become real on the provisioned server; the gateway's msg service then knows them.
    target = { ...inner, defineGroup: async (groupID, members) => (await provisioned.createGroup(groupID, members), true), close: () => inner.close() };
  }
  o.onTarget?.(target);
  const metrics = new SimMetrics();
  // The hard cap: set-up, load and a margin; drain and teardown have their own bounds.
  const hardCap = new AbortController();
  const capTimer = setTimeout(() => hardCap.abort(), setupTimeoutMs + o.loadMs + 10_000);
  const signal = o.signal ? AbortSignal.any([hardCap.signal, o.signal]) : hardCap.signal;
  // Thousands of waits (one per virtual user or connection) listen to these signals at once.
  setMaxListeners(0, hardCap.signal, signal);
  const run = new SimRun({
    url: target.url,
    tokens,
    prefix,
    naming,
    metrics,
    rng,
    platforms: o.platforms ?? DEFAULT_PLATFORMS,
    sdk: o.sdk ?? [{ value: 'go', weight: 1 }],
    concurrency: o.concurrency ?? 256,
    rampPerSec: o.rampPerSec ?? 0,
    requestTimeoutMs: o.requestTimeoutMs ?? 10_000,
    trackMessages: o.scenario.trackMessages,
    reconnect: o.scenario.reconnect,
    lossGraceMs: o.lossGraceMs ?? 1000,
    maxInFlightSends: o.maxInFlightSends ?? 10_000,
    signal,
  });
  const progress = o.progress ? new Progress(o.progress, o.scenario.name, metrics) : undefined;
  let scraping = false;
  let status = '';
  const sampler = setInterval(() => {
    const point = metrics.sample();
    progress?.update(point);
    o.onSample?.({ point, counters: metrics.counters, errors: metrics.errorTotal(), status });
    if (target.metricsUrl !== undefined && !scraping) {
      scraping = true;
      void scrapeRssMB(target.metricsUrl).then((mb) => {
        scraping = false;
        if (mb !== undefined) metrics.gatewayRss(mb);
      });
    }
  }, 1000);

  let loadStart: number | null = null;
  let loadEnd: number | null = null;
  const notes: string[] = [];
  const extra: Record<string, unknown> = {};
  const phases: { name: string; start: number; end: number | null }[] = [];
  const scenarioMetrics: Record<string, number | null> = {};
  const ctx: ScenarioContext = {
    run,
    target,
    loadMs: o.loadMs,
    setupTimeoutMs,
    signal,
    rng,
    markLoadStart: () => {
      loadStart ??= performance.now();
    },
    markLoadEnd: () => {
      loadEnd = performance.now();
    },
    note: (t) => notes.push(t),
    section: (name, value) => {
      extra[name] = value;
    },
    metric: (name, value) => {
      scenarioMetrics[name] = value;
    },
    within: (ms) => {
      const s = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, ms))]);
      setMaxListeners(0, s);
      return s;
    },
    status: (t) => {
      status = t;
      progress?.setStatus(t);
    },
    phase: (name) => {
      const now = performance.now();
      const open = phases.at(-1);
      if (open !== undefined && open.end === null) open.end = now;
      if (name !== null) phases.push({ name, start: now, end: null });
    },
  };

  let error: string | null = null;
  try {
    const done = o.scenario.run(ctx);
    // A scenario must honour the signal; this bounds one that does not.
    const stuck = new Promise<'stuck'>((resolve) => signal.addEventListener('abort', () => setTimeout(() => resolve('stuck'), 5000).unref(), { once: true }));
    if ((await Promise.race([done, stuck])) === 'stuck') notes.push('the scenario did not stop within 5 s of the cap');
  } catch (e) {
    error = (e as Error).message;
  }
  if (signal.aborted) notes.push(o.signal?.aborted ? 'interrupted' : 'stopped at the hard time cap (set-up + duration + 10 s)');
  if (!o.signal?.aborted) {
    status = 'draining';
    progress?.setStatus(status);
    const drainStart = performance.now();
    const settled = await run.drain(drainMs, drainMs * 12, o.signal);
    const waited = Math.round(performance.now() - drainStart);
    if (!settled) notes.push(`drain: deliveries, reconnects or catch-ups still outstanding after ${waited} ms (gave up after ${drainMs} ms without progress, or at ${drainMs * 12} ms)`);
    else if (waited > 1000) notes.push(`drain: the last deliveries arrived ${waited} ms after the load window (the gateway was behind)`);
  }
  clearTimeout(capTimer);
  clearInterval(sampler);
  metrics.sample();
  const fds = fdLimit();
  const fdsPerConn = target.kind === 'in-process' ? 2 : 1;
  const c = metrics.counters;
  if (c.connFailed > 0 && (Object.keys(metrics.failedByReason).some((k) => /EMFILE|ENFILE/.test(k)) || (fds !== undefined && (c.peakOpen + c.connFailed) * fdsPerConn > fds * 0.95))) {
    notes.push(
      target.kind === 'in-process'
        ? `likely out of file descriptors (ulimit -n ${fds ?? '?'}): the in-process gateway holds the other end of every connection, 2 fds each; raise ulimit -n, or run \`msggw serve\` as its own process and pass --url`
        : `likely out of file descriptors in the sim (ulimit -n ${fds ?? '?'}): raise it`,
    );
  }
  const refused = Object.entries(metrics.failedByReason).find(([k]) => k.startsWith('errCode 1503'));
  if (refused !== undefined) {
    notes.push(`${refused[1]} handshakes refused with 1503 (the token does not verify): wrong secret? Pass the gateway's --secret (msggw serve's sim hint shows it), or --tokens FILE`);
  }
  const ledger = run.ledger.finalize(run.excused);
  const t = run.tracker;
  const tracker = { outOfOrder: t.stats.outOfOrder, gapEvents: t.stats.gaps, missing: t.missing(), missingCount: t.missingCount(), anomalies: t.anomalies() };
  progress?.setStatus('closing');
  const teardown = (async () => {
    await run.closeAll();
    await target.close();
  })();
  let slowTimer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => (slowTimer = setTimeout(() => resolve('slow'), 30_000)));
  if ((await Promise.race([teardown.then(() => 'ok' as const), slow])) === 'slow') notes.push('teardown took more than 30 s');
  clearTimeout(slowTimer);
  progress?.stop();

  const report = buildReport({
    scenario: o.scenario.name,
    params: { ...o.scenario.params },
    target: { kind: target.kind, url: target.url },
    prefix,
    seed,
    metrics,
    ledger,
    tracker,
    timeToOpenMs: run.timeToOpenMs,
    loadStart,
    loadEnd,
    aborted: signal.aborted,
    interrupted: o.signal?.aborted === true,
    error,
    scenarioMetrics,
    extra,
    phases,
    notes,
    shard: o.shard,
  });
  const user = o.thresholds ?? [];
  const checks = o.defaultChecks === false ? [] : defaultChecks(o.scenario, user);
  const results = evaluateThresholds([...checks, ...user], report.metrics);
  report.warnings.push(...paceWarnings(o.scenario.paceTargets?.(report.metrics) ?? []));
  return { report: withThresholds(report, results), failed: results.filter((r) => !r.ok) };
}

/** The soft limit of open files of this process (Linux), for the out-of-fds hint. */
function fdLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
