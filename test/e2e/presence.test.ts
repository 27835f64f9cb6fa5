import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis/keys.js';
import type { Harness } from '../../harness/harness.js';
import { mergeConfig, defaultConfig } from '../../src/config/config.js';
import { startHarness } from '../../harness/harness.js';
import { connectOk, eventually, startNode } from '../helpers/gateway.js';
import { subscribeAndWatch } from '../helpers/presence-flows.js';

describe('presence on the embedded Redis', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode({ presence: { mergeIntervalMs: 20 } });
  });
  afterAll(async () => {
    await node.close();
  });

  it('a subscriber sees the platform lists of a watched user in order', async () => {
    await subscribeAndWatch(node, node, 'mock');
  });

  it('keeps ONLINE:<user> in Redis and forgets a closed connection\'s subscriptions', async () => {
    const c = await connectOk(node, { user: 'zset', platform: 2 });
    await eventually(async () => (await node.stack!.redis.zrange(redisKeys.online('zset'), 0, -1)).join() === '2', 3000, 'ONLINE key');
    const ttl = await node.stack!.redis.ttl(redisKeys.online('zset'));
    expect(ttl).toBeGreaterThan(1700);
    const s = await connectOk(node, { user: 'subber', platform: 5 });
    await s.request(2005, (await import('../../src/protocol/pb.js')).pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: ['zset', 'other'] }));
    expect(node.view().subscriptions.subscribers('zset').size).toBe(1);
    s.close();
    await eventually(() => node.view().subscriptions.subscribers('zset').size === 0, 3000, 'subscriptions dropped on close');
    c.close();
  });

  it('reports every local user offline on shutdown', async () => {
    const n2 = await startNode({ presence: { mergeIntervalMs: 5000 } }, { redisMockKey: 4242 });
    const c = await connectOk(n2, { user: 'bye', platform: 3 });
    await n2.node!.flushPresence();
    await eventually(async () => (await n2.stack!.redis.zrange(redisKeys.online('bye'), 0, -1)).length === 1, 3000, 'online');
    const redis = n2.stack!.redis;
    c.ws.on('error', () => undefined);
    const probe = redis.duplicate();
    await n2.close();
    expect(await probe.zrange(redisKeys.online('bye'), 0, -1)).toEqual([]);
    probe.disconnect();
  });
});

describe('webhooks', () => {
  it('POSTs online and offline callbacks with the upstream bodies (a kick posts offline, never kick-off, as upstream); a dead endpoint does not delay connections', async () => {
    const got: { path: string; body: Record<string, unknown>; op: string | undefined }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        got.push({ path: req.url ?? '', body: JSON.parse(b), op: req.headers.operationid as string | undefined });
        res.end('{"errCode":0}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const on = { enable: true, timeout: 5 };
    const node = await startNode({ multiLogin: { policy: 1 }, webhooks: { url, afterUserOnline: on, afterUserOffline: on, afterUserKickOff: on } });
    try {
      const first = await connectOk(node, { user: 'hooked', platform: 2 });
      const second = await connectOk(node, { user: 'hooked', platform: 2 });
      await first.closed;
      second.close();
      // online; at the kick offline, the new login online, the kicked one's close online; the close offline.
      await eventually(() => got.length >= 5, 5000, 'webhook calls');
      const cmds = got.map((g) => g.body.callbackCommand);
      expect(cmds).toEqual(expect.arrayContaining(['callbackAfterUserOnlineCommand', 'callbackAfterUserOfflineCommand']));
      expect(cmds).not.toContain('callbackAfterUserKickOffCommand');
      const online = got.find((g) => g.body.callbackCommand === 'callbackAfterUserOnlineCommand')!;
      expect(online.path).toBe('/callbackAfterUserOnlineCommand');
      expect(online.body).toMatchObject({ userID: 'hooked', platformID: 2, platform: 'Android', isAppBackground: false });
      expect(typeof online.body.seq).toBe('number');
      expect(online.op).toBe(online.body.operationID);
      const offline = got.find((g) => g.body.callbackCommand === 'callbackAfterUserOfflineCommand')!;
      expect(offline.body).toMatchObject({ userID: 'hooked', platformID: 2 });
    } finally {
      await node.close();
      server.close();
    }

    // An endpoint that accepts the connection and never answers.
    const black = createServer(() => undefined);
    await new Promise<void>((r) => black.listen(0, '127.0.0.1', r));
    const slowURL = `http://127.0.0.1:${(black.address() as AddressInfo).port}`;
    const node2 = await startNode({ webhooks: { url: slowURL, afterUserOnline: on, afterUserOffline: on, afterUserKickOff: on } });
    try {
      const t0 = Date.now();
      for (let i = 0; i < 20; i++) (await connectOk(node2, { user: `slowhook${i}`, platform: 5 })).close();
      expect(Date.now() - t0).toBeLessThan(4000);
    } finally {
      await node2.close();
      black.closeAllConnections();
      black.close();
    }
  });

  it('logs failed deliveries (rate-limited, through the node log) and counts them in msggw_webhook_failures_total{callback}', async () => {
    // A receiver that answers 500, and a port nothing listens on.
    const failing = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 500;
        res.end('{"errCode":500}');
      });
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const on = { enable: true, timeout: 2 };
    const scrape = async (h: Harness): Promise<string> => (await fetch(`http://${h.addresses.metrics}/metrics`)).text();
    const series = (text: string, callback: string): number => Number(new RegExp(`^msggw_webhook_failures_total\\{callback="${callback}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    for (const url of [`http://127.0.0.1:${(failing.address() as AddressInfo).port}`, `http://127.0.0.1:${closedPort}`]) {
      const lines: string[] = [];
      const cfg = mergeConfig(defaultConfig(), { wsPort: 0, hubPort: 0, metricsPort: 0, inProcessRpc: false, webhooks: { url, afterUserOnline: on, afterUserOffline: on, afterUserKickOff: on } });
      const node = await startHarness(cfg, { log: (l) => lines.push(l) });
      try {
        for (let i = 0; i < 5; i++) (await connectOk(node, { user: `failhook${i}`, platform: 5 })).close();
        await eventually(async () => series(await scrape(node), 'callbackAfterUserOnlineCommand') === 5 && series(await scrape(node), 'callbackAfterUserOfflineCommand') === 5, 8000, 'failure counts');
        const hookLines = lines.filter((l) => l.startsWith('webhook '));
        // Rate-limited: one line per callback, not one per failure.
        expect(hookLines.filter((l) => l.includes('callbackAfterUserOnlineCommand'))).toHaveLength(1);
        expect(hookLines.filter((l) => l.includes('callbackAfterUserOfflineCommand'))).toHaveLength(1);
        expect(hookLines[0]).toMatch(url.endsWith(String(closedPort)) ? /failed: / : /answered HTTP 500/);
        expect(hookLines[0]).toContain(`${url}/callbackAfterUser`);
      } finally {
        await node.close();
      }
    }
    failing.close();
  });
});
