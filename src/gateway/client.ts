import type { Socket } from 'node:net';
import type { WebSocket, RawData } from 'ws';
import type { EnvelopeCodec } from '../protocol/codec.js';
import { DecodeError } from '../protocol/codec.js';
import { makeResp, type Req, type Resp } from '../protocol/envelope.js';
import { gunzipFrame, gzipFrame } from '../protocol/gzip.js';
import type { HandshakeArgs } from './handshake.js';

/** Why a connection ended; shown in logs, events and metrics. */
export type CloseReason =
  | 'peer closed'
  | 'socket error'
  | 'read deadline exceeded'
  | 'websocket write buffer full'
  | 'inbound queue full'
  | 'frame too large'
  | 'undecodable frame'
  | 'bad gzip'
  | 'sendID mismatch'
  | 'unknown reqIdentifier'
  | 'bad text frame'
  | 'kicked'
  | 'logout'
  | 'server shutdown';

/** What a Client needs from the server that owns it. */
export interface ClientOwner {
  /** Handles one decoded request; resolves to the reply (or undefined to close without reply). */
  handleRequest(client: Client, req: Req): Promise<Resp | undefined>;
  /** Called exactly once when the connection ends, whatever the path. */
  unregister(client: Client, reason: CloseReason, detail: string): void;
  /** Counters and events (optional). */
  onFrameIn?(client: Client, reqIdentifier: number): void;
  onFrameOut?(client: Client, count: number): void;
}

export interface ClientOptions {
  maxFrameBytes: number;
  writeQueueFrames: number;
  /** Gunzipped frames may not exceed this. */
  maxInflatedBytes: number;
}

/** Thrown by a request handler when the request breaks the protocol: the connection is closed. */
export class ProtocolViolation extends Error {
  constructor(
    readonly reason: CloseReason,
    message: string,
  ) {
    super(message);
  }
}

const CLIENT = Symbol('msggw.client');
type WsWithClient = WebSocket & { [CLIENT]?: Client };

/**
 * One long connection: reads frames (gzip? -> decode -> owner.handleRequest), one at a time in
 * arrival order as upstream does, and writes through a bounded queue that closes a slow
 * consumer instead of growing memory.
 */
export class Client {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly operationID: string;
  readonly sdkType: 'go' | 'js';
  readonly gzip: boolean;
  readonly sdkVersion: string;
  readonly connectedAt = Date.now();
  background: boolean;
  /** Last time any frame, ping or pong arrived (ms). */
  lastSeen = Date.now();
  /** Last server ping (Web clients only). */
  lastPing = Date.now();
  /** Frames handed to the socket and not yet flushed. */
  pending = 0;
  closed = false;
  closeReason: CloseReason | undefined;
  private subs: Set<string> | undefined;
  /** Index of the (codec, gzip) variant of this connection's frames: 0..3. */
  readonly variant: number;

  /** Binary frames waiting for their turn; created on the first one (idle connections have none). */
  private inbox: Buffer[] | undefined;
  /** From ClientOptions, kept as fields rather than keeping the options object per connection. */
  private readonly writeQueueFrames: number;
  private readonly maxInflatedBytes: number;
  private busy = false;
  private readonly onSent: (err?: Error | null) => void;
  /** The TCP socket under `ws`, written directly for binary frames (see {@link sendFrame}). */
  private readonly socket: Socket | undefined;
  /** The socket is corked until this loop iteration's flush. */
  private corked = false;
  /** Frames queued since the last flush, reported to the owner's counter once per flush. */
  private unflushed = 0;

