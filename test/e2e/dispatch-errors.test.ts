import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { GatewayEvent } from '../../src/gateway/events.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, startNode } from '../helpers/gateway.js';
import { eventuallyPasses } from '../helpers/wait.js';

type RequestEvent = Extract<GatewayEvent, { type: 'request' }>;

// Upstream (client.go replyMessage -> openimsdk/tools apiresp.ParseError): a CodeError keeps its
// code and Msg(); anything else is ErrInternalServer, 500 "ServerInternalError". The reply's
// envelope has no errDlt, so the detail never reaches the client.
describe('dispatch errors as upstream maps them', () => {
  let node: Harness;
  let verbose: Harness;
  const seen: RequestEvent[] = [];
  beforeAll(async () => {
    node = await startNode();
    verbose = await startNode({ verboseErrors: true });
    node.view().events.on((e) => {
      if (e.type === 'request') seen.push(e);
    });
  });
  afterAll(async () => {
    await node.close();
    await verbose.close();
  });

  it('a payload that does not decode is 500 ServerInternalError, the detail only in the admin event', async () => {
    const c = await connectOk(node, { user: 'de1', platform: 1 });
    const r = await c.request(1001, Buffer.from([0xff, 0xff, 0xff]));
    expect(r).toMatchObject({ reqIdentifier: 1001, errCode: 500, errMsg: 'ServerInternalError' });
    expect(c.isOpen).toBe(true);
    await eventuallyPasses(() => expect(seen.find((e) => e.userID === 'de1' && e.errCode === 500)).toBeDefined());
    const ev = seen.find((e) => e.userID === 'de1' && e.errCode === 500)!;
    expect(ev.errMsg).toBe('ServerInternalError');
    expect(ev.errDlt).toMatch(/data is not a valid openim.sdkws.GetMaxSeqReq/);
    c.close();
  });

  it('a CodeError from the msg service keeps its code and message (ArgsError), without the detail', async () => {
    const c = await connectOk(node, { user: 'de2', platform: 1 });
    // Single chat without recvID: the msg service answers ArgsError.
    const r = await c.request(1003, pb.sdkws.MsgData.encode({ sendID: 'de2', sessionType: 1, contentType: 101, content: Buffer.from('{}') }));
    expect(r).toMatchObject({ errCode: 1001, errMsg: 'ArgsError' });
    await eventuallyPasses(() => expect(seen.find((e) => e.userID === 'de2' && e.errCode === 1001)?.errDlt).toMatch(/recvID is empty/));
    c.close();
  });

  // Upstream's Req declares validate:"required" on reqIdentifier, sendID, operationID and msgIncr,
  // but WsServer.Validate is a no-op (v3.8.3, v3.8.3-patch.16, main): only the handlers of 1002,
  // 1005, 1006 and 2004 run the validator over the envelope (after decoding the payload), and its
  // error is no CodeError, so they answer 500 ServerInternalError. The others serve the request.
  it.each([
    ['operationID', { operationID: '' }, 'OperationID'],
    ['msgIncr', { msgIncr: '' }, 'MsgIncr'],
  ])('an empty %s is 500 ServerInternalError on 1002, 1005, 1006 and 2004, served on the others (upstream)', async (_what, over, field) => {
    const me = `dv-${field}`;
    const c = await connectOk(node, { user: me, platform: 1 });
    const conv = `si_${[me, 'dv-peer'].sort().join('_')}`;
    const bodies: [number, Uint8Array][] = [
      [1001, pb.sdkws.GetMaxSeqReq.encode({ userID: me })],
      [1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: me, seqRanges: [{ conversationID: conv, begin: 1, end: 1, num: 1 }] })],
      [1003, pb.sdkws.MsgData.encode({ sendID: me, recvID: 'dv-peer', sessionType: 1, contentType: 101, content: Buffer.from('{"content":"x"}'), createTime: Date.now() })],
      [1005, pb.msg.GetSeqMessageReq.encode({ userID: me, conversations: [{ conversationID: conv, seqs: [1] }] })],
      [1006, pb.msg.GetConversationsHasReadAndMaxSeqReq.encode({ userID: me })],
      [1007, pb.msg.GetLastMessageReq.encode({ userID: me, conversationIDs: [conv] })],
      [2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: me, isBackground: true })],
      [2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: ['dv-peer'] })],
    ];
    const refused = new Set([1002, 1005, 1006, 2004]);
    for (const [id, body] of bodies) {
      c.send(id, body, over);
      const r = await c.waitFor((f) => f.reqIdentifier === id);
      if (refused.has(id)) expect(r, `${id}`).toMatchObject({ errCode: 500, errMsg: 'ServerInternalError', data: null });
      else expect(r, `${id}`).toMatchObject({ errCode: 0, errMsg: '' });
    }
    expect(c.isOpen).toBe(true);
    // 2004 was refused, so the connection did not go to the background.
    expect(node.view().registry.getAll(me)[0]!.background).toBe(false);
    // The validator's own text, as upstream's log has it.
    await eventuallyPasses(() =>
      expect(seen.find((e) => e.userID === me && e.reqIdentifier === 1002)?.errDlt).toBe(`Key: 'Req.${field}' Error:Field validation for '${field}' failed on the 'required' tag`),
    );
    c.close();
  });

  it('an empty sendID closes the connection without a reply (upstream: sendID != conn userID)', async () => {
    const c = await connectOk(node, { user: 'dv-s', platform: 1 });
    c.send(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'dv-s', seqRanges: [] }), { sendID: '' });
    expect((await c.closed).code).not.toBe(1000);
    expect(c.frames).toEqual([]);
  });

  // Upstream's SendSignalMessage ignores the data and calls msg's SendMsg with a nil request, which
  // the msg service's request check refuses: 1001 ArgsError, detail "MsgData is empty" (v3.8.3,
  // v3.8.3-patch.16, main alike). Nothing is stored or pushed.
  it('1004 SendSignalMsg answers 1001 ArgsError whatever it carries, as upstream', async () => {
    const c = await connectOk(node, { user: 'dsig', platform: 1 });
    const peer = await connectOk(node, { user: 'dsig-peer', platform: 1 });
    const msg = pb.sdkws.MsgData.encode({ sendID: 'dsig', recvID: 'dsig-peer', sessionType: 1, contentType: 1601, content: Buffer.from('{}'), createTime: Date.now() });
    for (const data of [msg, Buffer.from([0xff, 0xff, 0xff]), null]) {
      const r = await c.request(1004, data);
      expect(r).toMatchObject({ reqIdentifier: 1004, errCode: 1001, errMsg: 'ArgsError', data: null });
    }
    await eventuallyPasses(() => expect(seen.find((e) => e.userID === 'dsig' && e.reqIdentifier === 1004)?.errDlt).toBe('MsgData is empty'));
    const seq = await c.request(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: 'dsig' }));
    expect(seq.errCode).toBe(0);
    expect(pb.sdkws.GetMaxSeqResp.decode(seq.data ?? new Uint8Array(0)).maxSeqs).toEqual({});
    expect(peer.frames.filter((f) => f.reqIdentifier === 2001)).toEqual([]);
    c.close();
    peer.close();
  });

  it('--verbose-errors appends the detail to errMsg', async () => {
    const c = await connectOk(verbose, { user: 'de3', platform: 1 });
    const bad = await c.request(1001, Buffer.from([0xff, 0xff, 0xff]));
    expect(bad.errCode).toBe(500);
    expect(bad.errMsg).toMatch(/^ServerInternalError: data is not a valid openim.sdkws.GetMaxSeqReq/);
    const args = await c.request(1003, pb.sdkws.MsgData.encode({ sendID: 'de3', sessionType: 1, contentType: 101, content: Buffer.from('{}') }));
    expect(args).toMatchObject({ errCode: 1001, errMsg: 'ArgsError: recvID is empty' });
    c.close();
  });
});
