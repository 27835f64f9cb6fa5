/**
 * The runtime every scenario drives: it opens simulated clients (bounded concurrency, ramp
 * rate, abortable), wires each one into the run's metrics, sent-ledger and seq tracker, sends
 * messages with their expected recipients registered first, runs catch-ups after reconnects,
 * and drains and closes at the end.
 */
import { ClientPool, ConnectionClosedError, OpenIMClient, RequestTimeoutError, ResponseError, SeqTracker, closeReasonKey } from '../client/index.js';
import type { CatchUpClient, CloseEvent, PushEvent, Reply, SeqRangeInit } from '../client/index.js';
import type { sdkws } from '../../src/protocol/pb-types.js';
import { SessionType } from '../../src/protocol/conversation.js';
import { SentLedger } from './ledger.js';
import { RunNaming } from './shard.js';
import type { SimMetrics } from './metrics.js';
import { sleep, waitUntil } from './timing.js';
import type { TokenSource } from './tokens.js';
import { pickByIndex, type Rng, type Weighted } from './units.js';

/** How the run reconnects dropped clients (and catches up afterwards). */
export interface ReconnectPolicy {
  minDelayMs: number;
  maxDelayMs: number;
}

/** Options of a {@link SimRun}. */
export interface SimRunOptions {
  /** Gateway WebSocket URL. */
  url: string;
  tokens: TokenSource;
  /** Prepended to every user and group ID (runs against a shared gateway do not collide). */
  prefix: string;
  /** User and group IDs of a shard (default: the prefix alone, user numbers as they are). */
  naming?: RunNaming;
  metrics: SimMetrics;
  rng: Rng;
  /** Platform mix of the connections a scenario does not pin. */
  platforms: readonly Weighted<number>[];
  /** SDK flavour mix: `go` (gob + gzip) and/or `js` (JSON). */
  sdk: readonly Weighted<'go' | 'js'>[];
  /** Handshakes in flight at once. */
  concurrency: number;
  /** New connections per second when opening many (0 = as fast as `concurrency` allows). */
  rampPerSec: number;
  requestTimeoutMs: number;
  /** Attach push listeners, the ledger and the seq tracker (message scenarios). */
  trackMessages: boolean;
  /** Reconnect dropped clients with backoff and catch up afterwards. */
  reconnect?: ReconnectPolicy;
  /** A missing delivery is excused when its connection ended within this long after the send. */
  lossGraceMs: number;
  /** Most SendMsg requests in flight before the pacer skips sends. */
  maxInFlightSends: number;
  /** Aborts waits and loops (hard cap, Ctrl-C). */
  signal: AbortSignal;
}

/** What to connect. Unset fields follow the run's mixes. */
export interface ConnSpec {
  userID: string;
  /** Gateway to dial (and redial); default the run's url. Runs across several nodes pin users to nodes. */
  url?: string;
  platformID?: number;
  sdkType?: 'go' | 'js';
  /** Ask the token source for a distinct token (multilogin). */
  tokenVariant?: number;
  background?: boolean;
  /** Index into the mixes; default the connection id. */
  mixIndex?: number;
}

/** Where a message goes: a single chat peer or a group. */
export type SendTarget = { userID: string } | { groupID: string };

/** One simulated connection of the run. */
export class SimConn {
  /** Pushed messages received (all copies). */
  pushes = 0;
  everOpened = false;
  /** performance.now() when the connection ended for good (no reconnect coming); 0 while live. */
  endedAt = 0;
  kicked = false;
  /** The sim is dropping it on purpose (reconnect scenario): its close is not counted as a failure. */
  dropping = false;
  /** Times the sim dropped it (requests cut by those drops are not failures). */
  drops = 0;
  private waiters: { target: number; done: (ok: boolean) => void }[] | undefined;

  constructor(
    readonly id: number,
    readonly userID: string,
    readonly platformID: number,
    readonly client: OpenIMClient,
  ) {}

  /** Whether the connection is open right now. */
  get isOpen(): boolean {
    return this.client.state === 'open';
  }

  /** Waits until `pushes` reaches `target` (bounded); resolves whether it did. */
  waitPushes(target: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.pushes >= target) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = { target, done: (ok: boolean): void => undefined };
      const onAbort = (): void => waiter.done(this.pushes >= target);
      const t = setTimeout(() => waiter.done(this.pushes >= target), timeoutMs);
      waiter.done = (ok) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiters?.indexOf(waiter) ?? -1;
        if (i >= 0) this.waiters!.splice(i, 1);
        resolve(ok);
      };
      (this.waiters ??= []).push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** @internal */
  gotPush(): void {
    this.pushes++;
    const ws = this.waiters;
    if (ws === undefined) return;
    for (const w of [...ws]) if (this.pushes >= w.target) w.done(true);
  }
}

