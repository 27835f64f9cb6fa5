import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCodec } from '../../../src/protocol/codecs.js';
import { makeResp } from '../../../src/protocol/envelope.js';
import { ReqIdentifier } from '../../../src/protocol/identifiers.js';
import { pb } from '../../../src/protocol/pb.js';
import {
  ConnectionClosedError,
  HandshakeError,
  OpenIMClient,
  RequestTimeoutError,
  ResponseError,
  SeqTracker,
  TimerWheel,
  tokenFor,
  type CatchUpEvent,
  type CloseEvent,
  type OpenIMClientOptions,
  type PresenceEvent,
  type PushEvent,
  type ReconnectFailedEvent,
} from '../../../simulators/client/index.js';
import { verifyToken } from '../../../simulators/services/jwt.js';
import { FakeGateway, type FakeConn } from './fake-gateway.js';

let gw: FakeGateway;
let timers: TimerWheel;
const clients: OpenIMClient[] = [];

beforeEach(async () => {
  gw = await new FakeGateway().start();
  timers = new TimerWheel({ tickMs: 10 });
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await gw.close();
  timers.close();
});

function client(over: Partial<OpenIMClientOptions> = {}): OpenIMClient {
  const c = new OpenIMClient({ url: gw.url, userID: 'u1', platformID: 1, token: tokenFor('u1', 1), timers, ...over });
  clients.push(c);
  return c;
}

