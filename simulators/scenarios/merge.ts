/**
 * Merging shard reports into one (`msggw sim --workers N` merges its workers', `msggw sim merge`
 * the files of several load machines). Shards never share a pair or a group (shard.ts), so each
 * shard's integrity ledger is exact and the merged counts are sums; latency percentiles come
 * from the merged histograms (the reports carry them whole), never from averaging percentiles;
 * the checks are evaluated again on the merged metrics, so the verdict and exit code mean what
 * they mean for a single run.
 *
 * How each metric merges follows its unit (catalog.ts): counts and rates add up, ms figures
 * (duration, time to open) take the longest shard, `rss.peak` adds up (the memory of the whole
 * load), `gateway.rss.peak` takes the highest reading. The timeline's per-second percentiles
 * are the highest shard's (an upper bound, for the charts only); the phase marks are the first
 * shard's (shards run the same scenario, on clocks started at about the same time).
 */
import { LATENCY_STATS, metricDoc } from './catalog.js';
import { Histogram, HistogramDecodeError, type EncodedHistogram, type LatencyStats } from './histogram.js';
import { combinePoints, type TimelinePoint } from './metrics.js';
import { REPORT_SCHEMA_VERSION, withThresholds, type ShardPart, type SimReport } from './report.js';
import { shardLabel } from './shard.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';

/** Reports that cannot be merged: exit 2, naming the file and what is wrong. */
export class MergeError extends Error {}

/** One report to merge and where it came from (a file name, `worker 2`), for the messages. */
export interface MergeInput {
  report: SimReport;
  source: string;
}

/** Options of {@link mergeReports}. */
export interface MergeOptions {
  /** The checks to evaluate; default: the ones the first report was checked with. */
  thresholds?: readonly Threshold[];
  /** The shard count to expect when no input says (a --workers run whose every worker died). */
  count?: number;
  /**
   * The shards this merge should hold (default all of 1..count): a machine's `--shard 1/2 --workers 2`
   * holds shards 1 and 2 of 4, and 3 and 4 are another machine's, not missing.
   */
  expected?: readonly number[];
  /** The target to name (a --workers run's own in-process gateway); default the first report's. */
  target?: SimReport['target'];
  /** Lines to add to the notes (a worker that died, ...). */
  notes?: readonly string[];
  /** The scenario and its parameters, for a report none of whose shards reported. */
  scenario?: string;
  params?: Record<string, unknown>;
  /** Readings to use instead of the shards' for `gateway.rss.peak` (the parent hosts the gateway). */
  gatewayRssPeakMB?: number | null;
}

/** Checks that a parsed JSON document is a shard report this version can merge; returns it typed. */
export function asShardReport(doc: unknown, source: string): SimReport {
  const r = doc as Partial<SimReport> | null;
  if (r === null || typeof r !== 'object' || r.tool !== 'msggw sim') throw new MergeError(`${source}: not a msggw sim report (no "tool": "msggw sim")`);
  if (r.schemaVersion !== REPORT_SCHEMA_VERSION) throw new MergeError(`${source}: report schemaVersion ${String(r.schemaVersion)}, this msggw reads ${REPORT_SCHEMA_VERSION}`);
  if (r.histograms === undefined || typeof r.histograms !== 'object') throw new MergeError(`${source}: the report carries no histograms (made by an older msggw): run the shard again with this version`);
  const s = r.shards;
  if (s === undefined || !Array.isArray(s.indices) || !Number.isInteger(s.count) || s.indices.length === 0) {
    throw new MergeError(`${source}: not a shard report: run each machine with --shard i/n (e.g. --shard 1/2 and --shard 2/2) and --out FILE`);
  }
  for (const k of ['metrics', 'connections', 'messages', 'integrity', 'errors', 'memory', 'run'] as const) {
    if (typeof r[k] !== 'object' || r[k] === null) throw new MergeError(`${source}: the report has no "${k}" section`);
  }
  return r as SimReport;
}

/**
 * Merges shard reports (see the module comment). Throws {@link MergeError} when they are not
 * shards of one run: different scenarios or shard counts, or the same shard twice. Shards
 * missing from the set make the verdict INCOMPLETE, with a warning.
 */
