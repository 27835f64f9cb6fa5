import type { Server } from '@grpc/grpc-js';
import type { MsggwConfig } from './config/config.js';
import type { Discovery } from './discovery/discovery.js';
import { createDiscovery, detectRegisterIP } from './discovery/index.js';
import { createDispatcher } from './gateway/dispatcher.js';
import { Gateway } from './gateway/gateway.js';
import type { Connection } from './gateway/connection.js';
import type { ApiCallEvent } from './gateway/events.js';
import { hubHandlers } from './hub/hub.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { OnlineCache } from './presence/online-cache.js';
import { StatusReporter } from './presence/status-reporter.js';
import { Webhooks } from './presence/webhooks.js';
import { webhookFailureReporter } from './presence/webhook-failures.js';
import { presenceWebhookTriggers } from './presence/webhook-triggers.js';
import { PresenceSelfHeal } from './presence/self-heal.js';
import { NodePresence } from './presence/node-presence.js';
import { Subscriptions } from './gateway/subscriptions.js';
import { internalContext } from './rpc/context.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';
import { startNodeAdmin, type NodeAdmin } from './admin/node-admin.js';
import { PushDelivery } from './hub/push.js';
import { platformName } from './protocol/platforms.js';
import { connectRedis, PROCESS_MOCK_KEY, type RedisClient } from './redis/connect.js';
import { redisSettingsOf } from './startup/backends.js';
import { EtcdDiscovery } from './discovery/etcd.js';
import { PROMETHEUS_TTL_SECONDS, prometheusDiscoveryKey, prometheusTarget } from './discovery/prometheus.js';
import { ServicePool } from './rpc/pool.js';
import { implement, listenGrpc, stopGrpc, type RpcObserver } from './rpc/server.js';
import {
  authService,
  msgGatewayService,
  msgService,
  pushService,
  userService,
  type AuthMethods,
  type MsgGatewayMethods,
  type MsgMethods,
  type PushMsgServiceMethods,
  type UserMethods,
  type GrpcService,
  type Methods,
} from './rpc/services.js';
import type { NodeAddresses, NodeView } from './node-view.js';

export type { NodeAddresses, NodeView } from './node-view.js';

export interface NodeOptions {
  /** Share a registry with other nodes and the simulators in this process; the caller closes it. */
  discovery?: Discovery;
  /**
   * Which embedded (ioredis-mock) Redis to use: nodes of one process with the same key share one
   * in-memory Redis, like clients of one server. Default: one per process.
   */
  redisMockKey?: number;
  log?: (line: string) => void;
}

/** The parts a started node is made of; they exist together or not at all. */
interface Parts {
  gateway: Gateway;
  delivery: PushDelivery;
  reporter: StatusReporter;
  onlineCache: OnlineCache;
  subscriptions: Subscriptions;
  webhooks: Webhooks | undefined;
  /** The node's user set and heartbeat in Redis (undefined when cfg.presence.nodeTtlMs is 0). */
  ledger: NodePresence | undefined;
  /** The ledger's Redis connection. */
  ledgerRedis: RedisClient | undefined;
}

/**
 * One gateway node from config: the WebSocket gateway, its hub (msgGateway gRPC), presence and
 * metrics, wired to the OpenIM services it finds through discovery (or cfg.serviceAddrs). It
 * knows nothing of the simulators: harness/ composes it with them. start()/close(); read it
 * through view().
 */
export class GatewayNode {
  private readonly addrs: NodeAddresses = {};
  private readonly discovery: Discovery;
  private readonly ownsDiscovery: boolean;
  private readonly grpcServers: Server[] = [];
  private readonly pools: { close(): void }[] = [];
  private readonly rpcObservers: RpcObserver[] = [];
  private closing: Promise<void> | undefined;
  private unregisterHub: (() => Promise<void>) | undefined;
  private unregisterPrometheus: (() => Promise<void>) | undefined;
  /** Prometheus series of this node (its own registry). */
  private readonly metrics = new GatewayMetrics();
  private metricsServer: MetricsServer | undefined;
  private parts: Parts | undefined;
  private adminStream: NodeAdmin | undefined;
  private nodeView: NodeView | undefined;
  private readonly mockKey: number;
  /** The host other processes reach this node's gRPC servers at. */
  private readonly registerIP: string;
  /** The host Prometheus reaches this node's /metrics at (it binds listenIP, not the hub's address). */
  private readonly metricsRegisterIP: string;

