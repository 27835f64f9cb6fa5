/**
 * `msggw serve --workers 2` (real processes, real sockets, the redis-server serve starts for
 * them): the messaging flows across two gateway workers sharing one WebSocket port: single chat
 * and group chat between users on different workers, multi-login kicks across workers, presence
 * (2005 subscriptions) across workers, the messaging suite's flows in all four encodings, and a
 * killed worker coming back on its hub port.
 */
import { spawn } from 'node:child_process';
import { connect as connectTcp } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { pb } from '../../src/protocol/pb.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import type { Harness } from '../../harness/harness.js';
import { BIN, requireBuild, startServe, type ServeProcess } from '../helpers/cli.js';
import { connectOk, eventually, type RawClient } from '../helpers/gateway.js';
import { requireRedisServer } from '../helpers/redis.js';
import { expectPresence } from '../helpers/presence-flows.js';
import { deliverAndPull, encodingVariants, everyIdentifier, logoutCloses, type ConnectAs } from '../helpers/messaging-flows.js';

interface WorkerAddr {
  index: number;
  pid: number;
  hub: string;
}

const admin = { operationID: 'op-workers', opUserID: 'imAdmin' };
const text = (content: string): Buffer => Buffer.from(JSON.stringify({ content }));

describe('serve --workers 2', () => {
  let serve: ServeProcess;
  let workers: WorkerAddr[] = [];
  let hubs: RpcClient<MsgGatewayMethods>[] = [];
  const open: RawClient[] = [];
  // connectOk reads only the WebSocket address and the token secret from its node argument
  let target: Harness;

  const connect = async (user: string, platform: number): Promise<RawClient> => {
    const c = await connectOk(target, { user, platform });
    open.push(c);
    return c;
  };
  /** Index of the worker holding `user`'s connection(s), found through each worker's hub. */
  const workerOf = async (user: string): Promise<number[]> => {
    const on: number[] = [];
    for (let i = 0; i < hubs.length; i++) {
      const r = await hubs[i]!.GetUsersOnlineStatus({ userIDs: [user] }, admin);
      if (r.successResult.some((s) => s.userID === user && s.detailPlatformStatus.length > 0)) on.push(i);
    }
    return on;
  };
  /** Connects `prefix`0, 1, ... until one lands on each worker; returns one user per worker. */
  const onePerWorker = async (prefix: string, platform = 5): Promise<{ user: string; client: RawClient; worker: number }[]> => {
    const found = new Map<number, { user: string; client: RawClient; worker: number }>();
    for (let i = 0; i < 16 && found.size < 2; i++) {
      const user = `${prefix}${i}`;
      const client = await connect(user, platform);
      let w: number[] = [];
      await eventually(async () => (w = await workerOf(user)).length === 1, 5000, `${user} registered`);
      if (!found.has(w[0]!)) found.set(w[0]!, { user, client, worker: w[0]! });
    }
    expect(found.size).toBe(2);
    return [...found.values()].sort((a, b) => a.worker - b.worker);
  };

  beforeAll(async () => {
    requireRedisServer();
    serve = await startServe(['--workers', '2', '--port', '0', '--hub-port', '0', '--metrics-port', '0', '--api-port', '0', '--no-admin-stream', '--merge-interval', '50ms', '--group', 'wgrp=wg0,wg1,wg2,wg3'], 90_000);
    workers = (serve.addrs as unknown as { workers: WorkerAddr[] }).workers;
    hubs = workers.map((w) => createClient(msgGatewayService, w.hub));
    target = { cfg: { secret: defaultConfig().secret }, addresses: { ws: serve.addrs.ws } } as unknown as Harness;
  }, 120_000);

  afterAll(async () => {
    for (const c of open) c.close();
    for (const h of hubs) h.close();
    await serve?.stop();
  });

  it('runs two workers, each with its own hub, on one WebSocket port', () => {
    expect(workers).toHaveLength(2);
    expect(new Set(workers.map((w) => w.hub)).size).toBe(2);
    expect(new Set(workers.map((w) => w.pid)).size).toBe(2);
    expect(serve.addrs.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('delivers a single chat message between users on different workers, both ways', async () => {
    const [a, b] = await onePerWorker('wa');
    for (const [from, to] of [
      [a!, b!],
      [b!, a!],
    ] as const) {
      const sent = await from.client.request(1003, pb.sdkws.MsgData.encode({ sendID: from.user, recvID: to.user, sessionType: 1, contentType: 101, content: text(`to ${to.user}`), clientMsgID: `c-${from.user}`, senderPlatformID: 5 }));
      expect(sent.errCode).toBe(0);
      const push = await to.client.waitFor((f) => f.reqIdentifier === 2001 && Buffer.from(f.data ?? []).includes(Buffer.from(`c-${from.user}`)));
      const pm = pb.sdkws.PushMessages.decode(push.data!);
      const conv = [from.user, to.user].sort().join('_');
      expect(Buffer.from(pm.msgs[`si_${conv}`]!.Msgs[0]!.content).toString()).toBe(`{"content":"to ${to.user}"}`);
    }
  });

  it('delivers a group message to members on both workers', async () => {
    const members = await Promise.all(['wg0', 'wg1', 'wg2', 'wg3'].map((u) => connect(u, 5)));
    const placed = await Promise.all(['wg0', 'wg1', 'wg2', 'wg3'].map(async (u) => {
      let w: number[] = [];
      await eventually(async () => (w = await workerOf(u)).length === 1, 5000, `${u} registered`);
      return w[0];
    }));
    expect(new Set(placed).size).toBe(2);
    const r = await members[0]!.request(1003, pb.sdkws.MsgData.encode({ sendID: 'wg0', groupID: 'wgrp', sessionType: 3, contentType: 101, content: text('all'), clientMsgID: 'cg1' }));
    expect(r.errCode).toBe(0);
    for (const m of members) {
      const push = await m.waitFor((f) => f.reqIdentifier === 2001);
      expect(Object.keys(pb.sdkws.PushMessages.decode(push.data!).msgs)).toEqual(['sg_wgrp']);
    }
  });

  // The in-process messaging suite's wire flows (test/e2e/messaging.test.ts), in every encoding,
  // against the two workers: which worker each user lands on is the kernel's choice.
  describe.each(encodingVariants)('the messaging suite across the workers ($sdkType, gzip=$gzip)', ({ sdkType, gzip }) => {
    const tag = `w${sdkType}${gzip ? 'z' : ''}`;
    const as: ConnectAs = async (user, platform) => {
      const c = await connectOk(target, { user, platform, sdkType, gzip });
      open.push(c);
      return c;
    };
    it('delivers A -> B with the conversation ID and seq, and B pulls it again after reconnecting', async () => {
      await deliverAndPull(as, `alice-${tag}`, `bob-${tag}`);
    });
    it('answers every request identifier with reqIdentifier, msgIncr and operationID echoed', async () => {
      await everyIdentifier(as, `all-${tag}`);
    });
    it('logout (2003) replies, then closes, and the user is offline on every worker', async () => {
      await logoutCloses(as, `out-${tag}`);
      await eventually(async () => (await workerOf(`out-${tag}`)).length === 0, 5000, 'unregistered');
    });
  });

  it('a login on one worker kicks the same user and platform on the other (MultiTerminalLoginCheck)', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const user = `wml${attempt}`;
      const first = await connect(user, 1);
      let w1: number[] = [];
      await eventually(async () => (w1 = await workerOf(user)).length === 1, 5000, 'first login');
      const second = await connect(user, 1);
      const closed = await Promise.race([first.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
      expect(closed, 'the older iOS session is kicked').toBeDefined();
      await eventually(async () => (await workerOf(user)).length === 1, 5000, 'one session left');
      const w2 = await workerOf(user);
      if (w2[0] !== w1[0]) {
        expect(second.ws.readyState).toBe(second.ws.OPEN);
        return; // kicked across workers
      }
    }
    throw new Error('never got the two logins on different workers');
  });

  it('presence crosses workers: a subscriber on one worker hears a user on the other come online', async () => {
    const [s0] = await onePerWorker('wps');
    const candidates = Array.from({ length: 10 }, (_, i) => `wpw${i}`);
    const sub = await s0!.client.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: candidates }));
    expect(sub.errCode).toBe(0);
    for (const user of candidates) {
      await connect(user, 2);
      let w: number[] = [];
      await eventually(async () => (w = await workerOf(user)).length === 1, 5000, `${user} registered`);
      if (w[0] === s0!.worker) continue;
      // the user is on the other worker: the news comes through Redis (online_change)
      await expectPresence(s0!.client, user, [[2]], 10_000);
      return;
    }
    throw new Error('no watched user landed on the other worker');
  });

  it('a killed worker is started again on its hub port, and the port keeps taking connections', async () => {
    const victim = workers[0]!;
    process.kill(victim.pid, 'SIGKILL');
    await eventually(() => /worker 0 is back/.test(serve.stderr()), 30_000, 'worker 0 restarted');
    const users: string[] = [];
    for (let i = 0; i < 6; i++) {
      users.push(`wr${i}`);
      await connect(`wr${i}`, 5);
    }
    await eventually(async () => {
      const r = await hubs[0]!.GetUsersOnlineStatus({ userIDs: users }, admin).catch(() => undefined);
      return (r?.successResult.length ?? 0) > 0;
    }, 15_000, 'the new worker 0 serves its hub and holds connections');
  });
});