/** Result of {@link SimRun.openMany}. */
export interface OpenManyResult {
  conns: SimConn[];
  opened: number;
  failed: number;
  /** First dial to last successful handshake, ms. */
  durationMs: number;
}

/** See the module comment. */
export class SimRun {
  readonly ledger = new SentLedger();
  readonly tracker = new SeqTracker({ baseline: 'first-seen', maxAnomalies: 200 });
  readonly pool: ClientPool;
  readonly conns: SimConn[] = [];
  /** Milliseconds the initial connections took to open (set by the first openMany). */
  timeToOpenMs: number | null = null;
  private readonly byUser = new Map<string, SimConn[]>();
  private readonly groups = new Map<string, readonly string[]>();
  private readonly groupCache = new Map<string, { version: number; recipients: Int32Array }>();
  /** Bumped whenever a connection's liveness changes: cached recipient lists are stale then. */
  private version = 0;
  private inFlightSends = 0;
  private catchUpsInFlight = 0;
  private msgCounter = 0;
  private readonly runTag = Math.random().toString(36).slice(2, 8);

  private readonly naming: RunNaming;

  constructor(readonly o: SimRunOptions) {
    this.pool = new ClientPool({ concurrency: o.concurrency });
    this.naming = o.naming ?? new RunNaming(o.prefix);
  }

  /** The metrics of the run. */
  get metrics(): SimMetrics {
    return this.o.metrics;
  }

  /** The user ID of user number n (1-based): prefix + n (in a shard, n counts from the shard's first user). */
  userID(n: number): string {
    return this.naming.userID(n);
  }

  /** A group ID with the run's prefix (and a shard's tag). */
  groupID(name: string): string {
    return this.naming.groupID(name);
  }

  /** Platform of the i-th connection per the platform mix. */
  platformFor(i: number): number {
    return pickByIndex(this.o.platforms, i);
  }

  /** Tells the ledger who is in a group (the target's msg service must know it too). */
  setGroup(groupID: string, members: readonly string[]): void {
    this.groups.set(groupID, members);
    this.groupCache.delete(groupID);
  }

  /** Live connections of a user. */
  connsOf(userID: string): readonly SimConn[] {
    return this.byUser.get(userID) ?? [];
  }

  /** Creates a connection (not yet connected), wired into the run. */
  create(spec: ConnSpec): SimConn {
    const id = this.conns.length;
    const mix = spec.mixIndex ?? id;
    const platformID = spec.platformID ?? this.platformFor(mix);
    const sdkType = spec.sdkType ?? pickByIndex(this.o.sdk, mix);
    const client = this.pool.add({
      url: spec.url ?? this.o.url,
      userID: spec.userID,
      platformID,
      token: this.o.tokens.get(spec.userID, platformID, spec.tokenVariant),
      sdkType,
      background: spec.background ?? false,
      requestTimeoutMs: this.o.requestTimeoutMs,
      operationIDPrefix: `sim${this.runTag}`,
      label: `c${id}`,
      // The run feeds its tracker itself (onPush): it needs to set group baselines first.
      seqTracker: undefined,
      // Our own catch-up runs after reconnects so the pulled messages reach the ledger too.
      reconnect: this.o.reconnect ? { enabled: true, minDelayMs: this.o.reconnect.minDelayMs, maxDelayMs: this.o.reconnect.maxDelayMs, catchUp: false } : undefined,
    });
    const conn = new SimConn(id, spec.userID, platformID, client);
    this.conns.push(conn);
    let list = this.byUser.get(spec.userID);
    if (list === undefined) this.byUser.set(spec.userID, (list = []));
    list.push(conn);
    this.wire(conn);
    return conn;
  }

  /** Creates and connects one connection; rejects (counted) when the handshake fails. */
  async connect(spec: ConnSpec): Promise<SimConn> {
    const conn = this.create(spec);
    await this.dial(conn);
    return conn;
  }

  /** Connects a created connection; failures are counted, then rethrown. */
  async dial(conn: SimConn): Promise<void> {
    try {
      await conn.client.connect();
    } catch (e) {
      const err = e as { kind?: string; errCode?: number; cause?: { code?: unknown } };
      let reason = err.kind === 'http' || err.kind === 'text' ? `errCode ${err.errCode}${err.errCode === 1503 ? ' (token refused: wrong secret?)' : ''}` : (err.kind ?? 'error');
      // The errno tells "gateway refused" (ECONNREFUSED) from "we ran out of fds" (EMFILE).
      if (err.kind === 'network' && typeof err.cause?.code === 'string') reason += ` ${err.cause.code}`;
      this.metrics.failed(reason);
      this.ended(conn);
      throw e;
    }
  }