  constructor(
    private readonly ws: WebSocket,
    readonly connID: string,
    readonly remoteAddr: string,
    args: HandshakeArgs,
    readonly codec: EnvelopeCodec,
    private readonly owner: ClientOwner,
    opts: ClientOptions,
  ) {
    this.writeQueueFrames = opts.writeQueueFrames;
    this.maxInflatedBytes = opts.maxInflatedBytes;
    // Own copies: the parsed handshake values are slices of the whole upgrade URL, and keeping
    // one of them would keep the URL (token included, ~350 bytes) alive per connection.
    this.userID = own(args.userID);
    this.platformID = args.platformID;
    this.token = own(args.token);
    this.operationID = own(args.operationID);
    this.sdkType = args.sdkType;
    this.gzip = args.gzip;
    this.sdkVersion = own(args.sdkVersion);
    this.remoteAddr = own(remoteAddr);
    // Upstream resets the flag to false on connect; the 2004 request sets it.
    this.background = false;
    this.variant = frameVariant(args.sdkType, args.gzip);
    this.onSent = (err?: Error | null) => {
      this.pending--;
      if (err) this.close('socket error', err.message);
    };
    this.socket = rawSocketOf(ws);
    (ws as WsWithClient)[CLIENT] = this;
    ws.on('message', wsOnMessage);
    ws.on('ping', wsOnAlive);
    ws.on('pong', wsOnAlive);
    ws.on('close', wsOnClose);
    ws.on('error', wsOnError);
  }

  /** User IDs this connection watches (2005); created on first use, most connections never subscribe. */
  get subscriptions(): Set<string> {
    return (this.subs ??= new Set<string>());
  }

  /** Depth of the write queue, for views. */
  get queueDepth(): number {
    return this.pending;
  }

  /** Encodes (and gzips) one envelope the way this connection expects. */
  encode(resp: Resp): Buffer {
    const raw = this.codec.encodeResp(resp);
    return this.gzip ? gzipFrame(raw) : raw;
  }

  /** Sends one envelope. Returns false if the connection is closed or was just closed as a slow consumer. */
  send(resp: Resp): boolean {
    return this.sendFrame(this.encode(resp));
  }

  /**
   * Queues an already encoded binary frame (shared between connections of the same variant).
   *
   * Two things make a push to thousands of connections cheaper than `ws.send` per connection,
   * without changing a byte on the wire:
   * - the WebSocket framing of a shared payload is built once (see {@link wireFrame}) and the
   *   whole frame goes to the socket in one write, instead of a header allocation and two
   *   writes per connection;
   * - the socket is corked on its first frame of a loop iteration and uncorked once for all
   *   connections in a `setImmediate`, so frames of concurrent pushes (and replies to
   *   pipelined requests) leave in one `writev` syscall per connection per iteration.
   * The bound is unchanged: a frame counts as pending until the kernel took it, and a
   * connection with `writeQueueFrames` pending is closed as a slow consumer.
   */
  sendFrame(frame: Buffer): boolean {
    if (this.closed) return false;
    if (this.pending >= this.writeQueueFrames) {
      this.close('websocket write buffer full', `${this.pending} frames pending`);
      return false;
    }
    this.pending++;
    const sock = this.socket;
    if (sock === undefined || this.ws.readyState !== WS_OPEN) {
      // Not (or no longer) open: let ws report it through the callback exactly as before.
      this.ws.send(frame, { binary: true }, this.onSent);
      this.owner.onFrameOut?.(this, 1);
      return true;
    }
    if (!this.corked) {
      this.corked = true;
      sock.cork();
      toFlush.push(this);
      if (toFlush.length === 1) setImmediate(flushAll);
    }
    const wire = wireFrame(frame);
    if (wire.length === 2) {
      sock.write(wire[0]!);
      sock.write(wire[1]!, this.onSent);
    } else {
      sock.write(wire[0]!, this.onSent);
    }
    this.unflushed++;
    return true;
  }

  /** @internal Uncorks the socket: everything queued since the first frame of this iteration goes out in one writev. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
    const n = this.unflushed;
    writeStats.flushes++;
    writeStats.frames += n;
    this.unflushed = 0;
    if (n > 0) this.owner.onFrameOut?.(this, n);
  }

  /** Sends the 2002 kick frame, then closes; `why` says who kicked (shown in events and logs). */
  kick(why = 'kicked by another login'): void {
    if (this.closed) return;
    this.send(makeResp({ reqIdentifier: 2002 }));
    this.close('kicked', why);
  }

  /** Server heartbeat for Web clients. */
  ping(): void {
    if (this.closed) return;
    this.lastPing = Date.now();
    this.ws.ping();
  }

