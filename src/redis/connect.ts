import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { randomInt } from 'node:crypto';
import RedisMock from 'ioredis-mock';
import { coalesceWrites } from './coalesce.js';

/** The embedded Redis every part of this process shares unless given another key. */
export const PROCESS_MOCK_KEY = randomInt(20_000, 60_000);

/**
 * The Redis client type the rest of the code uses: a single server or sentinel-managed master
 * (`Redis`), or a Redis Cluster (`Cluster`). Both run the same commands, Lua scripts and pub/sub;
 * ioredis-mock is API compatible with `Redis`.
 */
export type RedisClient = Redis | Cluster;

/** How a deployment runs Redis, as upstream's `redis.yml` describes it. */
export interface RedisSettings {
  /** `standalone` (the first address), `cluster` (addresses are seed nodes) or `sentinel` (masterName found through sentinels). */
  mode: 'standalone' | 'cluster' | 'sentinel';
  /** `host:port` of the server (standalone) or of the seed nodes (cluster). */
  addrs: string[];
  /** Redis 6 ACL user; may be given without a password. */
  username?: string;
  password?: string;
  /** Database number (standalone and sentinel; a cluster has only db 0). */
  db?: number;
  /** Retries of one command before it fails (upstream maxRetry; ioredis maxRetriesPerRequest). */
  maxRetry?: number;
  /**
   * Upstream's go-redis pool size. ioredis multiplexes every command over one connection per node,
   * so there is no pool to size; the value is kept for the banner and ignored otherwise.
   */
  poolSize?: number;
  sentinel?: { masterName: string; addrs: string[] };
}

/** Error of parseRedisUrl: what was wrong and the accepted forms. */
export class RedisUrlError extends Error {}

const FORMS = 'redis://[user[:password]@]host:port[/db], redis+cluster://[user[:password]@]host:port[,host:port...] or redis+sentinel://[user[:password]@]host:port[,host:port...]/masterName[/db]';

/**
 * Parses the `--redis` flag. A plain `redis://` URL may list several hosts only as a cluster or
 * sentinel URL: the scheme says which, so a typo never silently picks the first host.
 */
export function parseRedisUrl(url: string): RedisSettings {
  const m = /^(redis|redis\+cluster|redis\+sentinel):\/\/(?:([^@/]*)@)?([^/]+)(?:\/(.*))?$/i.exec(url.trim());
  if (!m) throw new RedisUrlError(`--redis ${url}: expected ${FORMS}`);
  const scheme = m[1]!.toLowerCase();
  const addrs = m[3]!.split(',').map((s) => s.trim()).filter(Boolean);
  for (const a of addrs) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):\d{1,5}$/.test(a) && !(scheme === 'redis' && addrs.length === 1 && /^[^:[\]\s]+$/.test(a))) {
      throw new RedisUrlError(`--redis ${url}: "${a}" is not host:port (expected ${FORMS})`);
    }
  }
  const s: RedisSettings = { mode: 'standalone', addrs: addrs.map((a) => (a.includes(':') ? a : `${a}:6379`)) };
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? m[2].slice(0, colon) : m[2]);
    if (user) s.username = user;
    if (colon >= 0) s.password = decodeURIComponent(m[2].slice(colon + 1));
  }
  const path = (m[4] ?? '').split('/').filter(Boolean);
  const db = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    if (!/^\d{1,2}$/.test(v)) throw new RedisUrlError(`--redis ${url}: database "${v}" is not a number 0-15`);
    return Number(v);
  };
  if (scheme === 'redis') {
    if (addrs.length !== 1) throw new RedisUrlError(`--redis ${url}: several hosts need redis+cluster:// or redis+sentinel://`);
    s.db = db(path[0]);
  } else if (scheme === 'redis+cluster') {
    s.mode = 'cluster';
    if (path.length > 0) throw new RedisUrlError(`--redis ${url}: a cluster has no database or path`);
  } else {
    s.mode = 'sentinel';
    if (!path[0]) throw new RedisUrlError(`--redis ${url}: name the master, redis+sentinel://host:port/masterName`);
    s.sentinel = { masterName: decodeURIComponent(path[0]), addrs: s.addrs };
    s.addrs = [];
    s.db = db(path[1]);
  }
  return s;
}

