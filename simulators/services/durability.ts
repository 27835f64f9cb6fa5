import type { RedisClient } from '../../src/redis/connect.js';

/** Why the simulators refuse a Redis; `suggestion` says what to do. */
export class VolatileRedisError extends Error {
  readonly suggestion = 'start redis-server with --appendonly yes (or run CONFIG SET appendonly yes and CONFIG REWRITE), or pass --redis-volatile to accept the loss';
}

/**
 * The msg simulator keeps messages and seq counters in Redis, and acknowledges a SendMsg once
 * Redis answered. Without AOF a Redis crash (SIGKILL, OOM kill) loses every acknowledged message
 * since the last snapshot and the seq counters restart below seqs clients already hold, so the
 * simulators require AOF on a real Redis. appendfsync always survives a process crash; everysec
 * nearly always does (Redis writes the AOF before it replies), except while a previous fsync is
 * still running on a slow disk: Redis then postpones the write for up to 2 s and replies
 * meanwhile, so a crash in that window loses acknowledged writes and rolls seqs back.
 * `allowVolatile` (serve --redis-volatile) accepts a Redis without AOF.
 * A Redis that hides CONFIG (managed services rename it) cannot be checked: a warning is logged.
 */
export async function requireDurableRedis(redis: RedisClient, url: string, o: { allowVolatile: boolean; log?: (line: string) => void }): Promise<void> {
  let appendonly: string | undefined;
  try {
    const r = (await redis.config('GET', 'appendonly')) as unknown as string[];
    appendonly = r[1];
  } catch (e) {
    o.log?.(`could not check that ${url} persists with AOF (CONFIG GET failed: ${(e as Error).message}); acknowledged messages survive a Redis crash only if it does`);
    return;
  }
  if (appendonly === 'yes') return;
  if (o.allowVolatile) {
    o.log?.(`${url} runs without AOF (--redis-volatile): a Redis crash loses acknowledged messages and restarts seqs`);
    return;
  }
  throw new VolatileRedisError(
    `${url} runs without AOF (appendonly ${appendonly ?? 'unknown'}): a Redis crash would lose acknowledged messages and reuse seqs, so the simulators refuse it`,
  );
}
