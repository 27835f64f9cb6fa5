/**
 * Every way a connection ends, provoked for real over a socket, and the coded reason the gateway
 * records for it (the `reason` label of msggw_disconnects_total): each value of CLOSE_REASONS is
 * asserted here at least once, and the last test checks that none was left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_REASONS, type CloseReason } from '../../src/gateway/conn.js';
import type { GatewayEvent } from '../../src/gateway/events.js';
import { gzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';

type Disconnect = Extract<GatewayEvent, { type: 'disconnect' }>;

/** Disconnect events by userID, from every node the test watches. */
const seen = new Map<string, Disconnect>();
const asserted = new Set<CloseReason>();

function watch(node: Harness): void {
  node.view().events.on((e) => {
    if (e.type === 'disconnect') seen.set(e.userID, e);
  });
}

async function reasonOf(userID: string): Promise<Disconnect> {
  await eventually(() => seen.has(userID), 8000, `disconnect of ${userID}`);
  return seen.get(userID)!;
}

async function expectReason(userID: string, reason: CloseReason, detail?: RegExp): Promise<void> {
  const d = await reasonOf(userID);
  expect(d.reason).toBe(reason);
  if (detail) expect(d.detail).toMatch(detail);
  asserted.add(reason);
}

/** The client's TCP socket (to write raw bytes or stop reading). */
function rawSocket(c: RawClient): import('node:net').Socket {
  return (c.ws as unknown as { _socket: import('node:net').Socket })._socket;
}

describe('close reasons', () => {
  let node: Harness;
  /** Small bounds: read deadline, write and inbound queues. */
  let tight: Harness;
  beforeAll(async () => {
    node = await startNode({ multiLogin: { policy: 1 } });
    tight = await startNode({ readDeadlineMs: 400, writeQueueFrames: 4, writeQueueBytes: 256 * 1024, multiLogin: { policy: 0 } });
    watch(node);
    watch(tight);
  });
  afterAll(async () => {
    await node.close();
    await tight.close();
  });

  it('peer closed', async () => {
    const c = await connectOk(node, { user: 'r_peer', platform: 3 });
    c.close();
    await expectReason('r_peer', 'peer closed');
  });

  it('socket error: a WebSocket protocol violation (ws error code WS_ERR_INVALID_OPCODE)', async () => {
    const c = await connectOk(node, { user: 'r_sock', platform: 3 });
    // FIN + reserved opcode 0x3, masked, empty payload.
    rawSocket(c).write(Buffer.from([0x83, 0x80, 0, 0, 0, 0]));
    await expectReason('r_sock', 'socket error');
  });

  it('read deadline exceeded', async () => {
    await connectOk(tight, { user: 'r_silent', platform: 3 });
    await expectReason('r_silent', 'read deadline exceeded', /no frame for/);
  });

  it('websocket write buffer full: a peer that does not read', async () => {
    const c = await connectOk(tight, { user: 'r_slow', platform: 3 });
    rawSocket(c).pause();
    const conn = tight.view().registry.getAll('r_slow')[0]!;
    for (let i = 0; i < 50 && !conn.closed; i++) {
      conn.send({ reqIdentifier: 2001, msgIncr: '', operationID: 'op', errCode: 0, errMsg: '', data: Buffer.alloc(200_000, i) });
      await new Promise((r) => setImmediate(r));
    }
    await expectReason('r_slow', 'websocket write buffer full');
  });

  it('inbound queue full: more requests at once than the inbox holds', async () => {
    const c = await connectOk(tight, { user: 'r_flood', platform: 3 });
    const seq = pb.sdkws.GetMaxSeqReq.encode({ userID: 'r_flood' });
    for (let i = 0; i < 40; i++) c.send(1001, seq);
    await expectReason('r_flood', 'inbound queue full');
  });

  it('frame too large: over maxFrameBytes (ws error code), a text frame over the heartbeat cap, a gzip bomb', async () => {
    const a = await connectOk(node, { user: 'r_big', platform: 3 });
    a.ws.send(Buffer.alloc(60_000, 1));
    await expectReason('r_big', 'frame too large', /max|payload|length/i);
    const b = await connectOk(node, { user: 'r_bigtext', platform: 5, sdkType: 'js' });
    b.ws.send(JSON.stringify({ type: 'ping', body: 'x'.repeat(2000) }));
    await expectReason('r_bigtext', 'frame too large', /text frame/);
    const g = await connectOk(node, { user: 'r_bomb', platform: 3, gzip: true });
    g.ws.send(gzipFrame(Buffer.alloc(4 << 20)));
    await expectReason('r_bomb', 'frame too large', /inflates beyond/);
  });

  it('undecodable frame', async () => {
    const c = await connectOk(node, { user: 'r_garbage', platform: 3 });
    c.ws.send(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
    await expectReason('r_garbage', 'undecodable frame');
  });

  it('bad gzip', async () => {
    const c = await connectOk(node, { user: 'r_gzip', platform: 3, gzip: true });
    c.ws.send(Buffer.from('not gzip at all'));
    await expectReason('r_gzip', 'bad gzip');
  });

  it('sendID mismatch', async () => {
    const c = await connectOk(node, { user: 'r_sendid', platform: 3 });
    c.send(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: 'x' }), { sendID: 'someone_else' });
    await expectReason('r_sendid', 'sendID mismatch');
  });

  it('unknown reqIdentifier', async () => {
    const c = await connectOk(node, { user: 'r_ident', platform: 3 });
    c.send(9999, null);
    await expectReason('r_ident', 'unknown reqIdentifier');
  });

  it('bad text frame', async () => {
    const c = await connectOk(node, { user: 'r_text', platform: 5, sdkType: 'js' });
    c.ws.send('hello');
    await expectReason('r_text', 'bad text frame', /not JSON/);
  });

  it("ping flood: ws's guard on unanswered pings, not 'peer closed'", async () => {
    const c = await connectOk(node, { user: 'r_ping', platform: 3 });
    rawSocket(c).pause();
    // Fill the kernel buffers with one frame the peer never reads, so ws's pongs stay queued.
    const conn = node.view().registry.getAll('r_ping')[0]!;
    conn.send({ reqIdentifier: 2001, msgIncr: '', operationID: 'op', errCode: 0, errMsg: '', data: Buffer.alloc(16 << 20, 1) });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 100; i++) c.ws.ping(Buffer.alloc(100));
    await expectReason('r_ping', 'ping flood');
  });

  it('kicked', async () => {
    await connectOk(node, { user: 'r_kick', platform: 3 });
    await connectOk(node, { user: 'r_kick', platform: 3 });
    await expectReason('r_kick', 'kicked', /new login/);
  });

  it('logout', async () => {
    const c = await connectOk(node, { user: 'r_logout', platform: 3 });
    c.send(2003, pb.push.DelUserPushTokenReq.encode({ userID: 'r_logout', platformID: 3 }));
    await expectReason('r_logout', 'logout');
  });

  it('server shutdown', async () => {
    const extra = await startNode({});
    watch(extra);
    await connectOk(extra, { user: 'r_shutdown', platform: 3 });
    await extra.close();
    await expectReason('r_shutdown', 'server shutdown');
  });

  it('every close reason was asserted above', () => {
    expect([...CLOSE_REASONS].filter((r) => !asserted.has(r))).toEqual([]);
  });
});
