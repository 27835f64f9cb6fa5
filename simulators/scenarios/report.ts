/**
 * The run report: one JSON document (schema below, `schemaVersion` 1; fields are only ever
 * added within a version) from which the summary table, the HTML page and the threshold
 * checks are all derived.
 */
import type { MissingRange, SeqAnomaly } from '../client/index.js';
import { LATENCY_STATS } from './catalog.js';
import type { EncodedHistogram, LatencyStats } from './histogram.js';
import { shardLabel, type ShardPlan } from './shard.js';
import type { LedgerTotals } from './ledger.js';
import type { SimMetrics, TimelinePoint } from './metrics.js';
import type { ThresholdResult } from './thresholds.js';
import { formatDuration } from './units.js';

/** Version of the report's JSON schema; bumped only on incompatible changes. */
export const REPORT_SCHEMA_VERSION = 1;

/** See SimReport.verdict. */
export type SimVerdict = 'PASS' | 'FAIL' | 'ERROR' | 'INCOMPLETE';

/** The report of one run (`--json FILE` writes exactly this). */
export interface SimReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: 'msggw sim';
  /** Built-in name, or `run <name>` for a scenario file. */
  scenario: string;
  params: Record<string, unknown>;
  target: { kind: 'in-process' | 'external'; url: string };
  run: {
    prefix: string;
    seed: number;
    startedAt: string;
    endedAt: string;
    durationMs: number;
    /** Length of the load window throughput is computed over. */
    loadMs: number;
    /** The hard cap or Ctrl-C cut the run short. */
    aborted: boolean;
    /** Ctrl-C or SIGTERM cut the run short (the verdict is INCOMPLETE). */
    interrupted: boolean;
    /** Why the scenario stopped early (null when it ran through). */
    error: string | null;
  };
  /** The verdict is PASS. */
  passed: boolean;
  /**
   * PASS: every check held. FAIL: a check (default or --threshold) failed. ERROR: the scenario
   * stopped with an error. INCOMPLETE: interrupted (Ctrl-C, SIGTERM), whatever the checks say.
   */
  verdict: SimVerdict;
  /** Paces asked for and not reached (`could not reach --rate 500/s: ...`), and the like. */
  warnings: string[];
  /** The flat metric namespace thresholds use (see the README's metric table). */
  metrics: Record<string, number | null>;
  connections: {
    opened: number;
    failed: number;
    closed: number;
    dropped: number;
    peak: number;
    timeToOpenMs: number | null;
    closedByReason: Record<string, number>;
    failedByReason: Record<string, number>;
    reconnects: number;
    reconnectFailures: number;
  };
  messages: {
    sent: number;
    failed: number;
    skipped: number;
    expectedDeliveries: number;
    receivedByPush: number;
    receivedByPull: number;
    sentPerSec: number | null;
    deliveredPerSec: number | null;
  };
  integrity: {
    lost: number;
    duplicates: number;
    outOfOrder: number;
    gaps: number;
    gapEvents: number;
    unexpected: number;
    foreign: number;
    excused: number;
    catchUps: number;
    catchUpFailures: number;
    /** Catch-ups cut short by the sim's own drop; the reconnect after it runs a fresh one. */
    catchUpsInterrupted: number;
    /** First missing seq ranges (client labels are `c<connection id>`). */
    missing: MissingRange[];
    /** First seq anomalies (duplicates, out-of-order, gaps) as the tracker saw them. */
    anomalies: SeqAnomaly[];
    lostSamples: LedgerTotals['lostSamples'];
  };
  /** Latency histograms by family (`handshake`, `delivery`, `rtt`, `rtt.1003`, ...), ms. */
  latency: Record<string, LatencyStats>;
  /** The same histograms, encoded whole, so reports of several workers or machines merge exactly (`sim merge`). */
  histograms: Record<string, EncodedHistogram>;
  /** Set when the report covers shards of the users (`--shard`, `--workers`, `sim merge`). */
  shards?: ShardsSection;
  errors: { total: number; byKind: Record<string, number> };
  memory: { rssPeakMB: number; gatewayRssPeakMB: number | null };
  /** Scenario sections (connect, group, presence, multilogin, reconnect, flows). */
  extra: Record<string, unknown>;
  /** One point per second. */
  timeline: TimelinePoint[];
  /** The scenario's phases in order, on the timeline's clock (`t`, seconds from the run's start). */
  phases: PhaseMark[];
  thresholds: ThresholdResult[];
  notes: string[];
}

