/**
 * The bench's load process: holds the client connections (bench/lib/conn.ts) and runs one
 * measurement per IPC command from bench/run.ts. The same code drives the raw `ws` baseline and
 * the gateway; the only difference is how a push is triggered (the hub's
 * SuperGroupOnlineBatchPushOneMsg over gRPC vs the baseline's `POST /broadcast`).
 *
 * Every loop is bounded by a count and a time limit.
 */
import { Agent, request } from 'node:http';
import { tokenFor } from '../simulators/client/token.js';
import { codecFor } from '../src/protocol/codecs.js';
import { gunzipFrame } from '../src/protocol/gzip.js';
import { pb } from '../src/protocol/pb.js';
import type { sdkws } from '../src/protocol/pb-types.js';
import { createClient, type RpcClient } from '../src/rpc/grpc-client.js';
import { msgGatewayService, type MsgGatewayMethods } from '../src/rpc/services.js';
import { ConnSet, openConn, type ConnSpec } from './lib/conn.js';
import { benchMsg, broadcastBody, pushFrames, requestFrame } from './lib/frames.js';
import { serveIpc } from './lib/ipc.js';
import { latency, type Latency } from './lib/stats.js';
import { ReqIdentifier } from '../src/protocol/identifiers.js';

const sets = new Map<string, ConnSet>();
const hubClients = new Map<string, RpcClient<MsgGatewayMethods>>();
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function setOf(name: string): ConnSet {
  let s = sets.get(name);
  if (!s) sets.set(name, (s = new ConnSet(name)));
  return s;
}

function hub(addr: string): RpcClient<MsgGatewayMethods> {
  let c = hubClients.get(addr);
  if (!c) hubClients.set(addr, (c = createClient(msgGatewayService, addr)));
  return c;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds or `timeoutMs` passed; returns whether it held. */
async function until(cond: () => boolean, timeoutMs: number, stepMs = 2): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) return false;
    await sleep(stepMs);
  }
  return true;
}

// ---- open / close --------------------------------------------------------------------------

/** Argument of `open`. */
export interface OpenArg {
  set: string;
  /** Servers to spread the connections over (connection i goes to urls[i % n]). */
  urls: string[];
  count: number;
  userPrefix: string;
  offset?: number;
  platformID?: number;
  /** Variant shares; connection i takes the entry its position in 0..99 falls in. */
  mix: { sdkType: 'go' | 'js'; gzip: boolean; share: number }[];
  concurrency?: number;
  timeoutMs?: number;
}

/** Result of `open`. */
export interface OpenResult {
  opened: number;
  failed: number;
  ms: number;
  perSec: number;
  failures: Record<string, number>;
}

function variantFor(mix: OpenArg['mix'], i: number): { sdkType: 'go' | 'js'; gzip: boolean } {
  const slot = (i % 100) / 100;
  let acc = 0;
  for (const m of mix) {
    acc += m.share;
    if (slot < acc - 1e-9) return m;
  }
  return mix[mix.length - 1]!;
}

async function open(a: OpenArg): Promise<OpenResult> {
  const set = setOf(a.set);
  const platformID = a.platformID ?? 2;
  const nowSec = Math.floor(Date.now() / 1000);
  const specs: ConnSpec[] = [];
  for (let i = 0; i < a.count; i++) {
    const userID = `${a.userPrefix}${(a.offset ?? 0) + i}`;
    specs.push({ url: a.urls[i % a.urls.length]!, userID, platformID, token: tokenFor(userID, platformID, { nowSec }), ...variantFor(a.mix, i) });
  }
  const failures: Record<string, number> = {};
  let next = 0;
  let opened = 0;
  const deadline = performance.now() + (a.timeoutMs ?? 60_000);
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < specs.length && performance.now() < deadline) {
      const spec = specs[next++]!;
      try {
        await openConn(set, spec);
        opened++;
      } catch (e) {
        const k = (e as Error).message.slice(0, 60);
        failures[k] = (failures[k] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(a.concurrency ?? 100, specs.length) }, worker));
  const ms = performance.now() - t0;
  return { opened, failed: specs.length - opened, ms, perSec: (opened / ms) * 1000, failures };
}

