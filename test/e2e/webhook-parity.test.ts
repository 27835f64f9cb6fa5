/**
 * The user webhooks fire as upstream's msggateway fires them (internal/msggateway online.go,
 * user_map.go, callback.go; the same in v3.8.x and main), counted per scenario by a real HTTP
 * receiver: each change of a user's connections posts afterUserOnline once per connection the
 * user still has and afterUserOffline for the one that left; a kicked connection's close re-lists
 * what is left; afterUserKickOff is never posted (upstream calls it nowhere), even when enabled.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import { redisKeys } from '../../src/redis/keys.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../../src/rpc/services.js';
import { defaultConfig, mergeConfig } from '../../src/config/config.js';
import { startHarness, type Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode } from '../helpers/gateway.js';

interface Call {
  path: string;
  cmd: string;
  userID: string;
  platformID: number;
  connID: string;
  isAppBackground?: boolean;
  operationIDHeader: string | undefined;
  body: Record<string, unknown>;
}

const on = { enable: true, timeout: 5 };
const ONLINE = 'callbackAfterUserOnlineCommand';
const OFFLINE = 'callbackAfterUserOfflineCommand';

describe('webhooks fire as upstream fires them (real HTTP receiver)', () => {
  let receiver: Server;
  let url = '';
  const received: Call[] = [];
  let node: Harness;
  let hub: RpcClient<MsgGatewayMethods>;
  const logs: string[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(b) as Record<string, unknown>;
        received.push({
          path: req.url ?? '',
          cmd: String(body.callbackCommand),
          userID: String(body.userID),
          platformID: Number(body.platformID),
          connID: String(body.connID ?? ''),
          ...(typeof body.isAppBackground === 'boolean' ? { isAppBackground: body.isAppBackground } : {}),
          operationIDHeader: req.headers.operationid as string | undefined,
          body,
        });
        res.setHeader('Content-Type', 'application/json');
        res.end('{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    // As startNode does (free ports, real gRPC), plus the node's log.
    const cfg = mergeConfig(defaultConfig(), {
      wsPort: 0,
      hubPort: 0,
      metricsPort: 0,
      inProcessRpc: false,
      multiLogin: { policy: 1 },
      // Status batches (and the online_change they publish) settle long before each scenario's next
      // step, so no late online_change looks like a missing platform to the self-heal.
      presence: { mergeIntervalMs: 20 },
      webhooks: { url, afterUserOnline: on, afterUserOffline: on, afterUserKickOff: on },
    });
    node = await startHarness(cfg, { log: (l) => logs.push(l) });
    hub = createClient(msgGatewayService, node.addresses.hub!);
  });

  afterAll(async () => {
    hub?.close();
    await node?.close();
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
  });

  const of = (userID: string): Call[] => received.filter((c) => c.userID === userID);
  /** The user's calls as "online:<platform>" / "offline:<platform>", from call `from` on. */
  const tally = (userID: string, from = 0): string[] =>
    of(userID)
      .slice(from)
      .map((c) => `${c.cmd === ONLINE ? 'online' : c.cmd === OFFLINE ? 'offline' : c.cmd}:${c.platformID}`)
      .sort();
  /** Waits for `n` calls of the user, then a moment more: there must be no more than `n`. */
  async function settle(userID: string, n: number): Promise<void> {
    await eventually(() => of(userID).length >= n, 5000, `${n} webhook calls for ${userID} (have ${of(userID).length})`);
    await new Promise((r) => setTimeout(r, 250));
    expect(of(userID), JSON.stringify(tally(userID))).toHaveLength(n);
  }

  it('connect: one afterUserOnline with upstream body, path and operationID header', async () => {
    const web = await connectOk(node, { user: 'wh-a', platform: 5, sdkType: 'js' });
    await settle('wh-a', 1);
    const [c] = of('wh-a');
    expect(c!.path).toBe(`/hooks/${ONLINE}`);
    expect(Object.keys(c!.body)).toEqual(['callbackCommand', 'operationID', 'platformID', 'platform', 'userID', 'seq', 'isAppBackground', 'connID']);
    expect(c!.body).toMatchObject({ callbackCommand: ONLINE, platformID: 5, platform: 'Web', userID: 'wh-a', isAppBackground: false });
    expect(c!.operationIDHeader).toBe(c!.body.operationID);
    // Upstream's is always empty (its status batch drops it); ours names the connection.
    expect(c!.connID).toMatch(/^[0-9a-f]{32}$/);

    // A second platform re-announces the first: online for each connection the user has.
    const android = await connectOk(node, { user: 'wh-a', platform: 2 });
    await settle('wh-a', 3);
    expect(tally('wh-a', 1)).toEqual(['online:2', 'online:5']);
    expect(of('wh-a')[1]!.connID).toBe(c!.connID);

    // A disconnect: offline for the platform that left, online for what is still there.
    android.close();
    await android.closed;
    await settle('wh-a', 5);
    expect(tally('wh-a', 3)).toEqual(['offline:2', 'online:5']);
    const offline = of('wh-a').find((x) => x.cmd === OFFLINE)!;
    expect(Object.keys(offline.body)).toEqual(['callbackCommand', 'operationID', 'platformID', 'platform', 'userID', 'seq', 'connID']);
    expect(offline.connID).not.toBe(c!.connID);

    // The last one: offline only.
    web.close();
    await web.closed;
    await settle('wh-a', 6);
    expect(tally('wh-a', 5)).toEqual(['offline:5']);
  });

  it('kick by the multi-login policy: offline at the kick, online for the new login, online again when the kicked one closes; no afterUserKickOff', async () => {
    const first = await connectOk(node, { user: 'wh-k', platform: 2 });
    await settle('wh-k', 1);
    const second = await connectOk(node, { user: 'wh-k', platform: 2 });
    await first.closed;
    await settle('wh-k', 4);
    expect(tally('wh-k', 1)).toEqual(['offline:2', 'online:2', 'online:2']);
    // The offline names the kicked connection, the onlines the new one.
    const [, ...rest] = of('wh-k');
    const kickedConn = rest.find((c) => c.cmd === OFFLINE)!.connID;
    expect(rest.filter((c) => c.cmd === ONLINE).every((c) => c.connID !== kickedConn)).toBe(true);
    expect(received.some((c) => c.cmd === 'callbackAfterUserKickOffCommand')).toBe(false);
    second.close();
    await second.closed;
    await settle('wh-k', 5);
  });

  it('hub KickUserOffline: offline for the kicked platform and online for the rest, then online again when it closes', async () => {
    const web = await connectOk(node, { user: 'wh-h', platform: 5, sdkType: 'js' });
    await settle('wh-h', 1);
    const android = await connectOk(node, { user: 'wh-h', platform: 2 });
    await settle('wh-h', 3);
    await hub.KickUserOffline({ platformID: 2, kickUserIDList: ['wh-h'] }, { operationID: 'op-kick', opUserID: 'imAdmin' });
    await android.closed;
    await settle('wh-h', 6);
    expect(tally('wh-h', 3)).toEqual(['offline:2', 'online:5', 'online:5']);
    expect(received.some((c) => c.cmd === 'callbackAfterUserKickOffCommand')).toBe(false);
    web.close();
    await web.closed;
    await settle('wh-h', 7);
  });

  it("isAppBackground is that platform's first connection's flag when the entry is posted", async () => {
    const ios = await connectOk(node, { user: 'wh-b', platform: 1 });
    await settle('wh-b', 1);
    await ios.request(2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: 'wh-b', isBackground: true }));
    const android = await connectOk(node, { user: 'wh-b', platform: 2 });
    await settle('wh-b', 3);
    const later = of('wh-b').slice(1);
    expect(later.find((c) => c.platformID === 1)!.isAppBackground).toBe(true);
    expect(later.find((c) => c.platformID === 2)!.isAppBackground).toBe(false);
    ios.close();
    android.close();
  });

  it('the online_change self-heal (a change that leaves out a local platform) re-announces the connections, as upstream RecvSubChange', async () => {
    const android = await connectOk(node, { user: 'wh-s', platform: 2 });
    await settle('wh-s', 1);
    // Someone published the user offline everywhere while it is connected here.
    await node.stack!.redis.publish(redisKeys.onlineChannel, 'wh-s');
    await settle('wh-s', 2);
    expect(tally('wh-s', 1)).toEqual(['online:2']);
    android.close();
  });

  it('an enabled afterUserKickOff is named in the log as never posted', () => {
    expect(logs.some((l) => l.includes('afterUserKickOff') && l.includes('never posts it'))).toBe(true);
  });
});

describe('lease renewal re-announces every online connection, as upstream', () => {
  it('each renewal posts afterUserOnline again for every connection', async () => {
    const got: string[] = [];
    const receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        const body = JSON.parse(b) as { callbackCommand: string; userID: string; platformID: number };
        if (body.userID === 'wh-r') got.push(`${body.callbackCommand}:${body.platformID}`);
        res.end('{"errCode":0}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const node = await startNode({ presence: { renewIntervalMs: 150 }, webhooks: { url, afterUserOnline: on, afterUserOffline: on } });
    try {
      const a = await connectOk(node, { user: 'wh-r', platform: 2 });
      const b = await connectOk(node, { user: 'wh-r', platform: 5, sdkType: 'js' });
      // Connect posts 1 + 2; every renewal 2 more (one per connection).
      await eventually(() => got.length >= 7, 5000, `renewal calls (have ${got.length})`);
      expect(got.every((g) => g.startsWith(ONLINE))).toBe(true);
      expect(got.filter((g) => g.endsWith(':2')).length).toBeGreaterThanOrEqual(3);
      expect(got.filter((g) => g.endsWith(':5')).length).toBeGreaterThanOrEqual(2);
      a.close();
      b.close();
    } finally {
      await node.close();
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
