import type { WebSocket, RawData } from 'ws';
import type { EnvelopeCodec } from '../protocol/codec.js';
import { DecodeError } from '../protocol/codec.js';
import { codecFor } from '../protocol/codecs.js';
import { makeResp, type Req, type Resp } from '../protocol/envelope.js';
import { gunzipFrame } from '../protocol/gzip.js';
import { MAX_TEXT_FRAME_BYTES, parseTextHeartbeat, pongText } from '../protocol/heartbeat.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import type { CloseReason, Conn } from './conn.js';
import { encodeVariant, frameVariant, type SharedFrame } from './frames.js';
import type { HandshakeArgs } from './handshake.js';
import { Transport, type WriteBounds, type WriteScheduler } from './transport.js';

/** What a Connection needs from the gateway that owns it. */
export interface ConnectionOwner {
  /** Turns one decoded request into its reply; throws ProtocolViolation to close the connection. */
  handleRequest(conn: Connection, req: Req): Promise<Resp>;
  /** Called exactly once when the connection ends, whatever the path. */
  unregister(conn: Connection, reason: CloseReason, detail: string): void;
  /** Counters (metrics). */
  onFrameIn?(reqIdentifier: number): void;
  onFrameOut?(count: number): void;
}

export interface ConnectionOptions {
  /** Gunzipped frames may not exceed this. */
  maxInflatedBytes: number;
  /** Binary frames waiting for their turn at most; more closes the connection ('inbound queue full'). */
  inboxFrames: number;
  /** What the connection may owe its peer (see Transport). */
  writeBounds: WriteBounds;
  /** The owning gateway's flush cycle. */
  scheduler: WriteScheduler;
  /**
   * Bytes (as received plus as inflated) this connection's requests may cost per second; the
   * read loop waits when over, so its inbox fills and a client that keeps pushing is closed.
   */
  inboundBytesPerSec: number;
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

const CONN = Symbol('msggw.conn');
type WsWithConn = WebSocket & { [CONN]?: Connection };
/** ws's WebSocket.OPEN. */
const WS_OPEN = 1;

/**
 * One long connection's read loop: receive -> (gunzip) -> decode -> owner.handleRequest -> reply,
 * one request at a time in arrival order as upstream does, plus text heartbeats. Every write goes
 * through its {@link Transport}; every way the connection ends goes through {@link close}, which
 * maps what happened to one coded {@link CloseReason}.
 */
export class Connection implements Conn {
  readonly userID: string;
  readonly platformID: number;
  readonly token: string;
  readonly operationID: string;
  readonly sdkType: 'go' | 'js';
  readonly gzip: boolean;
  readonly sdkVersion: string;
  readonly remoteAddr: string;
  readonly connectedAt = Date.now();
  readonly variant: number;
  readonly codec: EnvelopeCodec;
  background: boolean;
  /** Last time any frame, ping or pong arrived (ms). */
  lastSeen = Date.now();
  /** Last server ping (Web clients only). */
  lastPing = Date.now();
  closed = false;
  closeReason: CloseReason | undefined;
  private subs: Set<string> | undefined;
  /** Binary frames waiting for their turn; created on the first one (idle connections have none). */
  private inbox: Buffer[] | undefined;
  private readonly inboxFrames: number;
  private readonly maxInflatedBytes: number;
  private busy = false;
  private readonly transport: Transport;
  private readonly inboundRate: number;
  /** Inbound budget left (bytes; negative = owed), refilled at inboundRate up to one second's worth. */
  private budget: number;
  private budgetAt = Date.now();

  constructor(
    ws: WebSocket,
    readonly connID: string,
    remoteAddr: string,
    args: HandshakeArgs,
    private readonly owner: ConnectionOwner,
    opts: ConnectionOptions,
  ) {
    this.inboxFrames = opts.inboxFrames;
    this.maxInflatedBytes = opts.maxInflatedBytes;
    this.inboundRate = opts.inboundBytesPerSec;
    this.budget = opts.inboundBytesPerSec;
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
    this.codec = codecFor(args.sdkType, 'server');
    this.transport = new Transport(
      ws,
      opts.scheduler,
      opts.writeBounds,
      (detail) => this.close('websocket write buffer full', detail),
      (err) => this.close('socket error', err.message),
      owner.onFrameOut ? (n) => owner.onFrameOut!(n) : undefined,
    );
    (ws as WsWithConn)[CONN] = this;
    ws.on('message', wsOnMessage);
    ws.on('ping', wsOnPing);
    ws.on('pong', wsOnAlive);
    ws.on('close', wsOnClose);
    ws.on('error', wsOnError);
  }

  /** User IDs this connection watches (2005); created on first use, most connections never subscribe. */
  get subscriptions(): Set<string> {
    return (this.subs ??= new Set<string>());
  }

  /** Frames owed to the peer, for views. */
  get queueDepth(): number {
    return this.transport.pending;
  }

  /** @internal The write side (tests reach the bounds through it). */
  get writer(): Transport {
    return this.transport;
  }

  /** Encodes (and gzips) one envelope the way this connection expects. */
  encode(resp: Resp): Buffer {
    return encodeVariant(this.variant, resp);
  }

  send(resp: Resp): boolean {
    if (this.closed) return false;
    return this.transport.write(this.encode(resp));
  }

  write(frame: SharedFrame): boolean {
    if (this.closed) return false;
    return this.transport.write(frame);
  }

