/**
 * The TUI's state, in plain TypeScript (no React): it folds the admin stream's messages into
 * what the panes show, with everything bounded - connections are the node's own (one entry
 * each), events live in a fixed ring, rate histories and remembered presence changes are capped.
 * `version` grows on every change so the renderer redraws only when something moved.
 */
import type { AdminEvent, AdminMessage, ConnInfo, CounterTotals, NodeInfo, Watcher } from '../../src/admin/schema.js';
import { naturalCompare } from './format.js';

/** A line the TUI itself adds to the event list (node logs, action results). */
export type LocalEvent = { type: 'log'; at: number; level: 'info' | 'error'; text: string };

/** One entry of the event list; `seq` numbers every event ever stored. */
export interface EventRow {
  seq: number;
  ev: AdminEvent | LocalEvent;
}

/** The per-second series the Rates pane draws. */
export const RATE_KEYS = ['framesIn', 'framesOut', 'pushes', 'handshakes', 'conns', 'users'] as const;
/** A series of the Rates pane. */
export type RateKey = (typeof RATE_KEYS)[number];

/** The last presence change seen for a user. */
export interface PresenceChange {
  at: number;
  platformIDs: number[];
  /** Connections told (2005 frames sent). */
  told: number;
  watchers: Watcher[];
}

/** Sizes of the store's bounded parts. */
export interface StoreLimits {
  /** Events kept (oldest dropped first). Default 2000. */
  events?: number;
  /** Samples kept per rate series. Default 300 (5 minutes). */
  rateSamples?: number;
  /** Users whose last presence change is remembered. Default 10,000. */
  presenceUsers?: number;
}

/** A row of the Connections pane: a connection, and whether it starts its user's group. */
export interface ConnRowRef {
  conn: ConnInfo;
  first: boolean;
}

const EMPTY: readonly ConnInfo[] = [];

/** See the module comment. */
export class TuiStore {
  /** Grows on every change (the renderer compares it). */
  version = 0;
  node: NodeInfo | undefined;
  /** The snapshot has fully arrived. */
  synced = false;
  /** Show successful requests in the event list too (errors always show). */
  verbose = false;
  /** Gauges of the last `counters` message. */
  gauges = { users: 0, conns: 0, subscriptions: 0 };
  /** Push results by code per second, over the last counters interval. */
  pushCodesPerSec: Record<string, number> = {};
  /** Push results by code since the node started. */
  pushCodesTotal: Record<string, number> = {};
  /** Events received, including ones not listed (successful requests). */
  received = 0;
  /** Events dropped from the ring so far. */
  evicted = 0;

  private readonly conns = new Map<string, ConnInfo>();
  private readonly byUser = new Map<string, ConnInfo[]>();
  /** watched userID -> connIDs watching it (mirrors every connection's `subs`). */
  private readonly watchedBy = new Map<string, Set<string>>();
  private sortedUsers: string[] = [];
  private usersDirty = false;
  /** Grows when connections come or go (row lists are cached against it). */
  private membership = 0;
  private rowCache: { membership: number; filter: string; rows: ConnRowRef[] } | undefined;

  private readonly ring: (EventRow | undefined)[];
  private head = 0;
  private size = 0;
  private nextSeq = 1;

  private readonly rates = new Map<RateKey, number[]>();
  private readonly rateCap: number;
  private lastTotals: { at: number; totals: CounterTotals } | undefined;
  private readonly presence = new Map<string, PresenceChange>();
  private readonly presenceCap: number;

  constructor(limits: StoreLimits = {}) {
    this.ring = new Array<EventRow | undefined>(Math.max(1, limits.events ?? 2000));
    this.rateCap = Math.max(1, limits.rateSamples ?? 300);
    this.presenceCap = Math.max(1, limits.presenceUsers ?? 10_000);
    for (const k of RATE_KEYS) this.rates.set(k, []);
  }