describe('serve --workers: a stop signal to the whole process group', () => {
  it('stops the workers before the redis-server it started (no Redis errors on the way out), and removes it', async () => {
    requireRedisServer();
    requireBuild();
    // Its own process group, signalled as `timeout`, a container stop or systemd's control-group
    // kill do: SIGTERM to every process of the group, the redis-server serve spawned included.
    const p = spawn(process.execPath, [BIN, 'serve', '--workers', '2', '--port', '0', '--hub-port', '0', '--metrics-port', '0', '--api-port', '0', '--no-admin-stream', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    try {
      await eventually(() => out.includes('"ready":true'), 90_000, 'serve --workers 2 ready');
      const redisPort = /started redis-server for the workers at redis:\/\/127\.0\.0\.1:(\d+)/.exec(err)?.[1];
      expect(redisPort).toBeDefined();
      // Settled: every worker's Redis connections (the presence ledger's heartbeat too) are up.
      await new Promise((r) => setTimeout(r, 3000));
      process.kill(-p.pid!, 'SIGTERM');
      expect(await exited).toBe(0);
      expect(err).not.toMatch(/ECONNRESET|ECONNREFUSED|max retries|maxRetriesPerRequest|close failed/);
      // The redis-server is gone with it.
      await eventually(() => new Promise<boolean>((resolve) => {
        const s = connectTcp(Number(redisPort), '127.0.0.1');
        s.once('connect', () => (s.destroy(), resolve(false)));
        s.once('error', () => resolve(true));
      }), 10_000, 'the redis-server stopped');
    } finally {
      if (p.exitCode === null) process.kill(-p.pid!, 'SIGKILL');
    }
  }, 120_000);
});
