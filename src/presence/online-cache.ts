import type { RedisClient } from '../redis/connect.js';
import { redisKeys } from '../redis/keys.js';
import { parseOnlineChange } from '../redis/online.js';

/** How an {@link OnlineCache} is built. */
export interface OnlineCacheOptions {
  /**
   * Opens the dedicated subscriber connection (a connection in subscribe mode can run nothing
   * else). The cache owns it and disconnects it on `close()`.
   */
  createSubscriber(): RedisClient;
  /**
   * Fetches the platforms of users missing from the cache (wire it to user `getUserStatus`,
   * reading `statusList[].platformIDs`). Users absent from the map count as offline.
   */
  load(userIDs: string[]): Promise<Map<string, number[]>>;
  /** Told about every parsed `online_change` message (the gateway pushes 2005 frames from here). */
  onChange?(userID: string, platformIDs: number[]): void;
  /** Told when the subscription is back after a Redis disconnect; changes during the gap were missed. */
  onResync?(): void;
  /** LRU shards. Default 1024 (upstream). */
  slots?: number;
  /** Entries per shard. Default 2048 (upstream). */
  slotSize?: number;
  /** Entry lifetime, ms. Default 15 min (upstream OnlineExpire/2). */
  expireMs?: number;
  /**
   * Memory budget of the entries, bytes (estimated per entry from its user ID and platforms),
   * split evenly between the shards: a full shard evicts its oldest entries. Beyond upstream,
   * whose shards are bounded in entries only, so that long unique IDs cannot grow it. Default 64 MiB.
   */
  maxBytes?: number;
  /** Channel name. Default `online_change`. */
  channel?: string;
  /** Clock (ms), for tests. */
  now?(): number;
}

/** Anything that answers "on which platforms are these users online" (the 2005 handler needs only this). */
export interface OnlineLookup {
  /** Platform IDs per requested user (every requested user is a key; offline users map to []). */
  getMany(userIDs: readonly string[]): Promise<Map<string, number[]>>;
}

/** Counters for metrics and tests. */
export interface OnlineCacheCounters {
  hits: number;
  misses: number;
  /** `load` calls made. */
  loads: number;
  /** Parsed `online_change` messages. */
  changes: number;
  /** Payloads that did not parse. */
  badPayloads: number;
  /** `onChange` callbacks that threw. */
  callbackErrors: number;
  /** Subscriber connection losses seen. */
  disconnects: number;
  /** Resubscriptions confirmed after a loss (each one invalidated the cache). */
  resyncs: number;
  /** Entries evicted because their shard was full. */
  evictions: number;
}

interface Entry {
  platformIDs: number[];
  expiresAt: number;
  /** Estimated bytes held (see entryBytes). */
  bytes: number;
}

/** Estimated V8 cost of one entry beyond its strings: the Map slot, the Entry object, the array. */
const ENTRY_OVERHEAD_BYTES = 120;

function entryBytes(userID: string, platformIDs: readonly number[]): number {
  // Strings may be two-byte (non-Latin-1 IDs): count the worst case.
  return ENTRY_OVERHEAD_BYTES + 2 * userID.length + 8 * platformIDs.length;
}

interface Inflight {
  promise: Promise<number[]>;
  /** A change seen while loading: newer than whatever the load returns. */
  changed: number[] | undefined;
}

/**
 * The gateway's view of who is online anywhere, as upstream's rpccache OnlineCache: an LRU
 * (sharded into slots by hash, entries expiring) filled on demand through `load`, kept fresh by
 * the user service's `online_change` publications. A change updates an entry only when it is
 * cached (as upstream's SetHas), so the cache holds the users someone asked about, not everyone.
 *
 * Redis restarts: ioredis reconnects and resubscribes by itself; the cache also subscribes again
 * on `ready` and waits for the reply, so that once it resumes serving from memory the
 * subscription is known to be live. Everything cached is dropped when the connection is lost and
 * again when the subscription is back (changes published in the gap were never seen); while the
 * subscription is down, lookups go to `load` and are not cached.
 */
export class OnlineCache implements OnlineLookup {
  /** Live counters (read them, don't write). */
  readonly counters: OnlineCacheCounters = {
    hits: 0,
    misses: 0,
    loads: 0,
    changes: 0,
    badPayloads: 0,
    callbackErrors: 0,
    disconnects: 0,
    resyncs: 0,
    evictions: 0,
  };

