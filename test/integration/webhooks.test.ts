import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Webhooks, type WebhooksOptions } from '../../src/presence/webhooks.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A local endpoint: answers /ok/* like an OpenIM webhook receiver, never answers /hang/*. */
describe('Webhooks against a real HTTP server', () => {
  let server: Server;
  let base = '';
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let hangingAborted = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        received.push({ method: req.method ?? '', path, headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        if (path.startsWith('/hang/')) {
          hanging.add(res);
          res.on('close', () => {
            if (hanging.delete(res)) hangingAborted++;
          });
          return;
        }
        res.setHeader('Content-Type', 'application/json');
        res.end('{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    received.length = 0;
    hangingAborted = 0;
  });

  afterAll(async () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const hooks = (over: Partial<WebhooksOptions> = {}): WebhooksOptions => ({
    url: `${base}/ok`,
    afterUserOnline: { enable: true, timeout: 5 },
    afterUserOffline: { enable: true, timeout: 5 },
    afterUserKickOff: { enable: true, timeout: 5 },
    ...over,
  });

  it('posts the three callbacks with upstream bodies, path and operationID header', async () => {
    const wh = new Webhooks(hooks());
    const before = Date.now();
    expect(wh.afterUserOnline({ userID: 'u1', platformID: 5, isAppBackground: true, connID: 'conn-1', operationID: 'op-on' })).toBe(true);
    expect(wh.afterUserOffline({ userID: 'u1', platformID: 1, connID: 'conn-2', operationID: 'op-off' })).toBe(true);
    expect(wh.afterUserKickOff({ userID: 'u2', platformID: 3, operationID: 'op-kick' })).toBe(true);
    await wh.idle();
    expect(wh.counters).toMatchObject({ queued: 3, sent: 3, failed: 0, dropped: 0 });
    const byPath = new Map(received.map((r) => [r.path, r]));

    const on = byPath.get('/ok/callbackAfterUserOnlineCommand')!;
    expect(on.method).toBe('POST');
    expect(on.headers.operationid).toBe('op-on');
    expect(on.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(on.body)).toEqual(['callbackCommand', 'operationID', 'platformID', 'platform', 'userID', 'seq', 'isAppBackground', 'connID']);
    expect(on.body).toMatchObject({
      callbackCommand: 'callbackAfterUserOnlineCommand',
      operationID: 'op-on',
      platformID: 5,
      platform: 'Web',
      userID: 'u1',
      isAppBackground: true,
      connID: 'conn-1',
    });
    expect(on.body.seq).toBeGreaterThanOrEqual(before);
    expect(on.body.seq).toBeLessThanOrEqual(Date.now());

    const off = byPath.get('/ok/callbackAfterUserOfflineCommand')!;
    expect(off.headers.operationid).toBe('op-off');
    expect(Object.keys(off.body)).toEqual(['callbackCommand', 'operationID', 'platformID', 'platform', 'userID', 'seq', 'connID']);
    expect(off.body).toMatchObject({ callbackCommand: 'callbackAfterUserOfflineCommand', platformID: 1, platform: 'IOS', userID: 'u1', connID: 'conn-2' });

    const kick = byPath.get('/ok/callbackAfterUserKickOffCommand')!;
    expect(kick.headers.operationid).toBe('op-kick');
    expect(Object.keys(kick.body)).toEqual(['callbackCommand', 'operationID', 'platformID', 'platform', 'userID', 'seq']);
    expect(kick.body).toMatchObject({ callbackCommand: 'callbackAfterUserKickOffCommand', platformID: 3, platform: 'Windows', userID: 'u2' });
    await wh.close();
  });

  it('posts only enabled hooks, generates an operationID when none is given', async () => {
    const wh = new Webhooks(hooks({ afterUserOffline: { enable: false, timeout: 5 } }));
    expect(wh.afterUserOffline({ userID: 'u', platformID: 2, connID: 'c' })).toBe(false);
    expect(wh.fire('afterUserOnline', { userID: 'u', platformID: 2, isAppBackground: false, connID: 'c' })).toBe(true);
    await wh.idle();
    expect(received).toHaveLength(1);
    const op = received[0]!.headers.operationid;
    expect(typeof op === 'string' && op.length > 0).toBe(true);
    expect(received[0]!.body.operationID).toBe(op);
    await wh.close();
    expect(new Webhooks({ ...hooks(), url: '' }).afterUserOnline({ userID: 'u', platformID: 2, isAppBackground: false, connID: 'c' })).toBe(false);
  });

  it('a never-answering endpoint does not delay fire(); each request is aborted after its timeout', async () => {
    const results: { timedOut: boolean; ok: boolean }[] = [];
    const wh = new Webhooks(
      hooks({
        url: `${base}/hang`,
        afterUserOnline: { enable: true, timeout: 0.3 },
        concurrency: 2,
        onResult: (r) => results.push({ timedOut: r.timedOut, ok: r.ok }),
      }),
    );
    const started = performance.now();
    for (let i = 0; i < 4; i++) {
      // fire() is synchronous: it returns a boolean, not a promise, whatever the endpoint does.
      const r: boolean = wh.afterUserOnline({ userID: `h${i}`, platformID: 5, isAppBackground: false, connID: `c${i}` });
      expect(r).toBe(true);
    }
    const fireMs = performance.now() - started;
    expect(fireMs).toBeLessThan(100);
    expect(wh.inflightCount).toBe(2);
    expect(wh.queueDepth).toBe(2);
    await vi.waitFor(() => expect(received).toHaveLength(2));
    // Two timeouts of 0.3 s each, two at a time.
    await wh.idle();
    const total = performance.now() - started;
    expect(total).toBeGreaterThanOrEqual(550);
    expect(total).toBeLessThan(3000);
    expect(wh.counters).toMatchObject({ queued: 4, sent: 0, failed: 4, timedOut: 4 });
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ timedOut: true, ok: false })));
    await vi.waitFor(() => expect(hangingAborted).toBe(4));
    await wh.close();
  });

  it('a full queue drops and counts; close() aborts what is in flight and discards the rest', async () => {
    const wh = new Webhooks(hooks({ url: `${base}/hang`, concurrency: 1, queueSize: 3 }));
    const accepted: boolean[] = [];
    for (let i = 0; i < 10; i++) accepted.push(wh.afterUserKickOff({ userID: `q${i}`, platformID: 1 }));
    expect(accepted).toEqual([true, true, true, true, false, false, false, false, false, false]);
    expect(wh.counters).toMatchObject({ queued: 4, dropped: 6 });
    expect(wh.inflightCount).toBe(1);
    expect(wh.queueDepth).toBe(3);
    await vi.waitFor(() => expect(received).toHaveLength(1));
    await wh.close();
    await wh.close();
    expect(wh.counters.discarded).toBe(3);
    await wh.idle();
    expect(wh.counters.failed).toBe(1);
    expect(wh.afterUserKickOff({ userID: 'late', platformID: 1 })).toBe(false);
    await vi.waitFor(() => expect(hangingAborted).toBe(1));
  });

  it('close({drainMs}) lets queued posts finish first', async () => {
    const wh = new Webhooks(hooks({ concurrency: 1 }));
    for (let i = 0; i < 5; i++) wh.afterUserKickOff({ userID: `d${i}`, platformID: 2 });
    await wh.close({ drainMs: 5000 });
    expect(wh.counters).toMatchObject({ sent: 5, discarded: 0 });
    expect(received.map((r) => r.body.userID)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4']);
  });
});
