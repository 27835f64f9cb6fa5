import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OnlineCache } from '../../src/presence/online-cache.js';
import { StatusReporter, type OnlineUser } from '../../src/presence/status-reporter.js';
import { connectRedis, type RedisClient } from '../../src/redis/connect.js';
import { redisKeys } from '../../src/redis/keys.js';
import { ONLINE_EXPIRE_SECONDS, OnlineStore, type OnlineStatusChange } from '../../src/redis/online.js';
import { requireRedisServer, startRedisServer, type RedisServer } from '../helpers/redis.js';

/** One Redis backend the shared suite runs against. */
interface Backend {
  name: string;
  real: boolean;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new connection to the backend (every connection of one test sees the same data and pub/sub). */
  connect(): RedisClient;
  /** Real server only: kill it (data lost, as after a crash without persistence). */
  stop?(): Promise<void>;
  /** Real server only: start it again on the same port. */
  restart?(): Promise<void>;
}

let mockKeySeq = 41_000;

function mockBackend(): Backend {
  let key = 0;
  return {
    name: 'ioredis-mock',
    real: false,
    setup: async () => {
      // A fresh key per suite run: mock instances sharing a key share data and pub/sub.
      key = ++mockKeySeq;
    },
    teardown: async () => {},
    connect: () => connectRedis(undefined, { mockKey: key }),
  };
}

function realBackend(): Backend {
  let server: RedisServer | undefined;
  return {
    name: 'real redis-server',
    real: true,
    setup: async () => {
      server = await startRedisServer();
    },
    teardown: async () => {
      await server?.stop();
    },
    connect: () => connectRedis(server!.url),
    stop: () => server!.kill('SIGKILL'),
    // Comes back empty, as this suite expects of a restart.
    restart: () => server!.restart({ wipe: true }),
  };
}