/** Resolves with the next emission of `event`. */
function next<T>(c: OpenIMClient, event: 'close' | 'push' | 'presence' | 'reconnect' | 'reconnectFailed' | 'catchUp' | 'kicked'): Promise<T> {
  return new Promise((resolve) => c.once(event, ((ev: T) => resolve(ev)) as never));
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('encodings', () => {
  for (const sdkType of ['go', 'js'] as const) {
    for (const gzip of [true, false]) {
      it(`${sdkType} ${gzip ? 'with' : 'without'} gzip: request/reply round trip, SDK envelope conventions`, async () => {
        const c = client({ sdkType, gzip });
        await c.connect();
        expect(c.state).toBe('open');
        expect(c.handshakeMs).toBeGreaterThan(0);
        const payload = Buffer.from('hello');
        const { resp, rttMs } = await c.request(3333, payload);
        expect(resp.reqIdentifier).toBe(3333);
        expect(resp.msgIncr).toBe('u1_1');
        expect(Buffer.from(resp.data!)).toEqual(payload);
        expect(rttMs).toBeGreaterThanOrEqual(0);

        const got = gw.received[0]!;
        expect(got.conn.args.sdkType).toBe(sdkType);
        expect(got.conn.args.gzip).toBe(gzip);
        expect(got.req).toMatchObject({ reqIdentifier: 3333, sendID: 'u1', token: '', msgIncr: 'u1_1' });
        expect(got.req.operationID).not.toBe('');
        if (sdkType === 'go') {
          // The Go SDK's own struct travels on the wire; the server flavour reads it by field name.
          expect(got.envelope.includes(Buffer.from('GeneralWsReq'))).toBe(true);
          expect(getCodec('gob', 'server').decodeReq(got.envelope)).toEqual(got.req);
        } else {
          const j = JSON.parse(got.envelope.toString('utf8')) as Record<string, unknown>;
          expect(Object.keys(j)).toEqual(['reqIdentifier', 'token', 'sendID', 'operationID', 'msgIncr', 'data']);
          expect(getCodec('json', 'server').decodeReq(got.envelope)).toEqual(got.req);
        }
        await c.close();
        expect(c.state).toBe('closed');
      });
    }
  }

  it('query form carries what the Go SDK sends (no sdkType for go, token in the URL)', async () => {
    const c = client({ operationIDPrefix: 'run1-' });
    await c.connect();
    const { url, args } = gw.attempts[0]!;
    expect([...url.searchParams.keys()]).toEqual(['sendID', 'token', 'platformID', 'operationID', 'isBackground', 'compression']);
    expect(args).toMatchObject({ userID: 'u1', platformID: 1, gzip: true, sdkType: 'go', background: false, sendResponse: false });
    expect(args!.operationID.startsWith('run1-')).toBe(true);
    expect(verifyToken('openIM123', args!.token)).toMatchObject({ UserID: 'u1', PlatformID: 1 });
  });

  it('v form: every parameter as base64url JSON', async () => {
    const c = client({ sdkType: 'js', useV: true, gzip: true, isMsgResp: true, background: true, sdkVersion: 'sim-1' });
    await c.connect();
    const { url, args } = gw.attempts[0]!;
    expect([...url.searchParams.keys()]).toEqual(['v']);
    expect(url.searchParams.get('v')).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(args).toMatchObject({ userID: 'u1', platformID: 1, sdkType: 'js', gzip: true, sendResponse: true, background: true, sdkVersion: 'sim-1' });
    const { resp } = await c.request(3333, null);
    expect(resp.data).toBeNull();
  });
});

describe('requests', () => {
  it('matches replies by msgIncr when they come out of order', async () => {
    const held: Parameters<NonNullable<typeof gw.onRequest>>[0][] = [];
    gw.onRequest = (r) => {
      held.push(r);
      if (held.length === 3) for (const h of [...held].reverse()) h.conn.reply(h.req);
      return 'hold';
    };
    const c = client({ sdkType: 'js', gzip: false });
    await c.connect();
    const results = await Promise.all([1, 2, 3].map((n) => c.request(4000 + n, Buffer.from([n]))));
    expect(results.map((r) => [r.resp.reqIdentifier, r.resp.msgIncr, Buffer.from(r.resp.data!)[0]])).toEqual([
      [4001, 'u1_1', 1],
      [4002, 'u1_2', 2],
      [4003, 'u1_3', 3],
    ]);
    expect(c.pendingCount).toBe(0);
  });

  it('a reply with errCode resolves; typed helpers turn it into ResponseError', async () => {
    gw.onRequest = ({ req }) => ({ reqIdentifier: req.reqIdentifier, msgIncr: req.msgIncr, operationID: req.operationID, errCode: 1004, errMsg: 'RecordNotFoundError', data: null });
    const c = client();
    await c.connect();
    const { resp } = await c.request(ReqIdentifier.GetNewestSeq, null);
    expect(resp.errCode).toBe(1004);
    const err = await c.getNewestSeq().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResponseError);
    expect(err).toMatchObject({ errCode: 1004, errMsg: 'RecordNotFoundError', reqIdentifier: 1001 });
  });

  it('times out through the wheel; a late reply is counted as unmatched', async () => {
    const held: Parameters<NonNullable<typeof gw.onRequest>>[0][] = [];
    gw.onRequest = (r) => {
      held.push(r);
      return 'hold';
    };
    const c = client({ requestTimeoutMs: 80 });
    await c.connect();
    const t0 = Date.now();
    const err = await c.request(1001, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestTimeoutError);
    expect(err).toMatchObject({ code: 'REQUEST_TIMEOUT', reqIdentifier: 1001, msgIncr: 'u1_1', timeoutMs: 80 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    expect(c.pendingCount).toBe(0);
    held[0]!.conn.reply(held[0]!.req);
    await until(() => c.stats.unmatched === 1);
    expect(c.stats.timeouts).toBe(1);
    // Per-request timeout override.
    await expect(c.request(1001, null, { timeoutMs: 20 })).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it('a closed connection rejects every pending request, and requests while closed fail fast', async () => {
    gw.onRequest = () => 'hold';
    const c = client();
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    const ps = [c.request(1001, null), c.request(1002, null)].map((p) => p.catch((e: unknown) => e));
    await until(() => gw.received.length === 2);
    conn.drop();
    const errs = await Promise.all(ps);
    for (const e of errs) expect(e).toBeInstanceOf(ConnectionClosedError);
    expect(errs[0]).toMatchObject({ code: 'CONNECTION_CLOSED', closeCode: 1006 });
    await expect(c.request(1001, null)).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('typed helpers encode the SDK requests and decode replies', async () => {
    const c = client({ userID: 'u1', platformID: 5, token: tokenFor('u1', 5), sdkType: 'js' });
    await c.connect();
    const sent = await c.sendMsg({ recvID: 'u2', text: 'hi' });
    expect(sent.data.serverMsgID).toMatch(/^srv-[0-9a-f]{32}$/);
    const m = pb.sdkws.MsgData.decode(gw.received[0]!.req.data!);
    expect(m).toMatchObject({ sendID: 'u1', recvID: 'u2', senderPlatformID: 5, sessionType: 1, contentType: 101, msgFrom: 100 });
    expect(m.clientMsgID).toBe(sent.data.clientMsgID);
    expect(m.createTime).toBeGreaterThan(0);
    expect(JSON.parse(Buffer.from(m.content).toString('utf8'))).toEqual({ content: 'hi' });

    await c.setBackground(true);
    expect(pb.sdkws.SetAppBackgroundStatusReq.decode(gw.received[1]!.req.data!)).toEqual({ userID: 'u1', isBackground: true });
    expect(c.isBackground).toBe(true);

    const presence: PresenceEvent[] = [];
    c.on('presence', (ev) => presence.push(ev));
    const sub = await c.subscribe(['u7', 'u8'], ['u9']);
    expect(sub.data.subscribers.map((s) => s.userID)).toEqual(['u7', 'u8']);
    expect(pb.sdkws.SubUserOnlineStatus.decode(gw.received[2]!.req.data!)).toEqual({ subscribeUserID: ['u7', 'u8'], unsubscribeUserID: ['u9'] });
    expect(presence).toHaveLength(1);
    expect(presence[0]!.reply).toBe(true);

    gw.store.set('si_u1_u2', []);
    gw.append('si_u1_u2');
    const seqs = await c.getNewestSeq();
    expect(seqs.data.maxSeqs).toEqual({ si_u1_u2: 1 });
    expect(pb.sdkws.GetMaxSeqReq.decode(gw.received[3]!.req.data!)).toEqual({ userID: 'u1' });
    const pulled = await c.pullBySeqList([{ conversationID: 'si_u1_u2', begin: 1, end: 1 }]);
    expect(pulled.data.msgs.si_u1_u2!.Msgs.map((x) => x.seq)).toEqual([1]);
    expect(pb.sdkws.PullMessageBySeqsReq.decode(gw.received[4]!.req.data!).seqRanges).toEqual([{ conversationID: 'si_u1_u2', begin: 1, end: 1, num: 1 }]);
  });

  it('1004 and 1005: signalling messages and pulls by seq (ranges expanded, bounded)', async () => {
    const c = client();
    await c.connect();
    gw.onRequest = (r) => (r.req.reqIdentifier === ReqIdentifier.PullMsg ? makeResp({ reqIdentifier: 1005, msgIncr: r.req.msgIncr }) : 'default');
    await c.sendSignalMsg({ recvID: 'u2', text: 'ring' });
    expect(gw.received[0]!.req.reqIdentifier).toBe(ReqIdentifier.SendSignalMsg);
    expect(pb.sdkws.MsgData.decode(gw.received[0]!.req.data!)).toMatchObject({ sendID: 'u1', recvID: 'u2', contentType: 101 });
    await c.pullMsg([{ conversationID: 'si_u1_u2', begin: 3, end: 5 }, { conversationID: 'sg_team', seqs: [9] }]);
    expect(gw.received[1]!.req.reqIdentifier).toBe(ReqIdentifier.PullMsg);
    expect(pb.msg.GetSeqMessageReq.decode(gw.received[1]!.req.data!)).toEqual({
      userID: 'u1',
      conversations: [
        { conversationID: 'si_u1_u2', seqs: [3, 4, 5] },
        { conversationID: 'sg_team', seqs: [9] },
      ],
      order: 0,
    });
    await expect(c.pullMsg([{ conversationID: 'c', begin: 1, end: 1e9 }])).rejects.toBeInstanceOf(RangeError);
  });

  it('onFrame sees every request and reply envelope', async () => {
    const seen: string[] = [];
    const c = client({ onFrame: (f) => seen.push(f.dir === 'out' ? `> ${f.req.reqIdentifier} ${f.req.msgIncr}` : f.dir === 'in' ? `< ${f.resp.reqIdentifier} ${f.resp.msgIncr}` : `${f.dir} ${f.text}`) });
    await c.connect();
    await c.getNewestSeq();
    expect(seen).toEqual(['> 1001 u1_1', '< 1001 u1_1']);
  });

  it('logout: the reply resolves, the connection closes and does not come back', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 } });
    await c.connect();
    const closed = next<CloseEvent>(c, 'close');
    await c.logout();
    expect(pb.push.DelUserPushTokenReq.decode(gw.received[0]!.req.data!)).toEqual({ userID: 'u1', platformID: 1 });
    const ev = await closed;
    expect(ev).toMatchObject({ byClient: true, willReconnect: false });
    await new Promise((r) => setTimeout(r, 60));
    expect(c.state).toBe('closed');
    expect(gw.attempts).toHaveLength(1);
  });
});

describe('handshake', () => {
  it('surfaces the HTTP 200 + JSON refusal as HandshakeError with errCode/errMsg/errDlt', async () => {
    gw.refuse = () => ({ errCode: 1502, errMsg: 'TokenInvalidError', errDlt: 'token user mismatch' });
    const c = client();
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err).toMatchObject({ kind: 'http', httpStatus: 200, errCode: 1502, errMsg: 'TokenInvalidError', errDlt: 'token user mismatch', code: 'HANDSHAKE_FAILED' });
    expect(c.state).toBe('closed');
  });

  it("surfaces the gateway parser's ConnArgsErr for an invalid platform", async () => {
    const c = client({ platformID: 99 });
    const err = (await c.connect().catch((e: unknown) => e)) as HandshakeError;
    expect(err.errCode).toBe(1602);
    expect(err.errDlt).toBe('platformID is invalid');
  });

  it('isMsgResp: success after the errCode 0 text frame', async () => {
    const c = client({ isMsgResp: true, sdkType: 'js' });
    await c.connect();
    expect(gw.attempts[0]!.url.searchParams.get('isMsgResp')).toBe('true');
    expect(c.state).toBe('open');
    const { resp } = await c.request(3333, Buffer.from('x'));
    expect(resp.msgIncr).toBe('u1_1');
  });

  it('isMsgResp: a non-zero errCode text frame rejects and closes', async () => {
    gw.refuse = () => ({ errCode: 1507, errMsg: 'TokenNotExistError', errDlt: 'no such token' });
    const c = client({ isMsgResp: true });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'text', errCode: 1507, errMsg: 'TokenNotExistError', errDlt: 'no such token' });
    expect(c.state).toBe('closed');
    expect(gw.conns.size).toBe(0);
  });

  it('times out when the gateway never answers the upgrade', async () => {
    const silent = await new FakeGateway({ silent: true }).start();
    try {
      const c = client({ url: silent.url, handshakeTimeoutMs: 80 });
      const err = await c.connect().catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'timeout' });
    } finally {
      await silent.close();
    }
  });

  it('reports a refused TCP connection as a network failure', async () => {
    const url = gw.url;
    await gw.close();
    gw = await new FakeGateway().start();
    const c = client({ url });
    await expect(c.connect()).rejects.toMatchObject({ kind: 'network' });
  });
});

