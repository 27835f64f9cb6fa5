/**
 * Pins the gateway's write-path optimisations against real sockets: frames written straight to
 * the TCP socket with their WebSocket framing built once per shared payload, coalesced per
 * connection per loop iteration, in order, with the bounded queue still closing a slow consumer;
 * and push frames encoded once per variant yet byte-identical to per-connection encoding.
 * No timing asserts: only counts, bytes and order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Connection } from '../../src/gateway/connection.js';
import { frameHeader, SharedFrame } from '../../src/gateway/frames.js';
import { pushResp } from '../../src/hub/push.js';
import { codecFor } from '../../src/protocol/codecs.js';
import { makeResp } from '../../src/protocol/envelope.js';
import { gunzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, connectURL, eventually, startNode, type RawClient, type RawOpts } from '../helpers/gateway.js';

const admin = { operationID: 'op-perf', opUserID: 'imAdmin' };

/** Raw binary payloads a test client received, in order. */
function capture(c: RawClient): Buffer[] {
  const got: Buffer[] = [];
  c.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) got.push(Buffer.from(data));
  });
  return got;
}

/** A bare ws connection (no envelope decoding: the payloads of these tests are arbitrary bytes). */
async function bare(node: Harness, o: RawOpts): Promise<{ ws: WebSocket; got: Buffer[]; order: string[] }> {
  const ws = new WebSocket(connectURL(node, o), { perMessageDeflate: false, maxPayload: 1 << 20 });
  const got: Buffer[] = [];
  const order: string[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) got.push(Buffer.from(data));
    order.push(isBinary ? 'bin' : data.toString('utf8'));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, got, order };
}

function serverSide(node: Harness, userID: string): Connection {
  // The view shows a Conn; these tests drive the transport underneath it.
  const c = node.view().registry.getAll(userID)[0] as Connection | undefined;
  if (!c) throw new Error(`${userID} is not connected`);
  return c;
}

