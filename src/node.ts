import { randomInt } from 'node:crypto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { MsggwConfig } from './config/config.js';
import type { Discovery } from './discovery/discovery.js';
import { createDiscovery, detectRegisterIP } from './discovery/index.js';
import { createDispatcher } from './gateway/dispatcher.js';
import { WsGateway } from './gateway/ws-server.js';
import type { Client } from './gateway/client.js';
import { hubHandlers } from './hub/hub.js';
import { GatewayMetrics } from './metrics/metrics.js';
import { OnlineCache } from './online/online-cache.js';
import { StatusReporter } from './online/status-reporter.js';
import { Webhooks } from './online/webhooks.js';
import { Subscriptions } from './gateway/subscriptions.js';
import { internalContext } from './rpc/context.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';
import { startNodeAdmin, type NodeAdmin } from './admin/node-admin.js';
import { PushDelivery } from './hub/push.js';
import { platformName } from './protocol/platforms.js';
import { connectRedis, type RedisClient } from './redis/connect.js';
import { probeBackends, redisSettingsOf } from './startup/backends.js';
import { assertNamesFree } from './discovery/guard.js';
import { EtcdDiscovery } from './discovery/etcd.js';
import { PROMETHEUS_TTL_SECONDS, prometheusDiscoveryKey, prometheusTarget } from './discovery/prometheus.js';
import { ServicePool } from './rpc/pool.js';
import { implement, type RpcObserver } from './rpc/server.js';
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
import { authHandlers } from '../simulators/services/auth.js';
import { MsgStore } from '../simulators/services/msg-store.js';
import { msgHandlers } from '../simulators/services/msg.js';
import { pushHandlers, type DelPushTokenCall } from '../simulators/services/push.js';
import { userHandlers } from '../simulators/services/user.js';

/** The embedded Redis all nodes of this process share unless told otherwise. */
const PROCESS_MOCK_KEY = randomInt(20_000, 60_000);

/** Where everything a node started listens. Absent entries were not started. */
export interface NodeAddresses {
  ws?: string;
  hub?: string;
  metrics?: string;
  /** The admin event stream (`host:port`), when enabled. */
  admin?: string;
  auth?: string;
  user?: string;
  msg?: string;
  push?: string;
}

export interface NodeOptions {
  /** Run the gateway (WebSocket server + hub). Default true. */
  gateway?: boolean;
  /** Share a registry with other nodes in this process (tests, multi-node harness). */
  discovery?: Discovery;
  /**
   * Which embedded (ioredis-mock) Redis to use: nodes of one process with the same key share one
   * in-memory Redis, like clients of one server. Default: one per process.
   */
  redisMockKey?: number;
  log?: (line: string) => void;
}

/**
 * The composition root: builds one msggw node from config (gateway, hub, and unless told
 * otherwise the auth/user/msg/push simulators) and tears it down in a known order.
 */
export class GatewayNode {
  readonly addresses: NodeAddresses = {};
  gateway: WsGateway | undefined;
  delivery: PushDelivery | undefined;
  /** DelUserPushToken calls seen by the push simulator. */
  readonly pushCalls: DelPushTokenCall[] = [];
  /** Redis of the simulators (ioredis-mock unless cfg.redisUrl or cfg.redis). */
  redis: RedisClient | undefined;
  msgStore: MsgStore | undefined;
  readonly discovery: Discovery;
  private readonly ownsDiscovery: boolean;
  private readonly grpcServers: Server[] = [];
  private readonly pools: { close(): void }[] = [];
  private readonly unregister: (() => Promise<void>)[] = [];
  private readonly rpcObservers: RpcObserver[] = [];
  private closing: Promise<void> | undefined;
  private unregisterHub: (() => Promise<void>) | undefined;
  /** Prometheus series of this node (its own registry). */
  readonly metrics = new GatewayMetrics();
  private metricsServer: MetricsServer | undefined;
  reporter: StatusReporter | undefined;
  onlineCache: OnlineCache | undefined;
  subscriptions: Subscriptions | undefined;
  webhooks: Webhooks | undefined;
  /** The admin event stream (feed, and its server when cfg.admin.enable). */
  admin: NodeAdmin | undefined;
  private readonly mockKey: number;
  /** The host other processes reach this node's gRPC servers at. */
  private readonly registerIP: string;

