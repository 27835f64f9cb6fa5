/**
 * `msggw sim --workers N`: one run spread over N worker processes (worker-main.ts), each one a
 * shard of the users (shard.ts: pairs and groups never straddle two workers), all against the
 * same gateway. Without --url the parent hosts that gateway (in-process, on free ports) and
 * points the workers at it; it also defines their groups on it. The parent prints one progress
 * line over all workers, then merges their reports (merge.ts: histograms, counters, ledgers)
 * into the same report a single process makes, with the checks evaluated on the merged figures.
 *
 * A worker that dies before its report leaves its shard missing: the verdict is INCOMPLETE and
 * a note says which worker, how it ended and which users it drove. Never a silent PASS.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SimFlagValues } from './cli.js';
import { simOptionsFromFlags } from './cli.js';
import { defaultChecks } from './checks.js';
import { mergeReports, type MergeInput } from './merge.js';
import { combinePoints, SimMetrics, type TimelinePoint } from './metrics.js';
import { Progress, type ProgressSink } from './progress.js';
import type { SimReport } from './report.js';
import { TargetStartError, type RunSample, type SimOptions, type SimResult } from './run.js';
import { parseShard, shardLabel, subShard, type Shard, type ShardPlan } from './shard.js';
import { startTarget, type InProcessStarter, type Target } from './target.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

/** Options of {@link runWorkers}. */
export interface WorkersOptions {
  workers: number;
  scenario: string;
  file: string | undefined;
  /** The run's flags as parsed (durations in ms); `shard` is this machine's shard, if any. */
  values: SimFlagValues;
  /** The whole run's options (simOptionsFromFlags of `values`): target, scenario, thresholds. */
  options: Omit<SimOptions, 'progress' | 'signal'>;
  /** The scenario's default checks (false: --no-default-checks). */
  defaultChecks: boolean;
  inProcess?: InProcessStarter;
  progress?: ProgressSink;
  /** Ctrl-C: every worker is told to stop (each still reports). */
  signal?: AbortSignal;
  onTarget?: (t: Target) => void;
  /** A line about the workers (their pids, what a worker wrote on stderr). */
  log?: (line: string) => void;
  /** The worker entry module; default worker-main.js beside this file. */
  workerModule?: string;
}

/** How long a worker that sent its report may take to exit before it is killed. */
const REPORTED_EXIT_GRACE_MS = 10_000;

/** One worker's shard and the users it drives. */
export interface WorkerPlan {
  shard: Shard;
  users: ShardPlan['users'];
}

interface Worker extends WorkerPlan {
  proc: ChildProcess;
  sample: RunSample | undefined;
  report: SimReport | undefined;
  failure: string | undefined;
  stderrTail: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** The watchdog killed it (it outlived every bound of its run). */
  hung: boolean;
}

/**
 * Checks every worker's shard of the flags before anything starts (a shard too small is a
 * usage error of the whole command, not a worker's failure); returns the workers' shards.
 */
export function planWorkers(workers: number, scenario: string, file: string | undefined, values: SimFlagValues): WorkerPlan[] {
  // simOptionsFromFlags has checked this machine's --shard already.
  const outer = values.shard === undefined ? { index: 1, count: 1 } : parseShard(values.shard);
  return Array.from({ length: workers }, (_, k) => {
    const shard = subShard(outer, workers, k + 1);
    // The URL is the parent's to give: any one does for the check.
    const opts = simOptionsFromFlags(scenario, file, { ...values, url: values.url ?? 'ws://127.0.0.1:1/', shard: shardLabel(shard) });
    return { shard, users: opts.shard?.users ?? null };
  });
}

