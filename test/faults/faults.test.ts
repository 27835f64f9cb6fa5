import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { msgService, type MsgMethods } from '../../src/rpc/services.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { SimMetrics, SimRun, Rng, secretTokens, pace, type SimConn } from '../../simulators/scenarios/index.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';
import { eventuallyPasses } from '../helpers/wait.js';
import { NodeProcess, onlinePlatforms } from './cluster.js';

/** Heartbeat TTL of the nodes' user sets (--node-ttl), seconds. */
const NODE_TTL_S = 2;
/** Presence status batches every this many ms (--merge-interval). */
const MERGE_MS = 50;
/** How long after a node kill its users may still show online: TTL + one sweep (TTL/2) + a merge, plus slack for a loaded CI box. */
const KILL_BOUND_MS = NODE_TTL_S * 1500 + MERGE_MS + 3000;
/** After an orderly stop or a reconnect presence only waits for a status batch (plus slack). */
const REPORT_BOUND_MS = MERGE_MS + 4000;
/** Users in the load: odd ones on node A, even ones on node B, each paired with its neighbour (so every chat crosses nodes). */
const USERS = 8;
/** Messages per second during a fault, over all senders. */
const RATE = 40;

/**
 * The fault suite: real redis-server (AOF, as the simulators require) and etcd, a `msggw serve
 * --no-gateway` child with the simulators, and two gateway nodes as `msggw serve` children. A
 * chat load across the nodes runs through each fault with the sim's ledger and seq tracker.
 * After each fault: nothing acknowledged is lost, nothing is pushed twice, no seq names two
 * messages, presence in Redis matches who is connected within the fault's bound, and the
 * surviving node kept serving during it.
 */
