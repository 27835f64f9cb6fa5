import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { StandaloneDiscovery } from '../../src/discovery/standalone.js';
import { nodeKeys } from '../../src/presence/node-presence.js';
import { redisKeys } from '../../src/redis/keys.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, startNode, type RawClient } from '../helpers/gateway.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { eventuallyPasses } from '../helpers/wait.js';

/** ONLINE:<user> members that have not expired, sorted. */
async function online(probe: Redis, userID: string): Promise<number[]> {
  const m = await probe.zrangebyscore(redisKeys.online(userID), `(${Math.floor(Date.now() / 1000)}`, '+inf');
  return m.map(Number).sort((a, b) => a - b);
}

/**
 * Presence that stays true when Redis loses its data, and when a node dies without reporting its
 * users offline. Real redis-server; nodes in this process (the child-process version of a node
 * kill is in test/faults).
 */
describe('presence recovers from Redis data loss and dead nodes', () => {
  let redis: RedisServer;
  let probe: Redis;
  beforeAll(async () => {
    // Without AOF: a restart comes back empty, as from an old snapshot or a lost disk.
    redis = await startRedisServer({ aof: false });
    probe = new Redis(redis.url);
  });
  afterAll(async () => {
    probe?.disconnect();
    await redis?.stop();
  });

  it('re-reports local users as soon as Redis is back without its data (not at the 10-minute renewal)', async () => {
    const node = await startNode({ redisUrl: redis.url, redisVolatile: true, presence: { mergeIntervalMs: 20, nodeTtlMs: 2000 } });
    const clients: RawClient[] = [];
    try {
      clients.push(await connectOk(node, { user: 'dl-a', platform: 1 }), await connectOk(node, { user: 'dl-b', platform: 5, sdkType: 'js' }));
      await eventuallyPasses(async () => expect(await online(probe, 'dl-a')).toEqual([1]));
      // Proof that the data went: the node may re-report dl-a before the probe could see it gone.
      await probe.set('dl-marker', '1');
      await redis.restart({ wipe: true });
      expect(await probe.exists('dl-marker')).toBe(0);
      await eventuallyPasses(async () => {
        expect(await online(probe, 'dl-a')).toEqual([1]);
        expect(await online(probe, 'dl-b')).toEqual([5]);
      }, 8000);
    } finally {
      for (const c of clients) c.close();
      await node.close();
    }
  });

  it('re-reports a local user at once when online_change leaves out a platform it is connected on here', async () => {
    const node = await startNode({ redisUrl: redis.url, redisVolatile: true, presence: { mergeIntervalMs: 20, nodeTtlMs: 2000 } });
    const c = await connectOk(node, { user: 'dl-c', platform: 2 });
    try {
      await eventuallyPasses(async () => expect(await online(probe, 'dl-c')).toEqual([2]));
      // Someone (a stale sweep, a bad actor, a lost key) removes the platform and publishes.
      await probe.del(redisKeys.online('dl-c'));
      await probe.publish(redisKeys.onlineChannel, 'dl-c');
      await eventuallyPasses(async () => expect(await online(probe, 'dl-c')).toEqual([2]), 3000);
    } finally {
      c.close();
      await node.close();
    }
  });

  // The fault suite's "a killed node's user stays online": a peer that took this node for dead (its
  // heartbeat lapsed in a stalled event loop) deleted the user set after the node had written it
  // again; the set stayed empty, so the node's later kill reported nobody offline.
  it('a node whose user set a late sweep deleted writes it again at its next heartbeat', async () => {
    const node = await startNode({ redisUrl: redis.url, redisVolatile: true, presence: { mergeIntervalMs: 20, nodeTtlMs: 2000 } });
    const c = await connectOk(node, { user: 'ls-a', platform: 1 });
    try {
      const key = nodeKeys.users(node.addresses.hub!);
      await eventuallyPasses(async () => expect(await probe.hget(key, 'ls-a')).toBe('1'));
      await probe.del(key);
      // Heartbeats run every TTL/3; the alive key is still this node's, so only the lost set tells.
      await eventuallyPasses(async () => expect(await probe.hget(key, 'ls-a')).toBe('1'), 3000);
    } finally {
      c.close();
      await node.close();
    }
  });

  it("a peer reports a dead node's users offline within the heartbeat TTL, except those that reconnected elsewhere", async () => {
    await probe.flushall();
    const discovery = new StandaloneDiscovery();
    const cfg = { redisUrl: redis.url, redisVolatile: true, presence: { mergeIntervalMs: 20, nodeTtlMs: 1500 } };
    const a = await startNode(cfg, { discovery });
    const b = await startNode({ ...cfg, simulators: false }, { discovery });
    const clients: RawClient[] = [];
    try {
      const bURL = b.addresses.ws!;
      clients.push(await connectOk(b, { user: 'dn-x', platform: 1 }), await connectOk(b, { user: 'dn-y', platform: 1 }), await connectOk(b, { user: 'dn-y', platform: 5, sdkType: 'js' }));
      await eventuallyPasses(async () => {
        expect(await online(probe, 'dn-x')).toEqual([1]);
        expect(await online(probe, 'dn-y')).toEqual([1, 5]);
        expect(await probe.hget(nodeKeys.users(b.addresses.hub!), 'dn-y')).toBe('1,5');
      });
      // A crash: node B stops heartbeating and never reports its users offline. Its parts are
      // stopped without the orderly offline report (what SIGKILL leaves behind).
      const bNode = b.node!;
      const parts = (bNode as unknown as { parts: { ledger: { close(o: { graceful: boolean }): Promise<void> }; reporter: { close(): Promise<void> } } }).parts;
      await parts.ledger.close({ graceful: false });
      await parts.reporter.close();
      for (const c of clients) c.close();
      // dn-y comes back on node A (platform 5) before the sweep.
      const back = await connectOk(a, { user: 'dn-y', platform: 5, sdkType: 'js' });
      clients.push(back);
      const killedAt = Date.now();
      await eventuallyPasses(async () => {
        expect(await online(probe, 'dn-x')).toEqual([]);
        expect(await online(probe, 'dn-y')).toEqual([5]);
      }, 6000);
      // Bound: TTL + one sweep interval (TTL/2) + merge interval, with slack for a busy machine.
      expect(Date.now() - killedAt).toBeLessThan(1500 * 1.5 + 2000);
      expect(await probe.sismember(nodeKeys.nodes, b.addresses.hub!)).toBe(0);
      expect(bURL).toBeTruthy();
    } finally {
      for (const c of clients) c.close();
      await b.close();
      await a.close();
      await discovery.close();
    }
  });
});

describe('the simulators require a durable Redis', () => {
  it('refuse a Redis without AOF unless told to accept the loss', async () => {
    const volatile = await startRedisServer({ aof: false });
    try {
      // The message says what is wrong, the suggestion what to do (the CLI prints each once).
      const refused = startNode({ redisUrl: volatile.url });
      await expect(refused).rejects.toThrow(/without AOF \(appendonly no\).*the simulators refuse it/);
      await expect(refused).rejects.toMatchObject({ suggestion: expect.stringMatching(/--appendonly yes.*--redis-volatile/) });
      const ok = await startNode({ redisUrl: volatile.url, redisVolatile: true });
      await ok.close();
    } finally {
      await volatile.stop();
    }
  });
});