/** See the module comment. Throws TargetStartError when the in-process gateway cannot start. */
export async function runWorkers(o: WorkersOptions): Promise<SimResult> {
  const shards = planWorkers(o.workers, o.scenario, o.file, o.values);
  const module = o.workerModule ?? workerModulePath();
  let target: Target;
  try {
    target = await startTarget(o.options.target, o.inProcess);
  } catch (e) {
    throw new TargetStartError((e as Error).message);
  }
  o.onTarget?.(target);
  const prefix = o.values.prefix ?? `sim${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}_`;
  const seed = o.values.seed ?? (Date.now() & 0x7fffffff);
  const startedAt = performance.now();
  const hosting = target.kind === 'in-process';
  let gatewayPeakMB: number | null = hosting ? process.memoryUsage.rss() / 1048576 : null;

  const all: Worker[] = shards.map(({ shard, users }) => {
    const proc = fork(module, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    const w: Worker = { shard, users, proc, sample: undefined, report: undefined, failure: undefined, stderrTail: [], exit: undefined, hung: false };
    let partial = '';
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (line.trim() === '') continue;
        w.stderrTail.push(line);
        if (w.stderrTail.length > 10) w.stderrTail.shift();
        o.log?.(`worker ${shardLabel(shard)}: ${line}`);
      }
    });
    proc.on('message', (raw: unknown) => onMessage(w, raw as FromWorker));
    // An IPC write to a worker that just died fails; its exit is what counts.
    proc.on('error', () => undefined);
    const values: SimFlagValues = { ...o.values, url: target.url, prefix, seed, shard: shardLabel(shard) };
    send(w, { type: 'start', scenario: o.scenario, file: o.file, values, policy: target.policy, defaultChecks: o.defaultChecks });
    return w;
  });
  o.log?.(`${all.length} workers against ${target.url}: ${all.map((w) => `${shardLabel(w.shard)} pid ${w.proc.pid}`).join(', ')}`);

  function onMessage(w: Worker, m: FromWorker): void {
    switch (m.type) {
      case 'sample':
        w.sample = m.sample;
        return;
      case 'define':
        void target.defineGroup(m.groupID, m.members).then(
          (ok) => send(w, { type: 'defined', id: m.id, ok }),
          () => send(w, { type: 'defined', id: m.id, ok: false }),
        );
        return;
      case 'report':
        w.report = m.report;
        // It has reported: whatever still holds it open must not hold up the run.
        setTimeout(() => {
          if (w.exit === undefined) w.proc.kill('SIGKILL');
        }, REPORTED_EXIT_GRACE_MS).unref();
        return;
      case 'failed':
        w.failure = m.message;
    }
  }

  const stopAll = (): void => {
    for (const w of all) if (w.exit === undefined) send(w, { type: 'stop' });
  };
  o.signal?.addEventListener('abort', stopAll, { once: true });

  const metrics = new SimMetrics();
  const progress = o.progress ? new Progress(o.progress, o.options.scenario.name, metrics) : undefined;
  const sampler = setInterval(() => {
    if (hosting) gatewayPeakMB = Math.max(gatewayPeakMB ?? 0, process.memoryUsage.rss() / 1048576);
    if (progress === undefined) return;
    const live = all.filter((w) => w.sample !== undefined);
    if (live.length === 0) return;
    const point = aggregate(live.map((w) => w.sample!), (performance.now() - startedAt) / 1000, metrics);
    const running = all.filter((w) => w.exit === undefined).length;
    progress.setStatus(`${running}/${all.length}w ${commonStatus(live.map((w) => w.sample!.status))}`);
    progress.update(point);
  }, 1000);

  // Each worker bounds its own run; this bounds a worker that hangs anyway.
  const o2 = o.options;
  const capMs = (o2.setupTimeoutMs ?? 60_000) + o2.loadMs + 10_000 + (o2.drainMs ?? 5000) * 12 + 60_000;
  const watchdog = setTimeout(() => {
    for (const w of all) {
      if (w.exit !== undefined) continue;
      w.hung = true;
      w.proc.kill('SIGKILL');
    }
  }, capMs);
  await Promise.all(
    all.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.proc.once('exit', (code, signal) => {
            w.exit = { code, signal };
            resolve();
          });
        }),
    ),
  );
  clearTimeout(watchdog);
  clearInterval(sampler);
  o.signal?.removeEventListener('abort', stopAll);
  progress?.stop();
  await target.close();

  const inputs: MergeInput[] = all.filter((w) => w.report !== undefined).map((w) => ({ report: w.report!, source: `worker ${shardLabel(w.shard)}` }));
  const notes = all.filter((w) => w.report === undefined).map((w) => deathNote(w, capMs));
  const user = o.options.thresholds ?? [];
  const checks = [...(o.defaultChecks ? defaultChecks(o.options.scenario, user) : []), ...user];
  const merged = mergeReports(inputs, {
    thresholds: checks,
    count: shards[0]!.shard.count,
    expected: shards.map((s) => s.shard.index),
    target: { kind: target.kind, url: target.url },
    notes,
    scenario: o.options.scenario.name,
    params: { ...o.options.scenario.params },
    ...(hosting ? { gatewayRssPeakMB: gatewayPeakMB === null ? null : Math.round(gatewayPeakMB * 10) / 10 } : {}),
  });
  return merged;
}

function send(w: Worker, m: ToWorker): void {
  if (w.exit !== undefined || !w.proc.connected) return;
  w.proc.send(m, (e) => {
    // The worker died meanwhile: its exit is reported.
    void e;
  });
}

/** What the report says about a worker that left no report. */
function deathNote(w: Worker, capMs: number): string {
  const how = w.exit?.signal ? `was killed by ${w.exit.signal}` : `exited with code ${w.exit?.code ?? '?'}`;
  const users = usersOf(w);
  const why = w.failure ? `: ${w.failure.split('\n')[0]}` : w.stderrTail.length > 0 ? `; its last stderr line: ${w.stderrTail.at(-1)}` : '';
  const hung = w.hung ? ` (the sim killed it: it was still running ${Math.round(capMs / 1000)} s after the start)` : '';
  return `worker ${shardLabel(w.shard)} (pid ${w.proc.pid}) ${how} before its report${why}${hung}: its shard${users} is missing from the figures`;
}

function usersOf(w: Worker): string {
  return w.users ? ` (users ${w.users.first}..${w.users.last})` : '';
}

/** The progress line's point over every worker's latest sample: counts add up, percentiles take the highest. */
function aggregate(samples: readonly RunSample[], t: number, into: SimMetrics): TimelinePoint {
  const c = into.counters;
  for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] = 0;
  for (const s of samples) for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] += s.counters[k] ?? 0;
  return combinePoints(samples.map((s) => s.point), t);
}

/** The status most workers share (`sending`), so the line reads like a single run's. */
function commonStatus(statuses: readonly string[]): string {
  const n = new Map<string, number>();
  for (const s of statuses) n.set(s, (n.get(s) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** worker-main.js beside this module (dist/ in the built CLI). */
function workerModulePath(): string {
  const js = fileURLToPath(new URL('./worker-main.js', import.meta.url));
  if (!existsSync(js)) throw new Error(`the sim worker entry ${js} is missing: run \`npm run build\` (workers run the built CLI)`);
  return js;
}
