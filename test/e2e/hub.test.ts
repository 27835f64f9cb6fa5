import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeError } from '../../src/protocol/errors.js';
import { pb } from '../../src/protocol/pb.js';
import { StandaloneDiscovery } from '../../src/discovery/standalone.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode } from '../helpers/gateway.js';

const admin = { operationID: 'op-admin', opUserID: 'imAdmin' };

describe('hub: openim.msggateway.msgGateway over real gRPC', () => {
  let node: Harness;
  let hub: RpcClient<MsgGatewayMethods>;
  beforeAll(async () => {
    node = await startNode({ multiLogin: { policy: 0 } });
    hub = createClient(msgGatewayService, node.addresses.hub!);
  });
  afterAll(async () => {
    hub.close();
    await node.close();
  });

  it('GetUsersOnlineStatus is admin only and lists every connection', async () => {
    const ios = await connectOk(node, { user: 'st', platform: 1 });
    const web = await connectOk(node, { user: 'st', platform: 5, sdkType: 'js' });
    await ios.request(2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: 'st', isBackground: true }));
    const e = await hub.GetUsersOnlineStatus({ userIDs: ['st'] }, { operationID: 'op', opUserID: 'st' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CodeError);
    expect((e as CodeError).code).toBe(1002);
    const r = await hub.GetUsersOnlineStatus({ userIDs: ['st', 'nobody'] }, admin);
    expect(r.successResult).toHaveLength(1);
    expect(r.successResult[0]!.status).toBe(1);
    const details = r.successResult[0]!.detailPlatformStatus.sort((a, b) => a.platformID - b.platformID);
    expect(details.map((d) => [d.platformID, d.isBackground])).toEqual([
      [1, true],
      [5, false],
    ]);
    expect(details[0]!.connID).toMatch(/^[0-9a-f]{32}$/);
    expect(details[0]!.token.split('.')).toHaveLength(3);
    ios.close();
    web.close();
  });

  it('SuperGroupOnlineBatchPushOneMsg reports per platform: iOS background 1604 (no frame), Android onlinePush, Web delivered', async () => {
    const ios = await connectOk(node, { user: 'pu', platform: 1 });
    const android = await connectOk(node, { user: 'pu', platform: 2, gzip: true });
    const web = await connectOk(node, { user: 'pu', platform: 5, sdkType: 'js' });
    await ios.request(2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: 'pu', isBackground: true }));
    const r = await hub.SuperGroupOnlineBatchPushOneMsg(
      { msgData: { sendID: 'x', recvID: 'pu', sessionType: 1, contentType: 101, seq: 9, content: Buffer.from('{}') }, pushToUserIDs: ['pu', 'offline-user'] },
      admin,
    );
    const [pu, off] = r.singlePushResult;
    expect(off).toEqual({ userID: 'offline-user', onlinePush: false, resp: [] });
    expect(pu!.onlinePush).toBe(true);
    expect(pu!.resp.map((p) => [p.RecvPlatFormID, p.ResultCode]).sort()).toEqual([
      [1, 1604],
      [2, 0],
    ]);
    await android.waitFor((f) => f.reqIdentifier === 2001);
    const webPush = await web.waitFor((f) => f.reqIdentifier === 2001);
    expect(pb.sdkws.PushMessages.decode(webPush.data!).msgs['si_pu_x']!.Msgs[0]!.seq).toBe(9);
    await new Promise((res) => setTimeout(res, 50));
    expect(ios.frames.some((f) => f.reqIdentifier === 2001)).toBe(false);
    for (const c of [ios, android, web]) c.close();
  });

  it('encodes each pushed frame once per (codec, gzip) variant, identical to per-connection encoding', async () => {
    const users = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'];
    const clients = await Promise.all(users.map((u, i) => connectOk(node, { user: u, platform: 5, sdkType: i % 2 ? 'js' : 'go', gzip: i % 4 >= 2 })));
    const before = node.view().pushStats().encodes;
    const msgData = { sendID: 'x', recvID: 'v1', sessionType: 1, contentType: 101, seq: 3 };
    await hub.SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs: users }, admin);
    expect(node.view().pushStats().encodes - before).toBe(4);
    for (const c of clients) {
      const f = await c.waitFor((x) => x.reqIdentifier === 2001);
      expect(pb.sdkws.PushMessages.decode(f.data!).msgs['si_v1_x']!.Msgs[0]!.seq).toBe(3);
    }
    clients.forEach((c) => c.close());
  });

  it('KickUserOffline kicks that platform only, reporting the kick before the disconnect it causes', async () => {
    const a = await connectOk(node, { user: 'kk', platform: 1 });
    const b = await connectOk(node, { user: 'kk', platform: 3 });
    const seen: string[] = [];
    const off = node.view().events.on((e) => {
      if ((e.type === 'kick' || e.type === 'disconnect') && e.userID === 'kk') seen.push(e.type === 'disconnect' ? `disconnect:${e.reason}:${e.detail}` : `kick:${e.cause}`);
    });
    await hub.KickUserOffline({ platformID: 1, kickUserIDList: ['kk'] }, admin);
    off();
    expect(seen).toEqual(['kick:hub', 'disconnect:kicked:kicked through the hub (KickUserOffline)']);
    await a.waitFor((f) => f.reqIdentifier === 2002);
    await a.closed;
    await eventually(() => node.view().registry.platforms('kk').join() === '3', 2000, 'kick');
    expect(b.isOpen).toBe(true);
    b.close();
  });

  it('a slow consumer is closed by its bounded queue while others keep receiving', async () => {
    const slowNode = await startNode({ writeQueueFrames: 8 });
    const slowHub = createClient(msgGatewayService, slowNode.addresses.hub!);
    try {
      const slow = await connectOk(slowNode, { user: 'slow', platform: 3 });
      const fast = await connectOk(slowNode, { user: 'fast', platform: 3 });
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = Buffer.alloc(48_000, 7);
      let pushes = 0;
      const deadline = Date.now() + 20_000;
      while (slowNode.view().registry.getAll('slow').length > 0 && pushes < 3000 && Date.now() < deadline) {
        await slowHub.SuperGroupOnlineBatchPushOneMsg({ msgData: { sendID: 'x', recvID: 'y', sessionType: 1, seq: ++pushes, content: big }, pushToUserIDs: ['slow', 'fast'] }, admin);
      }
      expect(slowNode.view().registry.getAll('slow')).toHaveLength(0);
      await eventually(() => fast.frames.filter((f) => f.reqIdentifier === 2001).length === pushes, 10_000, 'fast got every push');
      expect(fast.isOpen).toBe(true);
      fast.close();
    } finally {
      slowHub.close();
      await slowNode.close();
    }
  });

  it('serves an empty operationID, as upstream (its interceptor counts the metadata values only)', async () => {
    await expect(hub.KickUserOffline({ platformID: 1, kickUserIDList: [] }, { operationID: '' })).resolves.toBeDefined();
  });
});

describe('two gateway nodes sharing discovery', () => {
  it('a login on node B kicks the same-platform session on node A (policy 1), and messages cross nodes', async () => {
    const discovery = new StandaloneDiscovery();
    const a = await startNode({ multiLogin: { policy: 1 } }, { discovery });
    // Node B runs only the gateway; it finds A's simulators through discovery.
    const b = await startNode({ multiLogin: { policy: 1 }, simulators: false }, { discovery });
    try {
      const onA = await connectOk(a, { user: 'roam', platform: 5 });
      const friendOnB = await connectOk(b, { user: 'friend', platform: 3 });
      const sent = await onA.request(1003, pb.sdkws.MsgData.encode({ sendID: 'roam', recvID: 'friend', sessionType: 1, contentType: 101, content: Buffer.from('{}') }));
      expect(sent.errCode).toBe(0);
      await friendOnB.waitFor((f) => f.reqIdentifier === 2001);
      const onB = await connectOk(b, { user: 'roam', platform: 5 });
      await onA.waitFor((f) => f.reqIdentifier === 2002);
      await onA.closed;
      expect(onB.isOpen).toBe(true);
      friendOnB.close();
      onB.close();
    } finally {
      await b.close();
      await a.close();
      await discovery.close();
    }
  });
});
