import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { StandaloneDiscovery } from '../../src/discovery/standalone.js';
import type { Harness } from '../../harness/harness.js';
import type { RedisSettings } from '../../src/redis/connect.js';
import { connectOk, eventually, startNode } from '../helpers/gateway.js';
import { subscribeAndWatch } from '../helpers/presence-flows.js';
import { startRedisCluster, startRedisSentinel, type RedisCluster, type RedisSentinelSetup } from '../helpers/redis.js';

/**
 * Presence (the SetUserOnline Lua script and online_change pub/sub) on Redis as deployments run
 * it: a real 3-master cluster, and a sentinel-managed master through a forced failover.
 */
describe('presence on a real Redis Cluster', () => {
  let cluster: RedisCluster;
  let a: Harness;
  let b: Harness;
  let probe: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    const redis: RedisSettings = { mode: 'cluster', addrs: cluster.addrs };
    const discovery = new StandaloneDiscovery();
    a = await startNode({ redis, presence: { mergeIntervalMs: 20 } }, { discovery });
    b = await startNode({ redis, presence: { mergeIntervalMs: 20 }, simulators: false }, { discovery });
    probe = new Cluster(cluster.addrs.map((x) => ({ host: '127.0.0.1', port: Number(x.split(':')[1]) })));
  }, 60_000);
  afterAll(async () => {
    probe?.disconnect();
    await b?.close();
    await a?.close();
    await cluster?.stop();
  });

  it('subscribers on one node hear about users on the other, through the cluster', async () => {
    const payloads: string[] = [];
    const sub = new Cluster(cluster.addrs.map((x) => ({ host: '127.0.0.1', port: Number(x.split(':')[1]) })));
    sub.on('message', (_c: string, m: string) => payloads.push(m));
    await sub.subscribe('online_change');
    try {
      await subscribeAndWatch(a, b, 'cl');
      // Upstream's key and payload: ONLINE:<user> (no hash tag), "<platforms>:<userID>".
      expect(payloads).toContain('5:watched-cl');
      expect(payloads).toContain('3:5:watched-cl');
      const stay = await connectOk(b, { user: 'stay-cl', platform: 2 });
      await eventually(async () => (await probe.zrange('ONLINE:stay-cl', 0, -1)).join() === '2', 5000, 'ONLINE:stay-cl in the cluster');
      stay.close();
      // The key and the channel hash to different slots: a script naming both (as a second KEYS entry) fails with CROSSSLOT.
      expect(await probe.cluster('KEYSLOT', 'ONLINE:stay-cl')).not.toBe(await probe.cluster('KEYSLOT', 'online_change'));
    } finally {
      sub.disconnect();
    }
  }, 30_000);
});

describe('presence through a redis-sentinel failover', () => {
  let setup: RedisSentinelSetup;
  let node: Harness;
  beforeAll(async () => {
    setup = await startRedisSentinel(1);
    const redis: RedisSettings = { mode: 'sentinel', addrs: [], sentinel: { masterName: setup.masterName, addrs: setup.sentinels } };
    node = await startNode({ redis, presence: { mergeIntervalMs: 20 } });
  }, 60_000);
  afterAll(async () => {
    await node?.close();
    await setup?.stop();
  });

  it('works before and after SENTINEL FAILOVER', async () => {
    await subscribeAndWatch(node, node, 'before');
    const old = await setup.masterPort();
    const resyncs = node.view().presence.counters.resyncs;
    await setup.failover();
    const now = await setup.masterPort();
    expect(now).not.toBe(old);
    // The demoted master drops its clients: the online cache reconnects through the sentinel to
    // the new master and resyncs. Waiting for that keeps its re-tell out of the flow below.
    await eventually(() => node.view().presence.counters.resyncs > resyncs && node.view().presence.isLive, 15_000, 'online cache resynced on the new master');
    await subscribeAndWatch(node, node, 'after');
    // The state went to the new master.
    const direct = new Redis({ host: '127.0.0.1', port: now });
    const stay = await connectOk(node, { user: 'stay-s', platform: 2 });
    try {
      await eventually(async () => (await direct.zrange('ONLINE:stay-s', 0, -1)).join() === '2', 5000, 'ONLINE:stay-s on the new master');
      expect((await direct.info('replication')).includes('role:master')).toBe(true);
    } finally {
      stay.close();
      direct.disconnect();
    }
  }, 60_000);
});
