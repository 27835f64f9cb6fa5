/**
 * Many simulated clients in one process, for the load tool: opened with bounded concurrency
 * and an optional ramp rate, sharing one timer wheel (and optionally one seq tracker), and
 * counted through one observer object rather than listeners per client.
 */
import { emptyClientStats, OpenIMClient, type ClientObserver, type ClientStats, type CloseEvent, type OpenIMClientOptions } from './sdk-client.js';
import type { HandshakeError } from './errors.js';
import type { SeqTracker } from './seq-tracker.js';
import { TimerWheel } from './timer-wheel.js';

/** Options of a {@link ClientPool}. */
export interface ClientPoolOptions {
  /** Most handshakes in flight at once. Default 256. */
  concurrency?: number;
  /** Most new connection attempts per second (the ramp); default unlimited. */
  ratePerSec?: number;
  /** Timer wheel for every client; default one owned by the pool (closed by {@link ClientPool.close}). */
  timers?: TimerWheel;
  /** Tracker every client feeds (and catches up with after reconnects). */
  seqTracker?: SeqTracker;
}

/** What {@link ClientPool.counts} reports. */
export interface PoolCounts {
  /** Clients created. */
  clients: number;
  /** First handshakes that succeeded / failed. */
  opened: number;
  failed: number;
  /** Clients open right now, and waiting to reconnect. */
  open: number;
  reconnecting: number;
  /** Connections that ended (close events), by reason: `kicked`, `client`, `abnormal (1006)`, `<code> <reason>`. */
  closed: number;
  closedByReason: Record<string, number>;
  /** Failed first handshakes by reason: `errCode <n>` for gateway answers, else the failure kind. */
  failedByReason: Record<string, number>;
  reconnects: number;
  reconnectFailures: number;
  /** Clients that stopped reconnecting (attempts exhausted or a token error). */
  gaveUp: number;
}

/** Result of one {@link ClientPool.open}. */
export interface PoolOpenResult {
  clients: OpenIMClient[];
  opened: number;
  failed: number;
  durationMs: number;
}

/** Percentiles of a list of latencies (ms); NaN fields when empty. */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** See the module comment. */
export class ClientPool implements ClientObserver {
  readonly clients: OpenIMClient[] = [];
  readonly timers: TimerWheel;
  private readonly ownsTimers: boolean;
  private readonly concurrency: number;
  private readonly ratePerSec: number;
  private readonly tracker: SeqTracker | undefined;
  private opened = 0;
  private failed = 0;
  private closed = 0;
  private reconnects = 0;
  private reconnectFailures = 0;
  private gaveUp = 0;
  private openNow = 0;
  private readonly closedByReason: Record<string, number> = {};
  private readonly failedByReason: Record<string, number> = {};
  private readonly handshakeMs: number[] = [];
  private readonly reconnectHandshakeMs: number[] = [];

