import type { RedisSettings } from '../redis/connect.js';

/**
 * Everything a gateway node (and the simulators `serve` starts beside it) is configured by.
 * Defaults follow upstream's shipped config so that `msggw serve` with no flags behaves like a
 * stock OpenIM msggateway, except that it listens on loopback and embeds its dependencies.
 */
export interface WebhookHook {
  enable: boolean;
  /** Seconds before the POST is abandoned. */
  timeout: number;
}

export interface MsggwConfig {
  /** Address the WebSocket, metrics and admin servers bind to. */
  listenIP: string;
  /**
   * Address the hub gRPC server binds to (default loopback, whatever listenIP says): like upstream's
   * internal services it trusts the opUserID metadata, so whoever reaches it can push to users, kick
   * them and read their live tokens.
   */
  hubListenIP: string;
  /** Address the simulated auth/user/msg/push gRPC services bind to (default loopback; the auth simulator mints tokens for anyone). */
  simulatorsListenIP: string;
  /** WebSocket long-connection port (0 = any free port). */
  wsPort: number;
  /** Hub gRPC port (openim.msggateway.msgGateway). */
  hubPort: number;
  /** Prometheus /metrics port; `metricsEnable: false` turns it off. */
  metricsPort: number;
  metricsEnable: boolean;
  /** The IP registered in discovery; '' = first non-loopback IPv4 (or listenIP when that is loopback). */
  registerIP: string;

  websocketMaxConnNum: number;
  /**
   * Largest accepted incoming frame, bytes: `longConnSvr.websocketMaxMsgLen`. Upstream reads the
   * key but ignores it (its read limit is the constant maxMessageSize, 51200; open PR #3769); msggw
   * honours it. Default 51200, upstream's effective limit.
   */
  websocketMaxMsgLen: number;
  /** Handshake timeout, seconds. */
  websocketTimeout: number;
  /** Read deadline since the last frame/ping/pong, ms. */
  readDeadlineMs: number;
  /** Interval of server pings to Web clients, ms. */
  webPingIntervalMs: number;
  /** Frames a connection may owe its peer (measured after each flush) before it is closed as a slow consumer. */
  writeQueueFrames: number;
  /** Bytes a connection may owe its peer beyond the frame in flight before it is closed as a slow consumer. */
  writeQueueBytes: number;
  /** Bytes (as received plus as inflated) one connection's requests may cost per second; beyond, its reads wait. */
  inboundBytesPerSec: number;
  /** Users one connection may watch (2005) at once; more is refused with ArgsError. */
  maxSubscriptionsPerConn: number;
  /** User IDs (subscribe + unsubscribe) one 2005 request may name; more is refused with ArgsError. */
  maxSubscribeIDsPerRequest: number;

  secret: string;
  adminUserIDs: string[];
  multiLogin: { policy: number; maxNumOneEnd: number };
  /** Token lifetime in days for tokens minted by the auth simulator. */
  tokenExpireDays: number;

  /**
   * Redis as a `--redis` URL (redis://, redis+cluster://, redis+sentinel://). Wins over `redis`.
   * Neither set = embedded ioredis-mock.
   */
  redisUrl?: string;
  /** Redis as redis.yml describes it (several addresses, cluster or sentinel, ACL user, db ...). */
  redis?: RedisSettings;
  /** Let the simulators use a real Redis without AOF (acknowledged messages are lost if it crashes). */
  redisVolatile: boolean;

  discovery: {
    kind: 'standalone' | 'etcd';
    etcdAddrs: string[];
    rootDirectory: string;
    username?: string;
    password?: string;
  };
  /**
   * Upstream's `rpc.autoSetPorts`: the hub and metrics take free ports, and the metrics address is
   * written to etcd under `<rootDirectory>/prometheus_discovery/<messageGateway name>/<index>`.
   */
  autoSetPorts: boolean;
  /** Upstream's instance index (`-i`): which entry of the folder's port lists this process took. */
  instanceIndex: number;
  /** Registered service names (discovery.yml rpcService, or share.yml rpcRegisterName on v3.8.x). */
  serviceNames: { auth: string; user: string; msg: string; push: string; messageGateway: string };

  /** Addresses of real OpenIM services; a service left unset is found through discovery (the simulators register there). */
  serviceAddrs: { auth?: string; user?: string; msg?: string; push?: string };
  /** Start the embedded auth/user/msg/push simulators (default true). */
  simulators: boolean;
  /**
   * Calls to a gRPC server of this same process (gateway -> simulators, msg simulator -> hub)
   * skip the network (src/rpc/local.ts); default true. False keeps them on real gRPC over
   * loopback (`--no-in-process-rpc`). Everyone else always reaches the servers over gRPC.
   */
  inProcessRpc: boolean;
  /** Where the simulators listen (0 = free port). */
  simulatorPorts: { auth: number; user: number; msg: number; push: number };
  /**
   * The msg simulator pushes a message before it answers SendMsg (upstream answers first), so a
   * sender sees its own 2001 echo before the 1003 reply: for testing client robustness.
   */
  pushBeforeReply: boolean;
  /** Error replies carry the developer detail in errMsg (upstream's carry code and message only). */
  verboseErrors: boolean;
  /**
   * The hub's push queue: pushes delivered at once, and how many (and how many bytes of them) may
   * wait for a turn until shortly before their call's deadline. Beyond, a push is refused at once;
   * either way its undelivered users are answered 1603 and counted (msggw_push_drops_total).
   */
  pushQueue: { concurrency: number; queued: number; queuedBytes: number };
  /** Groups the msg simulator knows from the start: groupID -> member user IDs. */
  groups: Record<string, string[]>;