async function close(a: { set: string }): Promise<number> {
  const set = sets.get(a.set);
  if (!set) return 0;
  const n = set.conns.length;
  for (const c of set.conns) c.close();
  sets.delete(a.set);
  // Let the close events run before the next step measures anything.
  await until(() => set.closed >= n, 5000, 10);
  return n;
}

// ---- push fan-out --------------------------------------------------------------------------

/** Argument of `fanout`. */
export interface FanoutArg {
  sets: string[];
  target: 'gateway' | 'baseline';
  /** Gateway hubs (each gets the whole user list, as OpenIM's push service does). */
  hubs?: string[];
  /** Baseline base URL (`http://host:port`). */
  http?: string;
  /** Baseline only: the coalescing broadcast (`/broadcast?coalesce=1`). */
  coalesce?: boolean;
  pushes: number;
  /** Push calls in flight at once. */
  concurrency: number;
  contentBytes: number;
  timeoutMs?: number;
  /** Check that every variant's frame has the bytes the baseline would broadcast. */
  verify?: boolean;
}

/** Result of `fanout`. */
export interface FanoutResult {
  users: number;
  expected: number;
  received: number;
  ms: number;
  perSec: number;
  /** Mean time from issuing a push call to its answer, ms. */
  callMs: number;
  /** Variants whose received bytes matched the expected frame (verify). */
  verified: number[];
  mismatched: number[];
  /** Share of one core the load process used during the run (near 100: the load is the bottleneck). */
  loadCpuPct: number;
}

function pusher(a: { target: 'gateway' | 'baseline'; hubs?: string[]; http?: string; coalesce?: boolean }, msg: sdkws.MsgData, userIDs: string[]): () => Promise<void> {
  const operationID = 'bench-push';
  if (a.target === 'gateway') {
    const req = Buffer.from(pb.msggateway.OnlineBatchPushOneMsgReq.encode({ msgData: msg, pushToUserIDs: userIDs }));
    const clients = (a.hubs ?? []).map(hub);
    const ctx = { operationID, opUserID: 'imAdmin' };
    return async () => {
      await Promise.all(clients.map((c) => c.raw('SuperGroupOnlineBatchPushOneMsg', req, ctx, { timeoutMs: 30_000 })));
    };
  }
  const body = broadcastBody(pushFrames(msg, operationID));
  const url = new URL(a.coalesce ? '/broadcast?coalesce=1' : '/broadcast', a.http);
  const post = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const r = request(url, { method: 'POST', agent, headers: { 'Content-Length': body.length } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      r.on('error', reject);
      r.end(body);
    });
  // A pooled keep-alive socket the server closed meanwhile fails at once: retry once on a new one.
  return () => post().catch((e: unknown) => ((e as { code?: string }).code === 'ECONNRESET' ? post() : Promise.reject(e)));
}

/** Runs `count` calls of `fn`, `concurrency` at a time; resolves with the mean call time (ms). */
async function runCalls(count: number, concurrency: number, fn: () => Promise<void>, deadlineMs: number): Promise<number> {
  let next = 0;
  let total = 0;
  const end = performance.now() + deadlineMs;
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < end) {
      next++;
      const t = performance.now();
      await fn();
      total += performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next ? total / next : Number.NaN;
}

async function fanout(a: FanoutArg): Promise<FanoutResult> {
  const list = a.sets.map((n) => setOf(n));
  const conns = list.flatMap((s) => s.conns.filter((c) => c.ws.readyState === 1));
  const userIDs = conns.map((c) => c.userID);
  const full = pb.sdkws.MsgData.decode(pb.sdkws.MsgData.encode(benchMsg(a.contentBytes)));
  const push = pusher(a, full, userIDs);
  const verified: number[] = [];
  const mismatched: number[] = [];
  if (a.verify) {
    // Compare decompressed bytes: gzip output may differ between encoders, the content may not.
    const want = pushFrames(full, 'bench-push').map((f, v) => (v % 2 ? gunzipFrame(f) : f));
    const seen = new Set<number>();
    for (const s of list) {
      s.reset('count');
      s.onFrame = (conn, data) => {
        if (seen.has(conn.variant)) return;
        seen.add(conn.variant);
        const got = conn.spec.gzip ? gunzipFrame(data) : data;
        (got.equals(want[conn.variant]!) ? verified : mismatched).push(conn.variant);
      };
    }
    await push();
    await until(() => list.reduce((n, s) => n + s.received, 0) >= conns.length, 10_000);
    for (const s of list) s.onFrame = undefined;
  }
  for (const s of list) s.reset('count');
  const expected = a.pushes * conns.length;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const callMs = await runCalls(a.pushes, a.concurrency, push, a.timeoutMs ?? 30_000);
  const received = (): number => list.reduce((n, s) => n + s.received, 0);
  await until(() => received() >= expected, a.timeoutMs ?? 30_000);
  const last = Math.max(...list.map((s) => s.lastRecvAt));
  const ms = last - t0;
  const cpu = process.cpuUsage(cpu0);
  const loadCpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  return { users: userIDs.length, expected, received: received(), ms, perSec: (received() / ms) * 1000, callMs, verified, mismatched, loadCpuPct };
}

