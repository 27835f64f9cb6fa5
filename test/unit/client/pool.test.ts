import { afterEach, describe, expect, it } from 'vitest';
import { ClientPool, SeqTracker, summarizeLatencies, tokenFor } from '../../../simulators/client/index.js';
import { FakeGateway } from './fake-gateway.js';

let gw: FakeGateway | undefined;
let pool: ClientPool | undefined;
afterEach(async () => {
  pool?.terminateAll();
  await pool?.close();
  await gw?.close();
  pool = undefined;
  gw = undefined;
});

describe('ClientPool', () => {
  it('opens 2,000 connections with bounded concurrency, requests on each, closes them', async () => {
    gw = await new FakeGateway().start();
    const url = gw.url;
    pool = new ClientPool({ concurrency: 200 });
    const t0 = performance.now();
    const heapBefore = process.memoryUsage().heapUsed;
    let progress = 0;
    const res = await pool.open(
      2000,
      (i) => ({ url, userID: `u${i}`, platformID: 1 + (i % 2), token: tokenFor(`u${i}`, 1 + (i % 2)), sdkType: i % 2 === 0 ? 'go' : 'js' }),
      (done) => {
        progress = done;
      },
    );
    const openMs = performance.now() - t0;
    expect(res).toMatchObject({ opened: 2000, failed: 0 });
    expect(progress).toBe(2000);
    expect(gw.conns.size).toBe(2000);
    // Every client has exactly one wheel entry (its heartbeat): no per-connection timers.
    expect(pool.timers.size).toBe(2000);
    const heapPerConn = (process.memoryUsage().heapUsed - heapBefore) / 2000;

    const replies = await Promise.all(pool.clients.map((c) => c.request(3333, Buffer.from(c.userID))));
    expect(replies.every((r, i) => Buffer.from(r.resp.data!).toString() === `u${i}`)).toBe(true);

    const counts = pool.counts();
    expect(counts).toMatchObject({ clients: 2000, opened: 2000, failed: 0, open: 2000, closed: 0 });
    const lat = summarizeLatencies(pool.handshakeLatencies());
    expect(lat.count).toBe(2000);
    expect(pool.stats()).toMatchObject({ connects: 2000, requests: 2000, replies: 2000 });

    await pool.closeAll();
    expect(pool.counts()).toMatchObject({ open: 0, closed: 2000, closedByReason: { client: 2000 } });
    const totalMs = performance.now() - t0;
    console.log(
      `2000 clients: open ${openMs.toFixed(0)} ms, total ${totalMs.toFixed(0)} ms, handshake p50 ${lat.p50.toFixed(1)} ms p99 ${lat.p99.toFixed(1)} ms, ~${(heapPerConn / 1024).toFixed(1)} KiB heap/conn (client+server)`,
    );
  }, 120_000);

  it('ramps at the configured rate and counts failures by errCode', async () => {
    let n = 0;
    gw = await new FakeGateway({ refuse: () => (++n % 4 === 0 ? { errCode: 1507, errMsg: 'TokenNotExistError' } : undefined) }).start();
    const url = gw.url;
    pool = new ClientPool({ concurrency: 50, ratePerSec: 200 });
    const t0 = performance.now();
    const res = await pool.open(40, (i) => ({ url, userID: `r${i}`, platformID: 1, token: tokenFor(`r${i}`, 1) }));
    const ms = performance.now() - t0;
    // 40 dials at 200/s: the last one starts ~195 ms after the first.
    expect(ms).toBeGreaterThanOrEqual(180);
    expect(res).toMatchObject({ opened: 30, failed: 10 });
    expect(pool.counts().failedByReason).toEqual({ 'errCode 1507': 10 });
  });

  it('counts drops, reconnects and kicks by reason; a shared tracker catches up every client', async () => {
    gw = await new FakeGateway().start();
    const url = gw.url;
    const tracker = new SeqTracker();
    pool = new ClientPool({ seqTracker: tracker });
    await pool.open(10, (i) => ({ url, userID: `k${i}`, platformID: 1, token: tokenFor(`k${i}`, 1), reconnect: { enabled: true, minDelayMs: 10, maxDelayMs: 20 } }));
    const conns = [...gw.conns];
    for (const c of conns.slice(0, 3)) c.kick();
    for (const c of conns.slice(3)) c.drop();
    const deadline = Date.now() + 5000;
    while ((pool.counts().reconnects < 7 || tracker.stats.catchUps < 7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const counts = pool.counts();
    expect(counts).toMatchObject({ closed: 10, reconnects: 7, open: 7, closedByReason: { kicked: 3, 'abnormal (1006)': 7 } });
    expect(tracker.stats.catchUps).toBe(7);
    expect(pool.stats().kicks).toBe(3);
  });
});