  private readonly slots: Map<string, Entry>[];
  /** Estimated bytes held per shard. */
  private readonly slotBytes: number[];
  private readonly slotSize: number;
  private readonly slotMaxBytes: number;
  private readonly expireMs: number;
  private readonly channel: string;
  private readonly now: () => number;
  private readonly inflight = new Map<string, Inflight>();
  private sub: RedisClient | undefined;
  /** Bumped on every invalidation; a load started under an older generation is not cached. */
  private generation = 0;
  /** Whether the subscription is known to be live (cached entries may be served). */
  private live = false;
  private starting: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: OnlineCacheOptions) {
    const n = Math.max(1, Math.floor(opts.slots ?? 1024));
    this.slots = Array.from({ length: n }, () => new Map<string, Entry>());
    this.slotBytes = new Array<number>(n).fill(0);
    this.slotSize = Math.max(1, Math.floor(opts.slotSize ?? 2048));
    this.slotMaxBytes = Math.max(ENTRY_OVERHEAD_BYTES * 4, Math.floor((opts.maxBytes ?? 64 * 1024 * 1024) / n));
    this.expireMs = opts.expireMs ?? 15 * 60_000;
    this.channel = opts.channel ?? redisKeys.onlineChannel;
    this.now = opts.now ?? Date.now;
  }

  /** Opens the subscriber and subscribes; resolves once Redis confirmed the subscription. Idempotent. */
  start(): Promise<void> {
    if (!this.starting) this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const sub = this.opts.createSubscriber();
    this.sub = sub;
    // Without a listener ioredis prints every connection error as "Unhandled error event".
    sub.on('error', onSubscriberError);
    sub.on('message', (channel: string, payload: string) => this.onMessage(channel, payload));
    await sub.subscribe(this.channel);
    if (this.closed) return;
    this.live = true;
    sub.on('close', () => this.onConnectionLost());
    sub.on('ready', () => this.onReady());
  }

  /** Whether cached entries are being served (false while the subscription is down). */
  get isLive(): boolean {
    return this.live;
  }

  /** Entries held now. */
  get size(): number {
    let n = 0;
    for (const s of this.slots) n += s.size;
    return n;
  }

  /** Estimated bytes the entries hold now (bounded by `maxBytes`). */
  get bytes(): number {
    let n = 0;
    for (const b of this.slotBytes) n += b;
    return n;
  }

  /** The platforms a user is online on, in the order the user service or `online_change` gave them; loads it on a miss. Rejects when `load` does. */
  async get(userID: string): Promise<number[]> {
    const m = await this.getMany([userID]);
    return m.get(userID) ?? [];
  }

  /** The cached platforms of a user, or undefined when absent, expired or not trustworthy (no load). */
  peek(userID: string): number[] | undefined {
    const e = this.lookup(userID);
    return e ? [...e.platformIDs] : undefined;
  }

  /** Platforms of several users; all misses go to one `load` call, and concurrent misses of one user share it. */
  async getMany(userIDs: readonly string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    const waits: Promise<void>[] = [];
    const misses: string[] = [];
    const seen = new Set<string>();
    for (const id of userIDs) {
      if (seen.has(id)) continue;
      seen.add(id);
      const e = this.lookup(id);
      if (e) {
        this.counters.hits++;
        out.set(id, [...e.platformIDs]);
        continue;
      }
      this.counters.misses++;
      const running = this.inflight.get(id);
      if (running) {
        out.set(id, []);
        waits.push(running.promise.then((p) => void out.set(id, [...p])));
      } else {
        misses.push(id);
      }
    }
    if (misses.length > 0) {
      const loaded = this.loadMisses(misses);
      waits.push(loaded.then((m) => void m.forEach((p, id) => out.set(id, [...p]))));
    }
    if (waits.length > 0) await Promise.all(waits);
    // Keep the caller's order (Map iteration order is insertion order).
    const ordered = new Map<string, number[]>();
    for (const id of userIDs) ordered.set(id, out.get(id) ?? []);
    return ordered;
  }

  /** Drops every entry (also called on a Redis disconnect and resync). */
  invalidate(): void {
    this.generation++;
    for (const s of this.slots) s.clear();
    this.slotBytes.fill(0);
  }

  /** Unsubscribes and disconnects the subscriber. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.live = false;
    const sub = this.sub;
    this.sub = undefined;
    this.invalidate();
    if (sub) {
      sub.removeAllListeners('message');
      sub.removeAllListeners('close');
      sub.removeAllListeners('ready');
      // Unsubscribing first matters for the embedded Redis, whose channel listeners outlive a
      // disconnected client; disconnect() also stops ioredis from reconnecting (quit() could
      // wait on a dead server).
      sub.unsubscribe().catch(() => undefined);
      sub.disconnect();
    }
  }

  private lookup(userID: string): Entry | undefined {
    if (!this.live) return undefined;
    const i = this.slotIndex(userID);
    const slot = this.slots[i]!;
    const e = slot.get(userID);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      slot.delete(userID);
      this.slotBytes[i]! -= e.bytes;
      return undefined;
    }
    // Re-insert: Map order is the LRU order, the oldest first.
    slot.delete(userID);
    slot.set(userID, e);
    return e;
  }

  private store(userID: string, platformIDs: number[]): void {
    const i = this.slotIndex(userID);
    const slot = this.slots[i]!;
    const old = slot.get(userID);
    if (old) {
      slot.delete(userID);
      this.slotBytes[i]! -= old.bytes;
    }
    const bytes = entryBytes(userID, platformIDs);
    // Oldest first (Map order is the LRU order) until the new entry fits in count and bytes.
    while (slot.size > 0 && (slot.size >= this.slotSize || this.slotBytes[i]! + bytes > this.slotMaxBytes)) {
      const [oldest, e] = slot.entries().next().value as [string, Entry];
      slot.delete(oldest);
      this.slotBytes[i]! -= e.bytes;
      this.counters.evictions++;
    }
    if (bytes > this.slotMaxBytes) return;
    slot.set(userID, { platformIDs, expiresAt: this.now() + this.expireMs, bytes });
    this.slotBytes[i]! += bytes;
  }

  private loadMisses(ids: string[]): Promise<Map<string, number[]>> {
    const generation = this.generation;
    this.counters.loads++;
    const records = new Map<string, Inflight>();
    const done = Promise.resolve()
      .then(() => this.opts.load(ids))
      .then(
        (loaded) => {
          const out = new Map<string, number[]>();
          for (const id of ids) {
            const rec = records.get(id)!;
            if (this.inflight.get(id) === rec) this.inflight.delete(id);
            const platformIDs = rec.changed ?? [...(loaded.get(id) ?? [])];
            if (this.live && generation === this.generation) this.store(id, platformIDs);
            out.set(id, platformIDs);
          }
          return out;
        },
        (err: unknown) => {
          for (const id of ids) if (this.inflight.get(id) === records.get(id)) this.inflight.delete(id);
          throw err;
        },
      );
    for (const id of ids) {
      const promise = done.then((m) => m.get(id) ?? []);
      // Waiters see the rejection; a record nobody waits on must not be an unhandled one.
      promise.catch(noop);
      const rec: Inflight = { promise, changed: undefined };
      records.set(id, rec);
      this.inflight.set(id, rec);
    }
    return done;
  }

  private onMessage(channel: string, payload: string): void {
    if (channel !== this.channel || this.closed) return;
    const parsed = parseOnlineChange(payload);
    if (!parsed) {
      this.counters.badPayloads++;
      return;
    }
    this.counters.changes++;
    const { userID, platformIDs } = parsed;
    const rec = this.inflight.get(userID);
    if (rec) rec.changed = platformIDs;
    if (this.live && this.slots[this.slotIndex(userID)]!.has(userID)) this.store(userID, platformIDs);
    try {
      this.opts.onChange?.(userID, [...platformIDs]);
    } catch {
      this.counters.callbackErrors++;
    }
  }

  private onConnectionLost(): void {
    if (this.closed || !this.live) return;
    this.live = false;
    this.counters.disconnects++;
    this.invalidate();
  }

  private onReady(): void {
    if (this.closed || this.live || !this.sub) return;
    const sub = this.sub;
    // ioredis has already queued its own resubscription; ours is answered after it, so its reply
    // proves the channel is subscribed again.
    sub.subscribe(this.channel).then(
      () => {
        if (this.closed || this.live || this.sub !== sub) return;
        this.invalidate();
        this.live = true;
        this.counters.resyncs++;
        try {
          this.opts.onResync?.();
        } catch {
          this.counters.callbackErrors++;
        }
      },
      // The connection dropped again before the reply: the next 'ready' retries.
      noop,
    );
  }

  private slotIndex(userID: string): number {
    return fnv1a(userID) % this.slots.length;
  }
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function noop(): void {}

function onSubscriberError(): void {
  // Connection errors are followed by 'close'/'ready', which is where the cache reacts.
}