// ---- round trips ---------------------------------------------------------------------------

/** Argument of `rtt`. */
export interface RttArg {
  set: string;
  reqIdentifier: number;
  /** `closed`: each connection keeps `window` requests outstanding (throughput); `rate`: open loop at `rate`/s. */
  mode: 'closed' | 'rate';
  window?: number;
  rate?: number;
  durationMs: number;
  /** Use only the first n connections. */
  conns?: number;
}

/** Result of `rtt`. */
export interface RttResult extends Latency {
  sent: number;
  perSec: number;
  ms: number;
  /** Requests without a reply when the run ended. */
  lost: number;
}

function requestData(reqIdentifier: number, userID: string): Uint8Array {
  switch (reqIdentifier) {
    case ReqIdentifier.WsSetBackgroundStatus:
      return pb.sdkws.SetAppBackgroundStatusReq.encode({ userID, isBackground: false });
    case ReqIdentifier.GetNewestSeq:
      return pb.sdkws.GetMaxSeqReq.encode({ userID });
    default:
      throw new Error(`no bench request for ${reqIdentifier}`);
  }
}

async function rtt(a: RttArg): Promise<RttResult> {
  const set = setOf(a.set);
  const conns = set.conns.filter((c) => c.ws.readyState === 1).slice(0, a.conns ?? Infinity);
  if (conns.length === 0) throw new Error(`set ${a.set} has no open connection`);
  for (const c of conns) c.reqFrame = requestFrame(c.spec.sdkType, c.spec.gzip, c.userID, a.reqIdentifier, requestData(a.reqIdentifier, c.userID), `${c.userID}_1`);
  set.reset('rtt');
  let sent = 0;
  const t0 = performance.now();
  if (a.mode === 'closed') {
    set.closedLoop = true;
    set.stopAt = t0 + a.durationMs;
    for (const c of conns) for (let i = 0; i < (a.window ?? 1); i++) c.send(c.reqFrame!);
    await sleep(a.durationMs);
  } else {
    const rate = a.rate ?? 1000;
    // Open loop: requests leave on schedule whatever the replies do (no coordinated omission),
    // but a connection never has more than 64 outstanding (the gateway closes one at 256).
    let i = 0;
    while (performance.now() - t0 < a.durationMs) {
      const due = Math.floor(((performance.now() - t0) * rate) / 1000);
      while (sent < due) {
        const c = conns[i++ % conns.length]!;
        sent++;
        if (c.sentAt.length < 64) c.send(c.reqFrame!);
      }
      await sleep(1);
    }
  }
  const outstanding = (): number => conns.reduce((n, c) => n + c.sentAt.length, 0);
  await until(() => outstanding() === 0, 5000);
  const ms = (a.mode === 'closed' ? Math.max(set.lastRecvAt, t0 + a.durationMs) : performance.now()) - t0;
  const l = latency(set.rtts);
  const lost = outstanding();
  set.reset('count');
  return { ...l, sent: a.mode === 'closed' ? l.count + lost : sent, perSec: (l.count / ms) * 1000, ms, lost };
}

/** Sends one request on the first connection and decodes the reply (correctness check before timing). */
async function probe(a: { set: string; reqIdentifier: number }): Promise<{ reqIdentifier: number; errCode: number; errMsg: string }> {
  const set = setOf(a.set);
  const c = set.conns.find((x) => x.ws.readyState === 1);
  if (!c) throw new Error('no open connection');
  let got: Buffer | undefined;
  set.reset('count');
  set.onFrame = (_c, d) => (got ??= d);
  c.send(requestFrame(c.spec.sdkType, c.spec.gzip, c.userID, a.reqIdentifier, requestData(a.reqIdentifier, c.userID), `${c.userID}_probe`));
  await until(() => got !== undefined, 5000);
  set.onFrame = undefined;
  if (!got) throw new Error('no reply to the probe');
  const r = codecFor(c.spec.sdkType, 'sdk').decodeResp(c.spec.gzip ? gunzipFrame(got) : got);
  return { reqIdentifier: r.reqIdentifier, errCode: r.errCode, errMsg: r.errMsg };
}