  presence: {
    /** Status reporter shards. */
    workers: number;
    /** Flush interval of merged status changes, ms. */
    mergeIntervalMs: number;
    /** Batch size that flushes at once. */
    batchSize: number;
    /** Re-report still-online users as online every this many ms (lease renewal). */
    renewIntervalMs: number;
    /**
     * Heartbeat TTL of this node's user set in Redis, ms (0 = off, as upstream): a node silent
     * this long is dead and a peer, or its own restart, reports its users offline. Bounds stale
     * presence after a crash at about 1.5x this plus mergeIntervalMs.
     */
    nodeTtlMs: number;
  };
  /** The online cache (upstream rpccache): shards, entries per shard, entry lifetime, and a memory budget in bytes. */
  onlineCache: { slots: number; slotSize: number; expireMs: number; maxBytes: number };

  webhooks: {
    url: string;
    afterUserOnline: WebhookHook;
    afterUserOffline: WebhookHook;
    afterUserKickOff: WebhookHook;
    /** Pending webhook POSTs kept at most; more are dropped (and counted). */
    queueSize: number;
  };

  /** Where settings came from ("share.yml multiLogin.policy", "--port"), by config path; for error messages. */
  origins?: Record<string, string>;

  /**
   * The admin event stream (`msggw tui --attach`): a token-guarded WebSocket on its own port.
   * Off in a bare config (tests, embedding); the CLI's serve flags turn it on.
   */
  admin: {
    enable: boolean;
    /** 0 = any free port; the default (12141) moves to a free port when taken. */
    port: number;
    /** Required from admin clients; '' = generated at start (serve prints it). */
    token: string;
  };

  /**
   * The REST API simulator (OpenIM's openim-api, port 10002) the simulators serve beside the
   * gateway, so SDK apps can log in against msggw alone. Needs the simulators.
   */
  api: {
    enable: boolean;
    /** 0 = any free port. */
    port: number;
    /**
     * Upstream's token rule for the gateway and the API alike: only tokens the auth service
     * issued (get_user_token, get_admin_token) and not kicked pass; users must be registered.
     * Off (default): a correctly signed token minted offline is accepted and its user registered.
     */
    strictTokens: boolean;
    /** Largest request body, bytes. */
    maxBodyBytes: number;
  };
}

/** Upstream-compatible defaults, with loopback binding for a dev harness. */
export function defaultConfig(): MsggwConfig {
  return {
    listenIP: '127.0.0.1',
    hubListenIP: '127.0.0.1',
    simulatorsListenIP: '127.0.0.1',
    wsPort: 10001,
    hubPort: 10140,
    metricsPort: 12140,
    metricsEnable: true,
    registerIP: '',
    autoSetPorts: false,
    instanceIndex: 0,
    websocketMaxConnNum: 100_000,
    websocketMaxMsgLen: 51_200,
    websocketTimeout: 10,
    readDeadlineMs: 30_000,
    webPingIntervalMs: 27_000,
    writeQueueFrames: 256,
    writeQueueBytes: 4 * 1024 * 1024,
    inboundBytesPerSec: 4 * 1024 * 1024,
    maxSubscriptionsPerConn: 3000,
    maxSubscribeIDsPerRequest: 1000,
    secret: 'openIM123',
    adminUserIDs: ['imAdmin'],
    multiLogin: { policy: 1, maxNumOneEnd: 30 },
    tokenExpireDays: 90,
    redisVolatile: false,
    discovery: { kind: 'standalone', etcdAddrs: [], rootDirectory: 'openim' },
    serviceNames: {
      auth: 'auth-rpc-service',
      user: 'user-rpc-service',
      msg: 'msg-rpc-service',
      push: 'push-rpc-service',
      messageGateway: 'messagegateway-rpc-service',
    },
    serviceAddrs: {},
    simulators: true,
    inProcessRpc: true,
    simulatorPorts: { auth: 0, user: 0, msg: 0, push: 0 },
    pushBeforeReply: false,
    verboseErrors: false,
    groups: {},
    pushQueue: { concurrency: 16_384, queued: 16_384, queuedBytes: 64 * 1024 * 1024 },
    presence: { workers: 4, mergeIntervalMs: 1000, batchSize: 100, renewIntervalMs: 10 * 60_000, nodeTtlMs: 15_000 },
    onlineCache: { slots: 1024, slotSize: 2048, expireMs: 15 * 60_000, maxBytes: 64 * 1024 * 1024 },
    webhooks: {
      url: '',
      afterUserOnline: { enable: false, timeout: 5 },
      afterUserOffline: { enable: false, timeout: 5 },
      afterUserKickOff: { enable: false, timeout: 5 },
      queueSize: 10_000,
    },
    admin: { enable: false, port: 12141, token: '' },
    api: { enable: false, port: 10002, strictTokens: false, maxBodyBytes: 1024 * 1024 },
  };
}

/** Deep-merges partial settings over a config (arrays and scalars replace). */
export function mergeConfig(base: MsggwConfig, over: DeepPartial<MsggwConfig>): MsggwConfig {
  return deepMerge(base, over) as MsggwConfig;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

function deepMerge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return b;
}
