/**
 * The REST API simulator's conventions and bad input: every malformed, unauthorised or oversize
 * request gets a coded envelope (never a crash), gzip bodies and CORS preflights work, and each
 * call shows in the node's event stream.
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Harness } from '../../harness/harness.js';
import { mintToken } from '../../simulators/services/jwt.js';
import type { GatewayEvent } from '../../src/gateway/events.js';
import { API_PATHS } from '../../simulators/api/contract.js';
import { apiPost } from '../helpers/api.js';
import { startNode } from '../helpers/gateway.js';
import { eventuallyPasses } from '../helpers/wait.js';

const ADMIN_STREAM_TOKEN = 'rest-api-test-token';

describe('REST API: conventions and bad input', () => {
  let h: Harness;
  let base: string;
  let admin: string;
  let user: string;
  const events: GatewayEvent[] = [];

  beforeAll(async () => {
    h = await startNode({ api: { enable: true, port: 0, maxBodyBytes: 64 * 1024 }, admin: { enable: true, port: 0, token: ADMIN_STREAM_TOKEN } });
    base = `http://${h.addresses.api}`;
    h.view().events.on((e) => {
      if (e.type === 'api') events.push(e);
    });
    admin = (await apiPost<{ token: string }>(base, API_PATHS.auth.getAdminToken, { secret: h.cfg.secret, userID: 'imAdmin' })).reply.data!.token;
    // The friendly default: an offline-minted token works, and its user is registered on first use.
    user = mintToken(h.cfg.secret, 'plain_user', 5, 1);
  });
  afterAll(async () => {
    await h?.close();
  });

  const expectCode = async (p: Promise<{ status: number; reply: { errCode: number; errMsg: string; errDlt: string } }>, errCode: number, status = 200) => {
    const r = await p;
    expect({ status: r.status, errCode: r.reply.errCode }).toEqual({ status, errCode });
    expect(r.reply.errMsg).not.toBe('');
    return r.reply;
  };

  it('malformed JSON is ArgsError 1001', async () => {
    const r = await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, undefined, { token: user, raw: '{"userIDs": [' }), 1001);
    expect(r.errDlt).toMatch(/not JSON/);
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, undefined, { token: user, raw: '[1,2]' }), 1001);
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, { userIDs: 'notalist' }, { token: user }), 1001);
  });

  it('a missing token is 1001 and a wrong one is a token code', async () => {
    const r = await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, { userIDs: ['x'] }), 1001);
    expect(r.errDlt).toBe('header must have token');
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, { userIDs: ['x'] }, { token: 'not.a.jwt' }), 1503);
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, { userIDs: ['x'] }, { token: mintToken('another-secret', 'u', 5, 1) }), 1503);
  });

  it('a missing operationID is 1001', async () => {
    const r = await expectCode(apiPost(base, API_PATHS.msg.getServerTime, {}, { token: user, operationID: null }), 1001);
    expect(r.errDlt).toBe('header must have operationID');
  });

  it('a non-admin on admin routes is NoPermission 1002', async () => {
    await expectCode(apiPost(base, API_PATHS.user.userRegister, { users: [{ userID: 'x1' }] }, { token: user }), 1002);
    await expectCode(apiPost(base, API_PATHS.auth.getUserToken, { userID: 'x1', platformID: 5 }, { token: user }), 1002);
    await expectCode(apiPost(base, API_PATHS.auth.forceLogout, { userID: 'x1', platformID: 5 }, { token: user }), 1002);
    await expectCode(apiPost(base, API_PATHS.msg.sendMsg, { sendID: 'plain_user', recvID: 'x', sessionType: 1, contentType: 101, content: { content: 'x' } }, { token: user }), 1002);
    await expectCode(apiPost(base, API_PATHS.friend.importFriend, { ownerUserID: 'plain_user', friendUserIDs: ['x'] }, { token: user }), 1002);
    await expectCode(apiPost(base, API_PATHS.user.getUsersOnlineStatus, { userIDs: ['x'] }, { token: user }), 1002);
    // ...and another user's lists are not the caller's to read.
    await expectCode(apiPost(base, API_PATHS.friend.getIncrementalFriends, { userID: 'someone_else' }, { token: user }), 1002);
    // A wrong secret is NoPermission too, an unknown admin userID ArgsError (upstream's order).
    await expectCode(apiPost(base, API_PATHS.auth.getAdminToken, { secret: 'wrong', userID: 'imAdmin' }), 1002);
    await expectCode(apiPost(base, API_PATHS.auth.getAdminToken, { secret: h.cfg.secret, userID: 'plain_user' }), 1001);
  });

  it('an unknown route is 404 with an envelope; upload and third/ routes are coded as not supported', async () => {
    const r = await expectCode(apiPost(base, '/user/no_such_route', {}, { token: user }), 404, 404);
    expect(r.errDlt).toContain('/user/no_such_route');
    const t = await expectCode(apiPost(base, '/third/fcm_update_token', {}, { token: user }), 501);
    expect(t.errDlt).toContain('not supported by msggw');
    await expectCode(apiPost(base, '/object/initiate_multipart_upload', {}, { token: user }), 501);
    const get = await fetch(`${base}${API_PATHS.msg.getServerTime}`);
    expect(get.status).toBe(404);
  });

  it('an oversize body is refused with 413 and 1001, plain or gzipped', async () => {
    const big = JSON.stringify({ userIDs: Array.from({ length: 20_000 }, (_, i) => `user${i}`) });
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, undefined, { token: user, raw: big }), 1001, 413);
    // A small gzip that inflates past the cap (a zip bomb) is cut off too.
    const bomb = gzipSync(Buffer.from(`{"userIDs":["${'a'.repeat(2_000_000)}"]}`));
    expect(bomb.length).toBeLessThan(64 * 1024);
    await expectCode(apiPost(base, API_PATHS.user.getUsersInfo, undefined, { token: user, raw: bomb, headers: { 'Content-Encoding': 'gzip' } }), 1001, 413);
  });

  it('gzip request bodies are accepted', async () => {
    const r = await apiPost<{ usersInfo: { userID: string }[] }>(base, API_PATHS.user.getUsersInfo, undefined, {
      token: user,
      raw: gzipSync(JSON.stringify({ userIDs: ['plain_user'] })),
      headers: { 'Content-Encoding': 'gzip' },
    });
    expect(r.reply.errCode).toBe(0);
    expect(r.reply.data?.usersInfo.map((u) => u.userID)).toEqual(['plain_user']);
  });

  it('CORS: a preflight is answered and replies allow any origin', async () => {
    const pre = await fetch(`${base}${API_PATHS.user.getUsersInfo}`, { method: 'OPTIONS', headers: { Origin: 'http://app.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'token,operationid,content-type' } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toBe('*');
    const r = await apiPost(base, API_PATHS.msg.getServerTime, {}, { token: user, headers: { Origin: 'http://app.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('registering a user twice is RegisteredAlready 1102; the server keeps answering after all of the above', async () => {
    expect((await apiPost(base, API_PATHS.user.userRegister, { users: [{ userID: 'twice' }] }, { token: admin })).reply.errCode).toBe(0);
    await expectCode(apiPost(base, API_PATHS.user.userRegister, { users: [{ userID: 'twice' }, { userID: 'fresh' }] }, { token: admin }), 1102);
    await expectCode(apiPost(base, API_PATHS.user.userRegister, { users: [{ userID: 'a:b' }] }, { token: admin }), 1001);
    const t = await apiPost<{ serverTime: number }>(base, API_PATHS.msg.getServerTime, {}, { token: user });
    expect(t.reply.errCode).toBe(0);
    expect(Math.abs(t.reply.data!.serverTime - Date.now())).toBeLessThan(5000);
  });

  it('a watcher of the admin event stream gets the api events', async () => {
    const ws = new WebSocket(`ws://${h.addresses.admin}/?token=${ADMIN_STREAM_TOKEN}`);
    const seen: { type: string; path?: string; userID?: string; errCode?: number; ms?: number }[] = [];
    ws.on('message', (d) => seen.push(JSON.parse(d.toString()) as (typeof seen)[number]));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await eventuallyPasses(() => expect(seen.some((m) => m.type === 'hello')).toBe(true), 5000);
    await apiPost(base, API_PATHS.msg.getServerTime, {}, { token: user });
    await eventuallyPasses(() => expect(seen.some((m) => m.type === 'api')).toBe(true), 5000);
    expect(seen.find((m) => m.type === 'api')).toMatchObject({ type: 'api', path: API_PATHS.msg.getServerTime, userID: 'plain_user', errCode: 0 });
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
    });
  });

  it('every call shows in the event stream with path, user, errCode and ms', () => {
    const ok = events.find((e) => e.type === 'api' && e.path === API_PATHS.msg.getServerTime && e.errCode === 0);
    expect(ok).toMatchObject({ type: 'api', userID: 'plain_user', errCode: 0 });
    expect((ok as { ms: number }).ms).toBeGreaterThanOrEqual(0);
    expect(events).toContainEqual(expect.objectContaining({ path: API_PATHS.user.userRegister, userID: 'plain_user', errCode: 1002 }));
  });
});
