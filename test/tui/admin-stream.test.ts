import { request } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteAdminSource } from '../../src/admin/admin-client.js';
import type { AdminMessage } from '../../src/admin/schema.js';
import type { Harness } from '../../harness/harness.js';
import { createClient } from '../../src/rpc/grpc-client.js';
import { msgGatewayService } from '../../src/rpc/services.js';
import { OpenIMClient, tokenFor } from '../../simulators/client/index.js';
import { eventually, startNode } from '../helpers/gateway.js';

const TOKEN = 'test-admin-token';

let node: Harness;
const clients: OpenIMClient[] = [];

beforeAll(async () => {
  node = await startNode({ admin: { enable: true, port: 0, token: TOKEN }, presence: { mergeIntervalMs: 50 } });
});

afterAll(async () => {
  for (const c of clients) c.terminate();
  await node?.close();
});

async function simClient(userID: string, platformID: number, sdkType: 'go' | 'js' = 'js'): Promise<OpenIMClient> {
  const c = new OpenIMClient({ url: node.addresses.ws!, userID, platformID, sdkType, token: tokenFor(userID, platformID) });
  clients.push(c);
  await c.connect();
  return c;
}

function httpStatus(path: string, headers: Record<string, string> = {}): Promise<number> {
  const [host, port] = node.addresses.admin!.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Dials the admin stream; resolves with the HTTP status when refused. */
function dial(token?: string): Promise<{ ws: WebSocket; messages: AdminMessage[] } | number> {
  return new Promise((resolve, reject) => {
    const url = `ws://${node.addresses.admin}/${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
    const ws = new WebSocket(url);
    const messages: AdminMessage[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString()) as AdminMessage));
    ws.on('open', () => resolve({ ws, messages }));
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

describe('admin event stream', () => {
  it('listens on its own port and refuses a missing or wrong token before the upgrade', async () => {
    expect(node.addresses.admin).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await dial()).toBe(401);
    expect(await dial('wrong-token')).toBe(401);
    expect(await dial(TOKEN.slice(0, -1))).toBe(401);
    expect(await httpStatus('/')).toBe(401);
    expect(await httpStatus('/', { Authorization: `Bearer ${TOKEN}` })).toBe(426);
  });

  it('costs nothing while nobody watches: no gateway listener, no push tap', async () => {
    const feed = node.admin!.feed;
    expect(feed.gatewayListeners).toBe(0);
    expect(feed.watchers).toBe(0);
    const a = await simClient('quiet1', 5);
    const b = await simClient('quiet2', 1, 'go');
    await a.sendMsg({ recvID: 'quiet2', text: 'unwatched' });
    expect(feed.gatewayListeners).toBe(0);
    a.terminate();
    b.terminate();
    await eventually(() => node.view().registry.connCount === 0, 5000, 'quiet clients gone');
  });

  it('streams hello, the snapshot, then connects, pushes with result codes, kicks, fan-outs and counters', async () => {
    const feed = node.admin!.feed;
    const watched = await simClient('w1', 2, 'go');
    await watched.subscribe(['a2']);
    const d = await dial(TOKEN);
    if (typeof d === 'number') throw new Error(`refused ${d}`);
    const { ws, messages } = d;
    const find = <T extends AdminMessage['type']>(type: T, pred: (m: Extract<AdminMessage, { type: T }>) => boolean = () => true) =>
      messages.find((m): m is Extract<AdminMessage, { type: T }> => m.type === type && pred(m as Extract<AdminMessage, { type: T }>));

    await eventually(() => find('snapshot', (m) => m.done) !== undefined, 5000, 'snapshot');
    expect(messages[0]).toMatchObject({ type: 'hello', version: 1, node: { ws: node.addresses.ws, hub: node.addresses.hub } });
    const snap = find('snapshot')!;
    expect(snap.conns).toEqual([expect.objectContaining({ userID: 'w1', platformID: 2, sdkType: 'go', gzip: true, background: false, queue: 0, subs: ['a2'] })]);
    expect(feed.gatewayListeners).toBe(1);

    const a1 = await simClient('a1', 5);
    const a2 = await simClient('a2', 1, 'go');
    await eventually(() => find('connect', (m) => m.userID === 'a2') !== undefined, 5000, 'connect event');
    expect(find('connect', (m) => m.userID === 'a1')).toMatchObject({ platformID: 5, sdkType: 'js', gzip: false, background: false });

    await a2.setBackground(true);
    await eventually(() => find('conn-update', (m) => m.userID === 'a2' && m.background) !== undefined, 5000, 'conn-update');

    await a1.sendMsg({ recvID: 'a2', text: 'hi' });
    await eventually(() => find('push', (m) => m.msg?.recvID === 'a2') !== undefined, 5000, 'push event');
    // a2 is an iOS client in the background: upstream answers 1604 for it, a1 gets its copy.
    expect(find('push', (m) => m.msg?.recvID === 'a2')).toMatchObject({ userIDs: 2, codes: { '0': 1, '1604': 1 }, msg: { sendID: 'a1', sessionType: 1 } });
    expect(find('request', (m) => m.userID === 'a1' && m.reqIdentifier === 1003)).toMatchObject({ errCode: 0 });

    await eventually(() => find('presence', (m) => m.userID === 'a2' && m.subscribers === 1) !== undefined, 5000, '2005 fan-out');
    expect(find('presence', (m) => m.userID === 'a2')!.watchers).toEqual([expect.objectContaining({ userID: 'w1', platformID: 2 })]);

    const hub = createClient(msgGatewayService, node.addresses.hub!);
    try {
      await hub.KickUserOffline({ platformID: 5, kickUserIDList: ['a1'] }, { operationID: 'op-kick', opUserID: 'imAdmin' });
    } finally {
      hub.close();
    }
    await eventually(() => find('kick', (m) => m.userID === 'a1') !== undefined, 5000, 'kick event');
    expect(find('kick', (m) => m.userID === 'a1')).toMatchObject({ platformID: 5, cause: 'hub', policy: 1 });
    await eventually(() => find('disconnect', (m) => m.userID === 'a1') !== undefined, 5000, 'disconnect event');
    expect(find('disconnect', (m) => m.userID === 'a1')).toMatchObject({ reason: 'kicked' });

    // The first counters message is the baseline sent at subscribe time; then one a second.
    expect(messages.findIndex((m) => m.type === 'counters')).toBeLessThan(messages.findIndex((m) => m.type === 'connect'));
    await eventually(() => find('counters', (m) => m.conns === 2) !== undefined, 3000, 'counters after the kick');
    const counters = find('counters', (m) => m.conns === 2)!;
    expect(counters.users).toBe(2);
    expect(counters.totals.framesIn).toBeGreaterThan(0);
    expect(counters.totals.pushes).toBeGreaterThan(0);

    // Commands: an abrupt drop of a2 by the gateway.
    const a2conn = find('connect', (m) => m.userID === 'a2')!.connID;
    ws.send(JSON.stringify({ id: 7, cmd: 'terminate', connID: a2conn }));
    await eventually(() => find('result', (m) => m.id === 7) !== undefined, 5000, 'command result');
    expect(find('result', (m) => m.id === 7)).toMatchObject({ ok: true, count: 1 });
    await eventually(() => find('disconnect', (m) => m.userID === 'a2') !== undefined, 5000, 'a2 dropped');
    ws.send('{"id":8,"cmd":"reboot"}');
    await eventually(() => find('result', (m) => m.id === -1) !== undefined, 5000, 'bad command answer');

    await closeWs(ws);
    await eventually(() => feed.gatewayListeners === 0, 5000, 'feed detached');
    expect(feed.watchers).toBe(0);
  });

  it('serves the TUI remote source: commands and redial-free close', async () => {
    const src = new RemoteAdminSource({ address: node.addresses.admin!, token: TOKEN });
    await src.connect();
    const got: AdminMessage[] = [];
    src.subscribe((m) => got.push(m));
    await eventually(() => got.some((m) => m.type === 'snapshot' && m.done), 5000, 'snapshot via source');
    expect(got[0]!.type).toBe('hello');
    const k = await simClient('k1', 3, 'go');
    await eventually(() => got.some((m) => m.type === 'connect' && m.userID === 'k1'), 5000, 'k1 connect');
    expect(await src.command({ cmd: 'kick', userID: 'k1', platformID: 3 })).toMatchObject({ ok: true, count: 1 });
    await eventually(() => k.state === 'closed', 5000, 'k1 kicked');
    await src.close();
    await eventually(() => node.admin!.feed.watchers === 0, 5000, 'source left');

    const refused = new RemoteAdminSource({ address: node.addresses.admin!, token: 'nope' });
    await expect(refused.connect()).rejects.toThrow(/401/);
    await refused.close();
  });
});