  constructor(
    readonly cfg: MsggwConfig,
    private readonly opts: NodeOptions = {},
  ) {
    this.discovery = opts.discovery ?? createDiscovery(cfg.discovery, { log: opts.log });
    this.ownsDiscovery = !opts.discovery;
    this.registerIP = detectRegisterIP(cfg.registerIP, cfg.hubListenIP);
    this.metricsRegisterIP = detectRegisterIP(cfg.registerIP, cfg.listenIP);
    this.mockKey = opts.redisMockKey ?? PROCESS_MOCK_KEY;
    this.rpcObservers.push(this.metrics.rpcObserver());
  }

  /** Adds an observer of every RPC served or made (metrics, the admin feed). Call before start(). */
  observeRpc(o: RpcObserver): void {
    this.rpcObservers.push(o);
  }

  /** The admin event stream (its feed, and its server when cfg.admin.enable), once started. */
  get admin(): NodeAdmin | undefined {
    return this.adminStream;
  }

  /** Starts the gateway, hub, presence, metrics and admin stream; resolves with their addresses. */
  async start(): Promise<Readonly<NodeAddresses>> {
    await this.startGateway();
    this.adminStream = await startNodeAdmin(this.view(), { kickPlatform: (u, p) => this.requireParts().gateway.registry.kickPlatform(u, p, 'kicked by an admin') }, (o) => this.observeRpc(o), this.opts.log);
    this.addrs.admin = this.adminStream.address;
    return this.addrs;
  }

  /**
   * Reports a REST API call served beside this node (harness wires the simulators' API here), so
   * the admin stream and the TUI show it with the gateway's own events. Free when nobody watches.
   */
  reportApiCall(e: Omit<ApiCallEvent, 'type'>): void {
    const events = this.parts?.gateway.events;
    if (events?.active) events.emit({ type: 'api', ...e });
  }

  /** Sends the presence changes waiting for the next merge interval now (tests, orderly hand-over). */
  flushPresence(): Promise<void> {
    return this.requireParts().reporter.flush();
  }

  /** The node seen from outside, read-only. Throws before start(). */
  view(): NodeView {
    if (this.nodeView) return this.nodeView;
    const { gateway, delivery, onlineCache, subscriptions } = this.requireParts();
    const metrics = this.metrics;
    this.nodeView = {
      cfg: this.cfg,
      addresses: this.addrs,
      counts: () => ({ users: gateway.registry.userCount, conns: gateway.registry.connCount }),
      registry: gateway.registry,
      subscriptions,
      presence: onlineCache,
      events: gateway.events,
      pushStats: () => delivery.stats,
      writeStats: () => gateway.writeStats,
      metricTotals: () => metrics.totals(),
    };
    return this.nodeView;
  }

  private requireParts(): Parts {
    if (!this.parts) throw new Error('the gateway node is not started');
    return this.parts;
  }

  private observer: RpcObserver = (e) => {
    for (const o of this.rpcObservers) o(e);
  };

  private pool<M extends Methods<M>>(svc: GrpcService<M>, name: string, addr: string | undefined): ServicePool<M> {
    const p = new ServicePool(svc, name, addr ? { addrs: [addr] } : { discovery: this.discovery }, this.observer, { inProcess: this.cfg.inProcessRpc });
    this.pools.push(p);
    return p;
  }

