/**
 * The bench's load client, the same for the raw `ws` baseline and for the gateway: a `ws`
 * client socket per connection speaking the gateway's handshake URL and envelopes, with a fixed
 * masking key (`generateMask`) so client-side masking costs the same against both servers and
 * no random bytes are drawn per frame.
 *
 * Built for ten thousand connections in one process: no closure or timer per connection, one
 * shared listener function, and per-set counters instead of per-connection events. What a
 * connection does with an incoming frame depends on its set's mode: count it, record it
 * (timestamp + bytes, decoded after the measurement), or match it to the oldest outstanding
 * request (round trips; replies of one connection come back in request order).
 */
import WebSocket, { type RawData } from 'ws';
import { buildHandshakeURL } from '../../simulators/client/handshake-url.js';

/** The fixed, non-zero masking key (a zero key would let `ws` skip masking entirely). */
const FIXED_MASK = [0x12, 0x34, 0x56, 0x78] as const;

function fixedMask(mask: Uint8Array): void {
  mask[0] = FIXED_MASK[0];
  mask[1] = FIXED_MASK[1];
  mask[2] = FIXED_MASK[2];
  mask[3] = FIXED_MASK[3];
}

/** A frame kept by a set in `record` mode. */
export interface Recorded {
  /** performance.now() at receipt. */
  t: number;
  conn: BenchConn;
  data: Buffer;
}

/** How a set handles incoming frames. */
export type SetMode = 'count' | 'record' | 'rtt';

/** Connections that are measured together. */
export class ConnSet {
  readonly conns: BenchConn[] = [];
  mode: SetMode = 'count';
  /** Binary frames received since the last {@link reset}. */
  received = 0;
  textReceived = 0;
  /** performance.now() of the last binary frame. */
  lastRecvAt = 0;
  readonly records: Recorded[] = [];
  /** Cap of `records` (memory bound). */
  maxRecords = 200_000;
  /** Round-trip times (ms) in `rtt` mode, when `recordRtt`. */
  readonly rtts: number[] = [];
  recordRtt = true;
  /** In `rtt` mode: send the connection's next request as soon as a reply arrives, until `stopAt`. */
  closedLoop = false;
  stopAt = 0;
  /** Connections that closed after opening. */
  closed = 0;
  readonly closeCodes: Record<string, number> = {};
  /** Called for every binary frame in `count` mode (kept undefined on hot paths). */
  onFrame: ((conn: BenchConn, data: Buffer) => void) | undefined;

  constructor(readonly name: string) {}

  reset(mode: SetMode): void {
    this.mode = mode;
    this.received = 0;
    this.textReceived = 0;
    this.lastRecvAt = 0;
    this.records.length = 0;
    this.rtts.length = 0;
    this.closedLoop = false;
    this.stopAt = 0;
    for (const c of this.conns) c.sentAt.length = 0;
  }

  get open(): number {
    let n = 0;
    for (const c of this.conns) if (c.ws.readyState === WebSocket.OPEN) n++;
    return n;
  }
}

/** Parameters of one connection. */
export interface ConnSpec {
  url: string;
  userID: string;
  platformID: number;
  token: string;
  sdkType: 'go' | 'js';
  gzip: boolean;
}

const CONN = Symbol('bench.conn');
type OwnedWs = WebSocket & { [CONN]?: BenchConn };

/** One load connection. */
export class BenchConn {
  /** performance.now() of each outstanding request, oldest first (`rtt` mode). */
  readonly sentAt: number[] = [];
  /** The request frame re-sent in closed-loop runs. */
  reqFrame: Buffer | undefined;
  readonly variant: number;

  constructor(
    readonly ws: WebSocket,
    readonly set: ConnSet,
    readonly spec: ConnSpec,
  ) {
    this.variant = (spec.sdkType === 'js' ? 2 : 0) + (spec.gzip ? 1 : 0);
  }

  get userID(): string {
    return this.spec.userID;
  }

  /** Sends a binary frame, noting its send time when round trips are measured. */
  send(frame: Buffer): void {
    if (this.set.mode === 'rtt') this.sentAt.push(performance.now());
    this.ws.send(frame);
  }

  /** Stops reading from the socket (a slow consumer: the server's writes back up). */
  pauseReading(): void {
    socketOf(this.ws)?.pause();
  }

  close(): void {
    this.ws.terminate();
  }
}

function socketOf(ws: WebSocket): { pause(): void } | undefined {
  // `ws` keeps the net.Socket in a private field; pausing it is how a client stops reading.
  return (ws as unknown as { _socket?: { pause(): void } })._socket;
}

/** Why a handshake failed: `http <status> <errCode>` for a refusal, else the error. */
export class OpenError extends Error {}

/** Dials one connection into `set`; resolves once the upgrade succeeded. */
export function openConn(set: ConnSet, spec: ConnSpec, timeoutMs = 15_000): Promise<BenchConn> {
  const url = buildHandshakeURL(spec.url, {
    userID: spec.userID,
    token: spec.token,
    platformID: spec.platformID,
    operationID: `bench-${spec.userID}`,
    sdkType: spec.sdkType,
    gzip: spec.gzip,
    isMsgResp: false,
    background: false,
    sdkVersion: 'bench',
    useV: false,
  });
  return new Promise<BenchConn>((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, generateMask: fixedMask, handshakeTimeout: timeoutMs, maxPayload: 64 << 20 }) as OwnedWs;
    const conn = new BenchConn(ws, set, spec);
    ws[CONN] = conn;
    const fail = (e: Error): void => {
      ws.removeAllListeners('open');
      ws.terminate();
      reject(e);
    };
    ws.once('open', () => {
      ws.removeAllListeners('unexpected-response');
      ws.on('error', ignore);
      set.conns.push(conn);
      resolve(conn);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => {
        const code = /"errCode":(\d+)/.exec(body)?.[1] ?? '?';
        fail(new OpenError(`http ${res.statusCode ?? 0} errCode ${code}`));
      });
    });
    ws.once('error', (e) => fail(e));
    ws.on('message', onMessage);
    ws.on('close', onClose);
  });
}

function onMessage(this: OwnedWs, data: RawData, isBinary: boolean): void {
  const conn = this[CONN];
  if (!conn) return;
  const set = conn.set;
  if (!isBinary) {
    set.textReceived++;
    return;
  }
  const now = performance.now();
  set.received++;
  set.lastRecvAt = now;
  switch (set.mode) {
    case 'count':
      set.onFrame?.(conn, data as Buffer);
      return;
    case 'record':
      if (set.records.length < set.maxRecords) set.records.push({ t: now, conn, data: data as Buffer });
      return;
    case 'rtt': {
      const sent = conn.sentAt.shift();
      if (sent !== undefined && set.recordRtt) set.rtts.push(now - sent);
      if (set.closedLoop && conn.reqFrame && now < set.stopAt) conn.send(conn.reqFrame);
      return;
    }
  }
}

function onClose(this: OwnedWs, code: number): void {
  const set = this[CONN]?.set;
  if (!set) return;
  set.closed++;
  set.closeCodes[code] = (set.closeCodes[code] ?? 0) + 1;
}

function ignore(): void {}