  constructor(options: ClientPoolOptions = {}) {
    this.ownsTimers = options.timers === undefined;
    this.timers = options.timers ?? new TimerWheel();
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 256));
    this.ratePerSec = options.ratePerSec ?? 0;
    this.tracker = options.seqTracker;
  }

  /** Clients open right now (kept by the open/close hooks: no walk over the clients). */
  get openCount(): number {
    return this.openNow;
  }

  /** Creates a client wired to the pool (not connected). */
  add(options: OpenIMClientOptions): OpenIMClient {
    const client = new OpenIMClient({ ...options, timers: this.timers, seqTracker: options.seqTracker ?? this.tracker, observer: this });
    this.clients.push(client);
    return client;
  }

  /**
   * Creates `count` clients from `make(i)` and connects them, at most `concurrency` handshakes
   * at a time and, with a ramp rate, the i-th dial no earlier than `i / ratePerSec` s after the
   * start. Failed handshakes are counted, not thrown; the clients are returned either way.
   */
  async open(count: number, make: (index: number) => OpenIMClientOptions, onProgress?: (done: number, opened: number, failed: number) => void): Promise<PoolOpenResult> {
    const started = performance.now();
    const created: OpenIMClient[] = new Array<OpenIMClient>(count);
    const spacingMs = this.ratePerSec > 0 ? 1000 / this.ratePerSec : 0;
    let next = 0;
    let done = 0;
    let opened = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        if (spacingMs > 0) {
          const wait = started + i * spacingMs - performance.now();
          if (wait > 1) await sleep(wait);
        }
        const client = this.add(make(i));
        created[i] = client;
        try {
          await client.connect();
          opened++;
        } catch {
          failed++;
        }
        done++;
        onProgress?.(done, opened, failed);
      }
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < Math.min(this.concurrency, count); w++) workers.push(worker());
    await Promise.all(workers);
    return { clients: created, opened, failed, durationMs: performance.now() - started };
  }

  /** Counters over every client of the pool. */
  counts(): PoolCounts {
    let open = 0;
    let reconnecting = 0;
    for (const c of this.clients) {
      if (c.state === 'open') open++;
      else if (c.state === 'reconnecting') reconnecting++;
    }
    return {
      clients: this.clients.length,
      opened: this.opened,
      failed: this.failed,
      open,
      reconnecting,
      closed: this.closed,
      closedByReason: { ...this.closedByReason },
      failedByReason: { ...this.failedByReason },
      reconnects: this.reconnects,
      reconnectFailures: this.reconnectFailures,
      gaveUp: this.gaveUp,
    };
  }

  /** The clients' counters summed (`lastPongRttMs` is the mean over clients that had a pong). */
  stats(): ClientStats {
    const sum = emptyClientStats();
    let rttSum = 0;
    let rttN = 0;
    for (const c of this.clients) {
      const s = c.stats;
      sum.connects += s.connects;
      sum.reconnects += s.reconnects;
      sum.requests += s.requests;
      sum.replies += s.replies;
      sum.timeouts += s.timeouts;
      sum.unmatched += s.unmatched;
      sum.pushFrames += s.pushFrames;
      sum.pushMsgs += s.pushMsgs;
      sum.presenceFrames += s.presenceFrames;
      sum.kicks += s.kicks;
      sum.pings += s.pings;
      sum.pongs += s.pongs;
      sum.protocolErrors += s.protocolErrors;
      if (!Number.isNaN(s.lastPongRttMs)) {
        rttSum += s.lastPongRttMs;
        rttN++;
      }
    }
    if (rttN > 0) sum.lastPongRttMs = rttSum / rttN;
    return sum;
  }

  /** Latencies of first handshakes (default) or of reconnect handshakes. */
  handshakeLatencies(kind: 'first' | 'reconnect' = 'first'): readonly number[] {
    return kind === 'first' ? this.handshakeMs : this.reconnectHandshakeMs;
  }

  /** Closes every client gracefully, `concurrency` at a time. */
  async closeAll(code = 1000, reason = ''): Promise<void> {
    let next = 0;
    const clients = this.clients;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= clients.length) return;
        await clients[i]!.close(code, reason);
      }
    };
    const workers: Promise<void>[] = [];
    for (let w = 0; w < Math.min(this.concurrency * 4, clients.length); w++) workers.push(worker());
    await Promise.all(workers);
  }

  /** Drops every connection abruptly (no close frames), e.g. to simulate a network loss. */
  terminateAll(opts: { reconnect?: boolean } = {}): void {
    for (const c of this.clients) c.terminate(opts);
  }

  /** Closes every client, then the pool's own timer wheel. Idempotent. */
  async close(): Promise<void> {
    await this.closeAll();
    if (this.ownsTimers) this.timers.close();
  }

  // ClientObserver ---------------------------------------------------------------------------

  /** @internal */
  onOpen(_client: OpenIMClient, handshakeMs: number, reconnect: boolean): void {
    this.openNow++;
    if (reconnect) {
      this.reconnects++;
      this.reconnectHandshakeMs.push(handshakeMs);
    } else {
      this.opened++;
      this.handshakeMs.push(handshakeMs);
    }
  }

  /** @internal */
  onHandshakeFailed(_client: OpenIMClient, err: HandshakeError, reconnect: boolean): void {
    if (reconnect) {
      this.reconnectFailures++;
      return;
    }
    this.failed++;
    const key = err.kind === 'http' || err.kind === 'text' ? `errCode ${err.errCode}` : err.kind;
    this.failedByReason[key] = (this.failedByReason[key] ?? 0) + 1;
  }

  /** @internal */
  onClose(_client: OpenIMClient, ev: CloseEvent): void {
    this.openNow--;
    this.closed++;
    const key = closeReasonKey(ev);
    this.closedByReason[key] = (this.closedByReason[key] ?? 0) + 1;
  }

  /** @internal */
  onGiveUp(): void {
    this.gaveUp++;
  }
}

/** The bucket a close is counted in. */
export function closeReasonKey(ev: CloseEvent): string {
  if (ev.kicked) return 'kicked';
  if (ev.byClient) return 'client';
  if (ev.code === 1006) return 'abnormal (1006)';
  return ev.reason ? `${ev.code} ${ev.reason.slice(0, 60)}` : String(ev.code);
}

/** Count, min, mean, p50/p90/p99 and max of latencies (nearest-rank percentiles). */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  const n = values.length;
  if (n === 0) return { count: 0, min: Number.NaN, mean: Number.NaN, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN };
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  const at = (q: number): number => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  return { count: n, min: sorted[0]!, mean: sum / n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]! };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
