/**
 * `--threshold` checks: `<metric><op><value>[unit]`, e.g. `delivery.p99<50ms`, `lost==0`,
 * `throughput.delivered>=900`. Metrics are the report's flat `metrics` names (see catalog.ts);
 * ms metrics take `ms` or `s` suffixes (a bare number is ms). Any failed check makes the run fail.
 */
import { metricDoc, SCALAR_METRICS } from './catalog.js';

/** Comparison operators. */
export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** A parsed threshold. */
export interface Threshold {
  /** As given. */
  expr: string;
  metric: string;
  op: ThresholdOp;
  /** In the metric's unit (ms for latencies). */
  value: number;
  /** `default`: a built-in check of the scenario (checks.ts); absent: given with --threshold. */
  source?: 'default';
}

/** The outcome of one threshold. */
export interface ThresholdResult extends Threshold {
  /** The metric's value; null when the run measured nothing for it. */
  actual: number | null;
  ok: boolean;
  /** Why it failed ('' when ok). */
  reason: string;
}

/** A malformed threshold (bad syntax, unknown metric, wrong unit). */
export class ThresholdError extends Error {}

const RE = /^\s*([A-Za-z][\w.]*)\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*(ms|s|MB)?\s*$/;

/** Parses one threshold expression; throws {@link ThresholdError} naming what is wrong. */
export function parseThreshold(expr: string): Threshold {
  const m = RE.exec(expr);
  if (m === null) throw new ThresholdError(`threshold "${expr}": expected <metric><op><number>[ms|s], e.g. "delivery.p99<50ms" or "lost==0" (ops: < <= > >= == !=)`);
  const [, metric, op, num, unit] = m as unknown as [string, string, ThresholdOp, string, string | undefined];
  const doc = metricDoc(metric);
  if (doc === undefined) {
    const some = SCALAR_METRICS.map((s) => s.name).slice(0, 12).join(', ');
    throw new ThresholdError(`threshold "${expr}": unknown metric "${metric}" (e.g. ${some}, delivery.p99, handshake.p99, rtt.1003.p99; see the README's metric table)`);
  }
  let value = Number(num);
  if (unit === 'ms' || unit === 's') {
    if (doc.unit !== 'ms') throw new ThresholdError(`threshold "${expr}": ${metric} is a ${doc.unit === 'per_s' ? 'rate per second' : doc.unit}, not a time: drop the "${unit}"`);
    if (unit === 's') value *= 1000;
  } else if (unit === 'MB' && doc.unit !== 'MB') {
    throw new ThresholdError(`threshold "${expr}": ${metric} is not in MB`);
  }
  return { expr, metric, op, value };
}

/** Evaluates thresholds against a report's metrics. A metric without data fails its check. */
export function evaluateThresholds(thresholds: readonly Threshold[], metrics: Readonly<Record<string, number | null>>): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = metrics[t.metric] ?? null;
    if (actual === null || Number.isNaN(actual)) return { ...t, actual: null, ok: false, reason: `no data for ${t.metric} in this run` };
    const ok = compare(actual, t.op, t.value);
    return { ...t, actual, ok, reason: ok ? '' : `${t.metric} was ${round(actual)}, wanted ${t.op} ${round(t.value)}` };
  });
}

function compare(a: number, op: ThresholdOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
