import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pb } from '../../src/protocol/pb.js';
import { redisKeys } from '../../src/redis/keys.js';
import { StandaloneDiscovery } from '../../src/discovery/standalone.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode } from '../helpers/gateway.js';
import { expectPresence, presencePushes, subscribeAndWatch } from '../helpers/presence-flows.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

/** The core flows again, with a real redis-server behind the simulators and the online cache. */
describe('serve against a real redis-server', () => {
  let redis: RedisServer;
  let node: Harness;
  let probe: Redis;
  beforeAll(async () => {
    redis = await startRedisServer();
    node = await startNode({ redisUrl: redis.url, presence: { mergeIntervalMs: 20 } });
    probe = new Redis(redis.url);
  });
  afterAll(async () => {
    probe?.disconnect();
    await node?.close();
    await redis?.stop();
  });

  it('stores messages in Redis, pushes them, and serves the pull after a reconnect', async () => {
    const a = await connectOk(node, { user: 'ra', platform: 1, gzip: true });
    const b = await connectOk(node, { user: 'rb', platform: 5, sdkType: 'js' });
    for (let i = 0; i < 3; i++) {
      const r = await a.request(1003, pb.sdkws.MsgData.encode({ sendID: 'ra', recvID: 'rb', sessionType: 1, contentType: 101, content: Buffer.from(`{"n":${i}}`) }));
      expect(r.errCode).toBe(0);
    }
    await eventually(() => b.frames.filter((f) => f.reqIdentifier === 2001).length === 3, 5000, 'three pushes');
    const seqs = b.frames.filter((f) => f.reqIdentifier === 2001).map((f) => pb.sdkws.PushMessages.decode(f.data!).msgs['si_ra_rb']!.Msgs[0]!.seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect(await probe.get('MSGGW:SEQ:si_ra_rb')).toBe('3');
    b.close();
    await b.closed;
    const b2 = await connectOk(node, { user: 'rb', platform: 5, sdkType: 'js' });
    const pull = await b2.request(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'rb', seqRanges: [{ conversationID: 'si_ra_rb', begin: 2, end: 3, num: 10 }] }));
    expect(pb.sdkws.PullMessageBySeqsResp.decode(pull.data!).msgs['si_ra_rb']!.Msgs.map((m) => m.seq)).toEqual([2, 3]);
    a.close();
    b2.close();
  });

  it('keeps token states in UID_PID_TOKEN_STATUS and applies policy 1', async () => {
    const first = await connectOk(node, { user: 'rt', platform: 2 });
    const second = await connectOk(node, { user: 'rt', platform: 2 });
    await first.waitFor((f) => f.reqIdentifier === 2002);
    await eventually(async () => Object.values(await probe.hgetall(redisKeys.tokenStatus('rt', 'Android'))).sort().join() === '0,2', 3000, 'token states');
    second.close();
  });

  it('writes ONLINE:<user> and publishes online_change exactly as upstream', async () => {
    const sub = new Redis(redis.url);
    const payloads: string[] = [];
    sub.on('message', (_ch: string, m: string) => payloads.push(m));
    await sub.subscribe('online_change');
    const w = await connectOk(node, { user: 'rz', platform: 3 });
    await eventually(() => payloads.includes('3:rz'), 3000, 'payload 3:rz');
    const m = await connectOk(node, { user: 'rz', platform: 1 });
    await eventually(() => payloads.includes('1:3:rz'), 3000, 'payload 1:3:rz');
    expect(await probe.zrange(redisKeys.online('rz'), 0, -1)).toEqual(['1', '3']);
    expect(await probe.ttl(redisKeys.online('rz'))).toBeGreaterThan(1790);
    w.close();
    await eventually(() => payloads.includes('1:rz'), 3000, 'payload 1:rz');
    m.close();
    await eventually(() => payloads.at(-1) === 'rz', 3000, 'offline payload');
    expect(payloads.filter((p) => p.endsWith('rz'))).toEqual(['3:rz', '1:3:rz', '1:rz', 'rz']);
    expect(await probe.exists(redisKeys.online('rz'))).toBe(0);
    sub.disconnect();
  });

  it('presence: subscribers see platform lists in order', async () => {
    await subscribeAndWatch(node, node, 'real');
  });

  it('presence survives a Redis restart', async () => {
    const a = await connectOk(node, { user: 'rs-watcher', platform: 5 });
    await a.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: ['rs-user'] }));
    const before = await connectOk(node, { user: 'rs-user', platform: 2 });
    await expectPresence(a, 'rs-user', [[2]]);
    const resyncs = node.view().presence.counters.resyncs;
    await redis.restart();
    // The cache saw the connection drop and came back with a fresh subscription (entries dropped).
    await eventually(() => node.view().presence.counters.resyncs > resyncs && node.view().presence.isLive, 15_000, 'cache resubscribed');
    expect(node.view().presence.counters.disconnects).toBeGreaterThan(0);
    const after = await connectOk(node, { user: 'rs-user', platform: 3 });
    // After the restart the sorted set is gone: the new state is just what the reporter sends now.
    await eventually(() => presencePushes(a, 'rs-user').some((p) => p.includes(3)), 15_000, 'presence after restart');
    before.close();
    after.close();
    a.close();
  });

  it('after a Redis restart the watchers are re-told what changed, before anyone reconnects', async () => {
    const w = await connectOk(node, { user: 'rr-watcher', platform: 5 });
    await w.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: ['rr-user', 'rr-same'] }));
    const u = await connectOk(node, { user: 'rr-user', platform: 2 });
    const same = await connectOk(node, { user: 'rr-same', platform: 3 });
    await expectPresence(w, 'rr-user', [[2]]);
    await expectPresence(w, 'rr-same', [[3]]);
    // A change whose online_change was lost (as one published while the gateway's subscriber is
    // away): platform 7 goes into the sorted set with no publish. SIGTERM makes Redis save it.
    await probe.zadd(redisKeys.online('rr-user'), Math.floor(Date.now() / 1000) + 600, '7');
    const resyncs = node.view().presence.counters.resyncs;
    await redis.kill('SIGTERM');
    await redis.restart();
    await eventually(() => node.view().presence.counters.resyncs > resyncs, 15_000, 'cache resubscribed');
    // Nobody connected or left: the only source of this push is the resync re-telling the watcher
    // what the user service now reads from Redis.
    await expectPresence(w, 'rr-user', [[2], [2, 7]], 10_000);
    // rr-same did not change: the resync tells its watcher nothing new.
    await new Promise((r) => setTimeout(r, 300));
    expect(presencePushes(w, 'rr-same')).toEqual([[3]]);
    u.close();
    same.close();
    w.close();
  });
});

describe('two gateway nodes sharing one real Redis', () => {
  it('a subscriber on node A sees a user come online on node B', async () => {
    const redis = await startRedisServer();
    const discovery = new StandaloneDiscovery();
    const a = await startNode({ redisUrl: redis.url, presence: { mergeIntervalMs: 20 } }, { discovery });
    const b = await startNode({ redisUrl: redis.url, presence: { mergeIntervalMs: 20 }, simulators: false }, { discovery });
    try {
      await subscribeAndWatch(a, b, 'two-nodes');
    } finally {
      await b.close();
      await a.close();
      await discovery.close();
      await redis.stop();
    }
  });
});
