/**
 * The one shared proof that the presence script's native semantics (OnlineStore 'native', what
 * runs on the embedded ioredis-mock) equal the Lua script on a real redis-server: the same random
 * sequences of status changes (several users, platforms going online and offline, repeated and
 * conflicting entries, the clock moving past expiry) go to the Lua script on redis-server, to the
 * native path on redis-server and to the native path on ioredis-mock; after every change the
 * return value, the sorted set (members and scores, in ZRANGE order), the key's existence and
 * TTL and, at the end, every `online_change` payload in order must be the same.
 * Needs redis-server (fails with the install command when it is missing).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisClient } from '../../src/redis/connect.js';
import { redisKeys } from '../../src/redis/keys.js';
import { OnlineStore } from '../../src/redis/online.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

const USERS = ['u1', 'u2', 'user:with:colons'];
const op = fc.record({
  user: fc.constantFrom(...USERS),
  online: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 4 }),
  offline: fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 3 }),
  // seconds the clock moves before this change (some steps cross the 30 min expiry)
  dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1700, max: 2000 })),
});

interface Backend {
  name: string;
  store: OnlineStore;
  redis: RedisClient;
  sub: RedisClient;
  published: string[];
}

describe('presence script: native semantics equal the Lua script on redis-server', () => {
  // Two servers: pub/sub spans a server's databases, and each backend must hear only its own publishes.
  let server: RedisServer;
  let server2: RedisServer;
  const backends: Backend[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    server2 = await startRedisServer();
    const mockKey = 61_000 + Math.floor(Math.random() * 1000);
    const make = async (name: string, connect: () => RedisClient, mode: 'lua' | 'native'): Promise<Backend> => {
      const redis = connect();
      const sub = connect();
      const b: Backend = { name, store: new OnlineStore(redis, mode), redis, sub, published: [] };
      await sub.subscribe(redisKeys.onlineChannel);
      sub.on('message', (_ch: string, payload: string) => b.published.push(payload));
      return b;
    };
    backends.push(await make('lua on redis-server', () => connectRedis(server.url), 'lua'));
    backends.push(await make('native on redis-server', () => connectRedis(server2.url), 'native'));
    backends.push(await make('native on ioredis-mock', () => connectRedis(undefined, { mockKey }), 'native'));
    expect(backends[2]!.store.mode).toBe('native');
    expect(new OnlineStore(backends[0]!.redis).mode).toBe('lua');
  });

  afterAll(async () => {
    for (const b of backends) {
      b.sub.disconnect();
      b.redis.disconnect();
    }
    await server?.stop();
    await server2?.stop();
  });

  const snapshot = async (b: Backend, key: string): Promise<{ set: string[]; exists: number; ttlSet: boolean }> => {
    const [set, exists, ttl] = await Promise.all([b.redis.zrange(key, 0, -1, 'WITHSCORES'), b.redis.exists(key), b.redis.ttl(key)]);
    return { set, exists, ttlSet: exists === 0 ? ttl === -2 : ttl > 0 };
  };

  it('same results, sets, TTLs and published payloads for random change sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        run++;
        const prefix = `r${run}_`;
        for (const b of backends) b.published.length = 0;
        let now = 1_800_000_000;
        for (const o of ops) {
          now += o.dt;
          const userID = prefix + o.user;
          const change = { userID, online: o.online, offline: o.offline };
          const results = await Promise.all(backends.map((b) => b.store.setStatus(change, now)));
          expect(new Set(results).size, `results ${JSON.stringify(results)} for ${JSON.stringify(change)} (${backends.map((b) => b.name).join(', ')})`).toBe(1);
          const snaps = await Promise.all(backends.map((b) => snapshot(b, redisKeys.online(userID))));
          for (const s of snaps.slice(1)) expect(s).toEqual(snaps[0]);
        }
        // every publish of this run has arrived when a marker sent after them has
        for (const b of backends) await b.redis.publish(redisKeys.onlineChannel, `${prefix}end`);
        await expect.poll(() => backends.every((b) => b.published.includes(`${prefix}end`)), { timeout: 5000 }).toBe(true);
        const mine = backends.map((b) => b.published.filter((p) => p.includes(prefix) && p !== `${prefix}end`));
        for (const m of mine.slice(1)) expect(m).toEqual(mine[0]);
        expect(mine[0]!.length).toBeLessThanOrEqual(ops.length);
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