  private async startGateway(): Promise<void> {
    const cfg = this.cfg;
    const auth = this.pool<AuthMethods>(authService, cfg.serviceNames.auth, cfg.serviceAddrs.auth);
    const msg = this.pool<MsgMethods>(msgService, cfg.serviceNames.msg, cfg.serviceAddrs.msg);
    const push = this.pool<PushMsgServiceMethods>(pushService, cfg.serviceNames.push, cfg.serviceAddrs.push);
    const peers = this.pool<MsgGatewayMethods>(msgGatewayService, cfg.serviceNames.messageGateway, undefined);

    const user = this.pool<UserMethods>(userService, cfg.serviceNames.user, cfg.serviceAddrs.user);
    const subs = new Subscriptions({ perConn: cfg.maxSubscriptionsPerConn, perRequest: cfg.maxSubscribeIDsPerRequest });
    let gatewayRef: Gateway | undefined;
    const tell = (userID: string, platformIDs: number[]): void => {
      const told = subs.notify(userID, platformIDs);
      if (gatewayRef?.events.active) gatewayRef.events.emit({ type: 'presence', at: Date.now(), userID, platformIDs, subscribers: told });
    };
    // Set once the hub address (the node's identity) is known; see NodePresence.
    let ledger: NodePresence | undefined;
    let reporterRef: StatusReporter | undefined;
    let selfHeal: PresenceSelfHeal | undefined;
    const cache = new OnlineCache({
      createSubscriber: () => connectRedis(redisSettingsOf(cfg), { mockKey: this.mockKey, onError: (e) => this.opts.log?.(`redis (online_change): ${e.message}`) }),
      load: async (userIDs) => {
        const r = await (await user.pick()).getUserStatus({ userIDs }, internalContext());
        return new Map(r.statusList.map((st) => [st.userID, st.platformIDs]));
      },
      onChange: (userID, platformIDs) => {
        selfHeal?.onOnlineChange(userID, platformIDs);
        tell(userID, platformIDs);
      },
      // Redis came back, possibly without its data (a restart from an old snapshot or empty):
      // re-report every local user now rather than at the next renewal, and, since the changes
      // published while Redis was away are lost, tell every 2005 watcher the state as it is now.
      // The re-tell waits (briefly) for the renewal to land: read before it, a Redis that lost the
      // last writes (a failover, an empty restart) would tell watchers a local user is offline.
      onResync: () => {
        reporterRef?.renew();
        void ledger?.heartbeat().catch(() => undefined);
        const renewed = reporterRef ? settleWithin(reporterRef.flush(), RESYNC_RENEW_WAIT_MS) : Promise.resolve();
        void renewed
          .then(() => subs.retell(cache, tell))
          .catch((e: unknown) => this.opts.log?.(`presence resync: ${e instanceof Error ? e.message : String(e)}`));
      },
      slots: cfg.onlineCache.slots,
      slotSize: cfg.onlineCache.slotSize,
      expireMs: cfg.onlineCache.expireMs,
      maxBytes: cfg.onlineCache.maxBytes,
    });
    await cache.start();
    const dispatch = createDispatcher({ msg, push, verboseErrors: cfg.verboseErrors, subscribe: (client, data) => subs.handle2005(client, data, cache) });
    const gateway = new Gateway({
      listenIP: cfg.listenIP,
      port: cfg.wsPort,
      maxConnNum: cfg.websocketMaxConnNum,
      handshakeTimeoutMs: cfg.websocketTimeout * 1000,
      maxFrameBytes: cfg.websocketMaxMsgLen,
      maxInflatedBytes: 1024 * 1024,
      writeQueueFrames: cfg.writeQueueFrames,
      writeQueueBytes: cfg.writeQueueBytes,
      inboundBytesPerSec: cfg.inboundBytesPerSec,
      readDeadlineMs: cfg.readDeadlineMs,
      webPingIntervalMs: cfg.webPingIntervalMs,
      multiLoginPolicy: cfg.multiLogin.policy,
      handleRequest: dispatch,
      log: this.opts.log,
      auth: {
        parseToken: async (token, ctx) => (await auth.pick()).parseToken({ token }, ctx, { timeoutMs: cfg.websocketTimeout * 1000 }),
        kickTokens: async (tokens, ctx) => {
          await (await auth.pick()).kickTokens({ tokens }, ctx);
        },
        invalidateToken: async (req, ctx) => {
          await (await auth.pick()).invalidateToken(req, ctx);
        },
      },
      onRegistered: (client) => void this.checkOtherNodes(client, peers),
      onUnregistered: (client) => subs.removeClient(client),
      counters: { frameIn: (id) => this.metrics.countFrameIn(id), frameOut: (n) => this.metrics.countFrameOut(n) },
    });
    gatewayRef = gateway;
    this.metrics.attachGateway(gateway.events, () => ({ users: gateway.registry.userCount, conns: gateway.registry.connCount, pushQueue: this.parts?.delivery.queueDepth ?? 0 }));
    const webhooks = this.wireWebhooks(gateway);
    const reporter = new StatusReporter({
      send: async (batch) => {
        await (await user.pick()).setUserOnlineStatus({ status: batch }, internalContext());
      },
      onlineNow: function* () {
        for (const id of gateway.registry.userIDs()) yield { userID: id, platformIDs: gateway.registry.platforms(id) };
      },
      workers: cfg.presence.workers,
      batchSize: cfg.presence.batchSize,
      mergeIntervalMs: cfg.presence.mergeIntervalMs,
      renewIntervalMs: cfg.presence.renewIntervalMs,
      onRenew: webhooks?.relist,
    });
    reporterRef = reporter;
    selfHeal = new PresenceSelfHeal((userID) => gateway.registry.platforms(userID), (change) => reporter.report(change), webhooks?.relist);
    gateway.registry.onChange = (change) => {
      reporter.report(change);
      ledger?.track(change.userID);
    };
    reporter.start();
    const delivery = new PushDelivery(gateway.registry, {
      limits: cfg.pushQueue,
      onResult: (code, n) => this.metrics.countPushResult(code, n),
      onDrop: (drop) => this.metrics.countPushDrop(drop.reason),
      events: gateway.events,
    });
    // Every part exists before the first await that can fail, so close() can stop them all.
    // No ledger on the embedded Redis: it lives in this process, so every node that shares it dies
    // with it and none is left to clean up after another; and ioredis-mock copies a whole hash on
    // every HSET, which made the ledger's per-connect write O(users) (the in-process connect
    // storm's top self time: ioredis-mock's get/set, 27% of its profile at 2000 users).
    const ledgerRedis = cfg.presence.nodeTtlMs > 0 && redisSettingsOf(cfg) !== undefined ? connectRedis(redisSettingsOf(cfg), { mockKey: this.mockKey, onError: (e) => this.opts.log?.(`redis (presence ledger): ${e.message}`) }) : undefined;
    this.parts = { gateway, delivery, reporter, onlineCache: cache, subscriptions: subs, webhooks: webhooks?.hooks, ledger: undefined, ledgerRedis };
    const wsPort = await gateway.start();
    this.addrs.ws = `ws://${cfg.listenIP}:${wsPort}/`;

    const hub = hubHandlers({
      registry: gateway.registry,
      remoteLogin: (login, ctx) => gateway.multiLogin.apply(login, ctx, 'remote-login'),
      delivery,
      adminUserIDs: cfg.adminUserIDs,
    });
    const { server, port } = await listenGrpc(cfg.hubListenIP, cfg.hubPort, (s) =>
      s.addService(msgGatewayService.definition, implement<MsgGatewayMethods>(msgGatewayService, hub, this.observer)),
    );
    this.grpcServers.push(server);
    this.addrs.hub = `${this.registerIP}:${port}`;
    if (ledgerRedis) {
      ledger = new NodePresence({
        redis: ledgerRedis,
        nodeID: this.addrs.hub,
        ttlMs: cfg.presence.nodeTtlMs,
        localUsers: function* () {
          for (const id of gateway.registry.userIDs()) yield { userID: id, platformIDs: gateway.registry.platforms(id) };
        },
        localPlatforms: (userID) => gateway.registry.platforms(userID),
        report: (change) => reporter.report(change),
        log: this.opts.log,
      });
      this.parts.ledger = ledger;
      await ledger.start();
    }
    this.unregisterHub = await this.discovery.register(cfg.serviceNames.messageGateway, this.addrs.hub);
    if (cfg.metricsEnable) {
      this.metricsServer = await startMetricsServer(this.metrics.registry, { host: cfg.listenIP, port: cfg.metricsPort });
      this.addrs.metrics = `${cfg.listenIP}:${this.metricsServer.port}`;
      if (cfg.autoSetPorts && this.discovery instanceof EtcdDiscovery) {
        // As upstream's startrpc: an auto-assigned metrics port is only findable through etcd.
        const key = prometheusDiscoveryKey(this.discovery.rootDirectory, cfg.serviceNames.messageGateway, cfg.instanceIndex);
        this.unregisterPrometheus = await this.discovery.putWithLease(key, prometheusTarget(this.metricsRegisterIP, this.metricsServer.port), PROMETHEUS_TTL_SECONDS);
      }
    }
  }