export function mergeReports(inputs: readonly MergeInput[], o: MergeOptions = {}): { report: SimReport; failed: ThresholdResult[] } {
  if (inputs.length === 0 && o.count === undefined) throw new MergeError('no reports to merge');
  const reports = inputs.map((i) => i.report);
  const first = reports[0];
  const count = first?.shards?.count ?? o.count!;
  const seen = new Map<number, string>();
  for (const { report: r, source } of inputs) {
    if (r.scenario !== first!.scenario) throw new MergeError(`${source} ran scenario "${r.scenario}", ${inputs[0]!.source} ran "${first!.scenario}": merge shards of one run only`);
    if (r.shards!.count !== count) throw new MergeError(`${source} is a shard of ${r.shards!.count}, ${inputs[0]!.source} of ${count}: every machine must use the same --shard i/${count} (and the same --workers)`);
    for (const i of r.shards!.indices) {
      const other = seen.get(i);
      if (other !== undefined) throw new MergeError(`shard ${shardLabel({ index: i, count })} is in both ${other} and ${source}: give each shard once`);
      seen.set(i, source);
    }
  }
  const indices = [...seen.keys()].sort((a, b) => a - b);
  for (const i of o.expected ?? []) if (i < 1 || i > count) throw new MergeError(`shard ${i} of ${count} does not exist`);
  const missing = (o.expected ?? Array.from({ length: count }, (_, i) => i + 1)).filter((i) => !seen.has(i));
  const warnings: string[] = [];
  if (missing.length > 0) warnings.push(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => shardLabel({ index: i, count })).join(', ')} missing: the figures cover ${indices.length} of ${indices.length + missing.length} shards`);
  if (first !== undefined && inputs.some((i) => JSON.stringify(i.report.params) !== JSON.stringify(first.params))) warnings.push('the shards ran with different parameters: the merged figures mix them');
  const urls = new Set(reports.map((r) => r.target.url));
  if (o.target === undefined && urls.size > 1) warnings.push(`the shards loaded different gateways (${[...urls].join(', ')})`);
  const tag = (r: SimReport): string => (r.shards!.indices.length === 1 ? `shard ${shardLabel({ index: r.shards!.indices[0]!, count })}: ` : '');
  for (const r of reports) for (const w of r.warnings) warnings.push(`${tag(r)}${w}`);

  const histograms = mergeHistograms(inputs);
  const latency: Record<string, LatencyStats> = {};
  const encoded: Record<string, EncodedHistogram> = {};
  for (const [name, h] of [...histograms].sort(([a], [b]) => a.localeCompare(b))) {
    latency[name] = h.stats();
    encoded[name] = h.encode();
  }
  const metrics = mergeMetrics(reports, latency);
  if (o.gatewayRssPeakMB !== undefined) metrics['gateway.rss.peak'] = o.gatewayRssPeakMB;
  const sum = (f: (r: SimReport) => number): number => reports.reduce((a, r) => a + f(r), 0);
  const rate = (f: (r: SimReport) => number | null): number | null => (reports.some((r) => f(r) !== null) ? round2(sum((r) => f(r) ?? 0)) : null);
  const maxOf = (f: (r: SimReport) => number | null): number | null => reports.reduce<number | null>((a, r) => (f(r) === null ? a : Math.max(a ?? 0, f(r)!)), null);
  const labelled = <T extends { client: string }>(pick: (r: SimReport) => readonly T[]): T[] =>
    reports.flatMap((r) => pick(r).map((x) => (r.shards!.indices.length === 1 ? { ...x, client: `s${r.shards!.indices[0]}.${x.client}` } : x))).slice(0, 20);
  const errors = reports.map((r) => (r.run.error === null ? null : `${tag(r)}${r.run.error}`)).filter((e): e is string => e !== null);
  const parts: ShardPart[] = reports.flatMap((r) => (r.shards!.parts.length === 1 && r.shards!.indices.length === 1 ? [{ ...r.shards!.parts[0]!, verdict: r.verdict }] : r.shards!.parts)).sort((a, b) => a.index - b.index);

  // The first report gives the shape (and any section this code does not know of); every figure is recomputed.
  const base: SimReport = first !== undefined ? structuredClone(first) : emptyReport(o);
  const merged: SimReport = {
    ...base,
    target: o.target ?? base.target,
    run: {
      prefix: [...new Set(reports.map((r) => r.run.prefix))].join(',') || base.run.prefix,
      seed: base.run.seed,
      startedAt: reports.map((r) => r.run.startedAt).sort()[0] ?? base.run.startedAt,
      endedAt: reports.map((r) => r.run.endedAt).sort().at(-1) ?? base.run.endedAt,
      durationMs: maxOf((r) => r.run.durationMs) ?? 0,
      loadMs: maxOf((r) => r.run.loadMs) ?? 0,
      aborted: reports.some((r) => r.run.aborted),
      interrupted: reports.some((r) => r.run.interrupted),
      error: errors.length > 0 ? errors.join('; ') : null,
    },
    warnings,
    metrics,
    connections: {
      opened: sum((r) => r.connections.opened),
      failed: sum((r) => r.connections.failed),
      closed: sum((r) => r.connections.closed),
      dropped: sum((r) => r.connections.dropped),
      peak: sum((r) => r.connections.peak),
      timeToOpenMs: maxOf((r) => r.connections.timeToOpenMs),
      closedByReason: addRecords(reports.map((r) => r.connections.closedByReason)),
      failedByReason: addRecords(reports.map((r) => r.connections.failedByReason)),
      reconnects: sum((r) => r.connections.reconnects),
      reconnectFailures: sum((r) => r.connections.reconnectFailures),
    },
    messages: {
      sent: sum((r) => r.messages.sent),
      failed: sum((r) => r.messages.failed),
      skipped: sum((r) => r.messages.skipped),
      expectedDeliveries: sum((r) => r.messages.expectedDeliveries),
      receivedByPush: sum((r) => r.messages.receivedByPush),
      receivedByPull: sum((r) => r.messages.receivedByPull),
      sentPerSec: rate((r) => r.messages.sentPerSec),
      deliveredPerSec: rate((r) => r.messages.deliveredPerSec),
    },
    integrity: {
      lost: sum((r) => r.integrity.lost),
      duplicates: sum((r) => r.integrity.duplicates),
      outOfOrder: sum((r) => r.integrity.outOfOrder),
      gaps: sum((r) => r.integrity.gaps),
      gapEvents: sum((r) => r.integrity.gapEvents),
      unexpected: sum((r) => r.integrity.unexpected),
      foreign: sum((r) => r.integrity.foreign),
      excused: sum((r) => r.integrity.excused),
      catchUps: sum((r) => r.integrity.catchUps),
      catchUpFailures: sum((r) => r.integrity.catchUpFailures),
      catchUpsInterrupted: sum((r) => r.integrity.catchUpsInterrupted),
      missing: labelled((r) => r.integrity.missing),
      anomalies: labelled((r) => r.integrity.anomalies),
      lostSamples: reports.flatMap((r) => r.integrity.lostSamples.map((s) => ({ ...s, ...(r.shards!.indices.length === 1 ? { shard: r.shards!.indices[0]! } : {}) }))).slice(0, 20),
    },
    latency,
    histograms: encoded,
    shards: { count, indices, missing, parts },
    errors: { total: sum((r) => r.errors.total), byKind: addRecords(reports.map((r) => r.errors.byKind)) },
    memory: { rssPeakMB: round1(sum((r) => r.memory.rssPeakMB)), gatewayRssPeakMB: o.gatewayRssPeakMB !== undefined ? o.gatewayRssPeakMB : maxOf((r) => r.memory.gatewayRssPeakMB) },
    extra: reports.reduce<Record<string, unknown>>((a, r) => mergeValue(a, r.extra) as Record<string, unknown>, {}),
    timeline: mergeTimelines(reports.map((r) => r.timeline)),
    thresholds: [],
    notes: [...new Set(reports.flatMap((r) => r.notes.map((n) => `${tag(r)}${n}`))), ...(o.notes ?? [])],
  };
  const checks = o.thresholds ?? (first?.thresholds ?? []).map(({ expr, metric, op, value, source }) => ({ expr, metric, op, value, ...(source ? { source } : {}) }));
  const results = evaluateThresholds(checks, merged.metrics);
  return { report: withThresholds(merged, results), failed: results.filter((r) => !r.ok) };
}

function mergeHistograms(inputs: readonly MergeInput[]): Map<string, Histogram> {
  const out = new Map<string, Histogram>();
  for (const { report, source } of inputs) {
    for (const [name, enc] of Object.entries(report.histograms)) {
      let h: Histogram;
      try {
        h = Histogram.decode(enc, `${source}: histograms.${name}`);
      } catch (e) {
        if (e instanceof HistogramDecodeError) throw new MergeError(e.message);
        throw e;
      }
      const acc = out.get(name);
      if (acc === undefined) out.set(name, h);
      else acc.merge(h);
    }
  }
  return out;
}

/** The flat metrics: latency families from the merged histograms, the rest by unit (see the module comment). */
function mergeMetrics(reports: readonly SimReport[], latency: Record<string, LatencyStats>): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const isLatency = (k: string): boolean => {
    const dot = k.lastIndexOf('.');
    return dot > 0 && (LATENCY_STATS as readonly string[]).includes(k.slice(dot + 1)) && metricDoc(k) !== undefined && metricDoc(k.slice(0, dot)) === undefined;
  };
  for (const r of reports) {
    for (const [k, v] of Object.entries(r.metrics)) {
      if (isLatency(k)) continue;
      const prev = out[k];
      if (v === null) {
        if (!(k in out)) out[k] = null;
        continue;
      }
      if (prev === undefined || prev === null) {
        out[k] = v;
        continue;
      }
      const unit = metricDoc(k)?.unit ?? 'count';
      out[k] = unit === 'ms' || (unit === 'MB' && k !== 'rss.peak') ? Math.max(prev, v) : round3(prev + v);
    }
  }
  for (const [family, s] of Object.entries(latency)) {
    for (const stat of LATENCY_STATS) {
      const v = s[stat];
      out[`${family}.${stat}`] = v === null ? null : round3(v);
    }
  }
  return out;
}

/** Per-second points side by side: counts add up; percentiles take the highest shard's (see the module comment). */
function mergeTimelines(lines: readonly TimelinePoint[][]): TimelinePoint[] {
  const len = Math.max(0, ...lines.map((l) => l.length));
  const out: TimelinePoint[] = [];
  for (let i = 0; i < len; i++) {
    const pts = lines.map((l) => l[i]).filter((p): p is TimelinePoint => p !== undefined);
    const point = combinePoints(pts, Math.max(...pts.map((p) => p.t)));
    out.push({ ...point, rssMB: round1(point.rssMB) });
  }
  return out;
}

/** Scenario sections: numbers add up (`...Ms` take the longest), equal values stay, different strings are listed. */
function mergeValue(a: unknown, b: unknown): unknown {
  if (a === undefined) return structuredClone(b);
  if (b === undefined) return a;
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a || b;
  if (typeof a === 'string' && typeof b === 'string') return a.split(', ').includes(b) ? a : `${a}, ${b}`;
  if (Array.isArray(a) || Array.isArray(b)) return JSON.stringify(a) === JSON.stringify(b) ? a : [...(Array.isArray(a) ? a : [a]), ...(Array.isArray(b) ? b : [b])];
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) {
      const prev = out[k];
      out[k] = k.endsWith('Ms') && typeof prev === 'number' && typeof v === 'number' ? Math.max(prev, v) : mergeValue(prev, v);
    }
    return out;
  }
  return a;
}

function addRecords(recs: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of recs) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The shape of a report none of whose shards reported (every worker died before its report). */
function emptyReport(o: MergeOptions): SimReport {
  const now = new Date().toISOString();
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: 'msggw sim',
    scenario: o.scenario ?? '',
    params: o.params ?? {},
    target: o.target ?? { kind: 'external', url: '' },
    run: { prefix: '', seed: 0, startedAt: now, endedAt: now, durationMs: 0, loadMs: 0, aborted: false, interrupted: false, error: null },
    passed: false,
    verdict: 'INCOMPLETE',
    warnings: [],
    metrics: {},
    connections: { opened: 0, failed: 0, closed: 0, dropped: 0, peak: 0, timeToOpenMs: null, closedByReason: {}, failedByReason: {}, reconnects: 0, reconnectFailures: 0 },
    messages: { sent: 0, failed: 0, skipped: 0, expectedDeliveries: 0, receivedByPush: 0, receivedByPull: 0, sentPerSec: null, deliveredPerSec: null },
    integrity: { lost: 0, duplicates: 0, outOfOrder: 0, gaps: 0, gapEvents: 0, unexpected: 0, foreign: 0, excused: 0, catchUps: 0, catchUpFailures: 0, catchUpsInterrupted: 0, missing: [], anomalies: [], lostSamples: [] },
    latency: {},
    histograms: {},
    errors: { total: 0, byKind: {} },
    memory: { rssPeakMB: 0, gatewayRssPeakMB: null },
    extra: {},
    timeline: [],
    phases: [],
    thresholds: [],
    notes: [],
  };
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
