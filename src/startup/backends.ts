import type { MsggwConfig } from '../config/config.js';
import type { Discovery } from '../discovery/discovery.js';
import { EtcdDiscovery } from '../discovery/etcd.js';
import { connectRedis, describeRedis, parseRedisUrl, type RedisSettings } from '../redis/connect.js';

/** A backend (etcd, Redis) that did not answer at start; the message names where its address came from. */
export class BackendUnreachableError extends Error {
  readonly code = 'MSGGW_BACKEND_UNREACHABLE';
  constructor(
    message: string,
    readonly suggestion: string,
  ) {
    super(message);
  }
}

/** The Redis a config names (the `--redis` URL wins over redis.yml), or undefined for the embedded one. */
export function redisSettingsOf(cfg: MsggwConfig): RedisSettings | undefined {
  if (cfg.redisUrl) return parseRedisUrl(cfg.redisUrl);
  return cfg.redis;
}

function originOf(cfg: MsggwConfig, path: string, fallback: string): string {
  return cfg.origins?.[path] ?? fallback;
}

/**
 * Checks, before anything registers or subscribes, that etcd and Redis answer; so a dead backend
 * is reported once, with its real cause and the file and key (or flag) it came from, instead of
 * surfacing later as a retry loop or a library's internal state.
 */
export async function probeBackends(cfg: MsggwConfig, discovery: Discovery, timeoutMs = 5000): Promise<void> {
  if (discovery instanceof EtcdDiscovery) {
    try {
      await discovery.probe();
    } catch (e) {
      const from = originOf(cfg, 'discovery', 'the discovery config');
      throw new BackendUnreachableError(
        `etcd ${discovery.hosts.join(',')} (from ${from}) is unreachable: ${grpcCause((e as Error).message)}`,
        `start etcd there, or fix ${from}${from.startsWith('--') ? '' : ' (or override it with --discovery etcd://host:port)'}`,
      );
    }
  }
  const redis = redisSettingsOf(cfg);
  if (redis) await probeRedis(redis, originOf(cfg, 'redis', 'the Redis config'), timeoutMs);
}

/**
 * The cause inside a gRPC status text (etcd3 speaks gRPC): "14 UNAVAILABLE: No connection
 * established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: " is
 * "connect ECONNREFUSED 127.0.0.1:1".
 */
export function grpcCause(message: string): string {
  const last = /Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?$/s.exec(message)?.[1];
  if (last) return last.trim();
  return message.replace(/^\d+ [A-Z_]+: /, '');
}

async function probeRedis(s: RedisSettings, from: string, timeoutMs: number): Promise<void> {
  let lastError: Error | undefined;
  const client = connectRedis({ ...s, maxRetry: 0 }, { onError: (e) => (lastError = e) });
  client.on('error', (e: Error) => (lastError = e));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer to PING within ${timeoutMs} ms`)), timeoutMs))),
    ]);
  } catch (e) {
    const cause = lastError?.message ?? (e as Error).message;
    throw new BackendUnreachableError(
      `Redis ${describeRedis(s)} (from ${from}) is unreachable: ${cause}`,
      `start Redis there, or fix ${from}${from.startsWith('--') ? '' : ' (or override it with --redis)'}`,
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
