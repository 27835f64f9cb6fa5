import type { Conn } from '../gateway/conn.js';
import type { GatewayEvent } from '../gateway/events.js';
import type { PushStats } from '../hub/push.js';
import type { NodeControls, RegistryView, SubscriptionsView } from '../node-view.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import type { RpcObserver } from '../rpc/server.js';
import type { Signal } from '../util/signal.js';
import type { AdminCommand, AdminEvent, AdminMessage, AdminResult, ConnInfo, CounterTotals, NodeInfo, Watcher } from './schema.js';
import { ADMIN_PROTOCOL_VERSION } from './schema.js';

/** Receives every message of the stream, in order. */
export type AdminListener = (message: AdminMessage) => void;

/** What the feed reads from a node. */
export interface AdminFeedSource {
  /** The gateway's events (the feed listens only while someone watches). */
  events: Pick<Signal<GatewayEvent>, 'on'>;
  registry: RegistryView;
  /** The kick command goes through here. */
  controls: NodeControls;
  subscriptions?: SubscriptionsView;
  pushStats?: () => Readonly<PushStats>;
  /** Counters kept elsewhere (the metrics registry): frames, kicks, handshake failures... */
  readTotals?: () => Promise<Partial<CounterTotals>>;
  info: () => NodeInfo;
  /** Interval of `counters` messages. Default 1000 ms. */
  tickMs?: number;
}

/** Connections per `snapshot` message, so a large node streams instead of building one huge frame. */
const SNAPSHOT_CHUNK = 1000;
/** Presence watchers and reached users listed per event at most (the counts are always exact). */
const MAX_LISTED = 50;

/**
 * Turns a node's gateway into the admin message stream. It costs nothing while nobody watches:
 * it listens to `gateway.events` (push events included) and runs its counters timer only while at
 * least one listener is subscribed, and drops all of it when the last one leaves.
 */
export class AdminFeed {
  private readonly listeners = new Set<AdminListener>();
  private offEvents: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private handshakes = 0;
  /** Last queue depth reported per connection (only non-zero ones are kept). */
  private readonly depths = new Map<string, number>();
  private closed = false;

  constructor(private readonly src: AdminFeedSource) {}

  /** Listeners subscribed right now. */
  get watchers(): number {
    return this.listeners.size;
  }

  /** How many listeners this feed has on `gateway.events` (0 or 1): 0 whenever nobody watches. */
  get gatewayListeners(): number {
    return this.offEvents ? 1 : 0;
  }