  /** Queues a text frame (the handshake result of isMsgResp). */
  writeText(text: string): boolean {
    if (this.closed) return false;
    return this.transport.writeText(text);
  }

  kick(why = 'kicked by another login'): void {
    if (this.closed) return;
    this.send(makeResp({ reqIdentifier: ReqIdentifier.KickOnlineMsg }));
    this.close('kicked', why);
  }

  /** Server heartbeat for Web clients. */
  ping(): void {
    if (this.closed) return;
    this.lastPing = Date.now();
    this.transport.ping();
  }

  /**
   * Ends the connection once; queued frames still go out before the close frame, except when
   * the peer is the problem (slow, silent, hostile), where the socket is dropped at once.
   */
  close(reason: CloseReason, detail = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    if (this.inbox) this.inbox.length = 0;
    if (reason !== 'peer closed') this.transport.close(closeCode(reason), reason, ABRUPT.has(reason));
    this.owner.unregister(this, reason, detail);
  }

  terminate(): void {
    this.transport.terminate();
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
    if (inbox.length >= this.inboxFrames) {
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
        const wait = this.overBudgetMs();
        if (wait > 0) await sleep(wait);
      }
    } finally {
      this.busy = false;
    }
  }

  private async handleBinary(frame: Buffer): Promise<void> {
    let req: Req;
    try {
      const raw = this.gzip ? gunzipFrame(frame, this.maxInflatedBytes) : frame;
      this.budget -= frame.length + (raw === frame ? 0 : raw.length);
      req = this.codec.decodeReq(raw);
    } catch (e) {
      this.close(decodeReason(e), (e as Error).message);
      return;
    }
    this.owner.onFrameIn?.(req.reqIdentifier);
    if (req.sendID !== this.userID) {
      this.close('sendID mismatch', `conn userID ${this.userID} != req sendID ${req.sendID}`);
      return;
    }
    let resp: Resp;
    try {
      resp = await this.owner.handleRequest(this, req);
    } catch (e) {
      // Downstream errors come back as replies; what reaches here breaks the protocol.
      this.close(e instanceof ProtocolViolation ? e.reason : 'undecodable frame', (e as Error).message);
      return;
    }
    this.send(resp);
    if (req.reqIdentifier === ReqIdentifier.WsLogoutMsg) this.close('logout', `user logout, operationID ${req.operationID}`);
  }

  /** Refills the inbound budget; how long to wait before the next frame (0 = go on). */
  private overBudgetMs(): number {
    const now = Date.now();
    this.budget = Math.min(this.inboundRate, this.budget + ((now - this.budgetAt) * this.inboundRate) / 1000);
    this.budgetAt = now;
    return this.budget >= 0 ? 0 : Math.ceil((-this.budget * 1000) / this.inboundRate);
  }

  private handleText(buf: Buffer): void {
    // Upstream echoes a ping's body whatever its size (up to the 51200-byte frame limit); a body
    // that big is no heartbeat, and echoing it costs what the client chooses.
    if (buf.length > MAX_TEXT_FRAME_BYTES) {
      this.close('frame too large', `text frame of ${buf.length} bytes (heartbeats are at most ${MAX_TEXT_FRAME_BYTES})`);
      return;
    }
    const hb = parseTextHeartbeat(buf.toString('utf8'));
    if (hb.type === 'ping') this.transport.writeText(pongText(hb.body));
    else if (hb.type === 'invalid') this.close('bad text frame', hb.why);
  }
}

/** Reasons where the peer is the problem: the socket is dropped without waiting for a close handshake. */
const ABRUPT = new Set<CloseReason>(['websocket write buffer full', 'read deadline exceeded', 'socket error', 'ping flood']);

/** The close reason of a frame the decoders refused, by the error's kind (never its message). */
function decodeReason(e: unknown): CloseReason {
  if (!(e instanceof DecodeError)) return 'undecodable frame';
  switch (e.kind) {
    case 'gzip':
      return 'bad gzip';
    case 'too large':
      return 'frame too large';
    default:
      return 'undecodable frame';
  }
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

/**
 * A flat copy of `s` that shares no memory with the string it was cut from. V8 makes substrings
 * of 13+ characters "sliced strings" pointing into their parent; short ones are copies already.
 */
function own(s: string): string {
  return s.length < 13 ? s : Buffer.from(s, 'utf8').toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// Named listeners shared by every connection (no closures per connection on the hot path).
function wsOnMessage(this: WsWithConn, data: RawData, isBinary: boolean): void {
  this[CONN]?.received(data, isBinary);
}

function wsOnAlive(this: WsWithConn): void {
  const c = this[CONN];
  if (c) c.lastSeen = Date.now();
}

function wsOnPing(this: WsWithConn): void {
  const c = this[CONN];
  if (!c) return;
  c.lastSeen = Date.now();
  // ws answers pings itself and terminates a peer with too many answers still unsent (its
  // maxPendingAutoPongs guard) before emitting 'ping': a socket no longer open here is that.
  if (!c.closed && this.readyState !== WS_OPEN) c.close('ping flood', 'too many pings left unanswered (the peer does not read)');
}

function wsOnClose(this: WsWithConn): void {
  this[CONN]?.close('peer closed');
}

function wsOnError(this: WsWithConn, err: Error & { code?: string }): void {
  const c = this[CONN];
  if (!c) return;
  c.close(err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame too large' : 'socket error', err.message);
}