  /** afterUserOnline/Offline/KickOff callbacks from the gateway's events, when configured. */
  private wireWebhooks(gateway: Gateway): { hooks: Webhooks; relist: (userID: string) => void } | undefined {
    const w = this.cfg.webhooks;
    if (!w.url || !(w.afterUserOnline.enable || w.afterUserOffline.enable || w.afterUserKickOff.enable)) return undefined;
    const onResult = webhookFailureReporter({ log: (line) => this.opts.log?.(line), count: (callback) => this.metrics.countWebhookFailure(callback) });
    const hooks = new Webhooks({ ...w, queueSize: w.queueSize, onResult });
    if (w.afterUserKickOff.enable) {
      this.opts.log?.(`${this.cfg.origins?.['webhooks.afterUserKickOff'] ?? 'webhooks afterUserKickOff'}: enabled, but upstream's msggateway never posts it and neither does msggw (a kick posts afterUserOffline)`);
    }
    const triggers = presenceWebhookTriggers(hooks, gateway.registry);
    gateway.events.on(triggers.onEvent);
    return { hooks, relist: triggers.relist };
  }

  /** Upstream's cross-node multi-login: every OTHER gateway applies the policy too (3 calls at a time). */
  private async checkOtherNodes(client: Connection, peers: ServicePool<MsgGatewayMethods>): Promise<void> {
    if (this.cfg.multiLogin.policy === 0) return;
    const others = (await peers.all()).filter((p) => p.address !== this.addrs.hub);
    const ctx = { operationID: client.operationID, opUserID: client.userID, platform: platformName(client.platformID), connID: client.connID };
    for (let i = 0; i < others.length; i += 3) {
      await Promise.all(
        others.slice(i, i + 3).map((p) =>
          p.MultiTerminalLoginCheck({ userID: client.userID, platformID: client.platformID, token: client.token }, ctx, { timeoutMs: 5000 }).catch((e: unknown) => {
            this.opts.log?.(`MultiTerminalLoginCheck on ${p.address} failed: ${(e as Error).message}`);
          }),
        ),
      );
    }
  }