/** A one-line description for banners and error messages (never the password). */
export function describeRedis(s: RedisSettings): string {
  const who = s.username ? `${s.username}@` : '';
  if (s.mode === 'cluster') return `cluster ${who}${s.addrs.join(',')}`;
  if (s.mode === 'sentinel') return `sentinel ${who}${s.sentinel?.addrs.join(',') ?? ''} master ${s.sentinel?.masterName ?? ''}${s.db ? ` db ${s.db}` : ''}`;
  return `${who}${s.addrs[0] ?? ''}${s.db ? `/${s.db}` : ''}`;
}

function hostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  return { host: host || '127.0.0.1', port: Number(addr.slice(i + 1)) };
}

export interface ConnectRedisOptions {
  /** Which embedded Redis to use when no settings are given (same key = same data and pub/sub). */
  mockKey?: number;
  /** Connection trouble (rate limited): ioredis reconnects by itself, this is for the log. */
  onError?: (e: Error) => void;
}

/**
 * Opens a Redis connection: a real one as `target` describes (a settings object or a `--redis`
 * URL), else the embedded ioredis-mock. Mock instances created with the same `mockKey` share data
 * and pub/sub, like clients of one server.
 */
export function connectRedis(target: RedisSettings | string | undefined, opts: ConnectRedisOptions = {}): RedisClient {
  if (target === undefined) return new RedisMock({ port: opts.mockKey ?? PROCESS_MOCK_KEY }) as unknown as Redis;
  const s = typeof target === 'string' ? parseRedisUrl(target) : target;
  const common: RedisOptions = {
    // Keep retrying forever with a capped backoff: a Redis restart must not kill the gateway.
    retryStrategy: (times) => Math.min(times * 100, 2000),
    maxRetriesPerRequest: s.maxRetry ?? 3,
    ...(s.username !== undefined && { username: s.username }),
    ...(s.password !== undefined && s.password !== '' && { password: s.password }),
  };
  let client: RedisClient;
  if (s.mode === 'cluster') {
    const { retryStrategy: _unused, ...redisOptions } = common;
    const options: ClusterOptions = {
      clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
      redisOptions,
      // Slots move during a resharding or failover; follow MOVED/ASK a few times before failing.
      maxRedirections: 16,
    };
    client = new Cluster(s.addrs.map(hostPort), options);
  } else if (s.mode === 'sentinel') {
    client = new Redis({
      ...common,
      sentinels: (s.sentinel?.addrs ?? []).map(hostPort),
      name: s.sentinel?.masterName ?? 'mymaster',
      db: s.db ?? 0,
      // Follow a failover as soon as a sentinel announces it instead of waiting for the old master to fail.
      failoverDetector: true,
      // Sentinels themselves are reached without credentials, as upstream's go-redis FailoverOptions leave them.
      sentinelRetryStrategy: (times) => Math.min(times * 100, 2000),
    });
  } else {
    const { host, port } = hostPort(s.addrs[0] ?? '127.0.0.1:6379');
    client = new Redis({ ...common, host, port, db: s.db ?? 0 });
  }
  // Every (re)connection gets a new socket: coalesce its writes per loop iteration (coalesce.ts).
  if (client instanceof Cluster) client.on('+node', (n: Redis) => n.on('connect', () => coalesceWrites(n.stream as never)));
  else client.on('connect', () => coalesceWrites(client.stream as never));
  // Connection errors are expected while Redis restarts (ioredis reconnects by itself); without
  // a listener ioredis prints each one as an "unhandled error event".
  let last = 0;
  client.on('error', (e: Error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    opts.onError?.(e);
  });
  return client;
}

/**
 * A Redis command's failure as a sentence: ioredis words an unanswered command after its retries
 * as its own option name ("max retries per request limit ... maxRetriesPerRequest").
 */
export function redisErrorText(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/max retries per request/i.test(msg)) return 'Redis did not answer (connection down, retries used up)';
  if (/^Connection is closed\.?$/.test(msg)) return 'the Redis connection is closed';
  return msg;
}

/** Whether this client is the embedded mock (it runs no Lua, so the online store takes its native path). */
export function isMock(client: RedisClient): boolean {
  return client instanceof (RedisMock as unknown as typeof Redis);
}
