/** Summaries of repeated measurements and of latency samples. */

/** Min, median and max of repeated runs of one figure. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number[];
}

/** Spread of the runs (NaN fields when empty). */
export function spread(runs: readonly number[]): Spread {
  const s = [...runs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, runs: [...runs] };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]!, runs: [...runs] };
}

/** Latency percentiles of one run, ms. */
export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles (NaN when empty). */
export function latency(samples: readonly number[]): Latency {
  const n = samples.length;
  if (n === 0) return { count: 0, p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const s = Float64Array.from(samples).sort();
  const at = (q: number): number => s[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { count: n, p50: at(0.5), p99: at(0.99), max: s[n - 1]! };
}

/** Rounds for the report: 3 significant digits, integers as they are. */
export function round(x: number): number {
  if (!Number.isFinite(x)) return x;
  if (Math.abs(x) >= 100) return Math.round(x);
  return Number(x.toPrecision(3));
}
