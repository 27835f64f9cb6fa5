/**
 * `msggw call` strict like grpcurl: unknown fields with a did-you-mean, wrong types naming the
 * field, `call describe`, the body from -d @file and -d @-, and the --list filter. The real
 * binary against a real node's hub.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../harness/harness.js';
import { runCli } from '../helpers/cli.js';
import { connectOk, startNode } from '../helpers/gateway.js';

let node: Harness;
let hub: string;
beforeAll(async () => {
  node = await startNode();
  hub = node.addresses.hub!;
});
afterAll(async () => {
  await node.close();
});

const oneLine = (s: string) => s.replace(/\s*›\s*/g, ' ');

describe('msggw call is strict', () => {
  it('refuses a field in the wrong case with a did-you-mean, and an unknown field', async () => {
    const r = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIds":["bob"]}', '--addr', hub]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('unknown field "userIds" in GetUsersOnlineStatusReq: did you mean "userIDs"?');
    expect(r.stderr).toContain('MSGGW_CALL_REQUEST');
    expect(oneLine(r.stderr)).toContain('msggw call describe msgGateway.GetUsersOnlineStatus');
    const bogus = await runCli(['call', 'msgGateway.KickUserOffline', '{"bogus":1,"kickUserIDList":["u1"],"platformID":5}', '--addr', hub]);
    expect(bogus.code).toBe(2);
    expect(oneLine(bogus.stderr)).toContain('unknown field "bogus" in KickUserOfflineReq (fields: platformID, kickUserIDList)');
  }, 90_000);

  it('refuses a value of the wrong type naming the field, nested too', async () => {
    const r = await runCli(['call', 'msgGateway.KickUserOffline', '{"platformID":"web","kickUserIDList":["u1"]}', '--addr', hub]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain('platformID: must be int32 (an integer), got "web"');
    const nested = await runCli(['call', 'msgGateway.SuperGroupOnlineBatchPushOneMsg', '{"msgData":{"sessionType":"x","sendId":"a"},"pushToUserIDs":"u1"}', '--addr', hub]);
    expect(nested.code).toBe(2);
    const msg = oneLine(nested.stderr);
    expect(msg).toContain('msgData.sessionType: must be int32');
    expect(msg).toContain('did you mean "msgData.sendID"?');
    expect(msg).toContain('pushToUserIDs: must be a list (repeated string)');
  }, 90_000);

  it('a request that fits is sent: a kick of a user on the node really kicks', async () => {
    const c = await connectOk(node, { user: 'call-k', platform: 5 });
    const r = await runCli(['call', 'msgGateway.KickUserOffline', '{"platformID":5,"kickUserIDList":["call-k"]}', '--addr', hub]);
    expect(r.code).toBe(0);
    await c.waitFor((f) => f.reqIdentifier === 2002);
    c.close();
  }, 90_000);
});

describe('msggw call describe, -d and --list', () => {
  it('describes a method (request and response with an example) and a message', async () => {
    const r = await runCli(['call', 'describe', 'msgGateway.GetUsersOnlineStatus']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('openim.msggateway.msgGateway/GetUsersOnlineStatus');
    expect(r.stdout).toMatch(/request openim\.msggateway\.GetUsersOnlineStatusReq\n {2}userIDs: repeated string = 1\n {2}example:\n {4}\{\n {6}"userIDs": \[\n {8}"u1"/);
    expect(r.stdout).toContain('response openim.msggateway.GetUsersOnlineStatusResp');
    expect(r.stdout).toContain('detailPlatformStatus');
    // A message: its name once, then its fields.
    const h = await runCli(['call', 'describe', 'sdkws.MsgData']);
    expect(h.stdout).toMatch(/^message openim\.sdkws\.MsgData\n\nfields\n {2}sendID: string = 1\n/);
    expect(h.stdout.match(/openim\.sdkws\.MsgData/g)).toHaveLength(1);
    const m = await runCli(['call', 'describe', 'sdkws.MsgData', '--json']);
    const d = JSON.parse(m.stdout);
    expect(d.title).toBe('message openim.sdkws.MsgData');
    expect(d.sections[0].example).toMatchObject({ sendID: '', sessionType: 0, content: '', atUserIDList: ['u1'] });
    const none = await runCli(['call', 'describe', 'Nope']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no method or message 'Nope'");
  }, 90_000);

  it('reads the body from -d @file and -d @- (stdin)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msggw-call-'));
    const file = join(dir, 'req.json');
    writeFileSync(file, '{"userIDs":["call-f"]}');
    const c = await connectOk(node, { user: 'call-f', platform: 2 });
    const a = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '-d', `@${file}`, '--addr', hub, '--json']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).successResult[0]).toMatchObject({ userID: 'call-f', detailPlatformStatus: [{ platformID: 2 }] });
    const b = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '-d', '@-', '--addr', hub, '--json'], 20_000, '{"userIDs":["call-f"]}');
    expect(b.code).toBe(0);
    expect(JSON.parse(b.stdout).successResult[0].userID).toBe('call-f');
    const missing = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '-d', `@${join(dir, 'nope.json')}`, '--addr', hub]);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toContain('nope.json: no such file');
    c.close();
  }, 90_000);

  it('--list keeps the methods and services matching its filter', async () => {
    const r = await runCli(['call', '--list', 'kick']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('KickUserOffline(platformID: int32, kickUserIDList: repeated string)');
    expect(r.stdout).toContain('kickTokens');
    expect(r.stdout).not.toContain('GetUsersOnlineStatus');
    const svc = await runCli(['call', '--list', 'auth', '--json']);
    expect(JSON.parse(svc.stdout).map((s: { service: string }) => s.service)).toEqual(['openim.auth.Auth']);
    const none = await runCli(['call', '--list', 'zzz']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no service or method matches 'zzz'");
  }, 90_000);
});
