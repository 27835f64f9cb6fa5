/**
 * What one client may cost the gateway (issue: hostile clients): every frame we write under one
 * bound in frames and bytes, measured after the flush; text heartbeats capped; presence
 * subscriptions capped; inbound work per connection rate-limited; the online cache bounded in
 * bytes; slowloris held by the handshake timeout. Real sockets against in-process nodes; the
 * memory budgets of the same attacks against a child process are in memory-budget.test.ts.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/gateway/events.js';
import { OnlineCache } from '../../src/presence/online-cache.js';
import { gzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';
import { connectRedis } from '../../src/redis/connect.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';

function rawSocket(c: RawClient): Socket {
  return (c.ws as unknown as { _socket: Socket })._socket;
}

function disconnects(node: Harness): Map<string, Extract<GatewayEvent, { type: 'disconnect' }>> {
  const m = new Map<string, Extract<GatewayEvent, { type: 'disconnect' }>>();
  node.view().events.on((e) => {
    if (e.type === 'disconnect') m.set(e.userID, e);
  });
  return m;
}

const push = (n: number, bytes: number) => ({ reqIdentifier: 2001, msgIncr: '', operationID: `op${n}`, errCode: 0, errMsg: '', data: Buffer.alloc(bytes, n & 0xff) });

describe('write bound (frames and bytes, after the flush)', () => {
  let node: Harness;
  let closed: ReturnType<typeof disconnects>;
  beforeAll(async () => {
    node = await startNode({ multiLogin: { policy: 0 } });
    closed = disconnects(node);
  });
  afterAll(() => node.close());

  it('keeps a reading connection that gets 600 frames in one loop iteration (more than writeQueueFrames)', async () => {
    const c = await connectOk(node, { user: 'burst', platform: 3 });
    const conn = node.view().registry.getAll('burst')[0]!;
    for (let i = 0; i < 600; i++) expect(conn.send(push(i, 64))).toBe(true);
    await eventually(() => c.frames.length === 600, 10_000, 'every frame');
    expect(c.frames.map((f) => f.operationID)).toEqual(Array.from({ length: 600 }, (_, i) => `op${i}`));
    expect(c.isOpen).toBe(true);
    expect(closed.get('burst')).toBeUndefined();
    c.close();
  });

  it('closes a non-reader owing more than writeQueueBytes in few frames (large replies), long before writeQueueFrames', async () => {
    const c = await connectOk(node, { user: 'bytes', platform: 3 });
    rawSocket(c).pause();
    const conn = node.view().registry.getAll('bytes')[0]!;
    let sent = 0;
    while (!conn.closed && sent < 60) {
      conn.send(push(sent++, 1 << 20));
      await new Promise((r) => setImmediate(r));
    }
    expect(conn.closed).toBe(true);
    expect(sent).toBeLessThan(30);
    expect(closed.get('bytes')?.reason).toBe('websocket write buffer full');
    expect(closed.get('bytes')?.detail).toMatch(/bytes pending/);
  });

  it('lets one reply bigger than the byte bound through to a reader', async () => {
    const c = await connectOk(node, { user: 'huge', platform: 3 });
    const conn = node.view().registry.getAll('huge')[0]!;
    conn.send(push(1, 6 << 20));
    await eventually(() => c.frames.length === 1, 10_000, 'the big frame');
    expect(c.isOpen).toBe(true);
    c.close();
  });

  it('counts text pongs against the same bound: a client that pings and never reads is closed', async () => {
    const c = await connectOk(node, { user: 'pinger', platform: 5, sdkType: 'js' });
    rawSocket(c).pause();
    const ping = JSON.stringify({ type: 'ping', body: 'x'.repeat(900) });
    for (let i = 0; i < 20_000 && !closed.has('pinger'); i++) {
      c.ws.send(ping);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 1));
    }
    await eventually(() => closed.has('pinger'), 10_000, 'pinger closed');
    expect(closed.get('pinger')!.reason).toBe('websocket write buffer full');
  });

  it('echoes the ping body of a heartbeat within the cap', async () => {
    const c = await connectOk(node, { user: 'hb', platform: 5, sdkType: 'js' });
    c.ws.send('{"type":"ping","body":{"t":1}}');
    expect(await c.waitText()).toBe('{"type":"pong","body":{"t":1}}');
    c.close();
  });
});

describe('presence subscription caps', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode({ maxSubscriptionsPerConn: 2500, maxSubscribeIDsPerRequest: 1000 });
  });
  afterAll(() => node.close());

  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `watched_${from + i}`);
  const req = (subscribeUserID: string[], unsubscribeUserID: string[] = []) => pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID, unsubscribeUserID });

  it('refuses a 2005 naming more IDs than the per-request cap with ArgsError, changing nothing', async () => {
    const c = await connectOk(node, { user: 'sub1', platform: 3 });
    const r = await c.request(2005, req(ids(0, 1001)));
    expect(r.errCode).toBe(1001);
    expect(r.errMsg).toBe('ArgsError');
    expect(node.view().subscriptions.subscriptionCount).toBe(0);
    expect(c.isOpen).toBe(true);
    c.close();
  });

  it('refuses subscriptions beyond the per-connection cap; unsubscribing makes room', async () => {
    const c = await connectOk(node, { user: 'sub2', platform: 3 });
    for (let k = 0; k < 2; k++) expect((await c.request(2005, req(ids(k * 1000, 1000)))).errCode).toBe(0);
    expect((await c.request(2005, req(ids(2000, 500)))).errCode).toBe(0);
    const over = await c.request(2005, req(ids(2500, 1)));
    expect(over.errCode).toBe(1001);
    expect(over.errMsg).toBe('ArgsError');
    const conn = node.view().registry.getAll('sub2')[0]!;
    expect(conn.subscriptions.size).toBe(2500);
    // Already watched IDs cost nothing; unsubscribing in the same request makes room.
    expect((await c.request(2005, req(ids(0, 10)))).errCode).toBe(0);
    expect((await c.request(2005, req(ids(2500, 10), ids(0, 10)))).errCode).toBe(0);
    expect(conn.subscriptions.size).toBe(2500);
    c.close();
  });
});

describe('inbound work per connection', () => {
  let node: Harness;
  let closed: ReturnType<typeof disconnects>;
  beforeAll(async () => {
    node = await startNode({ inboundBytesPerSec: 2 << 20 });
    closed = disconnects(node);
  });
  afterAll(() => node.close());

  it('processes at most inboundBytesPerSec of inflated frames per connection, then closes a client that keeps sending', async () => {
    const c = await connectOk(node, { user: 'inflater', platform: 3, gzip: true });
    let answered = 0;
    c.ws.on('message', () => answered++);
    // 2004 whose data is 1 MB of zeros: ~1 KB on the wire, ~1 MB to inflate and decode.
    const frame = gzipFrame(
      (await import('../../src/protocol/codecs.js')).getCodec('gob', 'sdk').encodeReq({
        reqIdentifier: 2004,
        token: '',
        sendID: 'inflater',
        operationID: 'op',
        msgIncr: 'm',
        data: Buffer.alloc(1_000_000),
      }),
    );
    expect(frame.length).toBeLessThan(4096);
    const started = Date.now();
    for (let i = 0; i < 600 && !closed.has('inflater'); i++) {
      c.ws.send(frame);
      await new Promise((r) => setTimeout(r, 5));
    }
    await eventually(() => closed.has('inflater'), 10_000, 'inflater closed');
    const seconds = (Date.now() - started) / 1000;
    expect(closed.get('inflater')!.reason).toBe('inbound queue full');
    // Budget: one second's worth up front plus the rate (each frame costs ~1 MB).
    expect(answered).toBeLessThanOrEqual(Math.ceil(2 * (1 + seconds)) + 2);
  });

  it('leaves other connections served while one is throttled', async () => {
    const a = await connectOk(node, { user: 'normal', platform: 3 });
    const r = await a.request(2004, pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: 'normal', isBackground: true }));
    expect(r.errCode).toBe(0);
    a.close();
  });
});

describe('online cache memory under churn of unique IDs', () => {
  it('stays within maxBytes however many unique (and long) IDs are looked up', async () => {
    const cache = new OnlineCache({
      createSubscriber: () => connectRedis(undefined, { mockKey: 47_001 }),
      load: async (ids) => new Map(ids.map((id) => [id, [1, 2]])),
      slots: 64,
      slotSize: 2048,
      maxBytes: 1 << 20,
    });
    await cache.start();
    try {
      for (let k = 0; k < 50; k++) {
        await cache.getMany(Array.from({ length: 1000 }, (_, i) => `churn_${k}_${i}_${'x'.repeat(200)}`));
        expect(cache.bytes).toBeLessThanOrEqual(1 << 20);
      }
      expect(cache.size).toBeLessThan(64 * 2048);
      expect(cache.counters.evictions).toBeGreaterThan(40_000);
    } finally {
      await cache.close();
    }
  });
});

describe('slowloris', () => {
  it('drops a client trickling its request headers after the handshake timeout, not Node default 60 s', async () => {
    const node = await startNode({ websocketTimeout: 1 });
    try {
      const port = Number(new URL(node.addresses.ws!).port);
      const sock = tcpConnect(port, '127.0.0.1');
      await new Promise<void>((r) => sock.once('connect', () => r()));
      const started = Date.now();
      const ended = new Promise<void>((r) => sock.once('close', () => r()));
      sock.on('error', () => undefined);
      sock.write('GET /?sendID=x HTTP/1.1\r\nHost: x\r\n');
      const drip = setInterval(() => sock.writable && sock.write('X-a: b\r\n'), 200);
      await Promise.race([ended, new Promise((r) => setTimeout(r, 8000))]);
      clearInterval(drip);
      expect(sock.destroyed || sock.readyState === 'closed').toBe(true);
      expect(Date.now() - started).toBeLessThan(4000);
      sock.destroy();
    } finally {
      await node.close();
    }
  });
});
