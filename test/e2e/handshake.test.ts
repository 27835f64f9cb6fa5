import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError, OpenIMClient } from '../../simulators/client/index.js';
import { mintToken } from '../../simulators/services/jwt.js';
import { redisKeys } from '../../src/redis/keys.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, connectRaw, connectURLRaw, RawClient, startNode, type HttpRefusal } from '../helpers/gateway.js';

/** The client of a handshake upstream refuses with a text frame after the upgrade. */
function textRefusal(r: RawClient | HttpRefusal): RawClient {
  if (!(r instanceof RawClient)) throw new Error(`expected an upgrade and a text frame, got HTTP ${r.status} ${r.raw}`);
  return r;
}

function refused(r: RawClient | HttpRefusal): HttpRefusal {
  if (r instanceof RawClient) {
    r.close();
    throw new Error('expected the handshake to be refused');
  }
  return r;
}

describe('handshake (PROTOCOL.md section 2) against a real node', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    await node.close();
  });

  it.each([
    ['operationID is empty', { operationID: '' }],
    ['token is empty', { token: '' }],
    ['sendID is empty', { sendID: '' }],
    ['platformID is invalid', { platformID: '99' }],
    ['platformID is not int', { platformID: 'web' }],
    ['sdkType is invalid', { sdkType: 'rust' }],
    ['isMsgResp is not bool', { isMsgResp: 'maybe' }],
    ['sendID must be printable ASCII (it travels in gRPC metadata)', { sendID: '用户一' }],
    ['sendID must be printable ASCII (it travels in gRPC metadata)', { sendID: 'u\u{1F600}' }],
    ['operationID must be printable ASCII (it travels in gRPC metadata)', { operationID: 'op\u00e9' }],
  ])('refuses with ConnArgsErr 1602: %s', async (detail, query) => {
    const r = refused(await connectRaw(node, { user: 'h1', platform: 5, query }));
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/json; charset=utf-8');
    expect(r.body).toEqual({ errCode: 1602, errMsg: 'args err, need token, sendID, platformID', errDlt: detail });
  });

  it('checks operationID before token before sendID (upstream order)', async () => {
    const r = refused(await connectRaw(node, { user: 'h1', platform: 5, query: { operationID: '', token: '', sendID: '' } }));
    expect(r.body.errDlt).toBe('operationID is empty');
  });

  // Upstream returns strconv's bare error; apiresp.ParseError (openimsdk/tools v0.0.50-alpha.84 on:
  // v3.8.3-patch.5 and later, main) makes it ErrInternalServer with strconv's text as the detail.
  it.each([
    ['missing', null, '{"errCode":500,"errMsg":"ServerInternalError","errDlt":"strconv.ParseBool: parsing \\"\\": invalid syntax"}'],
    ['yes', 'yes', '{"errCode":500,"errMsg":"ServerInternalError","errDlt":"strconv.ParseBool: parsing \\"yes\\": invalid syntax"}'],
    // strconv.Quote escapes the control character, then Go's JSON escapes the backslash, the quotes and <, > (HTML-safe).
    ['<b>\u0001', '<b>\u0001', '{"errCode":500,"errMsg":"ServerInternalError","errDlt":"strconv.ParseBool: parsing \\"\\u003cb\\u003e\\\\x01\\": invalid syntax"}'],
  ])('refuses isBackground %j like upstream: 500 ServerInternalError, strconv text in errDlt', async (_what, value, raw) => {
    const r = refused(await connectRaw(node, { user: 'h1', platform: 5, query: { isBackground: value } }));
    expect(r.status).toBe(200);
    expect(r.raw).toBe(raw);
  });

  it('refuses garbage tokens with TokenMalformed 1503', async () => {
    const r = refused(await connectRaw(node, { user: 'h1', platform: 5, token: 'not.a.jwt' }));
    expect(r.body.errCode).toBe(1503);
  });

  it('refuses tokens signed with another secret (1503) and expired tokens (1501)', async () => {
    expect(refused(await connectRaw(node, { user: 'h1', platform: 5, secret: 'other' })).body.errCode).toBe(1503);
    const expired = mintToken(node.cfg.secret, 'h1', 5, 1, Math.floor(Date.now() / 1000) - 3 * 86400);
    expect(refused(await connectRaw(node, { user: 'h1', platform: 5, token: expired })).body.errCode).toBe(1501);
  });

  it('refuses a kicked token with 1506 and a token of another user or platform with 1502', async () => {
    const token = mintToken(node.cfg.secret, 'h2', 5, 1);
    await node.stack!.redis.hset(redisKeys.tokenStatus('h2', 'Web'), token, '2');
    expect(refused(await connectRaw(node, { user: 'h2', platform: 5, token })).body.errCode).toBe(1506);
    const other = mintToken(node.cfg.secret, 'h3', 5, 1);
    const r = refused(await connectRaw(node, { user: 'h4', platform: 5, token: other }));
    expect(r.body).toMatchObject({ errCode: 1502, errDlt: 'token uid h3 != userID h4' });
    const plat = mintToken(node.cfg.secret, 'h4', 1, 1);
    expect(refused(await connectRaw(node, { user: 'h4', platform: 5, token: plat })).body).toMatchObject({ errCode: 1502, errDlt: 'token platform 1 != platformID 5' });
  });

  // Upstream's handlerError (ws_server.go, v3.8.3-patch.13 and later, main): after the arguments
  // parsed, isMsgResp gets the error as one text frame after the upgrade, then gorilla's Conn.Close:
  // the TCP connection ends without a close frame, so the client sees 1006.
  it('with isMsgResp reports a token error as a text frame, then drops the connection (1006)', async () => {
    const c = textRefusal(await connectRaw(node, { user: 'h5', platform: 5, token: 'bad', isMsgResp: true }));
    const body = JSON.parse(await c.waitText()) as { errCode: number; errMsg: string };
    expect(body).toMatchObject({ errCode: 1503, errMsg: 'TokenMalformedError' });
    expect(await c.closed).toEqual({ code: 1006, reason: '' });
    expect(c.texts).toHaveLength(1);
    expect(c.frames).toHaveLength(0);
  });

  it('with isMsgResp reports a user or platform mismatch as a text frame too (not HTTP)', async () => {
    const other = mintToken(node.cfg.secret, 'h3', 5, 1);
    const u = textRefusal(await connectRaw(node, { user: 'h4', platform: 5, token: other, isMsgResp: true }));
    expect(await u.waitText()).toBe('{"errCode":1502,"errMsg":"TokenInvalidError","errDlt":"token uid h3 != userID h4"}');
    expect((await u.closed).code).toBe(1006);
    const plat = mintToken(node.cfg.secret, 'h4', 1, 1);
    const p = textRefusal(await connectRaw(node, { user: 'h4', platform: 5, token: plat, isMsgResp: true }));
    expect(await p.waitText()).toBe('{"errCode":1502,"errMsg":"TokenInvalidError","errDlt":"token platform 1 != platformID 5"}');
    expect((await p.closed).code).toBe(1006);
    // The same mismatch in the `v` JSON form (sendResponse), as the JS SDK sends it.
    const v = Buffer.from(JSON.stringify({ token: other, userID: 'h4', platformID: 5, operationID: 'opv2', sdkType: 'js', sendResponse: true })).toString('base64url');
    const j = textRefusal(await connectURLRaw(`${node.addresses.ws}?v=${v}`, { user: 'h4', platform: 5, sdkType: 'js' }));
    expect(await j.waitText()).toBe('{"errCode":1502,"errMsg":"TokenInvalidError","errDlt":"token uid h3 != userID h4"}');
  });

  it("the simulated SDK reads the text-frame refusal despite the 1006 that follows", async () => {
    const other = mintToken(node.cfg.secret, 'h3', 5, 1);
    const c = new OpenIMClient({ url: node.addresses.ws!, userID: 'h4', platformID: 5, token: other, sdkType: 'js', isMsgResp: true, reconnect: { enabled: false } });
    const err = await c.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect(err).toMatchObject({ kind: 'text', errCode: 1502, errMsg: 'TokenInvalidError', errDlt: 'token uid h3 != userID h4' });
    expect(c.state).toBe('closed');
  });

  it('with isMsgResp still answers argument errors over HTTP (upstream knows isMsgResp only once they parsed)', async () => {
    const r = refused(await connectRaw(node, { user: 'h5', platform: 5, isMsgResp: true, query: { sdkType: 'rust' } }));
    expect(r.raw).toBe('{"errCode":1602,"errMsg":"args err, need token, sendID, platformID","errDlt":"sdkType is invalid"}');
    const b = refused(await connectRaw(node, { user: 'h5', platform: 5, isMsgResp: true, query: { isBackground: 'no' } }));
    expect(b.body).toMatchObject({ errCode: 500, errMsg: 'ServerInternalError' });
  });

  it('with isMsgResp sends the success text frame first', async () => {
    const c = await connectOk(node, { user: 'h6', platform: 5, isMsgResp: true, sdkType: 'js' });
    expect(await c.waitText()).toBe('{"errCode":0,"errMsg":"","errDlt":""}');
    c.close();
  });

  it('accepts the base64url JSON `v` form', async () => {
    const token = mintToken(node.cfg.secret, 'h7', 3, 1);
    const v = Buffer.from(JSON.stringify({ token, userID: 'h7', platformID: 3, operationID: 'opv', sdkType: 'js', compression: 'gzip', sendResponse: true })).toString('base64url');
    const r = await connectURLRaw(`${node.addresses.ws}?v=${v}`, { user: 'h7', platform: 3, sdkType: 'js', gzip: true });
    expect(r).toBeInstanceOf(RawClient);
    const c = r as RawClient;
    expect(await c.waitText()).toBe('{"errCode":0,"errMsg":"","errDlt":""}');
    const resp = await c.request(2004, null);
    expect(resp.errCode).toBe(0);
    c.close();
    const bad = refused(await connectURLRaw(`${node.addresses.ws}?v=***`, { user: 'x', platform: 5 }));
    expect(bad.body).toMatchObject({ errCode: 1602, errDlt: 'data is not base64' });
  });

  it('remembers X-Forwarded-For in the remote address and makes an md5 connID', async () => {
    const c = await connectOk(node, { user: 'h8', platform: 5, headers: { 'X-Forwarded-For': '203.0.113.9' } });
    const [client] = node.view().registry.getAll('h8');
    expect(client!.remoteAddr).toMatch(/^127\.0\.0\.1:\d+_203\.0\.113\.9$/);
    expect(client!.connID).toMatch(/^[0-9a-f]{32}$/);
    c.close();
  });

  it('takes compression from the header too', async () => {
    const c = await connectOk(node, { user: 'h9', platform: 5, gzip: true, headers: { compression: 'gzip' }, query: { compression: null } });
    expect(node.view().registry.getAll('h9')[0]!.gzip).toBe(true);
    expect((await c.request(2004, null)).errCode).toBe(0);
    c.close();
  });
});

describe('connection limit', () => {
  it('refuses with ConnOverMaxNumLimit 1601 when full', async () => {
    const node = await startNode({ websocketMaxConnNum: 1 });
    try {
      const a = await connectOk(node, { user: 'm1', platform: 5 });
      const r = refused(await connectRaw(node, { user: 'm2', platform: 5 }));
      expect(r.body.errCode).toBe(1601);
      a.close();
    } finally {
      await node.close();
    }
  });
});