describe('server frames', () => {
  it('emits pushes per message (with conversation and notification flag), presence, kick and close', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 } });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    const pushes: PushEvent[] = [];
    c.on('push', (ev) => pushes.push(ev));
    const m1 = pb.sdkws.MsgData.create({ sendID: 'u2', recvID: 'u1', seq: 1, sessionType: 1, contentType: 101 });
    const m2 = pb.sdkws.MsgData.create({ sendID: 'u2', recvID: 'u1', seq: 2, sessionType: 1, contentType: 101 });
    const n1 = pb.sdkws.MsgData.create({ sendID: 'sys', recvID: 'u1', seq: 1, sessionType: 4, contentType: 1400 });
    conn.push({ msgs: { si_u1_u2: { Msgs: [m1, m2] } }, notificationMsgs: { n_sys_u1: { Msgs: [n1] } } });
    await until(() => pushes.length === 3);
    expect(pushes.map((p) => [p.conversationID, p.msg.seq, p.notification])).toEqual([
      ['si_u1_u2', 1, false],
      ['si_u1_u2', 2, false],
      ['n_sys_u1', 1, true],
    ]);
    expect(c.stats).toMatchObject({ pushFrames: 1, pushMsgs: 3 });

    const presence = next<PresenceEvent>(c, 'presence');
    conn.presence({ subscribers: [{ userID: 'u2', onlinePlatformIDs: [2] }] });
    expect(await presence).toEqual({ reply: false, tips: { subscribers: [{ userID: 'u2', onlinePlatformIDs: [2] }] } });

    const kicked = next<void>(c, 'kicked');
    const closed = next<CloseEvent>(c, 'close');
    conn.kick();
    await kicked;
    expect(await closed).toMatchObject({ kicked: true, willReconnect: false, byClient: false });
    expect(c.state).toBe('closed');
  });

  it('counts pushes without decoding when nobody listens', async () => {
    const c = client();
    const connP = gw.nextConn();
    await c.connect();
    (await connP).push({ msgs: { si_u1_u2: { Msgs: [{ seq: 1 }] } } });
    await until(() => c.stats.pushFrames === 1);
    expect(c.stats.pushMsgs).toBe(0);
  });

  it('drops the connection on an undecodable frame', async () => {
    const c = client({ gzip: true });
    const connP = gw.nextConn();
    await c.connect();
    const errors: Error[] = [];
    c.on('protocolError', (e) => errors.push(e));
    const closed = next<CloseEvent>(c, 'close');
    (await connP).ws.send(Buffer.from('not gzip'));
    await closed;
    expect(errors[0]!.message).toMatch(/gzip/);
  });
});

