import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';
import { deliverAndPull, encodingVariants, everyIdentifier, logoutCloses } from '../helpers/messaging-flows.js';

function text(content: string) {
  return Buffer.from(JSON.stringify({ content }));
}

describe.each(encodingVariants)('messaging end to end ($sdkType, gzip=$gzip)', ({ sdkType, gzip }) => {
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
    await deliverAndPull(connect, A, B);
  });

  it('answers every request identifier with reqIdentifier, msgIncr and operationID echoed', async () => {
    const me = `all-${tag}`;
    await everyIdentifier(connect, me);
    expect(node.view().registry.getAll(me)[0]!.background).toBe(true);
  });

  it('logout (2003) replies, tells the push service, then closes', async () => {
    const me = `out-${tag}`;
    await logoutCloses(connect, me);
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