  /**
   * Stops in a known order: leave discovery, stop accepting, close connections, report them
   * offline, stop gRPC, close clients. Idempotent. The services it reports to must still run.
   */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // Leave discovery as a gateway first so no new pushes arrive; the services it reports to
    // (user, for the final offline batch) stay registered until the gateway is done.
    await this.unregisterHub?.().catch(() => undefined);
    await this.unregisterPrometheus?.().catch(() => undefined);
    await this.adminStream?.close();
    await this.metricsServer?.close();
    const p = this.parts;
    await p?.gateway.close();
    // Every connection just went offline: report it before the user service goes away.
    await p?.reporter.close({ reportOffline: true });
    // Reported offline above: nobody needs to sweep this node's set.
    await p?.ledger?.close({ graceful: true });
    p?.ledgerRedis?.disconnect();
    await p?.onlineCache.close();
    await p?.webhooks?.close({ drainMs: 1000 });
    await Promise.all(this.grpcServers.map((s) => stopGrpc(s)));
    for (const pool of this.pools) pool.close();
    if (this.ownsDiscovery) await this.discovery.close();
  }
}

/** How long a resync's re-tell waits for the local users' renewal to reach Redis. */
const RESYNC_RENEW_WAIT_MS = 2000;

/** Resolves when `p` settles or after `ms`, whichever comes first; never rejects. */
function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    p.then(done, done);
  });
}
