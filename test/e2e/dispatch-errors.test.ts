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