  /**
   * Opens `count` connections from `make(i)`: at most `concurrency` handshakes in flight, with a
   * ramp rate the i-th dial waits until i / rate s after the start; stops early on abort.
   * Failures are counted, not thrown.
   */
  async openMany(count: number, make: (i: number) => ConnSpec, opts: { rampPerSec?: number; concurrency?: number; signal?: AbortSignal } = {}): Promise<OpenManyResult> {
    const rate = opts.rampPerSec ?? this.o.rampPerSec;
    const conc = Math.max(1, opts.concurrency ?? this.o.concurrency);
    const signal = opts.signal ?? this.o.signal;
    const conns: SimConn[] = [];
    const started = performance.now();
    let lastOpen = started;
    let next = 0;
    let opened = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        if (signal.aborted) return;
        const i = next++;
        if (i >= count) return;
        if (rate > 0) await sleep(started + (i * 1000) / rate - performance.now(), signal);
        if (signal.aborted) return;
        const conn = this.create(make(i));
        try {
          await this.dial(conn);
          conns.push(conn);
          opened++;
          lastOpen = performance.now();
        } catch {
          failed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(conc, count) }, worker));
    const durationMs = lastOpen - started;
    this.timeToOpenMs ??= durationMs;
    return { conns, opened, failed, durationMs };
  }

  /**
   * Sends one text message from `from` to a peer or a group. Its expected recipients (every
   * live connection of every member, the sender's own included, since the gateway pushes to
   * all of them) are registered in the ledger before the request is written, because the push
   * can overtake the reply. Resolves whether the gateway accepted it.
   */
  async send(from: SimConn, to: SendTarget, text?: string): Promise<boolean> {
    const c = this.metrics.counters;
    if (!from.isOpen || this.inFlightSends >= this.o.maxInFlightSends) {
      c.sendSkipped++;
      return false;
    }
    const n = ++this.msgCounter;
    const clientMsgID = `${this.runTag}${n.toString(16).padStart(10, '0')}`;
    let recipients: Int32Array;
    let fields: { recvID?: string; groupID?: string; sessionType: number };
    if ('userID' in to) {
      recipients = this.recipientsOf(to.userID === from.userID ? [from.userID] : [from.userID, to.userID]);
      fields = { recvID: to.userID, sessionType: SessionType.Single };
    } else {
      const members = this.groups.get(to.groupID);
      // Mirror the msg simulator's first-use semantics: a sender joins the group it sends to.
      if (members !== undefined && !members.includes(from.userID)) this.setGroup(to.groupID, [...members, from.userID]);
      recipients = this.groupRecipients(to.groupID, from.userID);
      fields = { groupID: to.groupID, sessionType: SessionType.ReadGroup };
    }
    const sentAt = performance.now();
    this.ledger.register(clientMsgID, sentAt, recipients);
    c.sent++;
    c.expected += recipients.length;
    this.inFlightSends++;
    c.requests++;
    const drops = from.drops;
    try {
      // The send time travels in the content too, for anyone reading the messages elsewhere.
      const content = Buffer.from(JSON.stringify({ content: text ?? `sim message ${n}`, simSentAt: Date.now() }), 'utf8');
      const r = await from.client.sendMsg({ ...fields, clientMsgID, content });
      this.metrics.latency('rtt', r.rttMs, 1003);
      return true;
    } catch (e) {
      // Whether the gateway stored it is unknown, so nobody is owed it; pushes of it count as foreign.
      c.expected -= recipients.length;
      this.ledger.cancel(clientMsgID);
      if (from.drops !== drops) {
        // The sim itself cut the sender's connection under this request: not the gateway's failure.
        c.sendSkipped++;
        return false;
      }
      c.sendFailed++;
      c.requestErrors++;
      this.metrics.error(`1003 ${errorKind(e)}`);
      return false;
    } finally {
      this.inFlightSends--;
    }
  }

  /** Runs a request through the metrics (round trip by identifier; errors by kind). */
  async request<T>(conn: SimConn, reqIdentifier: number, fn: () => Promise<Reply<T>>): Promise<Reply<T>> {
    this.metrics.counters.requests++;
    try {
      const r = await fn();
      this.metrics.latency('rtt', r.rttMs, reqIdentifier);
      return r;
    } catch (e) {
      this.metrics.counters.requestErrors++;
      this.metrics.error(`${reqIdentifier} ${errorKind(e)}`);
      throw e;
    }
  }

  /**
   * What an SDK does after (re)connecting: GetNewestSeq, then pull whatever is missing. The
   * first call per connection snapshots the server's seqs (history from before the run is
   * not owed); pulled messages are credited in the ledger.
   */
  async catchUp(conn: SimConn): Promise<boolean> {
    this.catchUpsInFlight++;
    const started = performance.now();
    const drops = conn.drops;
    try {
      await this.tracker.catchUp(this.catchUpClient(conn));
      this.metrics.counters.catchUps++;
      this.metrics.latency('catchup', performance.now() - started);
      return true;
    } catch (e) {
      // Cut short by the sim's own drop: the reconnect that follows runs a fresh catch-up, and
      // lost/gaps judge its outcome. Anything else is a failure.
      if (e instanceof ConnectionClosedError && conn.drops !== drops && this.o.reconnect !== undefined) {
        this.metrics.counters.catchUpsInterrupted++;
        return false;
      }
      this.metrics.counters.catchUpFailures++;
      this.metrics.error(`catch-up ${errorKind(e)}`);
      return false;
    } finally {
      this.catchUpsInFlight--;
    }
  }

  /** Drops a connection abruptly (no close frame); with reconnect enabled it comes back and catches up. */
  drop(conn: SimConn): boolean {
    // A terminated socket stays "open" until its close event: a second drop then would be a no-op.
    if (!conn.isOpen || conn.dropping) return false;
    conn.dropping = true;
    conn.drops++;
    conn.client.terminate({ reconnect: this.o.reconnect !== undefined });
    return true;
  }

  /** Closes a connection gracefully (the sim's own doing, not a failure). */
  async close(conn: SimConn): Promise<void> {
    await conn.client.close();
    this.ended(conn);
  }

  /** Whether a missing delivery to `connId` of a message sent at `sentAt` is excused (see SimRunOptions.lossGraceMs). */
  readonly excused = (connId: number, sentAt: number): boolean => {
    const c = this.conns[connId];
    return c !== undefined && c.endedAt > 0 && c.endedAt < sentAt + this.o.lossGraceMs;
  };

  /**
   * Waits until every send is answered, every expected delivery arrived or is excused, every
   * dropped client is back, and no catch-up is running. A gateway that is behind still makes
   * progress, so the wait gives up only after `idleMs` without any (or after `capMs` in all):
   * what is missing then is lost, not late. Resolves whether everything settled.
   */
  async drain(idleMs: number, capMs: number, signal?: AbortSignal): Promise<boolean> {
    const c = this.metrics.counters;
    const progress = (): number => c.received + c.pulled + c.duplicates + c.sendFailed + c.catchUps + c.catchUpFailures + c.reconnects + c.reconnectFailures + this.inFlightSends;
    const settled = (): boolean => this.inFlightSends === 0 && this.catchUpsInFlight === 0 && this.reconnecting() === 0 && this.ledger.outstanding(this.excused) === 0;
    const deadline = performance.now() + capMs;
    let last = progress();
    let lastAt = performance.now();
    for (;;) {
      if (await waitUntil(settled, Math.min(250, Math.max(0, deadline - performance.now())), signal, 25)) return true;
      const now = performance.now();
      const p = progress();
      if (p !== last) {
        last = p;
        lastAt = now;
      }
      if (signal?.aborted || now - lastAt >= idleMs || now >= deadline) return settled();
    }
  }

  /** Connections waiting to reconnect (or redialling). */
  reconnecting(): number {
    if (!this.o.reconnect) return 0;
    let n = 0;
    for (const c of this.conns) if (c.everOpened && c.endedAt === 0 && !c.isOpen) n++;
    return n;
  }

  /** Closes every connection and the pool's timers. */
  async closeAll(): Promise<void> {
    await this.pool.close();
    const now = performance.now();
    for (const c of this.conns) if (c.endedAt === 0) c.endedAt = now;
  }

  private catchUpClient(conn: SimConn): CatchUpClient {
    return {
      label: conn.client.label,
      getNewestSeq: () => this.request(conn, 1001, () => conn.client.getNewestSeq()),
      pullBySeqList: async (ranges: readonly SeqRangeInit[]) => {
        const r = await this.request(conn, 1002, () => conn.client.pullBySeqList(ranges));
        this.creditPulled(conn, r.data.msgs);
        this.creditPulled(conn, r.data.notificationMsgs);
        return r;
      },
    };
  }

  private creditPulled(conn: SimConn, byConv: { [conversationID: string]: sdkws.PullMsgs }): void {
    for (const id of Object.keys(byConv)) {
      for (const m of byConv[id]!.Msgs) if (this.ledger.onPull(conn.id, m.clientMsgID) === 'pulled') this.metrics.counters.pulled++;
    }
  }

  /** Whether a connection should get a message sent now. */
  private expects(c: SimConn): boolean {
    if (c.endedAt > 0) return false;
    if (c.isOpen) return true;
    // A dropped client that will reconnect is owed the message: its catch-up must pull it.
    return this.o.reconnect !== undefined && c.everOpened;
  }

  private recipientsOf(userIDs: readonly string[]): Int32Array {
    const ids: number[] = [];
    for (const u of userIDs) for (const c of this.byUser.get(u) ?? []) if (this.expects(c)) ids.push(c.id);
    return Int32Array.from(ids);
  }

  private groupRecipients(groupID: string, sender: string): Int32Array {
    const members = this.groups.get(groupID) ?? [sender];
    const hit = this.groupCache.get(groupID);
    if (hit !== undefined && hit.version === this.version) return hit.recipients;
    const recipients = this.recipientsOf(members);
    this.groupCache.set(groupID, { version: this.version, recipients });
    return recipients;
  }

  private ended(conn: SimConn): void {
    if (conn.endedAt !== 0) return;
    conn.endedAt = performance.now();
    this.version++;
    const list = this.byUser.get(conn.userID);
    if (list !== undefined) {
      const i = list.indexOf(conn);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byUser.delete(conn.userID);
    }
  }

  private wire(conn: SimConn): void {
    const m = this.metrics;
    const client = conn.client;
    client.on('open', (ev) => {
      this.version++;
      m.opened();
      if (ev.reconnect) {
        m.latency('reconnect.handshake', ev.handshakeMs);
      } else {
        conn.everOpened = true;
        m.counters.connOpened++;
        m.latency('handshake', ev.handshakeMs);
      }
    });
    client.on('close', (ev: CloseEvent) => {
      this.version++;
      m.notOpen();
      const intentional = conn.dropping;
      conn.dropping = false;
      m.closed(intentional ? 'dropped by sim' : closeReasonKey(ev), !intentional && !ev.byClient && !ev.kicked);
      if (!ev.willReconnect) this.ended(conn);
    });
    client.on('reconnect', (ev) => {
      m.counters.reconnects++;
      m.latency('reconnect.downtime', ev.downtimeMs);
      if (this.o.trackMessages) void this.catchUp(conn);
    });
    client.on('reconnectFailed', (ev) => {
      m.counters.reconnectFailures++;
      if (!ev.willRetry) this.ended(conn);
    });
    client.on('kicked', () => {
      conn.kicked = true;
      m.counters.kicks++;
    });
    client.on('protocolError', () => {
      m.counters.protocolErrors++;
    });
    client.on('presence', (ev) => {
      if (!ev.reply) m.counters.presenceEvents++;
    });
    if (this.o.trackMessages) client.on('push', (ev: PushEvent) => this.onPush(conn, ev));
  }

  private onPush(conn: SimConn, ev: PushEvent): void {
    conn.gotPush();
    const label = conn.client.label;
    const conv = ev.conversationID;
    // Joining a group mid-way (first-use semantics) does not make its history owed: a group
    // conversation starts where this connection first sees it. Single chats start at seq 1.
    if (!conv.startsWith('si_') && this.tracker.maxSeq(label, conv) === 0 && ev.msg.seq > 1) this.tracker.setBaseline(label, conv, ev.msg.seq - 1);
    this.tracker.record(label, conv, ev.msg.seq, 'push');
    const id = ev.msg.clientMsgID;
    const receipt = this.ledger.onPush(conn.id, id);
    const c = this.metrics.counters;
    switch (receipt) {
      case 'first': {
        c.received++;
        this.metrics.lastDeliveryAt = performance.now();
        const sentAt = this.ledger.sentAt(id);
        if (sentAt !== undefined) this.metrics.latency('delivery', performance.now() - sentAt);
        return;
      }
      case 'duplicate':
        c.duplicates++;
        return;
      case 'unexpected':
        c.unexpected++;
        return;
      case 'foreign':
        c.foreign++;
        return;
      default:
        return;
    }
  }
}

/** A short stable label for a failed request (for the errors breakdown). */
export function errorKind(e: unknown): string {
  if (e instanceof ResponseError) return `errCode ${e.errCode}`;
  if (e instanceof RequestTimeoutError) return 'timeout';
  if (e instanceof ConnectionClosedError) return 'connection closed';
  return e instanceof Error ? e.name : 'error';
}
