import { expect } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { RawClient } from './gateway.js';

/** The four encodings a client may speak: gob or JSON envelopes, each with and without gzip. */
export const encodingVariants = [
  { sdkType: 'go' as const, gzip: false },
  { sdkType: 'go' as const, gzip: true },
  { sdkType: 'js' as const, gzip: false },
  { sdkType: 'js' as const, gzip: true },
];

/** Opens a connection for `user` on `platform` in the encoding under test. */
export type ConnectAs = (user: string, platform: number) => Promise<RawClient>;

export const textContent = (content: string): Buffer => Buffer.from(JSON.stringify({ content }));

/**
 * A (iOS) sends B (Windows + Web) a message: both of B's connections and A's own get the 2001
 * push with the conversation ID and seq; B reconnects and finds it again by 1001 and 1002.
 * Only the gateway's wire is used, so it runs against any target (in-process or `serve` processes).
 */
export async function deliverAndPull(connect: ConnectAs, A: string, B: string): Promise<void> {
  const a = await connect(A, 1);
  const b3 = await connect(B, 3);
  const b5 = await connect(B, 5);
  const sent = await a.request(1003, pb.sdkws.MsgData.encode({ sendID: A, recvID: B, sessionType: 1, contentType: 101, content: textContent('hi'), clientMsgID: 'c1', senderPlatformID: 1 }));
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
}

/**
 * Sends every request identifier once from `me` and checks each reply echoes reqIdentifier,
 * msgIncr and operationID, with the decoded answers of 1005/1006/1007/2004; then a bad payload
 * is a 500 reply and the connection stays open. Returns the connection for the caller's own checks.
 */
export async function everyIdentifier(connect: ConnectAs, me: string): Promise<RawClient> {
  const c = await connect(me, 2);
  const conv = `si_${[me, 'peer'].sort().join('_')}`;
  const cases: [number, Uint8Array | null][] = [
    [1003, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 101, content: textContent('x') })],
    [1003, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 1601, content: textContent('second') })],
    // Upstream answers every 1004 with ArgsError (test/e2e/dispatch-errors.test.ts); echoed all the same.
    [1004, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'peer', sessionType: 1, contentType: 1601, content: textContent('signal') })],
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

  // A bad payload is an error reply (upstream: not a CodeError, so 500), and the connection stays open.
  const bad = await c.request(1001, Buffer.from([0xff, 0xff, 0xff]));
  expect(bad).toMatchObject({ errCode: 500, errMsg: 'ServerInternalError' });
  expect(c.isOpen).toBe(true);
  return c;
}

/** Logout (2003) from `me` on platform 2 is answered with 0, then the gateway closes the connection. */
export async function logoutCloses(connect: ConnectAs, me: string): Promise<void> {
  const c = await connect(me, 2);
  const r = await c.request(2003, pb.push.DelUserPushTokenReq.encode({ userID: me, platformID: 2 }));
  expect(r.errCode).toBe(0);
  await c.closed;
}
