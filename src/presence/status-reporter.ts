import { createHash } from 'node:crypto';
import type { OnlineStatusChange } from '../redis/online.js';


/** A user who is online here now, with the platforms it is on (for lease renewal and shutdown). */
export interface OnlineUser {
  userID: string;
  platformIDs: readonly number[];
}

/** How a {@link StatusReporter} is built; only `send` is required. */
export interface StatusReporterOptions {
  /**
   * Delivers one batch (wire it to user `setUserOnlineStatus({status: batch})`). A rejection makes
   * the batch be retried with backoff.
   */
  send(batch: OnlineStatusChange[]): Promise<void>;
  /** The users online on this node now; used by lease renewal and `close({reportOffline: true})`. */
  onlineNow?(): Iterable<OnlineUser>;
  /** Shards (md5(userID) picks one); each sends one batch at a time. Default 4. */
  workers?: number;
  /** A shard flushes as soon as this many users are pending. Default 100. */
  batchSize?: number;
  /** Everything pending is flushed this often, ms. Default 1000. */
  mergeIntervalMs?: number;
  /** All `onlineNow()` users are re-reported as online this often, ms (upstream OnlineExpire/3). Default 10 min. */
  renewIntervalMs?: number;
  /** Consecutive failed sends of a shard before its failing batch is dropped. Default 5. */
  maxRetries?: number;
  /** First retry delay, ms; doubles per failure. Default 100. */
  retryBaseMs?: number;
  /** Retry delay cap, ms. Default 5000. */
  retryMaxMs?: number;
  /** Users a shard keeps pending at most; changes of further users are dropped (and counted). Default 100000. */
  maxPendingPerWorker?: number;
  /** How long `close()` waits for the final flush, ms. Default 5000. */
  closeTimeoutMs?: number;
  /** Told about each user a lease renewal re-reports as online (upstream posts afterUserOnline for them); exceptions are ignored. */
  onRenew?(userID: string): void;
  /** Told after every send attempt (webhooks, logs, metrics); exceptions are ignored. */
  onBatch?(batch: readonly OnlineStatusChange[], error: unknown): void;
}

/** Counters for metrics and tests. */
export interface StatusReporterCounters {
  /** Changes passed to `report` (renewal and shutdown reports included). */
  reported: number;
  /** Batches `send` accepted. */
  batchesSent: number;
  /** Entries in those batches. */
  entriesSent: number;
  /** `send` calls that failed. */
  failures: number;
  /** Retries scheduled after failures. */
  retries: number;
  /** Entries given up on (retries exhausted, shard queue full, or close timed out). */
  dropped: number;
  /** Lease renewal rounds. */
  renewals: number;
}

interface Shard {
  /** userID -> merged change; Map order = first-change order, which becomes batch order. */
  pending: Map<string, OnlineStatusChange>;
  sending: boolean;
  backoff: NodeJS.Timeout | undefined;
  /** Consecutive failures of this shard's sends. */
  attempt: number;
  /** Set by the merge tick, a retry or a flush: send everything pending, not only full batches. */
  drain: boolean;
  idleWaiters: (() => void)[];
}

/** The md5-based shard of a user, as upstream picks the worker (without its per-process random offset, so tests can predict it). */
export function shardOf(userID: string, workers: number): number {
  const sum = createHash('md5').update(userID).digest();
  // 48 bits are exact in a double and spread evenly over any sane worker count.
  return sum.readUIntBE(0, 6) % workers;
}

/**
 * Merges a later change into an earlier one of the same user: the later `online` set is the
 * user's state now, so every platform seen before and absent from it is reported offline.
 */
export function mergeStatus(earlier: OnlineStatusChange, later: OnlineStatusChange): OnlineStatusChange {
  const online = later.online;
  const offline = new Set<number>();
  for (const p of earlier.offline) offline.add(p);
  for (const p of earlier.online) offline.add(p);
  for (const p of later.offline) offline.add(p);
  for (const p of online) offline.delete(p);
  return { userID: later.userID, online: [...online], offline: [...offline].sort((a, b) => a - b) };
}