// ---- e2e single chat -----------------------------------------------------------------------

/** Argument of `chat`. */
export interface ChatArg {
  set: string;
  /** Messages per second, all senders together. */
  rate: number;
  durationMs: number;
  /** The first `senders` connections send; recipients are all the others, round robin. */
  senders: number;
}

/** Result of `chat`. */
export interface ChatResult extends Latency {
  sent: number;
  delivered: number;
  replyErrors: number;
}

async function chat(a: ChatArg): Promise<ChatResult> {
  const set = setOf(a.set);
  const conns = set.conns.filter((c) => c.ws.readyState === 1);
  const senders = conns.slice(0, a.senders);
  const recipients = conns.slice(a.senders);
  const sentAt = new Map<string, number>();
  set.reset('record');
  set.maxRecords = 1_000_000;
  let sent = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < a.durationMs) {
    const due = Math.floor(((performance.now() - t0) * a.rate) / 1000);
    while (sent < due) {
      const from = senders[sent % senders.length]!;
      const to = recipients[(sent * 7919) % recipients.length]!;
      const clientMsgID = `b${sent}`;
      const data = pb.sdkws.MsgData.encode({
        sendID: from.userID,
        recvID: to.userID,
        clientMsgID,
        senderPlatformID: from.spec.platformID,
        sessionType: 1,
        msgFrom: 100,
        contentType: 101,
        content: Buffer.from('{"content":"hello from the bench, a short chat message"}'),
        createTime: Date.now(),
      });
      sentAt.set(clientMsgID, performance.now());
      from.send(requestFrame(from.spec.sdkType, from.spec.gzip, from.userID, ReqIdentifier.SendMsg, data, `${from.userID}_${sent}`));
      sent++;
    }
    await sleep(1);
  }
  // Each message yields a reply to its sender and pushes to the recipient and the sender.
  await until(() => set.received >= sent * 3, 20_000, 5);
  await sleep(100);
  const samples: number[] = [];
  let replyErrors = 0;
  for (const r of set.records) {
    const codec = codecFor(r.conn.spec.sdkType, 'sdk');
    const resp = codec.decodeResp(r.conn.spec.gzip ? gunzipFrame(r.data) : r.data);
    if (resp.reqIdentifier === ReqIdentifier.SendMsg) {
      if (resp.errCode !== 0) replyErrors++;
      continue;
    }
    if (resp.reqIdentifier !== ReqIdentifier.PushMsg || !resp.data) continue;
    const pm = pb.sdkws.PushMessages.decode(resp.data);
    for (const conv of Object.values(pm.msgs)) {
      for (const m of conv.Msgs) {
        if (m.recvID !== r.conn.userID) continue;
        const s = sentAt.get(m.clientMsgID);
        if (s !== undefined) samples.push(r.t - s);
      }
    }
  }
  set.reset('count');
  return { ...latency(samples), sent, delivered: samples.length, replyErrors };
}

// ---- presence ------------------------------------------------------------------------------

/** Argument of `presence`. */
export interface PresenceArg {
  /** The subscribers (already open). */
  set: string;
  url: string;
  targets: number;
  targetPrefix: string;
  platformID?: number;
}

/** Result of `presence`: connect -> 2005 latencies, and disconnect -> 2005 ones. */
export interface PresenceResult {
  online: Latency;
  offline: Latency;
  subscribers: number;
  missing: number;
}

