import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';

const variants = [
  { sdkType: 'go' as const, gzip: false },
  { sdkType: 'go' as const, gzip: true },
  { sdkType: 'js' as const, gzip: false },
  { sdkType: 'js' as const, gzip: true },
];

function text(content: string) {
  return Buffer.from(JSON.stringify({ content }));
}

describe.each(variants)('messaging end to end ($sdkType, gzip=$gzip)', ({ sdkType, gzip }) => {
  let node: Harness;
  const tag = `${sdkType}${gzip ? 'z' : ''}`;
  const A = `alice-${tag}`;
  const B = `bob-${tag}`;
  const open: RawClient[] = [];
  const connect = async (user: string, platform: number) => {
    const c = await connectOk(node, { user, platform, sdkType, gzip });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    for (const c of open) c.close();
    await node.close();
  });

  it('delivers A (iOS) -> B (Windows + Web) with the conversation ID and seq, and B pulls it again after reconnecting', async () => {
    const a = await connect(A, 1);
    const b3 = await connect(B, 3);
    const b5 = await connect(B, 5);
    const sent = await a.request(1003, pb.sdkws.MsgData.encode({ sendID: A, recvID: B, sessionType: 1, contentType: 101, content: text('hi'), clientMsgID: 'c1', senderPlatformID: 1 }));
    expect(sent.errCode).toBe(0);
    const ack = pb.msg.SendMsgResp.decode(sent.data!);
    expect(ack.clientMsgID).toBe('c1');
    expect(ack.serverMsgID).toMatch(/^[0-9a-f]{32}$/);
    expect(ack.sendTime).toBeGreaterThan(0);
    const conv = [A, B].sort().join('_');
    for (const b of [b3, b5]) {
      const push = await b.waitFor((f) => f.reqIdentifier === 2001);
      const pm = pb.sdkws.PushMessages.decode(push.data!);
      expect(Object.keys(pm.msgs)).toEqual([`si_${conv}`]);
      const m = pm.msgs[`si_${conv}`]!.Msgs[0]!;
      expect(m).toMatchObject({ sendID: A, recvID: B, seq: 1, clientMsgID: 'c1', serverMsgID: ack.serverMsgID });
      expect(Buffer.from(m.content).toString()).toBe('{"content":"hi"}');
    }
    // The sender's own connection gets the push too (the SDK de-duplicates by clientMsgID).
    await a.waitFor((f) => f.reqIdentifier === 2001);

    b5.close();
    await b5.closed;
    const again = await connect(B, 5);
    const seqResp = await again.request(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: B }));
    expect(pb.sdkws.GetMaxSeqResp.decode(seqResp.data!).maxSeqs).toEqual({ [`si_${conv}`]: 1 });
    const pull = await again.request(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: B, seqRanges: [{ conversationID: `si_${conv}`, begin: 1, end: 1, num: 10 }] }));
    const pulled = pb.sdkws.PullMessageBySeqsResp.decode(pull.data!);
    expect(pulled.msgs[`si_${conv}`]!.Msgs.map((m) => [m.seq, m.clientMsgID])).toEqual([[1, 'c1']]);
    expect(pulled.msgs[`si_${conv}`]!.isEnd).toBe(true);
  });

  it('answers every request identifier with reqIdentifier, msgIncr and operationID echoed', async () => {
    const c = await connect(`all-${tag}`, 2);
    const me = `all-${tag}`;
    const conv = `si_${[me, 'peer'].sort().join('_')}`;
    const cases: [number, Uint8Array | null][] = [
      [1003, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 101, content: text('x') })],
      [1003, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 1601, content: text('second') })],
      // Upstream answers every 1004 with ArgsError (test/e2e/dispatch-errors.test.ts); echoed all the same.
      [1004, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 1601, content: text('signal') })],
      [1001, pb.sdkws.GetMaxSeqReq.encode({ userID: me })],
      [1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: me, seqRanges: [{ conversationID: conv, begin: 1, end: 2, num: 2 }] })],
      [1005, pb.msg.GetSeqMessageReq.encode({ userID: me, conversations: [{ conversationID: conv, seqs: [1, 2] }] })],
      [1006, pb.msg.GetConversationsHasReadAndMaxSeqReq.encode({ userID: me })],
      [1007, pb.msg.GetLastMessageReq.encode({ userID: me, conversationIDs: [conv] })],
      [2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: me, isBackground: true })],
    ];
    for (const [id, data] of cases) {
      const msgIncr = c.send(id, data);
      const r = await c.waitFor((f) => f.msgIncr === msgIncr);
      expect(r, `reply to ${id}`).toMatchObject({ reqIdentifier: id, msgIncr, operationID: `op-${msgIncr}`, errCode: id === 1004 ? 1001 : 0 });
    }
    const get = (id: number) => c.frames.find((f) => f.reqIdentifier === id)!.data!;
    expect(pb.msg.GetSeqMessageResp.decode(get(1005)).msgs[conv]!.Msgs.map((m) => m.seq)).toEqual([1, 2]);
    expect(pb.msg.GetConversationsHasReadAndMaxSeqResp.decode(get(1006)).seqs[conv]!.maxSeq).toBe(2);
    expect(pb.msg.GetLastMessageResp.decode(get(1007)).msgs[conv]!.contentType).toBe(1601);
    expect(c.frames.find((f) => f.reqIdentifier === 2004)!.data).toBeNull();
    expect(node.view().registry.getAll(me)[0]!.background).toBe(true);

    // A bad payload is an error reply (upstream: not a CodeError, so 500), and the connection stays open.
    const bad = await c.request(1001, Buffer.from([0xff, 0xff, 0xff]));
    expect(bad).toMatchObject({ errCode: 500, errMsg: 'ServerInternalError' });
    expect(c.isOpen).toBe(true);
  });

  it('logout (2003) replies, tells the push service, then closes', async () => {
    const me = `out-${tag}`;
    const c = await connect(me, 2);
    const r = await c.request(2003, pb.push.DelUserPushTokenReq.encode({ userID: me, platformID: 2 }));
    expect(r.errCode).toBe(0);
    await c.closed;
    await eventually(() => node.view().registry.getAll(me).length === 0, 2000, 'unregister');
    expect(node.stack!.pushCalls.some((p) => p.userID === me && p.platformID === 2)).toBe(true);
  });

  it('delivers group messages to every member', async () => {
    const g = `grp-${tag}`;
    await node.stack!.msgStore.setGroup(g, [`g1-${tag}`, `g2-${tag}`, `g3-${tag}`]);
    const members = await Promise.all([`g1-${tag}`, `g2-${tag}`, `g3-${tag}`].map((u) => connect(u, 5)));
    const r = await members[0]!.request(1003, pb.sdkws.MsgData.encode({ sendID: `g1-${tag}`, groupID: g, sessionType: 3, contentType: 101, content: text('all') }));
    expect(r.errCode).toBe(0);
    for (const m of members) {
      const push = await m.waitFor((f) => f.reqIdentifier === 2001);
      expect(Object.keys(pb.sdkws.PushMessages.decode(push.data!).msgs)).toEqual([`sg_${g}`]);
    }
  });
});