describe('heartbeats', () => {
  it('text heartbeat (JS SDK): {"type":"ping"} answered with a pong', async () => {
    const c = client({ sdkType: 'js', heartbeat: 'text', heartbeatIntervalMs: 40 });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    await until(() => c.stats.pongs >= 2);
    expect(conn.texts[0]).toBe('{"type":"ping"}');
    expect(c.stats.lastPongRttMs).toBeGreaterThanOrEqual(0);
  });

  it('ws-ping heartbeat (Go SDK)', async () => {
    const c = client({ heartbeat: 'ws-ping', heartbeatIntervalMs: 40 });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    await until(() => conn.pings.length >= 2 && c.stats.pongs >= 2);
    expect(conn.texts).toEqual([]);
  });

  it('answers a server text ping with a pong echoing the body', async () => {
    const c = client({ heartbeat: 'none' });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    const got = new Promise<string>((resolve) => conn.ws.once('message', (d: Buffer) => resolve(d.toString())));
    conn.ws.send('{"type":"ping","body":"x1"}');
    expect(await got).toBe('{"type":"pong","body":"x1"}');
  });

  it('a silent peer is dropped after the read timeout', async () => {
    const c = client({ heartbeat: 'text', heartbeatIntervalMs: 30, readTimeoutMs: 50, sdkType: 'js' });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    // Stop answering pings: the server side swallows everything from now on.
    conn.ws.removeAllListeners('message');
    const ev = await next<CloseEvent>(c, 'close');
    expect(ev.code).toBe(1006);
  });
});