  /**
   * Ends the connection once; queued frames still go out before the close frame, except when
   * the peer is the problem (slow, silent, hostile), where the socket is dropped at once.
   */
  close(reason: CloseReason, detail = ''): void {
    if (this.closed) return;
    // Frames queued before the close (a 2002 kick, a logout reply) go out ahead of the close frame.
    this.flush();
    this.closed = true;
    this.closeReason = reason;
    if (this.inbox) this.inbox.length = 0;
    const ws = this.ws;
    if (reason === 'websocket write buffer full' || reason === 'read deadline exceeded' || reason === 'socket error') {
      ws.terminate();
    } else if (reason !== 'peer closed') {
      ws.close(closeCode(reason), reason);
      // Don't wait 30 s for a peer that never answers the close frame.
      setTimeout(() => ws.terminate(), 2000).unref();
    }
    this.owner.unregister(this, reason, detail);
  }

  /** Drops the TCP connection without a close frame (for tests and the TUI's "abrupt disconnect"). */
  terminate(): void {
    this.ws.terminate();
  }

  /** @internal called by the ws listeners below. */
  received(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    if (this.closed) return;
    const buf = toBuffer(data);
    if (!isBinary) {
      this.handleText(buf);
      return;
    }
    const inbox = (this.inbox ??= []);
    if (inbox.length >= this.writeQueueFrames) {
      this.close('inbound queue full', 'client sends faster than its requests are answered');
      return;
    }
    inbox.push(buf);
    if (!this.busy) void this.drain();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      let frame: Buffer | undefined;
      while (!this.closed && (frame = this.inbox?.shift()) !== undefined) {
        await this.handleBinary(frame);
      }
    } finally {
      this.busy = false;
    }
  }

  private async handleBinary(frame: Buffer): Promise<void> {
    let req: Req;
    try {
      const raw = this.gzip ? gunzipFrame(frame, this.maxInflatedBytes) : frame;
      req = this.codec.decodeReq(raw);
    } catch (e) {
      const gz = this.gzip && e instanceof DecodeError && /gzip|inflate|header|zlib/i.test(e.message);
      this.close(gz ? 'bad gzip' : 'undecodable frame', (e as Error).message);
      return;
    }
    this.owner.onFrameIn?.(this, req.reqIdentifier);
    if (req.sendID !== this.userID) {
      this.close('sendID mismatch', `conn userID ${this.userID} != req sendID ${req.sendID}`);
      return;
    }
    let resp: Resp | undefined;
    try {
      resp = await this.owner.handleRequest(this, req);
    } catch (e) {
      // Downstream errors come back as replies; what reaches here breaks the protocol.
      this.close(e instanceof ProtocolViolation ? e.reason : 'undecodable frame', (e as Error).message);
      return;
    }
    if (resp) this.send(resp);
    if (req.reqIdentifier === 2003) this.close('logout', `user logout, operationID ${req.operationID}`);
  }

  private handleText(buf: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(buf.toString('utf8'));
    } catch {
      this.close('bad text frame', 'text frame is not JSON');
      return;
    }
    const type = msg && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
    if (type === 'pong') return;
    if (type === 'ping') {
      const body = (msg as { body?: unknown }).body;
      this.ws.send(`{"type":"pong","body":${body === undefined ? 'null' : JSON.stringify(body)}}`);
      return;
    }
    this.close('bad text frame', `not support message type ${String(type)}`);
  }
}

/**
 * A flat copy of `s` that shares no memory with the string it was cut from. V8 makes substrings
 * of 13+ characters "sliced strings" pointing into their parent; short ones are copies already.
 */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

/** ws's WebSocket.OPEN (a value import of ws would load it into every module that imports this one). */
const WS_OPEN = 1;

/** Connections corked in this loop iteration; one setImmediate flushes them all. */
let toFlush: Client[] = [];

/** Process-wide counters of the coalesced write path (tests and benchmarks read them). */
export const writeStats = {
  /** Binary frames written through the corked path. */
  frames: 0,
  /** Socket flushes (uncorks): frames / flushes is the number of frames per writev. */
  flushes: 0,
};

