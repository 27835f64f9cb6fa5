import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { pb } from '../../src/protocol/pb.js';
import { connectURLRaw, handshakeURL, RawClient } from '../helpers/gateway.js';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { startRedisServer, type RedisServer } from '../helpers/redis.js';

async function connect(ws: string, user: string, platform: number): Promise<RawClient> {
  const o = { user, platform, sdkType: 'js' as const };
  const r = await connectURLRaw(handshakeURL(ws, o), o);
  if (!(r instanceof RawClient)) throw new Error(`refused: ${JSON.stringify(r.body)}`);
  return r;
}

/**
 * The deployment the hub issue promises: two `msggw serve` processes that share one real etcd and
 * one real Redis (the first also runs the simulators) find each other, deliver across nodes,
 * kick across nodes, and answer `msggw call` with the right online details.
 */
describe('two msggw serve processes on one etcd and one Redis', () => {
  let etcd: EtcdServer;
  let redis: RedisServer;
  let nodeA: ServeProcess;
  let nodeB: ServeProcess;

  beforeAll(async () => {
    etcd = await startEtcd();
    redis = await startRedisServer();
    const common = ['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--redis', redis.url, '--discovery', `etcd://${etcd.endpoint}`, '--merge-interval', '20ms'];
    // With etcd the simulators are off unless asked for: node A asks, node B runs only a gateway.
    nodeA = await startServe([...common, '--simulators']);
    nodeB = await startServe([...common, '--no-simulators']);
  }, 60_000);

  afterAll(async () => {
    await nodeB?.stop();
    await nodeA?.stop();
    await redis?.stop();
    await etcd?.destroy();
  });

  it('registers both hubs and the simulators under openim/<service>/<host:port>', async () => {
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      const keys = Object.keys(await client.getAll().prefix('openim/').strings()).sort();
      expect(keys).toEqual(
        expect.arrayContaining([
          `openim/messagegateway-rpc-service/${nodeA.addrs.hub}`,
          `openim/messagegateway-rpc-service/${nodeB.addrs.hub}`,
          `openim/auth-rpc-service/${nodeA.addrs.auth}`,
          `openim/msg-rpc-service/${nodeA.addrs.msg}`,
        ]),
      );
      expect(await client.get(`openim/messagegateway-rpc-service/${nodeB.addrs.hub}`).string()).toBe(JSON.stringify({ Addr: nodeB.addrs.hub, Metadata: null }));
    } finally {
      client.close();
    }
  });

  it('a message from a user on node A reaches the contact on node B', async () => {
    const alice = await connect(nodeA.addrs.ws!, 'alice', 1);
    const bob = await connect(nodeB.addrs.ws!, 'bob', 5);
    const r = await alice.request(1003, pb.sdkws.MsgData.encode({ sendID: 'alice', recvID: 'bob', sessionType: 1, contentType: 101, content: Buffer.from('{"content":"across"}') }));
    expect(r.errCode).toBe(0);
    const push = await bob.waitFor((f) => f.reqIdentifier === 2001, 10_000);
    expect(pb.sdkws.PushMessages.decode(push.data!).msgs['si_alice_bob']!.Msgs[0]!.seq).toBe(1);
    alice.close();
    bob.close();
  });

  it('a login on node B kicks the same-platform session on node A (policy 1)', async () => {
    const onA = await connect(nodeA.addrs.ws!, 'roamer', 5);
    const onB = await connect(nodeB.addrs.ws!, 'roamer', 5);
    await onA.waitFor((f) => f.reqIdentifier === 2002, 10_000);
    await onA.closed;
    expect(onB.isOpen).toBe(true);
    onB.close();
  });

  it('msggw call against either node shows the right online details', async () => {
    const c1 = await connect(nodeA.addrs.ws!, 'carol', 3);
    const c2 = await connect(nodeB.addrs.ws!, 'carol', 1);
    const onA = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["carol"]}', '--addr', nodeA.addrs.hub!, '--json']);
    expect(onA.code).toBe(0);
    const a = JSON.parse(onA.stdout);
    expect(a.successResult[0].detailPlatformStatus.map((d: { platformID: number }) => d.platformID)).toEqual([3]);
    const onB = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["carol"]}', '--addr', nodeB.addrs.hub!, '--json']);
    expect(JSON.parse(onB.stdout).successResult[0].detailPlatformStatus.map((d: { platformID: number }) => d.platformID)).toEqual([1]);
    // Through discovery: the command finds a hub in etcd by its service name.
    const viaEtcd = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["carol"]}', '--discovery', `etcd://${etcd.endpoint}`, '--json']);
    expect(viaEtcd.code).toBe(0);
    expect(JSON.parse(viaEtcd.stdout).successResult[0].userID).toBe('carol');
    c1.close();
    c2.close();
  });

  it('msggw call --discovery asks every hub and merges (online status, kick); --instance asks one', async () => {
    const clients = [await connect(nodeA.addrs.ws!, 'dave', 3), await connect(nodeB.addrs.ws!, 'dave', 1), await connect(nodeA.addrs.ws!, 'erin', 1), await connect(nodeB.addrs.ws!, 'frank', 1)];
    // The CLI runs are slow on a busy box: keep the connections alive past the gateway's read deadline.
    const keepAlive = setInterval(() => clients.forEach((c) => c.ws.ping()), 5000);
    try {
      const etcdFlag = ['--discovery', `etcd://${etcd.endpoint}`];
      const merged = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["dave"]}', ...etcdFlag, '--json']);
      expect(merged.code).toBe(0);
      const m = JSON.parse(merged.stdout);
      expect(m.successResult).toHaveLength(1);
      expect(m.successResult[0].detailPlatformStatus.map((d: { platformID: number }) => d.platformID).sort()).toEqual([1, 3]);
      expect(merged.stderr).toContain('asked all 2 instances');
      // erin is on node A, frank on node B: one kick reaches both only when it fans out.
      const kicks = [clients[2]!.waitFor((f) => f.reqIdentifier === 2002, 15_000), clients[3]!.waitFor((f) => f.reqIdentifier === 2002, 15_000)];
      const kick = await runCli(['call', 'msgGateway.KickUserOffline', '{"platformID":1,"kickUserIDList":["erin","frank"]}', ...etcdFlag]);
      expect(kick.code).toBe(0);
      await Promise.all(kicks);
      const one = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["dave"]}', ...etcdFlag, '--instance', nodeB.addrs.hub!]);
      expect(one.code).toBe(0);
      expect(JSON.parse(one.stdout).successResult[0].detailPlatformStatus.map((d: { platformID: number }) => d.platformID)).toEqual([1]);
      expect(one.stderr).toContain(`at ${nodeB.addrs.hub}, 1 of 2 instances`);
      const wrong = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["dave"]}', ...etcdFlag, '--instance', '127.0.0.1:1']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr.replace(/\s*›\s*/g, ' ')).toContain('127.0.0.1:1 is not a registered messagegateway-rpc-service instance');
    } finally {
      clearInterval(keepAlive);
      clients.forEach((c) => c.close());
    }
  }, 120_000);

  it('msggw call reports OpenIM errors with code and exits non-zero', async () => {
    const r = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["carol"]}', '--addr', nodeA.addrs.hub!, '--op-user', 'mallory', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n')[0]!)).toMatchObject({ errCode: 1002, errMsg: 'NoPermissionError', errDlt: 'only app manager' });
    const bad = await runCli(['call', 'nope.Method', '{}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown service 'nope'");
    const list = await runCli(['call', '--list']);
    expect(list.stdout).toContain('SuperGroupOnlineBatchPushOneMsg(msgData: MsgData, pushToUserIDs: repeated string)');
  });
});