describe('fault suite: Redis, etcd and node failures under a chat load', () => {
  let redis: RedisServer;
  let etcd: EtcdServer;
  let services: ServeProcess;
  let a: NodeProcess;
  let b: NodeProcess;
  let probe: Redis;
  let msg: RpcClient<MsgMethods>;
  let run: SimRun;
  let conns: SimConn[] = [];
  /** conversationID -> seq -> clientMsgID, from every push any connection saw. */
  const seen = new Map<string, Map<number, string>>();
  const reused: string[] = [];
  const abort = new AbortController();

  beforeAll(async () => {
    // appendfsync always: the SIGKILL case asserts that no acknowledged seq is lost or reused.
    // With everysec Redis may reply before its AOF write while a slow fsync runs (a shared,
    // busy disk), so a kill then rolls the seq counters back and the next sends reuse seqs
    // clients already hold: a Redis durability setting, not a gateway fault.
    [redis, etcd] = await Promise.all([startRedisServer({ fsync: 'always' }), startEtcd()]);
    const common = ['--redis', redis.url, '--discovery', `etcd://${etcd.endpoint}`, '--metrics-port', '0', '--no-admin-stream', '--no-api'];
    services = await startServe([...common, '--simulators', '--no-gateway', '--port', '0', '--hub-port', '0']);
    const node = [...common, '--no-simulators', '--merge-interval', `${MERGE_MS}ms`, '--node-ttl', `${NODE_TTL_S}s`, '--multi-login-policy', '0'];
    [a, b] = await Promise.all([NodeProcess.start('A', node), NodeProcess.start('B', node)]);
    probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    probe.on('error', () => undefined);
    msg = createClient(msgService, services.addrs.msg!);
    run = new SimRun({
      url: a.url,
      tokens: secretTokens('openIM123'),
      prefix: `flt${Date.now().toString(36)}_`,
      metrics: new SimMetrics(),
      rng: new Rng(7),
      platforms: [{ value: 1, weight: 1 }],
      sdk: [{ value: 'go', weight: 1 }],
      concurrency: 16,
      rampPerSec: 0,
      requestTimeoutMs: 4000,
      trackMessages: true,
      reconnect: { minDelayMs: 100, maxDelayMs: 400 },
      lossGraceMs: 1000,
      maxInFlightSends: 200,
      signal: abort.signal,
    });
    for (let i = 1; i <= USERS; i++) {
      const conn = await run.connect({ userID: run.userID(i), url: i % 2 === 1 ? a.url : b.url, platformID: i % 2 === 1 ? 1 : 2 });
      conn.client.on('push', (ev) => {
        const bySeq = seen.get(ev.conversationID) ?? new Map<number, string>();
        seen.set(ev.conversationID, bySeq);
        const prev = bySeq.get(ev.msg.seq);
        if (prev !== undefined && prev !== ev.msg.clientMsgID) reused.push(`${ev.conversationID}#${ev.msg.seq}: ${prev} and ${ev.msg.clientMsgID}`);
        bySeq.set(ev.msg.seq, ev.msg.clientMsgID);
      });
      conns.push(conn);
      await run.catchUp(conn);
    }
    // One message per pair first, so every connection knows its conversation: the sim's catch-up
    // owes a connection only conversations it had seen (history before that is not owed).
    for (let k = 0; k < conns.length; k += 2) expect(await run.send(conns[k]!, { userID: conns[k + 1]!.userID })).toBe(true);
    expect(await run.drain(3000, 10_000)).toBe(true);
    await presenceConverged(REPORT_BOUND_MS);
  }, 90_000);

  afterAll(async () => {
    abort.abort();
    await run?.closeAll();
    msg?.close();
    probe?.disconnect();
    await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
    await services?.stop();
    await redis?.stop();
    await etcd?.destroy();
  });

  /** Sends at RATE while `fault` runs (and for `tailMs` after), counting acks by the sender's node. */
  async function underLoad(fault: () => Promise<void>, tailMs = 1000): Promise<{ acked: { A: number; B: number } }> {
    const acked = { A: 0, B: 0 };
    let done = false;
    const load = (async () => {
      let i = 0;
      while (!done) {
        await pace({ rate: RATE, durationMs: 250, signal: abort.signal }, () => {
          const k = i++ % conns.length;
          const from = conns[k]!;
          const peer = conns[k % 2 === 0 ? k + 1 : k - 1]!;
          void run.send(from, { userID: peer.userID }).then((ok) => {
            if (ok) acked[k % 2 === 0 ? 'A' : 'B']++;
          });
        });
      }
    })();
    try {
      await fault();
      await new Promise((r) => setTimeout(r, tailMs));
    } finally {
      done = true;
      await load;
    }
    return { acked };
  }

  /** Every ledger and seq invariant, after the deliveries owed have drained. */
  async function integrity(what: string): Promise<void> {
    const settled = await run.drain(4000, 25_000);
    // What an SDK does on its heartbeat sync (and on a seq gap in the next push): GetNewestSeq and
    // pull. Pushes a node missed while it restarted (the msg service's channel to it was still
    // backing off) are stored, and this is how clients get them.
    const pulledBefore = run.metrics.counters.pulled;
    for (const c of conns) if (c.isOpen) expect(await run.catchUp(c), `${what}: sync of ${c.userID}`).toBe(true);
    const bySync = run.metrics.counters.pulled - pulledBefore;
    const t = run.ledger.finalize(run.excused);
    const diag = `${what}: ${JSON.stringify({ settled, bySync, ...t, lostSamples: t.lostSamples.slice(0, 3), reused: reused.slice(0, 3), counters: run.metrics.counters, errors: run.metrics.errorsByKind, anomalies: run.tracker.anomalies().slice(0, 5) })}\nA: ${a.stderr().slice(-800)}\nB: ${b.stderr().slice(-800)}`;
    expect(t.lost, diag).toBe(0);
    expect(t.duplicates, diag).toBe(0);
    expect(t.unexpected, diag).toBe(0);
    expect(reused, diag).toEqual([]);
    expect(run.tracker.stats.duplicatePushes, diag).toBe(0);
    // The store itself: every seq of every conversation names one message, and seqs are dense from 1
    // (a reused seq after a Redis crash would overwrite or repeat one).
    for (const conversationID of seen.keys()) {
      const pulled = await msg.PullMessageBySeqs({ userID: run.userID(1), seqRanges: [{ conversationID, begin: 1, end: 1_000_000, num: 10_000 }], order: 0 }, { operationID: 'faults', opUserID: 'imAdmin' });
      const list = pulled.msgs[conversationID]?.Msgs ?? [];
      const ids = new Set(list.map((m) => m.clientMsgID));
      expect(ids.size, `${what}: ${conversationID} holds one message per seq`).toBe(list.length);
      for (const [seq, id] of seen.get(conversationID)!) expect(list.find((m) => m.seq === seq)?.clientMsgID, `${what}: ${conversationID}#${seq}`).toBe(id);
    }
  }

  /** Redis's ONLINE keys name exactly the platforms the sim holds open, within `boundMs`. */
  async function presenceConverged(boundMs: number, what = 'presence'): Promise<number> {
    const started = Date.now();
    await eventuallyPasses(async () => {
      for (const c of conns) {
        const want = c.isOpen ? [c.platformID] : [];
        expect(await onlinePlatforms(probe, c.userID), `${what}: ${c.userID} (${c.isOpen ? 'open' : 'closed'})`).toEqual(want);
      }
    }, boundMs, 100);
    return Date.now() - started;
  }

  /** Waits until every sim connection is open again (they redial with backoff). */
  async function allReconnected(timeoutMs = 15_000): Promise<void> {
    await eventuallyPasses(() => expect(conns.filter((c) => !c.isOpen).map((c) => c.userID)).toEqual([]), timeoutMs, 100);
  }

  it('Redis SIGTERM and restart: nothing acked is lost, presence is intact', async () => {
    const { acked } = await underLoad(async () => {
      await new Promise((r) => setTimeout(r, 500));
      await redis.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      await redis.restart();
    });
    expect(acked.A + acked.B).toBeGreaterThan(0);
    await allReconnected();
    await integrity('redis SIGTERM');
    await presenceConverged(REPORT_BOUND_MS, 'after redis SIGTERM');
  }, 60_000);

  it('Redis SIGKILL and restart (AOF): nothing acked is lost and no seq is reused', async () => {
    const maxBefore = await msg.GetMaxSeq({ userID: run.userID(1) }, { operationID: 'faults', opUserID: 'imAdmin' });
    const { acked } = await underLoad(async () => {
      await new Promise((r) => setTimeout(r, 700));
      await redis.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 1000));
      await redis.restart();
    });
    expect(acked.A + acked.B).toBeGreaterThan(0);
    await allReconnected();
    await integrity('redis SIGKILL');
    // Seqs kept counting up from where they were (a restart from nothing would begin again at 1).
    const maxAfter = await msg.GetMaxSeq({ userID: run.userID(1) }, { operationID: 'faults', opUserID: 'imAdmin' });
    for (const [conv, seq] of Object.entries(maxBefore.maxSeqs)) expect(maxAfter.maxSeqs[conv]).toBeGreaterThan(seq);
    await presenceConverged(REPORT_BOUND_MS, 'after redis SIGKILL');
  }, 60_000);

  // 6 s instead of 20 s: what an outage does here does not change with its length as long as it is
  // shorter than the registrations' lease TTL (30 s): nodes serve from their resolved addresses,
  // keep-alives fail and retry, nothing expires. The etcd tests cover longer losses (lease lost).
  it('etcd down for 6 s: both nodes keep serving across nodes', async () => {
    const { acked } = await underLoad(async () => {
      await etcd.stop();
      await new Promise((r) => setTimeout(r, 6000));
      await etcd.start();
    });
    expect(acked.A).toBeGreaterThan(50);
    expect(acked.B).toBeGreaterThan(50);
    await integrity('etcd down');
    await presenceConverged(REPORT_BOUND_MS, 'after etcd down');
  }, 60_000);

  it("node SIGKILL: its users show offline within the TTL bound, the survivor keeps serving, and the restart reconnects them", async () => {
    let offlineAfter = 0;
    const { acked } = await underLoad(async () => {
      await b.kill('SIGKILL');
      const killedAt = Date.now();
      // Nobody reported B's users offline: node A's sweep does, once B's heartbeat expired.
      await presenceConverged(KILL_BOUND_MS, 'B killed');
      offlineAfter = Date.now() - killedAt;
      await b.restart();
    });
    expect(offlineAfter).toBeLessThan(KILL_BOUND_MS);
    // Users on A kept sending (to B's users, who pull what they missed after reconnecting).
    expect(acked.A).toBeGreaterThan(10);
    await allReconnected();
    await integrity('node SIGKILL');
    await presenceConverged(REPORT_BOUND_MS, 'after B restart');
  }, 90_000);

  it('node SIGTERM (drain): users are reported offline at once, and come back after the restart', async () => {
    let offlineAfter = 0;
    const { acked } = await underLoad(async () => {
      const stoppedAt = Date.now();
      await b.kill('SIGTERM');
      await presenceConverged(REPORT_BOUND_MS, 'B drained');
      offlineAfter = Date.now() - stoppedAt;
      await b.restart();
    });
    expect(offlineAfter).toBeLessThan(REPORT_BOUND_MS + 8000);
    expect(acked.A).toBeGreaterThan(10);
    await allReconnected();
    await integrity('node SIGTERM');
    await presenceConverged(REPORT_BOUND_MS, 'after B restart (drain)');
  }, 90_000);
});