/** The shards a report covers: one (`--shard i/n`), or those merged (`--workers`, `sim merge`). */
export interface ShardsSection {
  /** n of i/n. */
  count: number;
  /** Shards whose figures are in this report, ascending. */
  indices: number[];
  /** Shards this report should hold and does not (a worker that died, a report not given): the verdict is INCOMPLETE. Another machine's shards are not missing from its own report. */
  missing: number[];
  /** One line per shard in the report. */
  parts: ShardPart[];
}

/** One shard of a report. */
export interface ShardPart {
  index: number;
  /** Its part of the run's parameters (users, rate, ...). */
  params: Record<string, unknown>;
  /** Its numbered users' global numbers; null when the scenario names its users (presence). */
  users: { first: number; last: number } | null;
  verdict: SimVerdict;
  prefix: string;
}

/** One phase of a run: a scenario file's `phases[]`, or a built-in's stages (connect: ramp, hold). */
export interface PhaseMark {
  name: string;
  /** Seconds from the run's start (the timeline's `t`), 0.1 s resolution. */
  startS: number;
  /** When it ended, on the same clock; a phase cut short ends where it stopped. */
  endS: number;
}

/** Everything {@link buildReport} combines. */
export interface ReportInputs {
  scenario: string;
  params: Record<string, unknown>;
  target: { kind: 'in-process' | 'external'; url: string };
  prefix: string;
  seed: number;
  metrics: SimMetrics;
  ledger: LedgerTotals;
  tracker: { outOfOrder: number; gapEvents: number; missing: MissingRange[]; missingCount: number; anomalies: readonly SeqAnomaly[] };
  timeToOpenMs: number | null;
  loadStart: number | null;
  loadEnd: number | null;
  aborted: boolean;
  interrupted: boolean;
  error: string | null;
  scenarioMetrics: Record<string, number | null>;
  extra: Record<string, unknown>;
  /** Phase starts and ends as performance.now() values; an open end closes at the load's end. */
  phases: readonly { name: string; start: number; end: number | null }[];
  notes: string[];
  /** The run drove one shard: `params` are then the whole run's, and `shards` says which part this was. */
  shard?: ShardPlan;
}

