import WebSocket from 'ws';
import { buildHandshakeURL } from '../../simulators/client/handshake-url.js';
import { mintToken } from '../../simulators/services/jwt.js';
import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from '../../src/config/config.js';
import type { Discovery } from '../../src/discovery/discovery.js';
import { codecFor } from '../../src/protocol/codecs.js';
import { makeReq, type Resp } from '../../src/protocol/envelope.js';
import { gunzipFrame, gzipFrame } from '../../src/protocol/gzip.js';
import { startHarness, type Harness } from '../../harness/harness.js';

/** Starts a full node (gateway, hub, simulators) on free loopback ports, through the harness. */
export function startNode(over: DeepPartial<MsggwConfig> = {}, opts: { discovery?: Discovery; redisMockKey?: number } = {}): Promise<Harness> {
  // Fidelity tests keep the gateway's calls to the simulators on real gRPC (the in-process
  // transport is pinned to it by test/perf/in-process-rpc.test.ts); pass inProcessRpc: true to use it.
  const cfg = mergeConfig(defaultConfig(), { wsPort: 0, hubPort: 0, metricsPort: 0, inProcessRpc: false, ...over });
  return startHarness(cfg, opts);
}

export interface RawOpts {
  user: string;
  platform: number;
  sdkType?: 'go' | 'js';
  gzip?: boolean;
  token?: string;
  isMsgResp?: boolean;
  /** Extra or overriding query parameters (a value of null removes the key). */
  query?: Record<string, string | null>;
  headers?: Record<string, string>;
  secret?: string;
}

/** The outcome of a handshake the server refused with HTTP 200 + JSON. */
export interface HttpRefusal {
  status: number;
  contentType: string;
  body: { errCode: number; errMsg: string; errDlt: string };
  /** The body exactly as it came (for byte-for-byte comparisons with Go's encoding/json). */
  raw: string;
}

/**
 * A deliberately thin WebSocket client for end-to-end tests: it speaks the envelopes with our
 * codecs but adds no behaviour of its own, so tests see exactly what the gateway does.
 */
export class RawClient {
  readonly frames: Resp[] = [];
  readonly texts: string[] = [];
  closed: Promise<{ code: number; reason: string }>;
  private n = 0;
  private waiters: (() => void)[] = [];
  private readonly codec;

  constructor(
    readonly ws: WebSocket,
    readonly o: RawOpts,
  ) {
    this.codec = codecFor(o.sdkType ?? 'go', 'sdk');
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const raw = o.gzip ? gunzipFrame(data) : data;
        this.frames.push(this.codec.decodeResp(raw));
      } else this.texts.push(data.toString('utf8'));
      for (const w of this.waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      for (const w of this.waiters.splice(0)) w();
      resolve({ code, reason: reason.toString() });
    }));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one request envelope (gzipped when the connection asked for gzip). */
  send(reqIdentifier: number, data: Uint8Array | null, over: { sendID?: string; msgIncr?: string; operationID?: string } = {}): string {
    const msgIncr = over.msgIncr ?? `${this.o.user}_${++this.n}`;
    const bytes = this.codec.encodeReq(makeReq({ reqIdentifier, sendID: over.sendID ?? this.o.user, operationID: over.operationID ?? `op-${msgIncr}`, msgIncr, data }));
    this.ws.send(this.o.gzip ? gzipFrame(bytes) : bytes);
    return msgIncr;
  }

  /** Sends and waits for the reply with the same msgIncr. */
  async request(reqIdentifier: number, data: Uint8Array | null, timeoutMs = 5000): Promise<Resp> {
    const msgIncr = this.send(reqIdentifier, data);
    return this.waitFor((f) => f.msgIncr === msgIncr && f.reqIdentifier === reqIdentifier, timeoutMs);
  }

  /** Resolves with the first frame (already received or coming) matching `pred`. */
  async waitFor(pred: (f: Resp) => boolean, timeoutMs = 5000): Promise<Resp> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.find(pred);
      if (hit) return hit;
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('connection closed while waiting');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a frame (have ${this.frames.map((f) => f.reqIdentifier).join(',')})`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitText(timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.texts.length === 0) {
      if (Date.now() > deadline) throw new Error('no text frame');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.texts[0]!;
  }

  close(): void {
    this.ws.close();
  }
}

/** Builds the connect URL for a user. */
export function connectURL(node: Harness, o: RawOpts): string {
  if (!node.addresses.ws) throw new Error('this node has no WebSocket listener');
  return handshakeURL(node.addresses.ws, o, node.cfg.secret);
}

/**
 * The upgrade URL for `o` against the gateway at `ws`, built by the simulated SDK's builder (a
 * fresh token signed with `o.secret ?? secret` unless `o.token`), then `o.query` applied on top.
 */
export function handshakeURL(ws: string, o: RawOpts, secret = 'openIM123'): string {
  const token = o.token ?? mintToken(o.secret ?? secret, o.user, o.platform, 1, Math.floor(Date.now() / 1000) - Math.floor(Math.random() * 1000));
  const url = new URL(
    buildHandshakeURL(ws, {
      userID: o.user,
      token,
      platformID: o.platform,
      operationID: `op-${o.user}-${Date.now()}`,
      sdkType: o.sdkType ?? 'go',
      gzip: o.gzip ?? false,
      isMsgResp: o.isMsgResp ?? false,
      background: false,
      sdkVersion: '',
      useV: false,
    }),
  );
  for (const [k, v] of Object.entries(o.query ?? {})) {
    if (v === null) url.searchParams.delete(k);
    else url.searchParams.set(k, v);
  }
  return url.toString();
}

/** Connects; resolves with an open client or the HTTP refusal. */
export function connectRaw(node: Harness, o: RawOpts): Promise<RawClient | HttpRefusal> {
  return connectURLRaw(connectURL(node, o), o);
}

export function connectURLRaw(url: string, o: RawOpts): Promise<RawClient | HttpRefusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: o.headers, perMessageDeflate: false });
    const client = new RawClient(ws, o);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: JSON.parse(body), raw: body });
        } catch (e) {
          reject(new Error(`unexpected body ${body}: ${(e as Error).message}`));
        }
      });
    });
    ws.once('error', reject);
  });
}

/** Connects and insists on success. */
export async function connectOk(node: Harness, o: RawOpts): Promise<RawClient> {
  const r = await connectRaw(node, o);
  if (!(r instanceof RawClient)) throw new Error(`handshake refused: ${JSON.stringify(r.body)}`);
  return r;
}

/** Polls until `cond` holds (bounded). */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
