/**
 * What a gateway node shows of itself: addresses, counts, read access to its connection
 * registry, presence state, push and metric totals, and its events. The admin stream, the
 * harness and tests read a node only through this, so none of them can change it behind its back.
 */
import type { MsggwConfig } from './config/config.js';
import type { Conn } from './gateway/conn.js';
import type { GatewayEvent } from './gateway/events.js';
import type { ConnRegistry } from './gateway/registry.js';
import type { WriteStats } from './gateway/transport.js';
import type { PushStats } from './hub/push.js';
import type { MetricTotals } from './metrics/metrics.js';
import type { OnlineCacheCounters } from './presence/online-cache.js';
import type { Signal } from './util/signal.js';

/** Where everything a node started listens. Absent entries were not started. */
export interface NodeAddresses {
  ws?: string;
  hub?: string;
  metrics?: string;
  /** The admin event stream (`host:port`), when enabled. */
  admin?: string;
}

/** Read access to the node's user -> connections registry. */
export type RegistryView = Pick<ConnRegistry, 'getAll' | 'allClients' | 'find' | 'platforms' | 'userIDs' | 'userCount' | 'connCount'>;

/** The node's 2005 subscriptions, read-only. */
export interface SubscriptionsView {
  /** Connections subscribed to a user's status. */
  subscribers(userID: string): ReadonlySet<Conn>;
  readonly subscriptionCount: number;
}

/** The online cache's state. */
export interface PresenceView {
  readonly counters: Readonly<OnlineCacheCounters>;
  /** Subscribed to `online_change` right now. */
  readonly isLive: boolean;
}

/** A read-only view of a started gateway node. */
export interface NodeView {
  readonly cfg: Readonly<MsggwConfig>;
  readonly addresses: Readonly<NodeAddresses>;
  /** Online users and open connections. */
  counts(): { users: number; conns: number };
  readonly registry: RegistryView;
  readonly subscriptions: SubscriptionsView;
  readonly presence: PresenceView;
  /** The gateway's events (connects, disconnects, kicks, pushes, presence...). */
  readonly events: Pick<Signal<GatewayEvent>, 'on' | 'active'>;
  /** Counters of the hub's push delivery. */
  pushStats(): Readonly<PushStats>;
  /** Counters of the gateway's coalesced write path (frames, flushes). */
  writeStats(): Readonly<WriteStats>;
  /** Cumulative metric totals (frames, push results, kicks, handshake failures, disconnects). */
  metricTotals(): Promise<MetricTotals>;
}

/** What the admin stream may do to a node besides reading it. */
export interface NodeControls {
  /** Kicks a user's connections on one platform; returns how many were closed. */
  kickPlatform(userID: string, platformID: number): number;
}