describe('close rules: only the offending connection goes', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode({ websocketMaxMsgLen: 4096 });
  });
  afterAll(async () => {
    await node.close();
  });

  async function offendAndCheck(user: string, offend: (c: RawClient) => void, opts: { gzip?: boolean; sdkType?: 'go' | 'js' } = {}) {
    const bystander = await connectOk(node, { user: `${user}-ok`, platform: 5 });
    const c = await connectOk(node, { user, platform: 5, ...opts });
    offend(c);
    const { code } = await c.closed;
    await eventually(() => node.view().registry.getAll(user).length === 0, 2000, 'unregister');
    expect((await bystander.request(2004, null)).errCode).toBe(0);
    bystander.close();
    return code;
  }

  it('closes on an undecodable frame', async () => {
    await offendAndCheck('bad-gob', (c) => c.ws.send(Buffer.from('definitely not gob')));
    await offendAndCheck('bad-json', (c) => c.ws.send(Buffer.from('{"reqIdentifier":"x"')), { sdkType: 'js' });
  });
  it('closes on wrong gzip', async () => {
    await offendAndCheck('bad-gz', (c) => c.ws.send(Buffer.from('not gzip at all')), { gzip: true });
  });
  it('closes on an oversize frame (1009)', async () => {
    const code = await offendAndCheck('big', (c) => c.ws.send(Buffer.alloc(5000, 1)));
    expect(code).toBe(1009);
  });
  it('closes on a sendID that is not the connection user', async () => {
    await offendAndCheck('liar', (c) => c.send(2004, null, { sendID: 'someone-else' }));
  });
  it('closes on an unknown reqIdentifier', async () => {
    await offendAndCheck('unknown-id', (c) => c.send(4242, null));
  });
  it('closes on a text frame that is not a ping/pong', async () => {
    await offendAndCheck('txt', (c) => c.ws.send('hello'));
  });
  it('answers JSON text pings with pongs echoing the body', async () => {
    const c = await connectOk(node, { user: 'pinger', platform: 5, sdkType: 'js' });
    c.ws.send('{"type":"ping","body":{"n":1}}');
    expect(await c.waitText()).toBe('{"type":"pong","body":{"n":1}}');
    c.ws.send('{"type":"pong"}');
    c.texts.length = 0;
    c.ws.send('{"type":"ping"}');
    expect(await c.waitText()).toBe('{"type":"pong","body":null}');
    expect(c.isOpen).toBe(true);
    c.close();
  });

  it('keeps serving after 10k random frames from a hostile client', async () => {
    const hostile = await connectOk(node, { user: 'hostile', platform: 5 });
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    let sent = 0;
    // The server closes the hostile connection at its first bad frame; keep reconnecting.
    let c = hostile;
    const deadline = Date.now() + 20_000;
    while (sent < 10_000 && Date.now() < deadline) {
      if (!c.isOpen) c = await connectOk(node, { user: 'hostile', platform: 5 });
      const len = Math.floor(rnd() * 200);
      const buf = Buffer.alloc(len);
      for (let i = 0; i < len; i++) buf[i] = Math.floor(rnd() * 256);
      c.ws.send(buf);
      sent++;
      if (sent % 200 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(sent).toBe(10_000);
    const ok = await connectOk(node, { user: 'after-hostile', platform: 5 });
    expect((await ok.request(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: 'after-hostile' }))).errCode).toBe(0);
    ok.close();
    c.close();
  });
});

describe('read deadline and Web heartbeat', () => {
  it('closes a silent connection after the read deadline and pings Web clients', async () => {
    const node = await startNode({ readDeadlineMs: 600, webPingIntervalMs: 100 });
    try {
      const web = await connectOk(node, { user: 'w', platform: 5 });
      let pings = 0;
      web.ws.on('ping', () => pings++);
      const silent = await connectOk(node, { user: 's', platform: 2 });
      // ws answers pings with pongs automatically, which keeps the Web client alive.
      (silent.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      await silent.closed.then(() => undefined, () => undefined);
      await eventually(() => node.view().registry.getAll('s').length === 0, 3000, 'silent conn closed');
      expect(pings).toBeGreaterThan(0);
      expect(node.view().registry.getAll('w').length).toBe(1);
      web.close();
    } finally {
      await node.close();
    }
  });
});