/** Builds the report (thresholds are added by the caller with {@link withThresholds}). */
export function buildReport(i: ReportInputs): SimReport {
  const m = i.metrics;
  const c = m.counters;
  const now = performance.now();
  const loadStart = i.loadStart ?? m.startedAt;
  const loadEnd = i.loadEnd ?? now;
  const loadMs = Math.max(0, loadEnd - loadStart);
  const sentPerSec = loadMs > 0 && c.sent > 0 ? round2((c.sent * 1000) / loadMs) : null;
  // Deliveries trail the sends: their window runs to the last one received.
  const deliveryWindow = Math.max(loadEnd, m.lastDeliveryAt) - loadStart;
  const deliveredPerSec = deliveryWindow > 0 && i.ledger.receivedByPush > 0 ? round2((i.ledger.receivedByPush * 1000) / deliveryWindow) : null;
  const latency = m.latencies();
  const errorsTotal = m.errorTotal();

  const metrics: Record<string, number | null> = {
    duration: Math.round(now - m.startedAt),
    'load.duration': Math.round(loadMs),
    // Nothing opened: there is no time to open (not 0 ms).
    'time.open': i.timeToOpenMs === null || c.connOpened === 0 ? null : Math.round(i.timeToOpenMs),
    'connections.opened': c.connOpened,
    'connections.failed': c.connFailed,
    'connections.closed': c.connClosed,
    'connections.dropped': c.connDropped,
    'connections.peak': c.peakOpen,
    reconnects: c.reconnects,
    'reconnect.failures': c.reconnectFailures,
    catchups: c.catchUps,
    'catchup.failures': c.catchUpFailures,
    'messages.sent': c.sent,
    'messages.failed': c.sendFailed,
    'messages.skipped': c.sendSkipped,
    'deliveries.expected': i.ledger.expected,
    'deliveries.received': i.ledger.receivedByPush,
    'deliveries.pulled': i.ledger.receivedByPull,
    'throughput.sent': sentPerSec,
    'throughput.delivered': deliveredPerSec,
    lost: i.ledger.lost,
    duplicates: i.ledger.duplicates,
    outOfOrder: i.tracker.outOfOrder,
    gaps: i.tracker.missingCount,
    unexpected: i.ledger.unexpected,
    requests: c.requests,
    'request.errors': c.requestErrors,
    'protocol.errors': c.protocolErrors,
    errors: errorsTotal,
    'kicks.expected': null,
    'kicks.observed': null,
    'kicks.missing': null,
    // Outside multilogin no kick is expected (multilogin sets its own value).
    'kicks.unexpected': c.kicks,
    'presence.notifications': c.presenceEvents,
    'presence.stale': null,
    'flows.started': c.flowsStarted,
    'flows.completed': c.flowsCompleted,
    'flows.failed': c.flowsFailed,
    'rss.peak': Math.round(m.peakRssMB * 10) / 10,
    'gateway.rss.peak': m.gatewayPeakRssMB,
    ...i.scenarioMetrics,
  };
  for (const [family, s] of Object.entries(latency)) {
    for (const stat of LATENCY_STATS) {
      const v = s[stat];
      metrics[`${family}.${stat}`] = v === null ? null : round3(v);
    }
  }

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'msggw sim',
    scenario: i.scenario,
    params: i.shard?.runParams ?? i.params,
    target: i.target,
    run: {
      prefix: i.prefix,
      seed: i.seed,
      startedAt: m.startedAtIso,
      endedAt: new Date().toISOString(),
      durationMs: Math.round(now - m.startedAt),
      loadMs: Math.round(loadMs),
      aborted: i.aborted,
      interrupted: i.interrupted,
      error: i.error,
    },
    passed: false,
    verdict: verdictOf(i.interrupted, i.error, []),
    warnings: [],
    metrics,
    connections: {
      opened: c.connOpened,
      failed: c.connFailed,
      closed: c.connClosed,
      dropped: c.connDropped,
      peak: c.peakOpen,
      timeToOpenMs: metrics['time.open'] ?? null,
      closedByReason: { ...m.closedByReason },
      failedByReason: { ...m.failedByReason },
      reconnects: c.reconnects,
      reconnectFailures: c.reconnectFailures,
    },
    messages: {
      sent: c.sent,
      failed: c.sendFailed,
      skipped: c.sendSkipped,
      expectedDeliveries: i.ledger.expected,
      receivedByPush: i.ledger.receivedByPush,
      receivedByPull: i.ledger.receivedByPull,
      sentPerSec,
      deliveredPerSec,
    },
    integrity: {
      lost: i.ledger.lost,
      duplicates: i.ledger.duplicates,
      outOfOrder: i.tracker.outOfOrder,
      gaps: i.tracker.missingCount,
      gapEvents: i.tracker.gapEvents,
      unexpected: i.ledger.unexpected,
      foreign: c.foreign,
      excused: i.ledger.excused,
      catchUps: c.catchUps,
      catchUpFailures: c.catchUpFailures,
      catchUpsInterrupted: c.catchUpsInterrupted,
      missing: i.tracker.missing.slice(0, 20),
      anomalies: i.tracker.anomalies.slice(0, 20),
      lostSamples: i.ledger.lostSamples,
    },
    latency,
    histograms: m.encodedHistograms(),
    ...(i.shard
      ? { shards: { count: i.shard.shard.count, indices: [i.shard.shard.index], missing: [], parts: [{ index: i.shard.shard.index, params: i.params, users: i.shard.users, verdict: 'PASS' as SimVerdict, prefix: i.prefix }] } }
      : {}),
    errors: { total: errorsTotal, byKind: { ...m.errorsByKind } },
    memory: { rssPeakMB: Math.round(m.peakRssMB * 10) / 10, gatewayRssPeakMB: m.gatewayPeakRssMB },
    extra: i.extra,
    timeline: m.timeline,
    phases: i.phases.map((p) => ({ name: p.name, startS: tenths(p.start - m.startedAt), endS: tenths((p.end ?? loadEnd) - m.startedAt) })),
    thresholds: [],
    notes: i.notes,
  };
}

