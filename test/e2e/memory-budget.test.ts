/**
 * Memory budgets under attack: one `msggw serve` child process (gateway + simulators, default
 * bounds), four hostile clients one after the other, each for a few seconds. From the child's
 * own /metrics: its RSS (process_resident_memory_bytes) never exceeds a fixed budget, and each
 * attacker was closed or refused with a coded error. Hard assertions, no timings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../simulators/services/jwt.js';
import { conversationIDOf } from '../../src/protocol/conversation.js';
import { getCodec } from '../../src/protocol/codecs.js';
import { makeReq } from '../../src/protocol/envelope.js';
import { gunzipFrame, gzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';
import { createClient } from '../../src/rpc/grpc-client.js';
import { msgService } from '../../src/rpc/services.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';

/** The child's RSS may never exceed this (idle it is ~100-150 MB; the old code went past 1 GB within seconds). */
const RSS_BUDGET = 450 * 1024 * 1024;
/** How long each attack runs at most. */
const ATTACK_MS = 5000;

const gob = getCodec('gob', 'sdk');
let serve: ServeProcess;
let peakRss = 0;

async function metric(name: string, labels = ''): Promise<number | undefined> {
  const text = await (await fetch(`http://${serve.addrs.metrics}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

async function rss(): Promise<number> {
  const v = (await metric('process_resident_memory_bytes')) ?? NaN;
  if (v > peakRss) peakRss = v;
  return v;
}

/** A raw client of the child (no behaviour of its own), optionally not reading at all. */
async function attacker(user: string, o: { platform?: number; sdkType?: 'go' | 'js'; gzip?: boolean } = {}): Promise<{ ws: WebSocket; closed: Promise<void>; texts: string[]; frames: Buffer[] }> {
  const platform = o.platform ?? 3;
  const q = new URLSearchParams({
    sendID: user,
    platformID: String(platform),
    operationID: `op-${user}`,
    token: mintToken('openIM123', user, platform, 1),
    sdkType: o.sdkType ?? 'go',
    isBackground: 'false',
  });
  if (o.gzip) q.set('compression', 'gzip');
  const ws = new WebSocket(`${serve.addrs.ws}?${q}`, { perMessageDeflate: false, maxPayload: 256 << 20 });
  const texts: string[] = [];
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer, bin: boolean) => (bin ? frames.push(d) : texts.push(d.toString())));
  ws.on('error', () => undefined);
  const closed = new Promise<void>((r) => ws.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed, texts, frames };
}

function stopReading(ws: WebSocket): void {
  (ws as unknown as { _socket: { pause(): void } })._socket.pause();
}

/** Runs `step` until the attacker is closed or the attack time is up, sampling RSS as it goes. */
async function drive(closed: Promise<void>, step: () => void | Promise<void>): Promise<boolean> {
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  const until = Date.now() + ATTACK_MS;
  let lastSample = 0;
  while (!isClosed && Date.now() < until) {
    await step();
    if (Date.now() - lastSample > 200) {
      lastSample = Date.now();
      expect(await rss()).toBeLessThan(RSS_BUDGET);
    }
    await new Promise((r) => setImmediate(r));
  }
  // A moment for what was queued before the close to land, then one more sample.
  await new Promise((r) => setTimeout(r, 300));
  expect(await rss()).toBeLessThan(RSS_BUDGET);
  return isClosed;
}

async function disconnects(reason: string): Promise<number> {
  return (await metric('msggw_disconnects_total', `{reason="${reason}"}`)) ?? 0;
}

describe('memory budget of one serve process under attack', () => {
  beforeAll(async () => {
    serve = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--no-admin-stream', '--multi-login-policy', '0']);
    await rss();
  }, 30_000);
  afterAll(async () => {
    await serve?.stop();
  });

  it('text heartbeats: 51 KB pings from a client that never reads', async () => {
    const a = await attacker('mb_ping', { platform: 5, sdkType: 'js' });
    stopReading(a.ws);
    const ping = JSON.stringify({ type: 'ping', body: 'p'.repeat(51_000) });
    expect(await drive(a.closed, () => void (a.ws.readyState === WebSocket.OPEN && a.ws.send(ping)))).toBe(true);
    expect(await disconnects("frame too large")).toBeGreaterThanOrEqual(1);
    // Small pings, echoed, still through the one write bound.
    const b = await attacker('mb_ping2', { platform: 5, sdkType: 'js' });
    stopReading(b.ws);
    const small = JSON.stringify({ type: 'ping', body: 'p'.repeat(900) });
    expect(
      await drive(b.closed, () => {
        for (let i = 0; i < 200 && b.ws.readyState === WebSocket.OPEN; i++) b.ws.send(small);
      }),
    ).toBe(true);
    expect(await disconnects("websocket write buffer full")).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('large replies: PullMsgBySeqList of twenty 1 MB messages, over and over, never read', async () => {
    const user = 'mb_pull';
    const msg = createClient(msgService, serve.addrs.msg!);
    const data = { sendID: user, recvID: 'mb_peer', sessionType: 1, contentType: 101, content: Buffer.alloc(1_000_000, 7), clientMsgID: '' };
    const conversationID = conversationIDOf(pb.sdkws.MsgData.decode(pb.sdkws.MsgData.encode(data)));
    try {
      for (let i = 0; i < 20; i++) await msg.SendMsg({ msgData: { ...data, clientMsgID: `big${i}` } }, { operationID: `op${i}`, opUserID: user }, { timeoutMs: 10_000 });
    } finally {
      msg.close();
    }
    const a = await attacker(user);
    stopReading(a.ws);
    const pull = gob.encodeReq(
      makeReq({
        reqIdentifier: 1002,
        sendID: user,
        operationID: 'op-pull',
        msgIncr: 'p',
        data: pb.sdkws.PullMessageBySeqsReq.encode({ userID: user, seqRanges: [{ conversationID, begin: 1, end: 20, num: 20 }], order: 0 }),
      }),
    );
    const before = await disconnects('websocket write buffer full');
    // Paced (one request per 50 ms), so the inbox never fills: what closes it is what it owes.
    expect(
      await drive(a.closed, async () => {
        if (a.ws.readyState === WebSocket.OPEN) a.ws.send(pull);
        await new Promise((r) => setTimeout(r, 50));
      }),
    ).toBe(true);
    expect(await disconnects('websocket write buffer full')).toBeGreaterThan(before);
  }, 30_000);

  it('presence subscriptions: 2005 frames of 15,000 new IDs each are refused with ArgsError', async () => {
    const user = 'mb_sub';
    const a = await attacker(user, { gzip: true });
    let n = 0;
    const closed = drive(a.closed, () => {
      if (a.ws.readyState !== WebSocket.OPEN || n >= 40) return;
      const ids = Array.from({ length: 15_000 }, (_, i) => `ghost_${n}_${i}`);
      n++;
      a.ws.send(gzipFrame(gob.encodeReq(makeReq({ reqIdentifier: 2005, sendID: user, operationID: `op${n}`, msgIncr: `s${n}`, data: pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: ids, unsubscribeUserID: [] }) }))));
    });
    await closed;
    const replies = a.frames.map((f) => getCodec('gob', 'sdk').decodeResp(gunzipFrame(f))).filter((r) => r.reqIdentifier === 2005);
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.every((r) => r.errCode === 1001)).toBe(true);
    a.ws.terminate();
  }, 20_000);

  it('inbound work: 1 KB frames that inflate to 1 MB each, as fast as the socket takes them', async () => {
    const user = 'mb_inflate';
    const a = await attacker(user, { gzip: true });
    const bomb = gzipFrame(gob.encodeReq(makeReq({ reqIdentifier: 2004, sendID: user, operationID: 'op', msgIncr: 'b', data: Buffer.alloc(1_000_000) })));
    expect(bomb.length).toBeLessThan(4096);
    const before = await disconnects('inbound queue full');
    expect(
      await drive(a.closed, () => {
        for (let i = 0; i < 50 && a.ws.readyState === WebSocket.OPEN; i++) a.ws.send(bomb);
      }),
    ).toBe(true);
    expect(await disconnects('inbound queue full')).toBeGreaterThan(before);
  }, 20_000);

  it('stayed within the budget throughout', () => {
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(RSS_BUDGET);
  });
});
