/**
 * What a run measures: counters, cumulative latency histograms (the report's percentiles)
 * and per-second interval histograms plus counter deltas (the report's timeline, sampled
 * once a second for the charts).
 */
import { Histogram, type EncodedHistogram, type LatencyStats } from './histogram.js';

/** Counters of a run; the report and the thresholds read them. */
export interface SimCounters {
  connOpened: number;
  connFailed: number;
  connClosed: number;
  connDropped: number;
  open: number;
  peakOpen: number;
  reconnects: number;
  reconnectFailures: number;
  catchUps: number;
  catchUpFailures: number;
  /** Catch-ups cut short by the sim's own drop (a fresh one follows the reconnect). */
  catchUpsInterrupted: number;
  sent: number;
  sendFailed: number;
  sendSkipped: number;
  expected: number;
  received: number;
  pulled: number;
  duplicates: number;
  unexpected: number;
  /** Pushes of messages this run did not send (other traffic, join messages). */
  foreign: number;
  requests: number;
  requestErrors: number;
  protocolErrors: number;
  kicks: number;
  presenceEvents: number;
  flowsStarted: number;
  flowsCompleted: number;
  flowsFailed: number;
}

/** One point of the per-second timeline. */
export interface TimelinePoint {
  /** Seconds since the run started. */
  t: number;
  open: number;
  /** Per-second counts (deltas over the last sample). */
  opened: number;
  failed: number;
  closed: number;
  sent: number;
  delivered: number;
  errors: number;
  /** Percentiles of what was measured during that second (null when nothing was). */
  delivery: IntervalStats | null;
  rtt: IntervalStats | null;
  handshake: IntervalStats | null;
  presence: IntervalStats | null;
  rssMB: number;
  gatewayRssMB: number | null;
}

/**
 * Points of the same moment from several processes (workers, shards) as one: counts add up,
 * percentiles take the highest process's (an upper bound, good for charts and the progress line;
 * the report's own figures come from merged histograms).
 */
export function combinePoints(pts: readonly TimelinePoint[], t: number): TimelinePoint {
  const add = (f: (p: TimelinePoint) => number): number => pts.reduce((a, p) => a + f(p), 0);
  const worst = (f: (p: TimelinePoint) => IntervalStats | null): IntervalStats | null => {
    let out: IntervalStats | null = null;
    for (const p of pts) {
      const s = f(p);
      if (s === null) continue;
      out = out === null ? { ...s } : { count: out.count + s.count, p50: Math.max(out.p50, s.p50), p90: Math.max(out.p90, s.p90), p99: Math.max(out.p99, s.p99), max: Math.max(out.max, s.max) };
    }
    return out;
  };
  const gw = pts.map((p) => p.gatewayRssMB).filter((v): v is number => v !== null);
  return {
    t,
    open: add((p) => p.open),
    opened: add((p) => p.opened),
    failed: add((p) => p.failed),
    closed: add((p) => p.closed),
    sent: add((p) => p.sent),
    delivered: add((p) => p.delivered),
    errors: add((p) => p.errors),
    delivery: worst((p) => p.delivery),
    rtt: worst((p) => p.rtt),
    handshake: worst((p) => p.handshake),
    presence: worst((p) => p.presence),
    rssMB: add((p) => p.rssMB),
    gatewayRssMB: gw.length > 0 ? Math.max(...gw) : null,
  };
}

/** Percentiles of one second, ms. */
export interface IntervalStats {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Latency histograms kept by a run. */
export type LatencyFamily = 'handshake' | 'reconnect.handshake' | 'reconnect.downtime' | 'delivery' | 'rtt' | 'presence' | 'catchup';

const INTERVAL_FAMILIES = ['delivery', 'rtt', 'handshake', 'presence'] as const;
type IntervalFamily = (typeof INTERVAL_FAMILIES)[number];

/** See the module comment. */
export class SimMetrics {
  readonly counters: SimCounters = {
    connOpened: 0,
    connFailed: 0,
    connClosed: 0,
    connDropped: 0,
    open: 0,
    peakOpen: 0,
    reconnects: 0,
    reconnectFailures: 0,
    catchUps: 0,
    catchUpFailures: 0,
    catchUpsInterrupted: 0,
    sent: 0,
    sendFailed: 0,
    sendSkipped: 0,
    expected: 0,
    received: 0,
    pulled: 0,
    duplicates: 0,
    unexpected: 0,
    foreign: 0,
    requests: 0,
    requestErrors: 0,
    protocolErrors: 0,
    kicks: 0,
    presenceEvents: 0,
    flowsStarted: 0,
    flowsCompleted: 0,
    flowsFailed: 0,
  };
  readonly closedByReason: Record<string, number> = {};
  readonly failedByReason: Record<string, number> = {};
  readonly errorsByKind: Record<string, number> = {};
  readonly timeline: TimelinePoint[] = [];
  /** Wall-clock start (performance.now()) of the run; the timeline's t = 0. */
  readonly startedAt = performance.now();
  readonly startedAtIso = new Date().toISOString();
  peakRssMB = 0;
  /** performance.now() of the last first-copy delivery (throughput window end). */
  lastDeliveryAt = 0;
  gatewayRssMB: number | null = null;
  gatewayPeakRssMB: number | null = null;