  /** Folds one message (or a local log line) into the state. */
  apply(m: AdminMessage | LocalEvent): void {
    this.version++;
    switch (m.type) {
      case 'hello':
        // A (re)connected stream: its snapshot replaces what we knew.
        this.node = m.node;
        this.resetConnections();
        this.synced = false;
        this.lastTotals = undefined;
        return;
      case 'snapshot':
        for (const c of m.conns) this.addConn(c);
        if (m.done) this.synced = true;
        return;
      case 'counters':
        this.onCounters(m);
        return;
      case 'result':
        return;
      case 'connect':
        this.received++;
        this.addConn({
          connID: m.connID,
          userID: m.userID,
          platformID: m.platformID,
          sdkType: m.sdkType,
          gzip: m.gzip,
          background: m.background,
          remoteAddr: m.remoteAddr,
          queue: 0,
          connectedAt: m.at,
          subs: [],
        });
        this.push(m);
        return;
      case 'disconnect':
        this.received++;
        this.removeConn(m.connID);
        this.push(m);
        return;
      case 'conn-update': {
        this.received++;
        const c = this.conns.get(m.connID);
        if (c) {
          c.background = m.background;
          this.setSubs(c, m.subs);
        }
        return;
      }
      case 'presence':
        this.received++;
        this.presence.delete(m.userID);
        this.presence.set(m.userID, { at: m.at, platformIDs: m.platformIDs, told: m.subscribers, watchers: m.watchers ?? [] });
        if (this.presence.size > this.presenceCap) this.presence.delete(this.presence.keys().next().value!);
        this.push(m);
        return;
      case 'request':
        this.received++;
        if (m.errCode !== 0 || this.verbose) this.push(m);
        return;
      case 'log':
        this.push(m);
        return;
      default:
        this.received++;
        this.push(m);
    }
  }

  // ---- connections ----

  /** Connections known now. */
  get connCount(): number {
    return this.conns.size;
  }

  /** Users with at least one connection. */
  get userCount(): number {
    return this.byUser.size;
  }

  /** A connection by ID. */
  conn(connID: string): ConnInfo | undefined {
    return this.conns.get(connID);
  }

  /** A user's connections, by platform then age. */
  connsOf(userID: string): readonly ConnInfo[] {
    return this.byUser.get(userID) ?? EMPTY;
  }

  /** Users in natural order (u2 before u10). */
  users(): readonly string[] {
    if (this.usersDirty) {
      this.sortedUsers = [...this.byUser.keys()].sort(naturalCompare);
      this.usersDirty = false;
    }
    return this.sortedUsers;
  }

  /**
   * The Connections pane's rows: users in order, each user's connections under it, only users
   * whose ID contains `filter` (case-insensitive). Cached until connections come or go.
   */
  connRows(filter = ''): readonly ConnRowRef[] {
    const f = filter.toLowerCase();
    const cache = this.rowCache;
    if (cache && cache.membership === this.membership && cache.filter === f) return cache.rows;
    const rows: ConnRowRef[] = [];
    for (const u of this.users()) {
      if (f && !u.toLowerCase().includes(f)) continue;
      const list = this.byUser.get(u)!;
      for (let i = 0; i < list.length; i++) rows.push({ conn: list[i]!, first: i === 0 });
    }
    this.rowCache = { membership: this.membership, filter: f, rows };
    return rows;
  }

  /** The connections watching a user (2005 subscribers), as far as this stream knows. */
  watchersOf(userID: string): ConnInfo[] {
    const ids = this.watchedBy.get(userID);
    if (!ids) return [];
    const out: ConnInfo[] = [];
    for (const id of ids) {
      const c = this.conns.get(id);
      if (c) out.push(c);
    }
    return out.sort((a, b) => naturalCompare(a.userID, b.userID) || a.platformID - b.platformID);
  }

  /** The last presence change seen for a user. */
  lastPresence(userID: string): PresenceChange | undefined {
    return this.presence.get(userID);
  }

  /** How many users' last presence change is remembered (bounded). */
  get presenceCount(): number {
    return this.presence.size;
  }

  private addConn(c: ConnInfo): void {
    const known = this.conns.get(c.connID);
    if (known) this.removeConn(c.connID);
    const conn: ConnInfo = { ...c, subs: [] };
    this.conns.set(c.connID, conn);
    let list = this.byUser.get(c.userID);
    if (!list) {
      this.byUser.set(c.userID, (list = []));
      this.usersDirty = true;
    }
    // Keep a user's connections by platform, then age: a handful each, so an insertion walk is fine.
    let i = list.length;
    while (i > 0 && (list[i - 1]!.platformID > conn.platformID || (list[i - 1]!.platformID === conn.platformID && list[i - 1]!.connectedAt > conn.connectedAt))) i--;
    list.splice(i, 0, conn);
    this.setSubs(conn, c.subs);
    this.membership++;
  }