  constructor(
    readonly cfg: MsggwConfig,
    private readonly opts: NodeOptions = {},
  ) {
    this.discovery = opts.discovery ?? createDiscovery(cfg.discovery, { log: opts.log });
    this.ownsDiscovery = !opts.discovery;
    this.registerIP = detectRegisterIP(cfg.registerIP, cfg.listenIP);
    this.mockKey = opts.redisMockKey ?? PROCESS_MOCK_KEY;
    this.rpcObservers.push(this.metrics.rpcObserver());
  }

  /** Adds an observer of every RPC served or made (metrics). Call before start(). */
  observeRpc(o: RpcObserver): void {
    this.rpcObservers.push(o);
  }

  async start(): Promise<NodeAddresses> {
    const cfg = this.cfg;
    await probeBackends(cfg, this.discovery);
    if (cfg.simulators) await this.startSimulators();
    if (this.opts.gateway !== false) await this.startGateway();
    if (this.gateway) {
      this.admin = await startNodeAdmin(this, this.opts.log);
      this.addresses.admin = this.admin.address;
    }
    return this.addresses;
  }

  private observer: RpcObserver = (e) => {
    for (const o of this.rpcObservers) o(e);
  };

  private pool<M extends Methods<M>>(svc: GrpcService<M>, name: string, addr: string | undefined): ServicePool<M> {
    const p = new ServicePool(svc, name, addr ? { addrs: [addr] } : { discovery: this.discovery }, this.observer);
    this.pools.push(p);
    return p;
  }

  private async serveGrpc(port: number, add: (s: Server) => void): Promise<string> {
    const server = new Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    add(server);
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${this.cfg.listenIP}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.grpcServers.push(server);
    return `${this.registerIP}:${bound}`;
  }

  private async register(serviceName: string, addr: string): Promise<() => Promise<void>> {
    const off = await this.discovery.register(serviceName, addr);
    this.unregister.push(off);
    return off;
  }