describe('reconnect', () => {
  it('reconnects with exponential backoff after the server drops the socket', async () => {
    let handshakes = 0;
    // The first handshake and the fourth pass; the two in between are refused.
    gw.refuse = () => (++handshakes === 2 || handshakes === 3 ? { errCode: 500, errMsg: 'ServerInternalError' } : undefined);
    const c = client({ reconnect: { enabled: true, minDelayMs: 40, maxDelayMs: 400 } });
    const connP = gw.nextConn();
    await c.connect();
    const failures: ReconnectFailedEvent[] = [];
    c.on('reconnectFailed', (ev) => failures.push(ev));
    const closed = next<CloseEvent>(c, 'close');
    const reconnected = next<{ attempt: number; downtimeMs: number }>(c, 'reconnect');
    (await connP).drop();
    expect(await closed).toMatchObject({ code: 1006, willReconnect: true, kicked: false });
    expect(c.state).toBe('reconnecting');
    const ev = await reconnected;
    expect(ev.attempt).toBe(3);
    expect(failures.map((f) => [f.attempt, f.willRetry, (f.error as HandshakeError).errCode])).toEqual([
      [1, true, 500],
      [2, true, 500],
    ]);
    // Delays: >= 20, >= 40, >= 80 ms (equal jitter keeps at least half of 40 * 2^n).
    expect(ev.downtimeMs).toBeGreaterThanOrEqual(20 + 40 + 80 - 15);
    expect(c.state).toBe('open');
    const { resp } = await c.request(3333, null);
    expect(resp.msgIncr).toMatch(/^u1_\d+$/);
    expect(c.stats.reconnects).toBe(1);
  });

  it('gives up on a token error', async () => {
    let handshakes = 0;
    gw.refuse = () => (++handshakes > 1 ? { errCode: 1506, errMsg: 'TokenKickedError' } : undefined);
    const c = client({ reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 } });
    const connP = gw.nextConn();
    await c.connect();
    const failed = next<ReconnectFailedEvent>(c, 'reconnectFailed');
    (await connP).drop();
    const ev = await failed;
    expect(ev.willRetry).toBe(false);
    expect(c.state).toBe('closed');
  });

  it('terminate({reconnect: true}) counts as a drop; close() during backoff stops it', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 30, maxDelayMs: 60 } });
    await c.connect();
    const reconnected = next<unknown>(c, 'reconnect');
    c.terminate({ reconnect: true });
    await reconnected;
    expect(c.state).toBe('open');
    const closed = next<CloseEvent>(c, 'close');
    gw.conns.forEach((conn) => conn.drop());
    expect((await closed).willReconnect).toBe(true);
    await c.close();
    expect(c.state).toBe('closed');
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.attempts).toHaveLength(2);
  });

  it('requests made while reconnecting wait for the new connection; subscriptions are made again', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 80, maxDelayMs: 100 } });
    const connP = gw.nextConn();
    await c.connect();
    await c.subscribe(['u7', 'u8']);
    await c.subscribe([], ['u8']);
    expect(c.subscriptions).toEqual(['u7']);
    const closed = next<CloseEvent>(c, 'close');
    (await connP).drop();
    await closed;
    expect(c.state).toBe('reconnecting');
    const resubscribed = new Promise<{ userIDs: string[]; error?: Error }>((r) => c.once('resubscribe', r));
    // Made during the backoff: queued, then sent on the new connection.
    const seq = c.getNewestSeq();
    expect(c.queuedCount).toBe(1);
    const got = await seq;
    expect(got.data.maxSeqs).toEqual({});
    expect(await resubscribed).toEqual({ userIDs: ['u7'] });
    const afterDrop = gw.received.slice(2).map((r) => [r.req.reqIdentifier, r.conn === [...gw.conns][0]]);
    expect(afterDrop).toEqual([
      [ReqIdentifier.GetNewestSeq, true],
      [ReqIdentifier.WsSubUserOnlineStatus, true],
    ]);
    expect(pb.sdkws.SubUserOnlineStatus.decode(gw.received[3]!.req.data!).subscribeUserID).toEqual(['u7']);
  });

  it('queued requests still time out, fail when the client closes, and the queue is bounded', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 5000, maxDelayMs: 5000 }, maxQueuedRequests: 2 });
    const connP = gw.nextConn();
    await c.connect();
    const closed = next<CloseEvent>(c, 'close');
    (await connP).drop();
    await closed;
    await expect(c.request(1001, null, { timeoutMs: 30 })).rejects.toBeInstanceOf(RequestTimeoutError);
    const a = c.request(1001, null).catch((e: unknown) => e);
    const b = c.request(1001, null).catch((e: unknown) => e);
    await expect(c.request(1001, null)).rejects.toMatchObject({ code: 'QUEUE_FULL' });
    await c.close();
    for (const e of await Promise.all([a, b])) expect(e).toMatchObject({ code: 'NOT_CONNECTED' });
  });

  it('terminate() drops without a close frame and without reconnecting', async () => {
    const c = client({ reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 } });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    const closed = next<CloseEvent>(c, 'close');
    c.terminate();
    expect(await closed).toMatchObject({ byClient: true, willReconnect: false });
    await until(() => conn.closeCode !== undefined);
    expect(conn.closeCode).toBe(1006);
  });

  it('the seq tracker detects a gap, and catch-up after a reconnect fills it and what was missed offline', async () => {
    const conv = 'si_u1_u2';
    const tracker = new SeqTracker();
    const c = client({ seqTracker: tracker, reconnect: { enabled: true, minDelayMs: 20, maxDelayMs: 40 } });
    const connP = gw.nextConn();
    await c.connect();
    const conn = await connP;
    const pushOf = (...seqs: number[]) => conn.push({ msgs: { [conv]: { Msgs: seqs.map((s) => gw.store.get(conv)![s - 1]!) } } });
    for (let i = 0; i < 5; i++) gw.append(conv);
    pushOf(1, 2, 3);
    pushOf(5); // 4 is lost
    await until(() => c.stats.pushFrames === 2);
    expect(tracker.stats).toMatchObject({ received: 4, gaps: 1, gapSeqs: 1, duplicatePushes: 0 });
    expect(tracker.missing()).toEqual([{ client: c.label, conversationID: conv, begin: 4, end: 4 }]);
    expect(tracker.anomalies()[0]).toMatchObject({ kind: 'gap', seq: 5, expected: 4 });

    // Messages 6 and 7 arrive while the client is offline.
    const caught = next<CatchUpEvent>(c, 'catchUp');
    conn.drop();
    gw.append(conv);
    gw.append(conv);
    const ev = await caught;
    if (!ev.ok) throw ev.error;
    expect(ev.result).toMatchObject({ ranges: 2, requested: 3, pulled: 3, stillMissing: 0 });
    expect(tracker.missingCount()).toBe(0);
    expect(tracker.maxSeq(c.label, conv)).toBe(7);
    // One range per conversation per request: upstream's msg service answers only the last range
    // of a conversation, so two holes in one conversation take two requests.
    const pulls = gw.received.filter((r) => r.req.reqIdentifier === ReqIdentifier.PullMsgBySeqList);
    expect(pulls.map((p) => pb.sdkws.PullMessageBySeqsReq.decode(p.req.data!).seqRanges)).toEqual([
      [{ conversationID: conv, begin: 4, end: 4, num: 1 }],
      [{ conversationID: conv, begin: 6, end: 7, num: 2 }],
    ]);
    expect(tracker.stats).toMatchObject({ received: 7, filled: 1, pulled: 3, catchUps: 1 });
  });
});

describe('many connections', () => {
  it('shares one wheel: no per-connection timers', async () => {
    const cs = Array.from({ length: 50 }, (_, i) => client({ userID: `m${i}`, token: tokenFor(`m${i}`, 1), heartbeatIntervalMs: 60_000 }));
    await Promise.all(cs.map((c) => c.connect()));
    // One heartbeat entry per client, all in the same wheel.
    expect(timers.size).toBe(50);
    const fc: FakeConn[] = [...gw.conns];
    expect(fc).toHaveLength(50);
  });
});