/** The report with its check results, and the verdict they make (missing shards make it INCOMPLETE). */
export function withThresholds(r: SimReport, results: ThresholdResult[]): SimReport {
  const verdict = verdictOf(r.run.interrupted || (r.shards?.missing.length ?? 0) > 0, r.run.error, results);
  // A single shard's line carries the shard's own verdict.
  const shards = r.shards && r.shards.parts.length === 1 && r.shards.indices.length === 1 && r.shards.missing.length === 0 ? { ...r.shards, parts: [{ ...r.shards.parts[0]!, verdict }] } : r.shards;
  return { ...r, thresholds: results, verdict, passed: verdict === 'PASS', ...(shards ? { shards } : {}) };
}

function verdictOf(interrupted: boolean, error: string | null, results: readonly ThresholdResult[]): SimVerdict {
  if (interrupted) return 'INCOMPLETE';
  if (error !== null) return 'ERROR';
  return results.every((t) => t.ok) ? 'PASS' : 'FAIL';
}

/** The summary table printed at the end of a run. */
export function formatSummary(r: SimReport): string {
  const c = r.connections;
  const msg = r.messages;
  const g = r.integrity;
  const out: string[] = [];
  out.push(`msggw sim ${r.scenario} against ${r.target.kind} ${r.target.url} (prefix ${r.run.prefix}, seed ${r.run.seed}): ${formatDuration(r.run.durationMs)}, ${r.verdict}`);
  out.push('');
  const rows: [string, string][] = [];
  if (r.shards) rows.push(['shards', shardsLine(r.shards)]);
  rows.push(['connections', `opened ${c.opened}  failed ${c.failed}${fmtReasons(c.failedByReason)}  peak ${c.peak}  time to open ${c.timeToOpenMs === null ? '-' : formatDuration(c.timeToOpenMs)}`]);
  rows.push(['closed', `${c.closed}${fmtReasons(c.closedByReason)}  dropped ${c.dropped}  reconnects ${c.reconnects} (failed attempts ${c.reconnectFailures})`]);
  if (msg.sent > 0 || msg.receivedByPush > 0) {
    rows.push(['messages', `sent ${msg.sent} (${fmtRate(msg.sentPerSec)})  failed ${msg.failed}  skipped ${msg.skipped}`]);
    rows.push(['deliveries', `expected ${msg.expectedDeliveries}  by push ${msg.receivedByPush} (${fmtRate(msg.deliveredPerSec)})  by pull ${msg.receivedByPull}`]);
    rows.push(['integrity', `lost ${g.lost}  duplicates ${g.duplicates}  out-of-order ${g.outOfOrder}  gaps ${g.gaps}  unexpected ${g.unexpected}  catch-ups ${g.catchUps} (failed ${g.catchUpFailures})`]);
  }
  for (const [k, v] of Object.entries(r.metrics)) {
    const shown = k === 'presence.stale' || (k.startsWith('kicks.') && (r.metrics['kicks.expected'] !== null || (k === 'kicks.unexpected' && v !== 0)));
    if (v !== null && shown) rows.push([k, String(v)]);
  }
  rows.push(['errors', `${r.errors.total}${fmtReasons(r.errors.byKind)}`]);
  rows.push(['memory', `rss peak ${r.memory.rssPeakMB} MB${r.memory.gatewayRssPeakMB === null ? '' : `  gateway rss peak ${r.memory.gatewayRssPeakMB} MB`}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) out.push(`${k.padEnd(w)}  ${v}`);

  const fams = Object.entries(r.latency);
  if (fams.length > 0) {
    out.push('');
    const head = ['latency (ms)', 'count', 'p50', 'p90', 'p99', 'p99.9', 'max'];
    const table = fams.map(([name, s]) => [name, String(s.count), fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.p999), fmt(s.max)]);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
    out.push(head.map((h, i) => (i === 0 ? h.padEnd(widths[i]!) : h.padStart(widths[i]!))).join('  '));
    for (const row of table) out.push(row.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  '));
  }
  out.push(...flowTables(r));
  if (r.thresholds.length > 0) {
    out.push('');
    out.push('checks (default: built into the scenario; --no-default-checks drops them)');
    for (const t of r.thresholds) {
      const actual = t.actual === null ? '  (no data)' : `  (actual ${round3(t.actual)})`;
      out.push(`  ${t.ok ? 'ok  ' : 'FAIL'} ${t.expr}${t.source === 'default' ? ' [default]' : ''}${actual}`);
    }
  }
  if (r.run.error) out.push('', `error: ${r.run.error}`);
  for (const w of r.warnings) out.push(`WARN ${w}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  const missing = r.shards?.missing ?? [];
  if (missing.length > 0) out.push(`INCOMPLETE: shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${r.shards!.count}`).join(', ')} did not report; the figures cover only the others`);
  else if (r.verdict === 'INCOMPLETE') out.push('INCOMPLETE: the run was interrupted; its figures cover only the part that ran');
  return out.join('\n');
}

/** The summary's shards line: `this report is shard 1/2 (users 1..10)` for one shard; `2 of 2 merged: 1/2 PASS (users 1..10), 2/2 FAIL (...)` for a merge. */
export function shardsLine(s: ShardsSection): string {
  const part = (p: ShardPart): string => `${shardLabel({ index: p.index, count: s.count })}${p.users ? ` (users ${p.users.first}..${p.users.last})` : ''}`;
  if (s.parts.length === 1 && s.missing.length === 0 && s.indices.length === 1) return `this report is shard ${part(s.parts[0]!)}`;
  const missing = s.missing.length > 0 ? `; missing ${s.missing.map((i) => `${i}/${s.count}`).join(', ')}` : '';
  if (s.parts.length <= 8) return `${s.indices.length} of ${s.count} merged: ${s.parts.map((p) => `${part(p)} ${p.verdict}`).join(', ')}${missing}`;
  // Many shards: the verdicts counted, the ones that did not pass named.
  const byVerdict = new Map<string, number>();
  for (const p of s.parts) byVerdict.set(p.verdict, (byVerdict.get(p.verdict) ?? 0) + 1);
  const notPassed = s.parts.filter((p) => p.verdict !== 'PASS').slice(0, 8);
  const named = notPassed.length > 0 ? ` (${notPassed.map((p) => `${shardLabel({ index: p.index, count: s.count })} ${p.verdict}`).join(', ')})` : '';
  return `${s.indices.length} of ${s.count} merged: ${[...byVerdict].map(([v, n]) => `${n} ${v}`).join(', ')}${named}${missing}`;
}

function fmtReasons(rec: Record<string, number>): string {
  const e = Object.entries(rec);
  if (e.length === 0) return '';
  return ` (${e
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ')})`;
}

function fmtRate(v: number | null): string {
  return v === null ? '-/s' : `${v.toFixed(1)}/s`;
}

function fmt(v: number | null): string {
  if (v === null) return '-';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** Milliseconds as seconds with one decimal (the timeline's `t`). */
function tenths(ms: number): number {
  return Math.round(Math.max(0, ms) / 100) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Scenario files: one row per flow and per phase (what started, finished and failed, and why). */
function flowTables(r: SimReport): string[] {
  const flows = r.extra.flows as FlowsSection | undefined;
  if (flows === undefined) return [];
  const out: string[] = [''];
  const table = (head: string[], rows: string[][]): void => {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
    const line = (row: string[]): string => row.map((v, i) => (i === 0 || i === row.length - 1 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ').trimEnd();
    out.push(line(head));
    for (const row of rows) out.push(line(row));
  };
  const why = (f: Record<string, number>): string =>
    Object.entries(f)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
      .map(([k, v]) => `${v}x ${k}`)
      .join('; ');
  table(
    ['flow', 'started', 'completed', 'failed', 'aborted', 'failures'],
    Object.entries(flows.byFlow).map(([name, s]) => [name, String(s.started), String(s.completed), String(s.failed), String(s.aborted), why(s.failures)]),
  );
  if (flows.byPhase !== undefined && Object.keys(flows.byPhase).length > 0) {
    out.push('');
    table(
      ['phase', 'started', 'completed', 'failed', 'aborted', 'failures'],
      Object.entries(flows.byPhase).map(([name, s]) => [name, String(s.started), String(s.completed), String(s.failed), String(s.aborted), why(s.failures)]),
    );
  }
  return out;
}

/** Counts of one flow or phase of a scenario file (the runner's `extra.flows`). */
export interface FlowCounts {
  started: number;
  completed: number;
  failed: number;
  aborted: number;
  failures: Record<string, number>;
}

/** The `extra.flows` section scenario files report. */
export interface FlowsSection {
  vus: number;
  skipped: number;
  byFlow: Record<string, FlowCounts>;
  byPhase?: Record<string, FlowCounts>;
}