  private async startSimulators(): Promise<void> {
    const cfg = this.cfg;
    // Checked before anything listens or registers, so a refusal leaves nothing behind.
    await assertNamesFree(this.discovery, [
      { role: 'auth', name: cfg.serviceNames.auth },
      { role: 'user', name: cfg.serviceNames.user },
      { role: 'msg', name: cfg.serviceNames.msg },
      { role: 'push', name: cfg.serviceNames.push },
    ]);
    this.redis = connectRedis(redisSettingsOf(cfg), { mockKey: this.mockKey, onError: (e) => this.opts.log?.(`redis: ${e.message}`) });
    const store = (this.msgStore = new MsgStore(this.redis));
    for (const [groupID, members] of Object.entries(cfg.groups)) await store.setGroup(groupID, members);
    const hubs = this.pool<MsgGatewayMethods>(msgGatewayService, cfg.serviceNames.messageGateway, undefined);

    const auth = authHandlers({ redis: this.redis, secret: cfg.secret, expireDays: cfg.tokenExpireDays, acceptUnseen: true });
    this.addresses.auth = await this.serveGrpc(cfg.simulatorPorts.auth, (s) => s.addService(authService.definition, implement<AuthMethods>(authService, auth, this.observer)));
    const user = userHandlers(this.redis);
    this.addresses.user = await this.serveGrpc(cfg.simulatorPorts.user, (s) => s.addService(userService.definition, implement<UserMethods>(userService, user, this.observer)));
    const msg = msgHandlers({
      store,
      log: this.opts.log,
      // Every gateway node delivers to its own connections, as upstream's push service does.
      push: async (msgData, userIDs, ctx) => {
        const nodes = await hubs.all();
        await Promise.all(
          nodes.map((hub) =>
            hub.SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs: userIDs }, ctx, { timeoutMs: 10_000 }).catch((e: unknown) => {
              this.opts.log?.(`push to gateway ${hub.address} failed: ${(e as Error).message}`);
            }),
          ),
        );
      },
    });
    this.addresses.msg = await this.serveGrpc(cfg.simulatorPorts.msg, (s) => s.addService(msgService.definition, implement<MsgMethods>(msgService, msg, this.observer)));
    const push = pushHandlers(this.pushCalls);
    this.addresses.push = await this.serveGrpc(cfg.simulatorPorts.push, (s) => s.addService(pushService.definition, implement<PushMsgServiceMethods>(pushService, push, this.observer)));

    await this.register(cfg.serviceNames.auth, this.addresses.auth);
    await this.register(cfg.serviceNames.user, this.addresses.user);
    await this.register(cfg.serviceNames.msg, this.addresses.msg);
    await this.register(cfg.serviceNames.push, this.addresses.push);
  }

  private async startGateway(): Promise<void> {
    const cfg = this.cfg;
    const auth = this.pool<AuthMethods>(authService, cfg.serviceNames.auth, cfg.serviceAddrs.auth);
    const msg = this.pool<MsgMethods>(msgService, cfg.serviceNames.msg, cfg.serviceAddrs.msg);
    const push = this.pool<PushMsgServiceMethods>(pushService, cfg.serviceNames.push, cfg.serviceAddrs.push);
    const peers = this.pool<MsgGatewayMethods>(msgGatewayService, cfg.serviceNames.messageGateway, undefined);

    const user = this.pool<UserMethods>(userService, cfg.serviceNames.user, cfg.serviceAddrs.user);
    const subs = (this.subscriptions = new Subscriptions());
    const cache = (this.onlineCache = new OnlineCache({
      createSubscriber: () => connectRedis(redisSettingsOf(cfg), { mockKey: this.mockKey, onError: (e) => this.opts.log?.(`redis (online_change): ${e.message}`) }),
      load: async (userIDs) => {
        const r = await (await user.pick()).getUserStatus({ userIDs }, internalContext());
        return new Map(r.statusList.map((st) => [st.userID, st.platformIDs]));
      },
      onChange: (userID, platformIDs) => {
        const told = subs.notify(userID, platformIDs);
        if (this.gateway?.events.active) this.gateway.events.emit({ type: 'presence', at: Date.now(), userID, platformIDs, subscribers: told });
      },
      slots: cfg.onlineCache.slots,
      slotSize: cfg.onlineCache.slotSize,
      expireMs: cfg.onlineCache.expireMs,
    }));
    await cache.start();
    const dispatch = createDispatcher({ msg, push, subscribe: (client, data) => subs.handle2005(client, data, cache) });
    const gateway = (this.gateway = new WsGateway({
      listenIP: cfg.listenIP,
      port: cfg.wsPort,
      maxConnNum: cfg.websocketMaxConnNum,
      handshakeTimeoutMs: cfg.websocketTimeout * 1000,
      maxFrameBytes: cfg.maxFrameBytes,
      maxInflatedBytes: 1024 * 1024,
      writeQueueFrames: cfg.writeQueueFrames,
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
    }));
    this.metrics.attachGateway(gateway.events, () => ({ users: gateway.users.userCount, conns: gateway.users.connCount }));
    const reporter = (this.reporter = new StatusReporter({
      send: async (batch) => {
        await (await user.pick()).setUserOnlineStatus({ status: batch }, internalContext());
      },
      onlineNow: function* () {
        for (const id of gateway.users.userIDs()) yield { userID: id, platformIDs: gateway.users.platforms(id) };
      },
      workers: cfg.presence.workers,
      batchSize: cfg.presence.batchSize,
      mergeIntervalMs: cfg.presence.mergeIntervalMs,
      renewIntervalMs: cfg.presence.renewIntervalMs,
    }));
    gateway.users.onChange = (change) => reporter.report(change);
    reporter.start();
    this.wireWebhooks(gateway);
    const wsPort = await gateway.start();
    this.addresses.ws = `ws://${cfg.listenIP}:${wsPort}/`;

    this.delivery = new PushDelivery(gateway.users, 16_384, (code) => this.metrics.countPushResult(code), gateway.events);
    const hub = hubHandlers({ gateway, delivery: this.delivery, adminUserIDs: cfg.adminUserIDs });
    this.addresses.hub = await this.serveGrpc(cfg.hubPort, (s) => s.addService(msgGatewayService.definition, implement<MsgGatewayMethods>(msgGatewayService, hub, this.observer)));
    this.unregisterHub = await this.register(cfg.serviceNames.messageGateway, this.addresses.hub);
    if (cfg.metricsEnable) {
      this.metricsServer = await startMetricsServer(this.metrics.registry, { host: cfg.listenIP, port: cfg.metricsPort });
      this.addresses.metrics = `${cfg.listenIP}:${this.metricsServer.port}`;
      if (cfg.autoSetPorts && this.discovery instanceof EtcdDiscovery) {
        // As upstream's startrpc: an auto-assigned metrics port is only findable through etcd.
        const key = prometheusDiscoveryKey(this.discovery.rootDirectory, cfg.serviceNames.messageGateway, cfg.instanceIndex);
        this.unregister.push(await this.discovery.putWithLease(key, prometheusTarget(this.registerIP, this.metricsServer.port), PROMETHEUS_TTL_SECONDS));
      }
    }
  }

  /** afterUserOnline/Offline/KickOff callbacks from the gateway's events, when configured. */
  private wireWebhooks(gateway: WsGateway): void {
    const w = this.cfg.webhooks;
    if (!w.url || !(w.afterUserOnline.enable || w.afterUserOffline.enable || w.afterUserKickOff.enable)) return;
    const hooks = (this.webhooks = new Webhooks({ ...w, queueSize: w.queueSize }));
    gateway.events.on((e) => {
      if (e.type === 'connect') {
        const c = gateway.users.getAll(e.userID).find((x) => x.connID === e.connID);
        hooks.afterUserOnline({ userID: e.userID, platformID: e.platformID, isAppBackground: c?.background ?? false, connID: e.connID });
      } else if (e.type === 'disconnect' && e.reason !== 'kicked') {
        hooks.afterUserOffline({ userID: e.userID, platformID: e.platformID, connID: e.connID });
      } else if (e.type === 'kick') {
        hooks.afterUserKickOff({ userID: e.userID, platformID: e.platformID });
      }
    });
  }

  /** Upstream's cross-node multi-login: every OTHER gateway applies the policy too (3 calls at a time). */
  private async checkOtherNodes(client: Client, peers: ServicePool<MsgGatewayMethods>): Promise<void> {
    if (this.cfg.multiLogin.policy === 0) return;
    const others = (await peers.all()).filter((p) => p.address !== this.addresses.hub);
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
   * Stops in a known order: leave discovery, stop accepting, close connections, stop gRPC,
   * close clients and Redis. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    // Leave discovery as a gateway first so no new pushes arrive; the services it reports to
    // (user, for the final offline batch) stay registered until the gateway is done.
    await this.unregisterHub?.().catch(() => undefined);
    await this.admin?.close();
    await this.metricsServer?.close();
    await this.gateway?.close();
    // Every connection just went offline: report it before the user service goes away.
    await this.reporter?.close({ reportOffline: true });
    await this.onlineCache?.close();
    await this.webhooks?.close({ drainMs: 1000 });
    for (const u of this.unregister) await u().catch(() => undefined);
    await Promise.all(
      this.grpcServers.map(
        (s) =>
          new Promise<void>((r) => {
            // In-flight calls get a moment to finish; then the server is stopped regardless.
            const t = setTimeout(() => {
              s.forceShutdown();
              r();
            }, 2000);
            s.tryShutdown(() => {
              clearTimeout(t);
              r();
            });
          }),
      ),
    );
    for (const p of this.pools) p.close();
    if (this.redis) this.redis.disconnect();
    if (this.ownsDiscovery) await this.discovery.close();
  }
}