  private removeConn(connID: string): void {
    const c = this.conns.get(connID);
    if (!c) return;
    this.conns.delete(connID);
    this.setSubs(c, []);
    const list = this.byUser.get(c.userID);
    if (list) {
      const i = list.indexOf(c);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) {
        this.byUser.delete(c.userID);
        this.usersDirty = true;
      }
    }
    this.membership++;
  }

  private setSubs(c: ConnInfo, subs: readonly string[]): void {
    for (const u of c.subs) {
      const set = this.watchedBy.get(u);
      if (!set) continue;
      set.delete(c.connID);
      if (set.size === 0) this.watchedBy.delete(u);
    }
    c.subs = [...subs];
    for (const u of c.subs) {
      let set = this.watchedBy.get(u);
      if (!set) this.watchedBy.set(u, (set = new Set()));
      set.add(c.connID);
    }
  }

  private resetConnections(): void {
    this.conns.clear();
    this.byUser.clear();
    this.watchedBy.clear();
    this.sortedUsers = [];
    this.usersDirty = false;
    this.membership++;
  }

  // ---- events ----

  /** Events held now (at most the ring's capacity). */
  get eventCount(): number {
    return this.size;
  }

  /** Capacity of the event ring. */
  get eventCapacity(): number {
    return this.ring.length;
  }

  /** Seq of the newest event (0 when none). */
  get newestSeq(): number {
    return this.nextSeq - 1;
  }

  /** Seq of the oldest event still held (newestSeq + 1 when none). */
  get oldestSeq(): number {
    return this.nextSeq - this.size;
  }

  /** Up to `count` events ending at `endSeq` (inclusive, default newest), oldest first. */
  eventsEndingAt(count: number, endSeq = this.newestSeq): EventRow[] {
    const end = Math.min(endSeq, this.newestSeq);
    const start = Math.max(this.oldestSeq, end - count + 1);
    const out: EventRow[] = [];
    for (let s = start; s <= end; s++) out.push(this.eventAt(s)!);
    return out;
  }

  /** The newest events matching `pred`, newest first, looking at no more than the ring holds. */
  findRecent(pred: (ev: AdminEvent | LocalEvent) => boolean, max: number): EventRow[] {
    const out: EventRow[] = [];
    for (let s = this.newestSeq; s >= this.oldestSeq && out.length < max; s--) {
      const row = this.eventAt(s)!;
      if (pred(row.ev)) out.push(row);
    }
    return out;
  }

  /** Forgets every event. */
  clearEvents(): void {
    this.ring.fill(undefined);
    this.size = 0;
    this.head = 0;
    this.version++;
  }

  /** Adds a line of the TUI's own (action results, node logs). */
  log(text: string, level: 'info' | 'error' = 'info'): void {
    this.apply({ type: 'log', at: Date.now(), level, text });
  }

  private eventAt(seq: number): EventRow | undefined {
    if (seq < this.oldestSeq || seq > this.newestSeq) return undefined;
    const cap = this.ring.length;
    const idx = (this.head - (this.nextSeq - seq) + cap * 2) % cap;
    return this.ring[idx];
  }

  private push(ev: AdminEvent | LocalEvent): void {
    const cap = this.ring.length;
    this.ring[this.head] = { seq: this.nextSeq++, ev };
    this.head = (this.head + 1) % cap;
    if (this.size < cap) this.size++;
    else this.evicted++;
  }

  // ---- rates ----

  /** A series' history, oldest first (per second for counters, a level for conns/users). */
  series(key: RateKey): readonly number[] {
    return this.rates.get(key)!;
  }

  private onCounters(m: Extract<AdminMessage, { type: 'counters' }>): void {
    this.gauges = { users: m.users, conns: m.conns, subscriptions: m.subscriptions };
    for (const [connID, depth] of m.queues) {
      const c = this.conns.get(connID);
      if (c) c.queue = depth;
    }
    const last = this.lastTotals;
    this.lastTotals = { at: m.at, totals: m.totals };
    this.pushCodesTotal = m.totals.pushResults;
    this.sample('conns', m.conns);
    this.sample('users', m.users);
    if (!last) return;
    const dt = Math.max(0.001, (m.at - last.at) / 1000);
    const rate = (a: number, b: number) => Math.max(0, (a - b) / dt);
    this.sample('framesIn', rate(m.totals.framesIn, last.totals.framesIn));
    this.sample('framesOut', rate(m.totals.framesOut, last.totals.framesOut));
    this.sample('pushes', rate(m.totals.pushes, last.totals.pushes));
    this.sample('handshakes', rate(m.totals.handshakes, last.totals.handshakes));
    const codes: Record<string, number> = {};
    for (const [code, n] of Object.entries(m.totals.pushResults)) {
      const d = n - (last.totals.pushResults[code] ?? 0);
      if (d > 0) codes[code] = d / dt;
    }
    this.pushCodesPerSec = codes;
  }

  private sample(key: RateKey, v: number): void {
    const s = this.rates.get(key)!;
    s.push(v);
    if (s.length > this.rateCap) s.splice(0, s.length - this.rateCap);
  }
}