/** Records `send` calls and applies each batch to Redis the way the user service does. */
function recordingSink(store: OnlineStore) {
  const calls: OnlineStatusChange[][] = [];
  let failuresLeft = 0;
  return {
    calls,
    failNext(n: number) {
      failuresLeft = n;
    },
    send: async (batch: OnlineStatusChange[]) => {
      calls.push(batch.map((e) => ({ userID: e.userID, online: [...e.online], offline: [...e.offline] })));
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error('user service unavailable');
      }
      for (const e of batch) await store.setStatus(e);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function presenceSuite(backend: Backend): void {
  // A restart only exists for a real server: the mock suite does not register that test at all.
  const itOnRealRedis = (name: string, fn: () => Promise<void>, timeout?: number): void => {
    if (backend.real) it(name, fn, timeout);
  };
  describe(`presence units on ${backend.name}`, () => {
    const clients: RedisClient[] = [];
    const closers: (() => Promise<void> | void)[] = [];
    let redis: RedisClient;
    let store: OnlineStore;

    const connect = (): RedisClient => {
      const c = backend.connect();
      clients.push(c);
      return c;
    };

    beforeAll(async () => {
      await backend.setup();
      redis = connect();
      store = new OnlineStore(redis);
    });

    afterEach(async () => {
      for (const c of closers.splice(0)) await c();
      await redis.flushall();
    });

    afterAll(async () => {
      for (const c of clients) c.disconnect();
      await backend.teardown();
    });

    function reporter(opts: Partial<ConstructorParameters<typeof StatusReporter>[0]> & { send: (b: OnlineStatusChange[]) => Promise<void> }): StatusReporter {
      const r = new StatusReporter({ mergeIntervalMs: 60_000, renewIntervalMs: 0, ...opts });
      closers.push(() => r.close());
      return r;
    }

    describe('StatusReporter', () => {
      it('merges many changes within one interval into one send call', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 1, mergeIntervalMs: 150 });
        r.start();
        for (let i = 0; i < 10; i++) {
          const userID = `merge_${i}`;
          r.report({ userID, online: [1], offline: [] });
          r.report({ userID, online: [1, 2], offline: [] });
          r.report({ userID, online: [2], offline: [1] });
        }
        expect(sink.calls).toHaveLength(0);
        await vi.waitFor(() => expect(sink.calls).toHaveLength(1), { timeout: 2000 });
        const batch = sink.calls[0]!;
        expect(batch).toHaveLength(10);
        for (let i = 0; i < 10; i++) expect(batch[i]).toEqual({ userID: `merge_${i}`, online: [2], offline: [1] });
        await sleep(400);
        expect(sink.calls).toHaveLength(1);
        expect(r.counters).toMatchObject({ reported: 30, batchesSent: 1, entriesSent: 10, failures: 0 });
        expect(await store.platforms('merge_3')).toEqual([2]);
      });

      it('reports a connect+disconnect within one interval as offline for that platform', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 1 });
        await store.setStatus({ userID: 'flap', online: [5], offline: [] });
        r.report({ userID: 'flap', online: [3, 5], offline: [] });
        r.report({ userID: 'flap', online: [5], offline: [3] });
        r.report({ userID: 'flap', online: [], offline: [5] });
        await r.flush();
        expect(sink.calls).toEqual([[{ userID: 'flap', online: [], offline: [3, 5] }]]);
        expect(await store.platforms('flap')).toEqual([]);
      });

      it('shards by md5(userID): users spread over the workers, a user always on the same one', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 4, batchSize: 1000 });
        const perShard = [0, 0, 0, 0];
        for (let i = 0; i < 400; i++) {
          const userID = `shard_${i}`;
          const sum = createHash('md5').update(userID).digest();
          const expected = sum.readUIntBE(0, 6) % 4;
          expect(r.shardOf(userID)).toBe(expected);
          perShard[expected]!++;
          r.report({ userID, online: [1], offline: [] });
        }
        expect(r.pendingCounts()).toEqual(perShard);
        for (const n of perShard) expect(n).toBeGreaterThan(50);
        await r.flush();
        // Later changes of the same users: one batch per shard again, each batch from one shard only.
        for (let i = 0; i < 400; i += 3) r.report({ userID: `shard_${i}`, online: [], offline: [1] });
        await r.flush();
        expect(sink.calls.length).toBe(8);
        for (const batch of sink.calls) {
          const shards = new Set(batch.map((e) => r.shardOf(e.userID)));
          expect(shards.size).toBe(1);
        }
        expect(await store.platforms('shard_3')).toEqual([]);
        expect(await store.platforms('shard_4')).toEqual([1]);
      });

      it('flushes a shard as soon as it holds batchSize users, without waiting for the tick', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 1, batchSize: 10, mergeIntervalMs: 60_000 });
        r.start();
        for (let i = 0; i < 25; i++) r.report({ userID: `bs_${i}`, online: [2], offline: [] });
        await vi.waitFor(() => expect(sink.calls).toHaveLength(2));
        expect(sink.calls.map((b) => b.length)).toEqual([10, 10]);
        expect(r.pendingCounts()).toEqual([5]);
        await r.flush();
        expect(sink.calls.map((b) => b.length)).toEqual([10, 10, 5]);
        expect(sink.calls.flat().map((e) => e.userID)).toEqual(Array.from({ length: 25 }, (_, i) => `bs_${i}`));
      });

      it('renews the lease of every online user on its timer', async () => {
        const sink = recordingSink(store);
        const online: OnlineUser[] = [
          { userID: 'renew_a', platformIDs: [1, 5] },
          { userID: 'renew_b', platformIDs: [3] },
        ];
        const r = reporter({ send: sink.send, workers: 2, mergeIntervalMs: 50, renewIntervalMs: 150, onlineNow: () => online });
        r.start();
        await vi.waitFor(() => expect(r.counters.renewals).toBeGreaterThanOrEqual(2), { timeout: 3000 });
        await r.flush();
        const sent = sink.calls.flat();
        expect(sent.filter((e) => e.userID === 'renew_a').length).toBeGreaterThanOrEqual(2);
        expect(sent).toContainEqual({ userID: 'renew_a', online: [1, 5], offline: [] });
        expect(sent).toContainEqual({ userID: 'renew_b', online: [3], offline: [] });
        expect(await store.platforms('renew_a')).toEqual([1, 5]);
        const ttl = await redis.ttl(redisKeys.online('renew_a'));
        expect(ttl).toBeGreaterThan(ONLINE_EXPIRE_SECONDS - 10);
        expect(ttl).toBeLessThanOrEqual(ONLINE_EXPIRE_SECONDS);
      });

      it('retries a failed batch with backoff, merging a change that arrives while the retry waits', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 1, retryBaseMs: 300, maxRetries: 5 });
        sink.failNext(2);
        r.report({ userID: 'retry_u', online: [1], offline: [] });
        r.report({ userID: 'retry_v', online: [7], offline: [] });
        const flushed = r.flush();
        await vi.waitFor(() => expect(r.counters.failures).toBe(1));
        // The retry is pending: this newer state must merge into the retried entry.
        r.report({ userID: 'retry_u', online: [1, 2], offline: [] });
        r.report({ userID: 'retry_w', online: [4], offline: [] });
        await flushed;
        expect(r.counters).toMatchObject({ failures: 2, retries: 2, batchesSent: 1, dropped: 0 });
        expect(sink.calls).toHaveLength(3);
        expect(sink.calls[2]).toEqual([
          { userID: 'retry_u', online: [1, 2], offline: [] },
          { userID: 'retry_v', online: [7], offline: [] },
          { userID: 'retry_w', online: [4], offline: [] },
        ]);
        expect(await store.platforms('retry_u')).toEqual([1, 2]);
      });

      it('gives up on a batch after maxRetries and counts it, without blocking report()', async () => {
        const sink = recordingSink(store);
        const r = reporter({ send: sink.send, workers: 1, retryBaseMs: 5, maxRetries: 2 });
        sink.failNext(100);
        r.report({ userID: 'lost_1', online: [1], offline: [] });
        r.report({ userID: 'lost_2', online: [1], offline: [] });
        await r.flush();
        expect(r.counters).toMatchObject({ failures: 3, retries: 2, dropped: 2, batchesSent: 0 });
        sink.failNext(0);
        r.report({ userID: 'lost_1', online: [2], offline: [] });
        await r.flush();
        expect(await store.platforms('lost_1')).toEqual([2]);
      });

      it('close({reportOffline: true}) reports every local user offline before resolving', async () => {
        const sink = recordingSink(store);
        const online: OnlineUser[] = [];
        for (let i = 0; i < 30; i++) online.push({ userID: `bye_${i}`, platformIDs: i % 2 ? [1, 5] : [3] });
        const r = new StatusReporter({ send: sink.send, workers: 4, batchSize: 100, mergeIntervalMs: 60_000, onlineNow: () => online });
        r.start();
        for (const u of online) r.report({ userID: u.userID, online: [...u.platformIDs], offline: [] });
        await r.flush();
        expect(await store.platforms('bye_1')).toEqual([1, 5]);
        await r.close({ reportOffline: true });
        for (const u of online) expect(await store.platforms(u.userID)).toEqual([]);
        const last = sink.calls.flat().filter((e) => e.userID === 'bye_1').at(-1);
        expect(last).toEqual({ userID: 'bye_1', online: [], offline: [1, 5] });
        // Idempotent, and closed to new reports.
        await r.close({ reportOffline: true });
        const before = r.counters.reported;
        r.report({ userID: 'late', online: [1], offline: [] });
        expect(r.counters.reported).toBe(before);
      });
    });

    describe('OnlineCache with the user simulator OnlineStore over pub/sub', () => {
      function rawSubscriber(): Promise<{ payloads: string[]; client: RedisClient }> {
        const client = connect();
        const payloads: string[] = [];
        client.on('message', (channel: string, message: string) => {
          if (channel === redisKeys.onlineChannel) payloads.push(message);
        });
        return client.subscribe(redisKeys.onlineChannel).then(() => ({ payloads, client }));
      }

      function makeCache(loads: string[][]) {
        const changes: [string, number[]][] = [];
        const cache = new OnlineCache({
          createSubscriber: connect,
          load: async (ids) => {
            loads.push([...ids]);
            const m = new Map<string, number[]>();
            for (const id of ids) m.set(id, await store.platforms(id));
            return m;
          },
          onChange: (userID, platformIDs) => changes.push([userID, platformIDs]),
          slots: 16,
          slotSize: 64,
        });
        closers.push(() => cache.close());
        return { cache, changes };
      }

      it('delivers changes in order, with ONLINE:<B> and the published payloads as specified', async () => {
        const raw = await rawSubscriber();
        const loads: string[][] = [];
        const { cache, changes } = makeCache(loads);
        await cache.start();

        expect(await store.setStatus({ userID: 'B', online: [1, 2], offline: [] })).toBe(true);
        const key = redisKeys.online('B');
        const withScores = await redis.zrange(key, 0, -1, 'WITHSCORES');
        const nowSec = Math.floor(Date.now() / 1000);
        expect(withScores.filter((_, i) => i % 2 === 0)).toEqual(['1', '2']);
        for (const score of withScores.filter((_, i) => i % 2 === 1)) {
          expect(Number(score)).toBeGreaterThanOrEqual(nowSec + ONLINE_EXPIRE_SECONDS - 5);
          expect(Number(score)).toBeLessThanOrEqual(nowSec + ONLINE_EXPIRE_SECONDS + 1);
        }
        const ttl = await redis.ttl(key);
        expect(ttl).toBeGreaterThan(ONLINE_EXPIRE_SECONDS - 5);
        expect(ttl).toBeLessThanOrEqual(ONLINE_EXPIRE_SECONDS);

        expect(await store.setStatus({ userID: 'B', online: [2], offline: [1] })).toBe(true);
        expect(await redis.zrange(key, 0, -1)).toEqual(['2']);
        // Same membership again: nothing published.
        expect(await store.setStatus({ userID: 'B', online: [2], offline: [] })).toBe(false);

        await vi.waitFor(() => expect(changes).toHaveLength(2));
        expect(changes).toEqual([
          ['B', [1, 2]],
          ['B', [2]],
        ]);
        await vi.waitFor(() => expect(raw.payloads).toHaveLength(2));
        expect(raw.payloads).toEqual(['1:2:B', '2:B']);

        // Miss -> one load; hit afterwards; a published change updates the cached entry in place.
        expect(await cache.get('B')).toEqual([2]);
        expect(await cache.get('B')).toEqual([2]);
        expect(loads).toEqual([['B']]);
        expect(await store.setStatus({ userID: 'B', online: [], offline: [2] })).toBe(true);
        await vi.waitFor(() => expect(changes).toHaveLength(3));
        expect(changes[2]).toEqual(['B', []]);
        expect(raw.payloads[2]).toBe('B');
        expect(cache.peek('B')).toEqual([]);
        expect(await cache.get('B')).toEqual([]);
        expect(loads).toHaveLength(1);
        expect(await redis.zcard(key)).toBe(0);
        // Real Redis deletes an emptied sorted set; ioredis-mock keeps the empty key.
        if (backend.real) expect(await redis.exists(key)).toBe(0);
      });

      it('loads misses in one call, shares concurrent loads, and does not cache users it was not asked about', async () => {
        const loads: string[][] = [];
        const { cache, changes } = makeCache(loads);
        await cache.start();
        await store.setStatus({ userID: 'm1', online: [3], offline: [] });
        await store.setStatus({ userID: 'm2', online: [1, 9], offline: [] });
        await vi.waitFor(() => expect(changes).toHaveLength(2));
        expect(cache.size).toBe(0);
        const [a, b] = await Promise.all([cache.getMany(['m1', 'm2', 'm3', 'm1']), cache.get('m2')]);
        expect([...a.entries()]).toEqual([
          ['m1', [3]],
          ['m2', [1, 9]],
          ['m3', []],
        ]);
        expect(b).toEqual([1, 9]);
        expect(loads).toEqual([['m1', 'm2', 'm3']]);
        expect(cache.size).toBe(3);
      });

      it('evicts the least recently used entry of a full slot and expires old entries', async () => {
        let now = 1_000_000;
        const loads: string[][] = [];
        const cache = new OnlineCache({
          createSubscriber: connect,
          load: async (ids) => {
            loads.push([...ids]);
            return new Map(ids.map((id) => [id, [1]]));
          },
          slots: 1,
          slotSize: 2,
          expireMs: 1000,
          now: () => now,
        });
        closers.push(() => cache.close());
        await cache.start();
        await cache.get('e1');
        await cache.get('e2');
        await cache.get('e1');
        await cache.get('e3');
        expect(cache.counters.evictions).toBe(1);
        expect(cache.peek('e2')).toBeUndefined();
        expect(cache.peek('e1')).toEqual([1]);
        now += 1001;
        expect(cache.peek('e1')).toBeUndefined();
        await cache.get('e1');
        expect(loads.flat()).toEqual(['e1', 'e2', 'e3', 'e1']);
      });

      itOnRealRedis(
        'survives a Redis restart: resubscribes, invalidates what it cached, and sees changes made afterwards',
        async () => {
          // A plain ioredis subscriber: shows ioredis' own resubscription after the restart.
          const raw = await rawSubscriber();
          const loads: string[][] = [];
          const { cache, changes } = makeCache(loads);
          await cache.start();
          await store.setStatus({ userID: 'R', online: [1], offline: [] });
          await store.setStatus({ userID: 'S', online: [2], offline: [] });
          await vi.waitFor(() => expect(changes).toHaveLength(2));
          expect(await cache.get('R')).toEqual([1]);
          expect(await cache.get('S')).toEqual([2]);
          expect(cache.peek('R')).toEqual([1]);
          const loadsBefore = loads.length;

          await backend.stop!();
          await vi.waitFor(() => expect(cache.isLive).toBe(false), { timeout: 5000 });
          expect(cache.peek('R')).toBeUndefined();
          expect(cache.counters.disconnects).toBe(1);

          await backend.restart!();
          await vi.waitFor(() => expect(cache.counters.resyncs).toBe(1), { timeout: 10_000 });
          expect(cache.isLive).toBe(true);
          // Everything cached before the gap is gone (the restarted server lost R and S anyway).
          expect(cache.peek('R')).toBeUndefined();
          expect(cache.peek('S')).toBeUndefined();
          expect(cache.size).toBe(0);

          // The publisher's connection reconnects on its own; wait until it answers.
          await vi.waitFor(async () => expect(await redis.ping()).toBe('PONG'), { timeout: 10_000 });
          expect(await cache.get('R')).toEqual([]);
          expect(loads.length).toBe(loadsBefore + 1);
          await store.setStatus({ userID: 'R', online: [3], offline: [] });
          await vi.waitFor(() => expect(changes.at(-1)).toEqual(['R', [3]]), { timeout: 5000 });
          expect(cache.peek('R')).toEqual([3]);
          expect(await cache.get('R')).toEqual([3]);
          expect(loads.length).toBe(loadsBefore + 1);
          await vi.waitFor(() => expect(raw.payloads.at(-1)).toBe('3:R'), { timeout: 5000 });
        },
        40_000,
      );
    });
  });
}

describe('real-Redis test helper', () => {
  it('fails with the install command when redis-server is missing, instead of skipping', () => {
    expect(() => requireRedisServer({ PATH: '/nonexistent' })).toThrow(/apt-get install redis-server/);
  });
});

presenceSuite(mockBackend());
presenceSuite(realBackend());
