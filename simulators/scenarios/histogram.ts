/**
 * An HDR-style latency histogram: log-linear buckets (128 per power of two, so every
 * recorded value is kept within 0.8 %) over microseconds, fixed memory (~35 KB) whatever the
 * count, exact count/min/max/mean. Written here rather than pulling in hdr-histogram-js: the
 * sim needs only record, merge, reset and percentiles.
 */

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 sub-buckets per octave
/** Values are clamped to 2^40 us (~12 days): plenty for latencies. */
const MAX_EXP = 40;
const BUCKETS = SUB + (MAX_EXP - SUB_BITS) * SUB;

/** Percentiles and extremes of a histogram, in milliseconds; null fields when empty. */
export interface LatencyStats {
  count: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}

/**
 * A histogram as a report carries it, so reports of several processes or machines can be merged
 * exactly (`msggw sim --workers`, `sim merge`): the non-empty buckets as flat [index, count, ...]
 * pairs, plus the exact count, sum, min and max, all in microseconds.
 */
export interface EncodedHistogram {
  /** Bucket layout: log-linear, 2^subBits sub-buckets per power of two, microseconds. */
  layout: 'log-linear-us';
  subBits: number;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  buckets: number[];
}

/** A malformed {@link EncodedHistogram} (a hand-edited or foreign report). */
export class HistogramDecodeError extends Error {}

/** See the module comment. Record milliseconds; read milliseconds. */
export class Histogram {
  private counts = new Float64Array(BUCKETS);
  private n = 0;
  private sumUs = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.n;
  }

  /** Records one value in ms (negative and NaN values are ignored: clocks can step). */
  record(ms: number): void {
    if (!(ms >= 0)) return;
    const us = Math.min(Math.round(ms * 1000), 2 ** MAX_EXP - 1);
    this.counts[indexOf(us)]!++;
    this.n++;
    this.sumUs += us;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Adds every value of `other`. */
  merge(other: Histogram): void {
    if (other.n === 0) return;
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    this.sumUs += other.sumUs;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /** The histogram as a report carries it (see {@link EncodedHistogram}). */
  encode(): EncodedHistogram {
    const buckets: number[] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i] !== 0) buckets.push(i, this.counts[i]!);
    return { layout: 'log-linear-us', subBits: SUB_BITS, count: this.n, sumUs: this.sumUs, minUs: this.n === 0 ? 0 : this.minUs, maxUs: this.maxUs, buckets };
  }

  /** Reads an encoded histogram back; throws {@link HistogramDecodeError} saying what is wrong. */
  static decode(e: unknown, what = 'histogram'): Histogram {
    const o = e as Partial<EncodedHistogram> | null;
    if (o === null || typeof o !== 'object') throw new HistogramDecodeError(`${what}: expected an object`);
    if (o.layout !== 'log-linear-us' || o.subBits !== SUB_BITS) throw new HistogramDecodeError(`${what}: layout ${String(o.layout)}/${String(o.subBits)} is not log-linear-us/${SUB_BITS}`);
    const nums = [o.count, o.sumUs, o.minUs, o.maxUs];
    if (!nums.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new HistogramDecodeError(`${what}: count, sumUs, minUs and maxUs must be non-negative numbers`);
    const b = o.buckets;
    if (!Array.isArray(b) || b.length % 2 !== 0) throw new HistogramDecodeError(`${what}: buckets must be [index, count, ...] pairs`);
    const h = new Histogram();
    let total = 0;
    for (let k = 0; k < b.length; k += 2) {
      const i = b[k];
      const c = b[k + 1];
      if (!Number.isInteger(i) || i! < 0 || i! >= BUCKETS || typeof c !== 'number' || !(c > 0)) throw new HistogramDecodeError(`${what}: bad bucket pair at ${k}`);
      h.counts[i!]! += c;
      total += c;
    }
    if (total !== o.count) throw new HistogramDecodeError(`${what}: buckets hold ${total} values, count says ${o.count}`);
    h.n = o.count!;
    h.sumUs = o.sumUs!;
    h.minUs = o.count === 0 ? Number.POSITIVE_INFINITY : o.minUs!;
    h.maxUs = o.maxUs!;
    return h;
  }

  /** Forgets everything (the per-second interval histograms are reset after each sample). */
  reset(): void {
    if (this.n === 0) return;
    this.counts.fill(0);
    this.n = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }

  /** The value (ms) at quantile q in [0, 1]: the middle of the bucket holding the q-th value, clamped to [min, max]. */
  percentile(q: number): number | null {
    if (this.n === 0) return null;
    if (q >= 1) return this.maxUs / 1000;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const [lo, width] = bucketRange(i);
        const mid = lo + (width - 1) / 2;
        return Math.min(this.maxUs, Math.max(this.minUs, mid)) / 1000;
      }
    }
    return this.maxUs / 1000;
  }

  /** Count, min, mean, p50/p90/p99/p99.9 and max in ms. */
  stats(): LatencyStats {
    if (this.n === 0) return { count: 0, min: null, mean: null, p50: null, p90: null, p99: null, p999: null, max: null };
    return {
      count: this.n,
      min: this.minUs / 1000,
      mean: this.sumUs / this.n / 1000,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      max: this.maxUs / 1000,
    };
  }
}

function indexOf(us: number): number {
  if (us < SUB) return us;
  const e = us < 2 ** 31 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const shift = e - SUB_BITS;
  return SUB + shift * SUB + (Math.floor(us / 2 ** shift) - SUB);
}

/** [lowest value, width] of bucket i, in us. */
function bucketRange(i: number): [number, number] {
  if (i < SUB) return [i, 1];
  const shift = Math.floor((i - SUB) / SUB);
  const offset = (i - SUB) % SUB;
  const width = 2 ** shift;
  return [(SUB + offset) * width, width];
}