  private readonly hist = new Map<string, Histogram>();
  private readonly interval = new Map<IntervalFamily, Histogram>();
  private last: Pick<SimCounters, 'connOpened' | 'connFailed' | 'connClosed' | 'sent' | 'received'> & { errors: number } = {
    connOpened: 0,
    connFailed: 0,
    connClosed: 0,
    sent: 0,
    received: 0,
    errors: 0,
  };

  constructor() {
    for (const f of INTERVAL_FAMILIES) this.interval.set(f, new Histogram());
  }

  /** Records a latency (ms) in a family; `rtt` also takes the request identifier for `rtt.<id>`. */
  latency(family: LatencyFamily, ms: number, reqIdentifier?: number): void {
    this.histogram(family).record(ms);
    if (family === 'rtt' && reqIdentifier !== undefined) this.histogram(`rtt.${reqIdentifier}`).record(ms);
    const iv = this.interval.get(family as IntervalFamily);
    iv?.record(ms);
  }

  /** The cumulative histogram of a family (created on first use). */
  histogram(name: string): Histogram {
    let h = this.hist.get(name);
    if (h === undefined) this.hist.set(name, (h = new Histogram()));
    return h;
  }

  /** Stats of every histogram that has values, by name. */
  latencies(): Record<string, LatencyStats> {
    const out: Record<string, LatencyStats> = {};
    for (const [name, h] of [...this.hist].sort(([a], [b]) => a.localeCompare(b))) if (h.count > 0) out[name] = h.stats();
    return out;
  }

  /** Every histogram that has values, encoded (the report's `histograms`, what merges read). */
  encodedHistograms(): Record<string, EncodedHistogram> {
    const out: Record<string, EncodedHistogram> = {};
    for (const [name, h] of [...this.hist].sort(([a], [b]) => a.localeCompare(b))) if (h.count > 0) out[name] = h.encode();
    return out;
  }

  /** A connection became open / stopped being open. */
  opened(): void {
    this.counters.open++;
    if (this.counters.open > this.counters.peakOpen) this.counters.peakOpen = this.counters.open;
  }

  /** A connection that was open is no longer. */
  notOpen(): void {
    this.counters.open--;
  }

  /** Counts a close under its reason. */
  closed(reason: string, dropped: boolean): void {
    this.counters.connClosed++;
    if (dropped) this.counters.connDropped++;
    this.closedByReason[reason] = (this.closedByReason[reason] ?? 0) + 1;
  }

  /** Counts a failed first handshake under its reason. */
  failed(reason: string): void {
    this.counters.connFailed++;
    this.failedByReason[reason] = (this.failedByReason[reason] ?? 0) + 1;
  }

  /** Counts an error of some kind (request errors, send failures...), for the report's breakdown. */
  error(kind: string): void {
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
  }

  /** Sum of the error counters (the `errors` metric). */
  errorTotal(): number {
    const c = this.counters;
    // Failed sends are request errors already.
    return c.connFailed + c.requestErrors + c.protocolErrors + c.flowsFailed;
  }

  /** Takes the per-second sample: counter deltas and interval percentiles since the last one. */
  sample(): TimelinePoint {
    const c = this.counters;
    const errors = this.errorTotal();
    const rssMB = process.memoryUsage.rss() / 1048576;
    if (rssMB > this.peakRssMB) this.peakRssMB = rssMB;
    const point: TimelinePoint = {
      t: Math.round((performance.now() - this.startedAt) / 100) / 10,
      open: c.open,
      opened: c.connOpened - this.last.connOpened,
      failed: c.connFailed - this.last.connFailed,
      closed: c.connClosed - this.last.connClosed,
      sent: c.sent - this.last.sent,
      delivered: c.received - this.last.received,
      errors: errors - this.last.errors,
      delivery: this.takeInterval('delivery'),
      rtt: this.takeInterval('rtt'),
      handshake: this.takeInterval('handshake'),
      presence: this.takeInterval('presence'),
      rssMB: Math.round(rssMB * 10) / 10,
      gatewayRssMB: this.gatewayRssMB,
    };
    this.last = { connOpened: c.connOpened, connFailed: c.connFailed, connClosed: c.connClosed, sent: c.sent, received: c.received, errors };
    this.timeline.push(point);
    return point;
  }

  /** Records a gateway RSS reading (MB) scraped from its /metrics. */
  gatewayRss(mb: number): void {
    this.gatewayRssMB = Math.round(mb * 10) / 10;
    if (this.gatewayPeakRssMB === null || mb > this.gatewayPeakRssMB) this.gatewayPeakRssMB = this.gatewayRssMB;
  }

  private takeInterval(f: IntervalFamily): IntervalStats | null {
    const h = this.interval.get(f)!;
    if (h.count === 0) return null;
    const s = { count: h.count, p50: h.percentile(0.5)!, p90: h.percentile(0.9)!, p99: h.percentile(0.99)!, max: h.percentile(1)! };
    h.reset();
    return s;
  }
}