describe('WebSocket framing of shared payloads', () => {
  it('builds RFC 6455 headers for every length class', () => {
    expect([...frameHeader(0)]).toEqual([0x82, 0]);
    expect([...frameHeader(125)]).toEqual([0x82, 125]);
    expect([...frameHeader(126)]).toEqual([0x82, 126, 0, 126]);
    expect([...frameHeader(65_535)]).toEqual([0x82, 126, 0xff, 0xff]);
    expect([...frameHeader(65_536)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('sends a shared payload first as header + payload, then as one buffer built once', () => {
    const p = Buffer.from('a shared push frame');
    const f = new SharedFrame(p);
    const first = f.chunks();
    expect(first).toHaveLength(2);
    expect(first[1]).toBe(p);
    const again = f.chunks();
    expect(again).toHaveLength(1);
    expect(again[0]).toEqual(Buffer.concat([frameHeader(p.length), p]));
    expect(f.chunks()).toBe(again);
    // Big payloads are never copied.
    const big = new SharedFrame(Buffer.alloc(70_000));
    big.chunks();
    expect(big.chunks()).toHaveLength(2);
  });
});

describe('write path against real sockets', () => {
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

  it('coalesces the frames of one loop iteration into one flush, in order, for every length class', async () => {
    const { ws, got } = await bare(node, { user: 'co', platform: 3 });
    const server = serverSide(node, 'co');
    const payloads = [0, 1, 125, 126, 65_535, 65_536, 70_000].map((n, i) => Buffer.alloc(n, i + 1));
    const stats = node.view().writeStats();
    const before = { ...stats };
    for (const p of payloads) expect(server.writer.write(p)).toBe(true);
    // One shared frame twice (as a push to several connections would): header + payload, then the built frame.
    const shared = new SharedFrame(payloads[2]!);
    expect(server.write(shared)).toBe(true);
    expect(server.write(shared)).toBe(true);
    await eventually(() => got.length === payloads.length + 2, 5000, 'all frames');
    expect(got).toEqual([...payloads, payloads[2], payloads[2]]);
    expect(stats.frames - before.frames).toBe(payloads.length + 2);
    expect(stats.flushes - before.flushes).toBe(1);
    await eventually(() => server.queueDepth === 0, 5000, 'write callbacks');
    ws.close();
  });

  it('keeps order with writes ws makes itself: a push, then the 2002 kick and the close frame', async () => {
    const c = await connectOk(node, { user: 'ko', platform: 3 });
    const server = serverSide(node, 'ko');
    server.send(makeResp({ reqIdentifier: 2001, operationID: 'before-kick' }));
    server.kick();
    const closed = await c.closed;
    expect(c.frames.map((f) => f.reqIdentifier)).toEqual([2001, 2002]);
    expect(closed.code).toBe(1000);
  });

  it('keeps order with text frames ws writes itself while the socket is corked', async () => {
    const { ws, order } = await bare(node, { user: 'hb', platform: 5, sdkType: 'js' });
    const server = serverSide(node, 'hb');
    const serverWs = (server.writer as unknown as { ws: WebSocket }).ws;
    // One iteration: a binary frame (corks the socket), a text frame through ws (a heartbeat
    // answer), another binary frame; the socket must carry them in exactly this order.
    server.writer.write(Buffer.from('one'));
    serverWs.send('{"type":"pong","body":null}');
    server.writer.write(Buffer.from('two'));
    await eventually(() => order.length === 3, 5000, 'frames');
    expect(order).toEqual(['bin', '{"type":"pong","body":null}', 'bin']);
    ws.close();
  });

  it('pushes every variant with one encode each, byte for byte what per-connection encoding gives', async () => {
    const variants = [
      { sdkType: 'go' as const, gzip: false },
      { sdkType: 'go' as const, gzip: true },
      { sdkType: 'js' as const, gzip: false },
      { sdkType: 'js' as const, gzip: true },
    ];
    const users: string[] = [];
    const received = new Map<string, Buffer[]>();
    for (const [v, o] of variants.entries()) {
      for (let k = 0; k < 3; k++) {
        const user = `pv${v}_${k}`;
        users.push(user);
        received.set(user, capture(await connectOk(node, { user, platform: 2, ...o })));
      }
    }
    const msgData = pb.sdkws.MsgData.decode(
      pb.sdkws.MsgData.encode({ sendID: 'g_sender', groupID: 'perf', sessionType: 3, contentType: 101, seq: 7, content: Buffer.from('{"content":"hi"}') }),
    );
    const before = node.view().pushStats().encodes;
    const r = await hub.SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs: users }, admin);
    expect(r.singlePushResult.map((x) => x.userID)).toEqual(users);
    expect(node.view().pushStats().encodes - before).toBe(4);
    await eventually(() => [...received.values()].every((g) => g.length === 1), 5000, 'every push frame');
    const resp = pushResp(msgData, admin.operationID);
    for (const user of users) {
      const conn = serverSide(node, user);
      const got = received.get(user)![0]!;
      // What this connection's own encode gives (zlib is deterministic within one process).
      expect(got.equals(conn.encode(resp))).toBe(true);
      const raw = conn.gzip ? gunzipFrame(got) : got;
      expect(raw.equals(codecFor(conn.sdkType, 'server').encodeResp(resp))).toBe(true);
    }
  });

  it('still closes a slow consumer through the bounded queue while a reader gets every frame in order', async () => {
    const slowNode = await startNode({ writeQueueFrames: 8, multiLogin: { policy: 0 } });
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
      const seqs = fast.frames
        .filter((f) => f.reqIdentifier === 2001)
        .map((f) => Object.values(pb.sdkws.PushMessages.decode(f.data!).msgs)[0]!.Msgs[0]!.seq);
      expect(seqs).toEqual(Array.from({ length: pushes }, (_, i) => i + 1));
      expect(fast.isOpen).toBe(true);
      fast.close();
    } finally {
      slowHub.close();
      await slowNode.close();
    }
  });

  it('refuses frames once the socket is no longer open', async () => {
    const c = await connectOk(node, { user: 'gone', platform: 3 });
    const server = serverSide(node, 'gone');
    c.ws.close();
    await eventually(() => server.closed, 5000, 'server saw the close');
    expect(server.writer.write(Buffer.from('late'))).toBe(false);
    expect(c.ws.readyState === WebSocket.CLOSING || c.ws.readyState === WebSocket.CLOSED).toBe(true);
  });
});