async function presence(a: PresenceArg): Promise<PresenceResult> {
  const set = setOf(a.set);
  const subs = set.conns.filter((c) => c.ws.readyState === 1);
  const targetIDs = Array.from({ length: a.targets }, (_, i) => `${a.targetPrefix}${i}`);
  // Subscribe every subscriber to every target and wait for the replies.
  set.reset('rtt');
  set.recordRtt = false;
  const data = pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: targetIDs, unsubscribeUserID: [] });
  for (const c of subs) c.send(requestFrame(c.spec.sdkType, c.spec.gzip, c.userID, ReqIdentifier.WsSubUserOnlineStatus, data, `${c.userID}_sub`));
  await until(() => set.received >= subs.length, 15_000);
  set.recordRtt = true;
  set.reset('record');
  const platformID = a.platformID ?? 2;
  const targets = setOf(`${a.set}-targets`);
  const startedAt = new Map<string, { on: number; off: number }>();
  let expect = 0;
  for (const userID of targetIDs) {
    const on = performance.now();
    const conn = await openConn(targets, { url: a.url, userID, platformID, token: tokenFor(userID, platformID), sdkType: 'go', gzip: true });
    expect += subs.length;
    await until(() => set.received >= expect, 5000, 1);
    const off = performance.now();
    conn.close();
    startedAt.set(userID, { on, off });
    expect += subs.length;
    await until(() => set.received >= expect, 5000, 1);
  }
  const online: number[] = [];
  const offline: number[] = [];
  for (const r of set.records) {
    const codec = codecFor(r.conn.spec.sdkType, 'sdk');
    const resp = codec.decodeResp(r.conn.spec.gzip ? gunzipFrame(r.data) : r.data);
    if (resp.reqIdentifier !== ReqIdentifier.WsSubUserOnlineStatus || !resp.data) continue;
    for (const s of pb.sdkws.SubUserOnlineStatusTips.decode(resp.data).subscribers) {
      const st = startedAt.get(s.userID);
      if (!st) continue;
      if (s.onlinePlatformIDs.length > 0) online.push(r.t - st.on);
      else offline.push(r.t - st.off);
    }
  }
  set.reset('count');
  targets.conns.length = 0;
  return { online: latency(online), offline: latency(offline), subscribers: subs.length, missing: a.targets * subs.length * 2 - online.length - offline.length };
}

// ---- slow consumers ------------------------------------------------------------------------

/** Argument of `slowPush`. */
export interface SlowArg {
  /** Connections that stop reading. */
  slow: string;
  /** Connections that keep reading (they must keep receiving). */
  normal: string;
  target: 'gateway' | 'baseline';
  hubs?: string[];
  http?: string;
  /** Pushes per second. */
  rate: number;
  durationMs: number;
  contentBytes: number;
}

/** Result of `slowPush`. */
export interface SlowResult {
  pushes: number;
  normalReceived: number;
  normalExpected: number;
  /** Slow connections the server closed. */
  slowClosed: number;
  slowConns: number;
}

async function slowPush(a: SlowArg): Promise<SlowResult> {
  const slow = setOf(a.slow);
  const normal = setOf(a.normal);
  for (const c of slow.conns) c.pauseReading();
  const users = [...slow.conns, ...normal.conns].filter((c) => c.ws.readyState === 1).map((c) => c.userID);
  const normalOpen = normal.conns.filter((c) => c.ws.readyState === 1).length;
  const full = pb.sdkws.MsgData.decode(pb.sdkws.MsgData.encode(benchMsg(a.contentBytes)));
  const push = pusher(a, full, users);
  normal.reset('count');
  const closedBefore = slow.closed;
  let pushes = 0;
  let inFlight = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < a.durationMs) {
    const due = Math.floor(((performance.now() - t0) * a.rate) / 1000);
    while (pushes < due && inFlight < 8) {
      pushes++;
      inFlight++;
      void push()
        .catch(() => undefined)
        .finally(() => inFlight--);
    }
    await sleep(2);
  }
  await until(() => inFlight === 0, 10_000);
  await until(() => normal.received >= pushes * normalOpen, 5000);
  return { pushes, normalReceived: normal.received, normalExpected: pushes * normalOpen, slowClosed: slow.closed - closedBefore, slowConns: slow.conns.length };
}

serveIpc({
  open: (a) => open(a as OpenArg),
  close: (a) => close(a as { set: string }),
  fanout: (a) => fanout(a as FanoutArg),
  rtt: (a) => rtt(a as RttArg),
  probe: (a) => probe(a as { set: string; reqIdentifier: number }),
  chat: (a) => chat(a as ChatArg),
  presence: (a) => presence(a as PresenceArg),
  slowPush: (a) => slowPush(a as SlowArg),
  memory: () => process.memoryUsage().rss,
});