function normalize(change: OnlineStatusChange): OnlineStatusChange {
  const online = [...new Set(change.online)].sort((a, b) => a - b);
  const offline = [...new Set(change.offline)].filter((p) => !online.includes(p)).sort((a, b) => a - b);
  return { userID: change.userID, online, offline };
}

/**
 * Batches the node's user state changes to the user service, as upstream's ChangeOnlineStatus:
 * changes are merged per user, sharded over workers by md5(userID), and a shard sends when it
 * holds `batchSize` users or on the merge tick. Each shard has at most one send in flight, so one
 * user's updates reach the user service in order; a failed batch goes back in front of the
 * shard's queue (merged under newer changes) and is retried with exponential backoff.
 * `report` never blocks nor throws.
 */
export class StatusReporter {
  /** Live counters (read them, don't write). */
  readonly counters: StatusReporterCounters = {
    reported: 0,
    batchesSent: 0,
    entriesSent: 0,
    failures: 0,
    retries: 0,
    dropped: 0,
    renewals: 0,
  };

  private readonly shards: Shard[];
  private readonly workers: number;
  private readonly batchSize: number;
  private readonly mergeIntervalMs: number;
  private readonly renewIntervalMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly maxPending: number;
  private readonly closeTimeoutMs: number;
  private mergeTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private started = false;
  private accepting = true;
  /** Set once close() stopped waiting: nothing is retried or requeued any more. */
  private finished = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: StatusReporterOptions) {
    this.workers = Math.max(1, Math.floor(opts.workers ?? 4));
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? 100));
    this.mergeIntervalMs = opts.mergeIntervalMs ?? 1000;
    this.renewIntervalMs = opts.renewIntervalMs ?? 10 * 60_000;
    this.maxRetries = Math.max(0, opts.maxRetries ?? 5);
    this.retryBaseMs = opts.retryBaseMs ?? 100;
    this.retryMaxMs = opts.retryMaxMs ?? 5000;
    this.maxPending = opts.maxPendingPerWorker ?? 100_000;
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.shards = Array.from({ length: this.workers }, () => ({
      pending: new Map<string, OnlineStatusChange>(),
      sending: false,
      backoff: undefined,
      attempt: 0,
      drain: false,
      idleWaiters: [],
    }));
  }

  /** Starts the merge and renewal timers. Idempotent. */
  start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.mergeTimer = setInterval(() => this.flushAll(), this.mergeIntervalMs);
    this.mergeTimer.unref();
    if (this.renewIntervalMs > 0 && this.opts.onlineNow) {
      this.renewTimer = setInterval(() => this.renew(), this.renewIntervalMs);
      this.renewTimer.unref();
    }
  }

  /** The shard a user's changes go to. */
  shardOf(userID: string): number {
    return shardOf(userID, this.workers);
  }

  /** Users waiting to be sent, per shard (batches in flight excluded). */
  pendingCounts(): number[] {
    return this.shards.map((s) => s.pending.size);
  }

  /** Queues one user's change; merges with what is pending for that user. Ignored after `close`. */
  report(change: OnlineStatusChange): void {
    if (!this.accepting) return;
    this.counters.reported++;
    const entry = normalize(change);
    const shard = this.shards[this.shardOf(entry.userID)]!;
    const prev = shard.pending.get(entry.userID);
    if (prev) {
      shard.pending.set(entry.userID, mergeStatus(prev, entry));
    } else if (shard.pending.size >= this.maxPending) {
      // Renewal re-reports online users later; dropping here keeps memory bounded during an outage.
      this.counters.dropped++;
      return;
    } else {
      shard.pending.set(entry.userID, entry);
    }
    if (shard.pending.size >= this.batchSize) this.pump(shard);
  }

  /** Re-reports every user `onlineNow()` returns as online (lease renewal). Runs on its timer; public for tests. */
  renew(): void {
    if (!this.opts.onlineNow || !this.accepting) return;
    this.counters.renewals++;
    for (const u of this.opts.onlineNow()) {
      if (u.platformIDs.length === 0) continue;
      this.report({ userID: u.userID, online: [...u.platformIDs], offline: [] });
      try {
        this.opts.onRenew?.(u.userID);
      } catch {
        // An observer's bug must not stop the renewal.
      }
    }
  }

  /** Sends everything pending now and resolves when every shard is idle (empty, nothing in flight, no retry waiting). */
  flush(): Promise<void> {
    this.flushAll();
    return Promise.all(this.shards.map((s) => this.whenIdle(s))).then(() => undefined);
  }

  /**
   * Stops the timers and flushes; with `reportOffline` every `onlineNow()` user is first reported
   * offline on all its platforms (a node going away must not leave its users online until their
   * lease expires). Waits at most `closeTimeoutMs`. Idempotent.
   */
  close(opts: { reportOffline?: boolean } = {}): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.doClose(opts.reportOffline === true);
    return this.closing;
  }

  private async doClose(reportOffline: boolean): Promise<void> {
    clearInterval(this.mergeTimer);
    clearInterval(this.renewTimer);
    if (reportOffline && this.opts.onlineNow) {
      for (const u of this.opts.onlineNow()) {
        if (u.platformIDs.length > 0) this.report({ userID: u.userID, online: [], offline: [...u.platformIDs] });
      }
    }
    this.accepting = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.closeTimeoutMs);
      timer.unref();
    });
    await Promise.race([this.flush(), timedOut]);
    clearTimeout(timer);
    this.finished = true;
    for (const s of this.shards) {
      clearTimeout(s.backoff);
      s.backoff = undefined;
      this.counters.dropped += s.pending.size;
      s.pending.clear();
      this.settleIdle(s);
    }
  }

  private flushAll(): void {
    for (const s of this.shards) {
      s.drain = true;
      this.pump(s);
    }
  }

  private whenIdle(s: Shard): Promise<void> {
    if (this.isIdle(s)) return Promise.resolve();
    return new Promise((resolve) => s.idleWaiters.push(resolve));
  }

  // Once close() gave up, nobody may wait on a send that is still hanging.
  private isIdle(s: Shard): boolean {
    return this.finished || (s.pending.size === 0 && !s.sending && s.backoff === undefined);
  }

  private settleIdle(s: Shard): void {
    if (!this.isIdle(s)) return;
    const waiters = s.idleWaiters;
    s.idleWaiters = [];
    for (const w of waiters) w();
  }

  private pump(s: Shard): void {
    if (this.finished) return;
    if (s.sending || s.backoff !== undefined) return;
    if (s.pending.size === 0) {
      s.drain = false;
      this.settleIdle(s);
      return;
    }
    if (s.pending.size < this.batchSize && !s.drain) return;
    const batch: OnlineStatusChange[] = [];
    for (const [userID, entry] of s.pending) {
      batch.push(entry);
      s.pending.delete(userID);
      if (batch.length >= this.batchSize) break;
    }
    s.sending = true;
    void this.deliver(s, batch);
  }

  private async deliver(s: Shard, batch: OnlineStatusChange[]): Promise<void> {
    let error: unknown;
    try {
      await this.opts.send(batch);
      this.counters.batchesSent++;
      this.counters.entriesSent += batch.length;
      s.attempt = 0;
    } catch (e) {
      error = e ?? new Error('send failed');
      this.counters.failures++;
      s.attempt++;
      if (s.attempt > this.maxRetries || this.finished) {
        this.counters.dropped += batch.length;
        s.attempt = 0;
      } else {
        this.requeue(s, batch);
        this.scheduleRetry(s);
      }
    }
    s.sending = false;
    try {
      this.opts.onBatch?.(batch, error);
    } catch {
      // An observer's bug must not stall the shard.
    }
    this.pump(s);
  }

  /** Puts a failed batch back in front of the queue; changes that arrived meanwhile are newer and win. */
  private requeue(s: Shard, batch: OnlineStatusChange[]): void {
    const next = new Map<string, OnlineStatusChange>();
    for (const old of batch) {
      const newer = s.pending.get(old.userID);
      next.set(old.userID, newer ? mergeStatus(old, newer) : old);
    }
    for (const [userID, entry] of s.pending) if (!next.has(userID)) next.set(userID, entry);
    s.pending = next;
  }

  private scheduleRetry(s: Shard): void {
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (s.attempt - 1));
    this.counters.retries++;
    s.backoff = setTimeout(() => {
      s.backoff = undefined;
      s.drain = true;
      this.pump(s);
    }, delay);
    s.backoff.unref();
  }
}