  /**
   * Sends `hello` and the snapshot to the listener, then every message until the returned
   * function is called. The first subscriber starts the feed, the last one leaving stops it.
   */
  subscribe(listener: AdminListener): () => void {
    if (this.closed) return noop;
    this.safe(listener, { type: 'hello', version: ADMIN_PROTOCOL_VERSION, at: Date.now(), node: this.src.info() });
    this.snapshotTo(listener);
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.attach();
    // A baseline right away, so the first second of rates is not lost waiting for the timer.
    void this.buildCounters(false)
      .then((m) => {
        if (this.listeners.has(listener)) this.safe(listener, m);
      })
      .catch(noop);
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.detach();
    };
  }

  /** Runs one command; `from` gets a fresh snapshot for `snapshot`. */
  command(c: AdminCommand, from?: AdminListener): AdminResult {
    switch (c.cmd) {
      case 'kick': {
        const count = this.src.controls.kickPlatform(c.userID, c.platformID);
        return { type: 'result', id: c.id, ok: true, count };
      }
      case 'terminate': {
        const client = this.findByConnID(c.connID, c.userID);
        if (!client) return { type: 'result', id: c.id, ok: false, error: `no connection ${c.connID}` };
        client.terminate();
        return { type: 'result', id: c.id, ok: true, count: 1 };
      }
      case 'snapshot':
        if (from) this.snapshotTo(from);
        return { type: 'result', id: c.id, ok: true };
    }
  }

  /** Feeds failed RPCs into the stream; returns at once while nobody watches. */
  readonly onRpc: RpcObserver = (e) => {
    if (!this.offEvents || e.code === 0) return;
    this.emit({ type: 'rpc', at: Date.now(), name: e.name, path: e.path, code: e.code, ms: e.ms });
  };

  /** Drops every listener and stops. Idempotent. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.detach();
  }

  private attach(): void {
    if (this.offEvents) return;
    this.offEvents = this.src.events.on(this.onGatewayEvent);
    this.timer = setInterval(this.tick, this.src.tickMs ?? 1000);
    this.timer.unref();
  }

  private detach(): void {
    this.offEvents?.();
    this.offEvents = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.depths.clear();
  }

  private emit(m: AdminMessage): void {
    for (const l of this.listeners) this.safe(l, m);
  }

  private safe(l: AdminListener, m: AdminMessage): void {
    try {
      l(m);
    } catch {
      // A broken admin client must never break the gateway.
    }
  }

  private snapshotTo(listener: AdminListener): void {
    const registry = this.src.registry;
    const total = registry.connCount;
    let chunk: ConnInfo[] = [];
    const at = Date.now();
    for (const c of registry.allClients()) {
      chunk.push(connInfo(c));
      if (chunk.length === SNAPSHOT_CHUNK) {
        this.safe(listener, { type: 'snapshot', at, conns: chunk, total, done: false });
        chunk = [];
      }
    }
    this.safe(listener, { type: 'snapshot', at, conns: chunk, total, done: true });
  }

  private findClient(userID: string, connID: string): Conn | undefined {
    for (const c of this.src.registry.getAll(userID)) if (c.connID === connID) return c;
    return undefined;
  }

  /** O(1) with the user, else a scan: a rare admin command, never a hot path. */
  private findByConnID(connID: string, userID?: string): Conn | undefined {
    if (userID !== undefined) return this.findClient(userID, connID);
    for (const c of this.src.registry.allClients()) if (c.connID === connID) return c;
    return undefined;
  }

  // One listener for the feed's lifetime (attached and detached as watchers come and go).
  private readonly onGatewayEvent = (e: GatewayEvent): void => {
    switch (e.type) {
      case 'connect': {
        this.handshakes++;
        const c = this.findClient(e.userID, e.connID);
        this.emit({ ...e, background: c?.background ?? false });
        return;
      }
      case 'disconnect':
        this.depths.delete(e.connID);
        this.emit(e);
        return;
      case 'request':
        this.emit(e);
        if (e.errCode === 0 && (e.reqIdentifier === ReqIdentifier.WsSetBackgroundStatus || e.reqIdentifier === ReqIdentifier.WsSubUserOnlineStatus)) {
          const c = this.findClient(e.userID, e.connID);
          if (c) this.emit({ type: 'conn-update', at: e.at, connID: c.connID, userID: c.userID, background: c.background, subs: [...c.subscriptions] });
        }
        return;
      case 'presence':
        this.emit({ ...e, watchers: this.watchersOf(e.userID) });
        return;
      default:
        this.emit(e);
    }
  };

  private watchersOf(userID: string): Watcher[] {
    const out: Watcher[] = [];
    const subs = this.src.subscriptions;
    if (!subs) return out;
    for (const c of subs.subscribers(userID)) {
      if (out.length >= MAX_LISTED) break;
      out.push({ userID: c.userID, platformID: c.platformID, connID: c.connID });
    }
    return out;
  }

  private readonly tick = (): void => {
    if (this.ticking) return;
    this.ticking = true;
    void this.buildCounters(true)
      .then((m) => {
        if (this.offEvents) this.emit(m);
      })
      .catch(noop)
      .finally(() => {
        this.ticking = false;
      });
  };

  /** `withQueues`: report (and remember) queue depth changes; a baseline for one subscriber must not consume them. */
  private async buildCounters(withQueues: boolean): Promise<AdminMessage> {
    const registry = this.src.registry;
    const queues: [string, number][] = [];
    if (withQueues) {
      for (const c of registry.allClients()) {
        const d = c.queueDepth;
        const prev = this.depths.get(c.connID) ?? 0;
        if (d === prev) continue;
        queues.push([c.connID, d]);
        if (d === 0) this.depths.delete(c.connID);
        else this.depths.set(c.connID, d);
      }
    }
    const ext = (await this.src.readTotals?.()) ?? {};
    const stats = this.src.pushStats?.();
    const totals: CounterTotals = {
      framesIn: ext.framesIn ?? 0,
      framesOut: ext.framesOut ?? 0,
      pushes: stats?.pushes ?? ext.pushes ?? 0,
      pushResults: ext.pushResults ?? {},
      handshakes: this.handshakes,
      handshakeFailures: ext.handshakeFailures ?? 0,
      kicks: ext.kicks ?? 0,
      disconnects: ext.disconnects ?? 0,
    };
    return {
      type: 'counters',
      at: Date.now(),
      users: registry.userCount,
      conns: registry.connCount,
      subscriptions: this.src.subscriptions?.subscriptionCount ?? 0,
      totals,
      queues,
    };
  }
}

/** The admin view of one connection. */
export function connInfo(c: Conn): ConnInfo {
  return {
    connID: c.connID,
    userID: c.userID,
    platformID: c.platformID,
    sdkType: c.sdkType,
    gzip: c.gzip,
    background: c.background,
    remoteAddr: c.remoteAddr,
    queue: c.queueDepth,
    connectedAt: c.connectedAt,
    subs: [...c.subscriptions],
  };
}

function noop(): void {}