function flushAll(): void {
  const list = toFlush;
  // Swap first: a flush can run callbacks that queue frames for the next iteration.
  toFlush = [];
  for (const c of list) c.flush();
}

function rawSocketOf(ws: WebSocket): Socket | undefined {
  // ws keeps its net.Socket in `_socket`. Writing binary frames there directly is safe because
  // this server never enables permessage-deflate nor sends Blobs, the only cases in which ws's
  // Sender queues frames instead of writing them at once: order with ws's own writes (pongs,
  // pings, close frames) is kept. Any other shape falls back to ws.send.
  const s = (ws as unknown as { _socket?: unknown })._socket;
  return s && typeof (s as Socket).cork === 'function' && typeof (s as Socket).write === 'function' ? (s as Socket) : undefined;
}

/**
 * The WebSocket framing (FIN + binary opcode, unmasked: server to client) of a payload.
 * A payload seen again among the last few sends (a push shared by many connections) gets one
 * buffer holding header and payload, built once and reused; a payload seen for the first time
 * is sent as header + payload without copying it (replies are usually sent once).
 * @returns one buffer (the whole frame) or two (header, payload).
 */
export function wireFrame(payload: Buffer): Buffer[] {
  // Big payloads are not kept alive by the cache; copying them would cost more than a second chunk.
  if (payload.length > WIRE_CACHE_MAX_BYTES) return [frameHeader(payload.length), payload];
  for (let i = 0; i < WIRE_CACHE; i++) {
    const e = wireCache[i]!;
    if (e.payload !== payload) continue;
    if (!e.wire) e.wire = [Buffer.concat([frameHeader(payload.length), payload])];
    return e.wire;
  }
  const slot = wireCache[wireNext]!;
  wireNext = (wireNext + 1) % WIRE_CACHE;
  slot.payload = payload;
  slot.wire = undefined;
  return [frameHeader(payload.length), payload];
}

/** Recent payloads: enough for the variants of a few concurrent pushes. Identity is the key: sent buffers are never mutated. */
const WIRE_CACHE = 8;
const WIRE_CACHE_MAX_BYTES = 64 * 1024;
const wireCache: { payload: Buffer | undefined; wire: Buffer[] | undefined }[] = Array.from({ length: WIRE_CACHE }, () => ({ payload: undefined, wire: undefined }));
let wireNext = 0;

/** RFC 6455 header of an unmasked final binary frame of `len` bytes. */
export function frameHeader(len: number): Buffer {
  if (len < 126) {
    const h = Buffer.allocUnsafe(2);
    h[0] = 0x82;
    h[1] = len;
    return h;
  }
  if (len < 65_536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x82;
    h[1] = 126;
    h.writeUInt16BE(len, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x82;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
  h.writeUInt32BE(len >>> 0, 6);
  return h;
}

/** 0: gob, 1: gob+gzip, 2: json, 3: json+gzip. */
export function frameVariant(sdkType: 'go' | 'js', gzip: boolean): number {
  return (sdkType === 'js' ? 2 : 0) + (gzip ? 1 : 0);
}

function closeCode(reason: CloseReason): number {
  switch (reason) {
    case 'frame too large':
      return 1009;
    case 'server shutdown':
      return 1001;
    case 'kicked':
    case 'logout':
      return 1000;
    default:
      return 1008;
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// Named listeners shared by every connection (no closures per connection on the hot path).
function wsOnMessage(this: WsWithClient, data: RawData, isBinary: boolean): void {
  this[CLIENT]?.received(data, isBinary);
}

function wsOnAlive(this: WsWithClient): void {
  const c = this[CLIENT];
  if (c) c.lastSeen = Date.now();
}

function wsOnClose(this: WsWithClient): void {
  this[CLIENT]?.close('peer closed');
}

function wsOnError(this: WsWithClient, err: Error): void {
  const c = this[CLIENT];
  if (!c) return;
  const tooBig = /max payload|too big/i.test(err.message);
  c.close(tooBig ? 'frame too large' : 'socket error', err.message);
}
