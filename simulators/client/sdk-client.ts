/**
 * A simulated OpenIM client: one long connection speaking the gateway protocol the way
 * OpenIM's SDKs do (PROTOCOL.md sections 2-4).
 *
 * - sdkType `go` writes gob envelopes with the Go SDK's declarations (`GeneralWsReq`), leaves
 *   `Token` empty in the envelope (it travels in the URL), numbers requests `<userID>_<n>`,
 *   and keeps the connection alive with WebSocket pings.
 * - sdkType `js` writes JSON envelopes and sends `{"type":"ping"}` text heartbeats.
 *
 * Built to be held by the ten thousand in one process: no timer of its own (timeouts,
 * heartbeats and reconnect delays live in a shared {@link TimerWheel}), socket listeners are
 * module-level functions finding their client through a symbol, and pushes are decoded only
 * when someone listens or a {@link SeqTracker} is attached.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import type { EnvelopeCodec } from '../../src/protocol/codec.js';
import { codecFor } from '../../src/protocol/codecs.js';
import type { Req, Resp } from '../../src/protocol/envelope.js';
import { gunzipFrame, gzipFrame } from '../../src/protocol/gzip.js';
import { ReqIdentifier } from '../../src/protocol/identifiers.js';
import { parseTextHeartbeat, pongText, PING_TEXT } from '../../src/protocol/heartbeat.js';
import type { Init, sdkws, msg as msgpb, push as pushpb } from '../../src/protocol/pb-types.js';
import { pb } from '../../src/protocol/pb.js';
import { TypedEmitter } from './emitter.js';
import { ClientError, ClientErrorCode, ConnectionClosedError, HandshakeError, isTokenErrCode, RequestTimeoutError, ResponseError } from './errors.js';
import { buildHandshakeURL } from './handshake-url.js';
import type { CatchUpResult, SeqTracker } from './seq-tracker.js';
import { defaultTimerWheel, type TimerHandle, type TimerWheel } from './timer-wheel.js';
import type { CatchUpClient, Reply, RequestResult, SeqRangeInit } from './types.js';

/** Heartbeat styles: Go SDK WebSocket pings, JS SDK `{"type":"ping"}` text frames, or none. */
export type HeartbeatMode = 'ws-ping' | 'text' | 'none';

/** Reconnection after an established connection drops (never after a kick, logout or `close()`). */
export interface ReconnectOptions {
  enabled: boolean;
  /** First delay; doubles per failed attempt. Default 500 ms. */
  minDelayMs?: number;
  /** Cap of the delay. Default 30 s. */
  maxDelayMs?: number;
  /** Give up after this many consecutive failed attempts. Default unlimited. */
  maxAttempts?: number;
  /** Run the seq tracker's catch-up after each reconnect (when a tracker is attached). Default true. */
  catchUp?: boolean;
}

/** Hooks for an owner of many clients (a pool): one object for all, no closure per client. */
export interface ClientObserver {
  onOpen?(client: OpenIMClient, handshakeMs: number, reconnect: boolean): void;
  onHandshakeFailed?(client: OpenIMClient, err: HandshakeError, reconnect: boolean): void;
  onClose?(client: OpenIMClient, ev: CloseEvent): void;
  onGiveUp?(client: OpenIMClient, err: Error): void;
}

/** Options of an {@link OpenIMClient}. */
export interface OpenIMClientOptions {
  /** Gateway base URL, e.g. `ws://127.0.0.1:10001/`. */
  url: string;
  userID: string;
  platformID: number;
  token: string;
  /** `go` (gob envelopes, Go SDK conventions) or `js` (JSON envelopes). Default `go`. */
  sdkType?: 'go' | 'js';
  /** gzip every binary frame (`compression=gzip`). Default true for `go` (the Go SDK always asks), false for `js`. */
  gzip?: boolean;
  /** Ask for the handshake result as a text frame. */
  isMsgResp?: boolean;
  /** Send the handshake parameters as base64url JSON `v` instead of query keys. */
  useV?: boolean;
  /** Prefix of generated operationIDs (helps finding a run's requests in gateway logs). */
  operationIDPrefix?: string;
  /** Per-request timeout. Default 10 s (the Go SDK's). */
  requestTimeoutMs?: number;
  /** Upgrade (and `isMsgResp` answer) timeout. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Default `ws-ping` for `go`, `text` for `js`. */
  heartbeat?: HeartbeatMode;
  /** Default 25 s. */
  heartbeatIntervalMs?: number;
  /**
   * Drop the connection when nothing (frame, ping, pong) arrived for this long; checked at
   * each heartbeat. Default `max(30 s, interval + 5 s)` with heartbeats (the Go SDK's pongWait), 0 = off.
   */
  readTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /** Initial background flag (`isBackground`); `setBackground` updates it for reconnects. */
  background?: boolean;
  sdkVersion?: string;
  /** Put the token into each envelope too (the SDKs leave it empty). */
  envelopeToken?: boolean;
  /** Largest incoming frame accepted. Default 1 MiB (the Go SDK's maxMessageSize). */
  maxPayload?: number;
  /** Shared timer wheel; default the process-wide one. */
  timers?: TimerWheel;
  /** Feeds every pushed message into this tracker; enables catch-up after reconnects. */
  seqTracker?: SeqTracker;
  observer?: ClientObserver;
  /** Overrides the generated label (the tracker key). */
  label?: string;
  /** Sees every frame sent and received, decoded to its envelope (for a raw frame view). */
  onFrame?: (frame: FrameEvent) => void;
  /**
   * Requests made while a dropped connection is being re-established wait for it (as the Go
   * SDK's send channel does) instead of failing at once; at most this many, each still bound
   * by its timeout. Default 256; 0 fails them at once.
   */
  maxQueuedRequests?: number;
}

/** A frame as {@link OpenIMClientOptions.onFrame} sees it: a request or reply envelope, or a text frame. */
export type FrameEvent =
  | { dir: 'out'; req: Req; bytes: number }
  | { dir: 'in'; resp: Resp; bytes: number }
  | { dir: 'out-text' | 'in-text'; text: string };

/** Per-request options of {@link OpenIMClient.request}. */
export interface RequestOptions {
  timeoutMs?: number;
  operationID?: string;
  /** Envelope SendID; default the client's user (a different one makes the gateway close the connection). */
  sendID?: string;
  /** Envelope MsgIncr; default the next `<userID>_<n>`. */
  msgIncr?: string;
  /** sendMsg only: send as 1004 SendSignalMsg. */
  signal?: boolean;
}

/** Connection state. `reconnecting` = dropped and waiting to redial; `closed` = final until `connect()`. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** One pushed message (2001), with its conversation and which map of PushMessages carried it. */
export interface PushEvent {
  conversationID: string;
  msg: sdkws.MsgData;
  notification: boolean;
}

/** A 2005 frame: `reply` is true for the answer to our own subscribe request. */
export interface PresenceEvent {
  tips: sdkws.SubUserOnlineStatusTips;
  reply: boolean;
}

/** The connection ended. */
export interface CloseEvent {
  code: number;
  reason: string;
  /** A 2002 kick arrived before the close. */
  kicked: boolean;
  /** `close()`, `terminate()` or `logout()` ended it. */
  byClient: boolean;
  willReconnect: boolean;
}

/** A dropped connection was re-established. */
export interface ReconnectEvent {
  /** Attempts this took (1 = first try succeeded). */
  attempt: number;
  downtimeMs: number;
  handshakeMs: number;
}

/** A reconnect attempt failed. */
export interface ReconnectFailedEvent {
  attempt: number;
  error: Error;
  willRetry: boolean;
}

/** Outcome of the automatic catch-up after a reconnect. */
export type CatchUpEvent = { ok: true; result: CatchUpResult } | { ok: false; error: Error };

/** Events of an {@link OpenIMClient}. */
export interface ClientEvents {
  open: (ev: { handshakeMs: number; reconnect: boolean }) => void;
  push: (ev: PushEvent) => void;
  presence: (ev: PresenceEvent) => void;
  kicked: () => void;
  close: (ev: CloseEvent) => void;
  reconnect: (ev: ReconnectEvent) => void;
  reconnectFailed: (ev: ReconnectFailedEvent) => void;
  catchUp: (ev: CatchUpEvent) => void;
  /** An undecodable frame (the connection is dropped, as the Go SDK does) or an unexpected text frame. */
  protocolError: (err: Error) => void;
  /** After a reconnect the watched users were subscribed again (2005); `error` when that failed. */
  resubscribe: (ev: { userIDs: string[]; error?: Error }) => void;
}

/** Fresh zeroed counters (one object per client; also the start of a pool's sum). */
export function emptyClientStats(): ClientStats {
  return {
    connects: 0,
    reconnects: 0,
    requests: 0,
    replies: 0,
    timeouts: 0,
    unmatched: 0,
    pushFrames: 0,
    pushMsgs: 0,
    presenceFrames: 0,
    kicks: 0,
    pings: 0,
    pongs: 0,
    lastPongRttMs: Number.NaN,
    protocolErrors: 0,
  };
}

/** Cheap per-client counters. */
export interface ClientStats {
  connects: number;
  reconnects: number;
  requests: number;
  replies: number;
  timeouts: number;
  /** Replies whose msgIncr matched no pending request (late after a timeout, or foreign). */
  unmatched: number;
  pushFrames: number;
  pushMsgs: number;
  presenceFrames: number;
  kicks: number;
  pings: number;
  pongs: number;
  /** Round trip of the last heartbeat, ms (NaN before the first pong). */
  lastPongRttMs: number;
  protocolErrors: number;
}

/** Session types and content types the helpers default to (upstream constants). */
const SINGLE_CHAT = 1;
/** Data bytes queued requests may hold in total while reconnecting. */
const MAX_QUEUED_BYTES = 4 << 20;
const TEXT = 101;
const USER_MSG_TYPE = 100;

const OWNER = Symbol('msggw.sim.client');
type OwnedSocket = WebSocket & { [OWNER]?: OpenIMClient | undefined };

interface Pending {
  readonly client: OpenIMClient;
  readonly msgIncr: string;
  readonly reqIdentifier: number;
  readonly sentAt: number;
  readonly timeoutMs: number;
  readonly resolve: (r: RequestResult) => void;
  readonly reject: (e: Error) => void;
  timer: TimerHandle | undefined;
}

interface HandshakeWaiter {
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly startedAt: number;
  readonly reconnect: boolean;
  timer: TimerHandle | undefined;
  /** Upgraded, waiting for the `isMsgResp` text frame. */
  upgraded: boolean;
}

let labelCounter = 0;
let opCounter = 0;

/** See the module comment. Create, `connect()`, then use `request()` or the typed helpers. */
export class OpenIMClient extends TypedEmitter<ClientEvents> implements CatchUpClient {
  readonly userID: string;
  readonly platformID: number;
  readonly sdkType: 'go' | 'js';
  readonly gzip: boolean;
  readonly label: string;
  readonly stats: ClientStats = emptyClientStats();
  /** Latency of the last successful handshake in ms (NaN before one). */
  handshakeMs = Number.NaN;
  /**
   * This end of the connection, `ip:port` as the gateway reports the peer (IPv6 in brackets);
   * '' before the first upgrade. Tells apart two clients of one user on one platform.
   */
  localAddress = '';

  private readonly url: string;
  private token: string;
  private readonly codec: EnvelopeCodec;
  private readonly isMsgResp: boolean;
  private readonly useV: boolean;
  private readonly opPrefix: string;
  private readonly requestTimeoutMs: number;
  private readonly handshakeTimeoutMs: number;
  private readonly heartbeat: HeartbeatMode;
  private readonly heartbeatIntervalMs: number;
  private readonly readTimeoutMs: number;
  private readonly reconnectOpts: Required<ReconnectOptions>;
  private background: boolean;
  private readonly sdkVersion: string;
  private readonly envelopeToken: boolean;
  private readonly maxPayload: number;
  private readonly timers: TimerWheel;
  private readonly tracker: SeqTracker | undefined;
  private readonly observer: ClientObserver | undefined;
  private readonly onFrame: ((frame: FrameEvent) => void) | undefined;
  private readonly maxQueued: number;

  private ws: OwnedSocket | undefined;
  private stateValue: ClientState = 'idle';
  private pending: Map<string, Pending> | undefined;
  private incr = 0;
  private handshake: HandshakeWaiter | undefined;
  private hbTimer: TimerHandle | undefined;
  private reconnectTimer: TimerHandle | undefined;
  private attempt = 0;
  private downSince = 0;
  private lastRecvAt = 0;
  private lastPingAt = 0;
  /** Set by close()/terminate()/logout(): the coming close is ours and must not reconnect. */
  private byClient = false;
  private kicked = false;
  /** Requests waiting for a reconnect, oldest first (see `maxQueuedRequests`). */
  private queued: { p: Pending; req: Req }[] = [];
  private queuedBytes = 0;
  /** Users this client watches (2005), subscribed again after a reconnect. */
  private readonly watching = new Set<string>();

  constructor(options: OpenIMClientOptions) {
    super();
    this.url = options.url;
    this.userID = options.userID;
    this.platformID = options.platformID;
    this.token = options.token;
    this.sdkType = options.sdkType ?? 'go';
    this.gzip = options.gzip ?? this.sdkType === 'go';
    // The `sdk` flavour writes the Go SDK's struct declarations; its decoder reads either flavour.
    this.codec = codecFor(this.sdkType, 'sdk');
    this.isMsgResp = options.isMsgResp ?? false;
    this.useV = options.useV ?? false;
    this.opPrefix = options.operationIDPrefix ?? '';
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.heartbeat = options.heartbeat ?? (this.sdkType === 'go' ? 'ws-ping' : 'text');
    this.heartbeatIntervalMs = Math.max(1, options.heartbeatIntervalMs ?? 25_000);
    this.readTimeoutMs = options.readTimeoutMs ?? (this.heartbeat === 'none' ? 0 : Math.max(30_000, this.heartbeatIntervalMs + 5_000));
    const r = options.reconnect;
    this.reconnectOpts = {
      enabled: r?.enabled ?? false,
      minDelayMs: Math.max(1, r?.minDelayMs ?? 500),
      maxDelayMs: Math.max(1, r?.maxDelayMs ?? 30_000),
      maxAttempts: r?.maxAttempts ?? Number.POSITIVE_INFINITY,
      catchUp: r?.catchUp ?? true,
    };
    this.background = options.background ?? false;
    this.sdkVersion = options.sdkVersion ?? '';
    this.envelopeToken = options.envelopeToken ?? false;
    this.maxPayload = options.maxPayload ?? 1 << 20;
    this.timers = options.timers ?? defaultTimerWheel();
    this.tracker = options.seqTracker;
    this.observer = options.observer;
    this.onFrame = options.onFrame;
    this.maxQueued = Math.max(0, options.maxQueuedRequests ?? 256);
    this.label = options.label ?? `${options.userID}@${options.platformID}#${++labelCounter}`;
  }

  /** Current connection state. */
  get state(): ClientState {
    return this.stateValue;
  }

  /** Requests waiting for a reply. */
  get pendingCount(): number {
    return this.pending?.size ?? 0;
  }

  /** Whether the background flag is set (sent on (re)connect, changed by {@link setBackground}). */
  get isBackground(): boolean {
    return this.background;
  }

  /** Users this client watches (subscribed with 2005 and not unsubscribed). */
  get subscriptions(): readonly string[] {
    return [...this.watching];
  }

  /** Requests waiting for a reconnect. */
  get queuedCount(): number {
    return this.queued.length;
  }

  /** Replaces the token used by the next (re)connect. */
  setToken(token: string): void {
    this.token = token;
  }

  /**
   * Dials and performs the handshake. Rejects with a {@link HandshakeError} carrying the
   * gateway's errCode/errMsg/errDlt when it refuses (HTTP answer, or with `isMsgResp` the first
   * text frame). Resolves at once when already open. A failed first connect does not start
   * reconnecting; reconnection only follows a connection that was established.
   */
  connect(): Promise<void> {
    if (this.stateValue === 'open') return Promise.resolve();
    if (this.handshake !== undefined) return Promise.reject(new Error('connect already in progress'));
    this.cancelReconnect();
    this.byClient = false;
    this.kicked = false;
    this.attempt = 0;
    return this.dial(false);
  }

  /**
   * Sends one request and waits for the reply with the same msgIncr. A reply with a non-zero
   * errCode resolves too (callers decide); the promise rejects on timeout
   * ({@link RequestTimeoutError}) and when the connection is or becomes closed
   * ({@link ConnectionClosedError}). While a dropped connection is being re-established the
   * request waits for it (bounded, see `maxQueuedRequests`), its timeout running.
   */
  request(reqIdentifier: number, data: Uint8Array | null, opts: RequestOptions = {}): Promise<RequestResult> {
    const ws = this.ws;
    const open = this.stateValue === 'open' && ws !== undefined && ws.readyState === WebSocket.OPEN;
    if (!open) {
      if (!this.reconnecting()) return Promise.reject(new ConnectionClosedError(`not connected (${this.stateValue})`, undefined, true));
      const size = data?.length ?? 0;
      if (this.queued.length >= this.maxQueued || this.queuedBytes + size > MAX_QUEUED_BYTES) {
        return Promise.reject(new ClientError(ClientErrorCode.QueueFull, `reconnecting, and ${this.queued.length} request(s) already wait for it`));
      }
    }
    const msgIncr = opts.msgIncr ?? `${this.userID}_${++this.incr}`;
    const pending = (this.pending ??= new Map());
    if (pending.has(msgIncr)) return Promise.reject(new Error(`msgIncr ${msgIncr} is already pending`));
    const req: Req = {
      reqIdentifier,
      token: this.envelopeToken ? this.token : '',
      sendID: opts.sendID ?? this.userID,
      operationID: opts.operationID ?? this.nextOperationID(),
      msgIncr,
      data,
    };
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<RequestResult>((resolve, reject) => {
      const p: Pending = { client: this, msgIncr, reqIdentifier, sentAt: performance.now(), timeoutMs, resolve, reject, timer: undefined };
      p.timer = this.timers.schedule(timeoutMs, pendingOnTimeout, p);
      pending.set(msgIncr, p);
      this.stats.requests++;
      if (open) this.write(ws, req);
      else {
        this.queued.push({ p, req });
        this.queuedBytes += req.data?.length ?? 0;
      }
    });
  }

  private write(ws: WebSocket, req: Req): void {
    const encoded = this.codec.encodeReq(req);
    const frame = this.gzip ? gzipFrame(encoded) : encoded;
    this.onFrame?.({ dir: 'out', req, bytes: frame.length });
    ws.send(frame);
  }

  /** Dropped and coming back: requests made now wait for the new connection. */
  private reconnecting(): boolean {
    return this.maxQueued > 0 && (this.stateValue === 'reconnecting' || (this.stateValue === 'connecting' && this.handshake?.reconnect === true));
  }

  /** Sends the requests that waited for the reconnect (those not timed out meanwhile). */
  private flushQueued(): void {
    if (this.queued.length === 0) return;
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    const ws = this.ws;
    for (const { p, req } of queued) {
      if (this.pending?.get(p.msgIncr) !== p) continue;
      if (ws === undefined || ws.readyState !== WebSocket.OPEN) break;
      this.write(ws, req);
    }
  }

  /** Sends bytes or text as they are (for tests of the gateway's handling of bad frames). */
  sendRaw(data: Uint8Array | string): void {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN) throw new ConnectionClosedError('not connected', undefined, true);
    ws.send(data);
  }

  /** 1001: the max (and min) seq of each of the user's conversations. */
  async getNewestSeq(opts?: RequestOptions): Promise<Reply<sdkws.GetMaxSeqResp>> {
    const data = pb.sdkws.GetMaxSeqReq.encode({ userID: this.userID });
    return this.typed(ReqIdentifier.GetNewestSeq, data, pb.sdkws.GetMaxSeqResp.decode, opts);
  }

  /** 1002: messages of the given seq ranges (`num` defaults to the range's length). */
  async pullBySeqList(ranges: readonly SeqRangeInit[], order = 0, opts?: RequestOptions): Promise<Reply<sdkws.PullMessageBySeqsResp>> {
    const data = pb.sdkws.PullMessageBySeqsReq.encode({
      userID: this.userID,
      seqRanges: ranges.map((r) => ({ conversationID: r.conversationID, begin: r.begin, end: r.end, num: r.num ?? r.end - r.begin + 1 })),
      order,
    });
    return this.typed(ReqIdentifier.PullMsgBySeqList, data, pb.sdkws.PullMessageBySeqsResp.decode, opts);
  }

  /**
   * 1005: messages by seq (GetSeqMessage), several conversations at once. A range
   * (`begin`..`end`) is expanded to its seqs; at most {@link MAX_PULL_SEQS} in all, so a typo
   * cannot ask for millions.
   */
  async pullMsg(ranges: readonly { conversationID: string; seqs?: readonly number[]; begin?: number; end?: number }[], order = 0, opts?: RequestOptions): Promise<Reply<msgpb.GetSeqMessageResp>> {
    let total = 0;
    const conversations = ranges.map((r) => {
      const seqs = r.seqs ? [...r.seqs] : [];
      if (r.begin !== undefined && r.end !== undefined) {
        if (r.end - r.begin + 1 + total + seqs.length > MAX_PULL_SEQS) throw new RangeError(`pull at most ${MAX_PULL_SEQS} seqs per request`);
        for (let s = r.begin; s <= r.end; s++) seqs.push(s);
      }
      total += seqs.length;
      return { conversationID: r.conversationID, seqs };
    });
    if (total > MAX_PULL_SEQS) throw new RangeError(`pull at most ${MAX_PULL_SEQS} seqs per request`);
    const data = pb.msg.GetSeqMessageReq.encode({ userID: this.userID, conversations, order });
    return this.typed(ReqIdentifier.PullMsg, data, pb.msg.GetSeqMessageResp.decode, opts);
  }

  /**
   * 1003: sends a message. Fills what the SDK fills: sendID, senderPlatformID, clientMsgID
   * (random hex), createTime, msgFrom (user message), sessionType (single chat) and
   * contentType (text) defaults; `text` is a shortcut for a text message's content.
   */
  async sendMsg(msg: Init<sdkws.MsgData> & { text?: string }, opts?: RequestOptions): Promise<Reply<msgpb.SendMsgResp>> {
    const { text, ...fields } = msg;
    const full: Init<sdkws.MsgData> = {
      ...fields,
      sendID: fields.sendID ?? this.userID,
      senderPlatformID: fields.senderPlatformID ?? this.platformID,
      clientMsgID: fields.clientMsgID ?? randomBytes(16).toString('hex'),
      createTime: fields.createTime ?? Date.now(),
      msgFrom: fields.msgFrom ?? USER_MSG_TYPE,
      sessionType: fields.sessionType ?? SINGLE_CHAT,
      contentType: fields.contentType ?? TEXT,
      content: fields.content ?? (text === undefined ? null : Buffer.from(JSON.stringify({ content: text }), 'utf8')),
    };
    return this.typed(opts?.signal ? ReqIdentifier.SendSignalMsg : ReqIdentifier.SendMsg, pb.sdkws.MsgData.encode(full), pb.msg.SendMsgResp.decode, opts);
  }

  /** 1004: sends a signalling message (the same MsgData as 1003; the gateway hands both to msg's SendMsg). */
  async sendSignalMsg(msg: Init<sdkws.MsgData> & { text?: string }, opts?: RequestOptions): Promise<Reply<msgpb.SendMsgResp>> {
    return this.sendMsg(msg, { ...opts, signal: true });
  }

  /** 2004: sets the connection's background flag (and the one sent on reconnect). */
  async setBackground(isBackground: boolean, opts?: RequestOptions): Promise<Reply<sdkws.SetAppBackgroundStatusResp>> {
    const data = pb.sdkws.SetAppBackgroundStatusReq.encode({ userID: this.userID, isBackground });
    const reply = await this.typed(ReqIdentifier.WsSetBackgroundStatus, data, pb.sdkws.SetAppBackgroundStatusResp.decode, opts);
    this.background = isBackground;
    return reply;
  }

  /** 2005: subscribes to (and unsubscribes from) users' online status; the reply holds their current state. */
  async subscribe(userIDs: readonly string[], unsubscribeUserIDs: readonly string[] = [], opts?: RequestOptions): Promise<Reply<sdkws.SubUserOnlineStatusTips>> {
    const data = pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: userIDs, unsubscribeUserID: unsubscribeUserIDs });
    const reply = await this.typed(ReqIdentifier.WsSubUserOnlineStatus, data, pb.sdkws.SubUserOnlineStatusTips.decode, opts);
    for (const u of unsubscribeUserIDs) this.watching.delete(u);
    for (const u of userIDs) this.watching.add(u);
    return reply;
  }

  /**
   * 2003: logs out (DelUserPushTokenReq). The gateway replies, then closes; like the Go SDK we
   * also close on the reply, and never reconnect after it.
   */
  async logout(opts?: RequestOptions): Promise<Reply<pushpb.DelUserPushTokenResp>> {
    const data = pb.push.DelUserPushTokenReq.encode({ userID: this.userID, platformID: this.platformID });
    this.byClient = true;
    this.cancelReconnect();
    return this.typed(ReqIdentifier.WsLogoutMsg, data, pb.push.DelUserPushTokenResp.decode, opts);
  }

  /** Graceful close (close frame); stops reconnecting. Resolves once the socket closed. Idempotent. */
  close(code = 1000, reason = ''): Promise<void> {
    this.byClient = true;
    this.cancelReconnect();
    const ws = this.ws;
    if (this.handshake !== undefined) this.failHandshake(new HandshakeError('closed', 0, 'closed by client', ''));
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) {
      if (this.stateValue !== 'open') this.stateValue = 'closed';
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
      else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    });
  }

  /**
   * Abrupt end: destroys the socket without a close frame (a crashed app or lost network).
   * With `reconnect: true` it counts as a drop, so reconnection (when enabled) follows.
   */
  terminate(opts: { reconnect?: boolean } = {}): void {
    if (opts.reconnect !== true) {
      this.byClient = true;
      this.cancelReconnect();
    }
    const ws = this.ws;
    if (this.handshake !== undefined) this.failHandshake(new HandshakeError('closed', 0, 'terminated by client', ''));
    else if (ws !== undefined) ws.terminate();
  }

  // ------------------------------------------------------------------------------------------
  // Internals (called by the module-level socket listeners below)

  private async typed<T>(reqIdentifier: number, data: Uint8Array, decode: (b: Uint8Array) => T, opts?: RequestOptions): Promise<Reply<T>> {
    const { resp, rttMs } = await this.request(reqIdentifier, data, opts);
    if (resp.errCode !== 0) throw new ResponseError(reqIdentifier, resp.errCode, resp.errMsg);
    return { data: decode(resp.data ?? EMPTY), rttMs, resp };
  }

  private nextOperationID(): string {
    // Digits like the Go SDK's OperationIDGenerator (unix time + a counter), unique per process.
    return `${this.opPrefix}${Date.now()}${String(++opCounter % 1_000_000).padStart(6, '0')}`;
  }

  private dial(reconnect: boolean): Promise<void> {
    this.stateValue = 'connecting';
    const url = buildHandshakeURL(this.url, {
      userID: this.userID,
      token: this.token,
      platformID: this.platformID,
      operationID: this.nextOperationID(),
      sdkType: this.sdkType,
      gzip: this.gzip,
      isMsgResp: this.isMsgResp,
      background: this.background,
      sdkVersion: this.sdkVersion,
      useV: this.useV,
    });
    return new Promise<void>((resolve, reject) => {
      const waiter: HandshakeWaiter = { resolve, reject, startedAt: performance.now(), reconnect, timer: undefined, upgraded: false };
      this.handshake = waiter;
      waiter.timer = this.timers.schedule(this.handshakeTimeoutMs, handshakeOnTimeout, this);
      let ws: OwnedSocket;
      try {
        // perMessageDeflate off: OpenIM's gateway does not negotiate it and it costs memory per socket.
        ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: this.maxPayload }) as OwnedSocket;
      } catch (e) {
        this.failHandshake(new HandshakeError('network', 0, e instanceof Error ? e.message : String(e), '', undefined, { cause: e }));
        return;
      }
      ws[OWNER] = this;
      ws.on('open', wsOnOpen);
      ws.on('message', wsOnMessage);
      ws.on('close', wsOnClose);
      ws.on('error', wsOnError);
      ws.on('unexpected-response', wsOnUnexpectedResponse);
      ws.on('upgrade', wsOnUpgrade);
      ws.on('ping', wsOnAlive);
      ws.on('pong', wsOnPong);
      this.ws = ws;
    });
  }

  /** @internal */
  onUpgrade(res: IncomingMessage): void {
    const ip = res.socket.localAddress ?? '';
    this.localAddress = `${ip.includes(':') ? `[${ip}]` : ip}:${res.socket.localPort ?? 0}`;
  }

  /** @internal */
  onOpen(): void {
    const h = this.handshake;
    if (h === undefined) return;
    h.upgraded = true;
    this.lastRecvAt = performance.now();
    if (!this.isMsgResp) this.succeedHandshake();
  }

  private succeedHandshake(): void {
    const h = this.handshake;
    if (h === undefined) return;
    this.handshake = undefined;
    h.timer?.cancel();
    this.handshakeMs = performance.now() - h.startedAt;
    this.stateValue = 'open';
    this.stats.connects++;
    this.lastRecvAt = performance.now();
    this.startHeartbeat();
    h.resolve();
    this.observer?.onOpen?.(this, this.handshakeMs, h.reconnect);
    this.emit('open', { handshakeMs: this.handshakeMs, reconnect: h.reconnect });
    this.flushQueued();
    if (h.reconnect) this.afterReconnect();
  }

  /** @internal Rejects the pending handshake and drops its socket; a reconnect attempt may be rescheduled. */
  failHandshake(err: HandshakeError): void {
    const h = this.handshake;
    if (h === undefined) return;
    this.handshake = undefined;
    h.timer?.cancel();
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) {
      // Detach: the close that follows belongs to a socket we already gave up on.
      ws[OWNER] = undefined;
      if (err.kind === 'text' && ws.readyState === WebSocket.OPEN) ws.close(1000);
      else if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
    }
    this.observer?.onHandshakeFailed?.(this, err, h.reconnect);
    h.reject(err);
    if (!h.reconnect) {
      this.stateValue = 'closed';
      return;
    }
    const willRetry = this.shouldReconnect() && !isTokenErrCode(err.errCode);
    this.emit('reconnectFailed', { attempt: this.attempt, error: err, willRetry });
    if (willRetry) this.scheduleReconnect();
    else this.giveUp(err);
  }

  /** @internal */
  onHandshakeTimeout(): void {
    const h = this.handshake;
    if (h === undefined) return;
    h.timer = undefined;
    this.failHandshake(new HandshakeError('timeout', 0, `no handshake answer within ${this.handshakeTimeoutMs} ms`, ''));
  }

  /** @internal The gateway refused the upgrade with an HTTP answer: read its JSON body. */
  onUnexpectedResponse(res: IncomingMessage): void {
    const status = res.statusCode ?? 0;
    const h = this.handshake;
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      // Bounded: an error body is tiny; do not buffer whatever a wrong server sends.
      if (size < 65_536) chunks.push(chunk);
      size += chunk.length;
    });
    const finish = (cause?: unknown): void => {
      // The handshake may have ended meanwhile (timeout, close()); never fail a later one.
      if (this.handshake !== h) return;
      const body = Buffer.concat(chunks).toString('utf8');
      let errCode = 0;
      let errMsg = '';
      let errDlt = '';
      try {
        const j = JSON.parse(body) as { errCode?: unknown; errMsg?: unknown; errDlt?: unknown };
        if (typeof j.errCode === 'number') errCode = j.errCode;
        if (typeof j.errMsg === 'string') errMsg = j.errMsg;
        if (typeof j.errDlt === 'string') errDlt = j.errDlt;
      } catch {
        errMsg = `unexpected response: ${body.slice(0, 200)}`;
      }
      this.failHandshake(new HandshakeError('http', errCode, errMsg, errDlt, status, cause === undefined ? undefined : { cause }));
    };
    res.once('end', () => finish());
    res.once('error', (e) => finish(e));
  }

  /** @internal */
  onMessage(data: RawData, isBinary: boolean): void {
    this.lastRecvAt = performance.now();
    if (!isBinary) {
      this.onText(rawToBuffer(data).toString('utf8'));
      return;
    }
    let resp: Resp;
    try {
      const bytes = rawToBuffer(data);
      resp = this.codec.decodeResp(this.gzip ? gunzipFrame(bytes) : bytes);
      this.onFrame?.({ dir: 'in', resp, bytes: bytes.length });
    } catch (e) {
      // The Go SDK treats an undecodable frame as fatal for the connection; so do we.
      this.protocolError(e instanceof Error ? e : new Error(String(e)));
      this.ws?.terminate();
      return;
    }
    this.dispatch(resp);
  }

  private dispatch(resp: Resp): void {
    switch (resp.reqIdentifier) {
      case ReqIdentifier.PushMsg:
        this.onPush(resp);
        return;
      case ReqIdentifier.KickOnlineMsg:
        this.kicked = true;
        this.stats.kicks++;
        this.emit('kicked');
        return;
      case ReqIdentifier.WsSubUserOnlineStatus: {
        const reply = this.settle(resp);
        this.stats.presenceFrames++;
        if (this.listenerCount('presence') > 0 && resp.errCode === 0) {
          try {
            this.emit('presence', { tips: pb.sdkws.SubUserOnlineStatusTips.decode(resp.data ?? EMPTY), reply });
          } catch (e) {
            this.protocolError(e instanceof Error ? e : new Error(String(e)));
          }
        }
        return;
      }
      case ReqIdentifier.WsLogoutMsg:
        this.settle(resp);
        // The Go SDK ends the connection on the logout reply.
        this.byClient = true;
        if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(1000);
        return;
      default:
        if (!this.settle(resp)) this.stats.unmatched++;
    }
  }

  /** Resolves the pending request with the reply's msgIncr; false when there is none. */
  private settle(resp: Resp): boolean {
    const p = this.pending?.get(resp.msgIncr);
    if (p === undefined || resp.msgIncr === '') return false;
    this.pending!.delete(resp.msgIncr);
    p.timer?.cancel();
    this.stats.replies++;
    p.resolve({ resp, rttMs: performance.now() - p.sentAt });
    return true;
  }

  private onPush(resp: Resp): void {
    this.stats.pushFrames++;
    const tracker = this.tracker;
    const listening = this.listenerCount('push') > 0;
    // Nobody reads the messages: counting the frame is all a load run needs.
    if (!listening && tracker === undefined) return;
    let pm: sdkws.PushMessages;
    try {
      pm = pb.sdkws.PushMessages.decode(resp.data ?? EMPTY);
    } catch (e) {
      this.protocolError(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.deliver(pm.msgs, false, tracker, listening);
    this.deliver(pm.notificationMsgs, true, tracker, listening);
  }

  private deliver(byConv: { [conversationID: string]: sdkws.PullMsgs }, notification: boolean, tracker: SeqTracker | undefined, listening: boolean): void {
    for (const conversationID of Object.keys(byConv)) {
      const msgs = byConv[conversationID]!.Msgs;
      this.stats.pushMsgs += msgs.length;
      for (const msg of msgs) {
        tracker?.record(this.label, conversationID, msg.seq, 'push');
        if (listening) this.emit('push', { conversationID, msg, notification });
      }
    }
  }

  private onText(text: string): void {
    this.onFrame?.({ dir: 'in-text', text });
    const h = this.handshake;
    if (h !== undefined && h.upgraded && this.isMsgResp) {
      let ans: { errCode?: unknown; errMsg?: unknown; errDlt?: unknown };
      try {
        ans = JSON.parse(text) as typeof ans;
      } catch {
        ans = { errCode: -1, errMsg: `handshake answer is not JSON: ${text.slice(0, 200)}` };
      }
      const errCode = typeof ans.errCode === 'number' ? ans.errCode : -1;
      if (errCode === 0) this.succeedHandshake();
      else this.failHandshake(new HandshakeError('text', errCode, typeof ans.errMsg === 'string' ? ans.errMsg : '', typeof ans.errDlt === 'string' ? ans.errDlt : ''));
      return;
    }
    const hb = parseTextHeartbeat(text);
    if (hb.type === 'pong') {
      this.onPong();
      return;
    }
    if (hb.type === 'ping') {
      this.sendText(pongText(hb.body));
      return;
    }
    this.protocolError(new Error(`unexpected text frame: ${text.slice(0, 200)}`));
  }

  private sendText(text: string): void {
    this.onFrame?.({ dir: 'out-text', text });
    this.ws?.send(text);
  }

  /** @internal */
  onPong(): void {
    this.lastRecvAt = performance.now();
    this.stats.pongs++;
    if (this.lastPingAt > 0) this.stats.lastPongRttMs = this.lastRecvAt - this.lastPingAt;
  }

  /** @internal */
  onAlive(): void {
    this.lastRecvAt = performance.now();
  }

  /** @internal */
  onClose(code: number, reason: string): void {
    this.ws = undefined;
    this.stopHeartbeat();
    if (this.handshake !== undefined) {
      // Closed before the handshake result (e.g. an isMsgResp gateway that closed without a word).
      this.failHandshake(new HandshakeError('closed', 0, `connection closed during handshake (${code})`, reason));
      return;
    }
    const wasOpen = this.stateValue === 'open';
    this.rejectPending(new ConnectionClosedError(`connection closed (${code}${reason ? ` ${reason}` : ''})`, code));
    if (!wasOpen) return;
    const willReconnect = this.shouldReconnect();
    const ev: CloseEvent = { code, reason, kicked: this.kicked, byClient: this.byClient, willReconnect };
    if (willReconnect) {
      this.downSince = performance.now();
      this.attempt = 0;
      this.scheduleReconnect();
    } else {
      this.stateValue = 'closed';
    }
    this.observer?.onClose?.(this, ev);
    this.emit('close', ev);
  }

  /** @internal */
  onSocketError(err: Error): void {
    // A close event always follows; a pending handshake fails there or through its own paths.
    if (this.handshake !== undefined && !this.handshake.upgraded) {
      this.failHandshake(new HandshakeError('network', 0, err.message, '', undefined, { cause: err }));
    }
  }

  /** @internal */
  onPendingTimeout(p: Pending): void {
    p.timer = undefined;
    if (this.pending?.get(p.msgIncr) !== p) return;
    this.pending.delete(p.msgIncr);
    if (this.queued.length > 0) {
      const i = this.queued.findIndex((q) => q.p === p);
      if (i >= 0) this.queuedBytes -= this.queued.splice(i, 1)[0]!.req.data?.length ?? 0;
    }
    this.stats.timeouts++;
    p.reject(new RequestTimeoutError(p.reqIdentifier, p.msgIncr, p.timeoutMs));
  }

  private rejectPending(err: Error): void {
    this.queued = [];
    this.queuedBytes = 0;
    const pending = this.pending;
    if (pending === undefined || pending.size === 0) return;
    this.pending = undefined;
    for (const p of pending.values()) {
      p.timer?.cancel();
      p.reject(err);
    }
  }

  private protocolError(err: Error): void {
    this.stats.protocolErrors++;
    this.emit('protocolError', err);
  }

  // Heartbeat -------------------------------------------------------------------------------

  private startHeartbeat(): void {
    if (this.heartbeat === 'none') return;
    // Spread the first beat so a pool opened in one burst does not ping in one burst forever.
    this.hbTimer = this.timers.schedule(this.heartbeatIntervalMs * (0.5 + Math.random() * 0.5), heartbeatOnTick, this);
  }

  private stopHeartbeat(): void {
    this.hbTimer?.cancel();
    this.hbTimer = undefined;
  }

  /** @internal */
  onHeartbeat(): void {
    this.hbTimer = undefined;
    const ws = this.ws;
    if (this.stateValue !== 'open' || ws === undefined || ws.readyState !== WebSocket.OPEN) return;
    const now = performance.now();
    if (this.readTimeoutMs > 0 && now - this.lastRecvAt > this.readTimeoutMs) {
      // The Go SDK's read deadline: silence means a dead peer; drop and (maybe) reconnect.
      ws.terminate();
      return;
    }
    this.lastPingAt = now;
    this.stats.pings++;
    if (this.heartbeat === 'ws-ping') ws.ping();
    else this.sendText(PING_TEXT);
    this.hbTimer = this.timers.schedule(this.heartbeatIntervalMs, heartbeatOnTick, this);
  }

  // Reconnect -------------------------------------------------------------------------------

  private shouldReconnect(): boolean {
    return this.reconnectOpts.enabled && !this.byClient && !this.kicked && this.attempt < this.reconnectOpts.maxAttempts;
  }

  private scheduleReconnect(): void {
    this.stateValue = 'reconnecting';
    this.attempt++;
    const { minDelayMs, maxDelayMs } = this.reconnectOpts;
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(this.attempt - 1, 30));
    // Equal jitter: half fixed, half random, so a mass drop does not redial in lockstep.
    const delay = base / 2 + Math.random() * (base / 2);
    this.reconnectTimer = this.timers.schedule(delay, reconnectOnTimer, this);
  }

  private cancelReconnect(): void {
    this.reconnectTimer?.cancel();
    this.reconnectTimer = undefined;
    if (this.stateValue === 'reconnecting') {
      this.stateValue = 'closed';
      // No new connection will come for the requests waiting for one.
      this.rejectPending(new ConnectionClosedError('closed while reconnecting', undefined, true));
    }
  }

  /** @internal */
  onReconnectTimer(): void {
    this.reconnectTimer = undefined;
    if (this.byClient || this.stateValue !== 'reconnecting') return;
    // Failures are handled (and retried) inside failHandshake.
    this.dial(true).catch(noop);
  }

  private giveUp(err: Error): void {
    this.stateValue = 'closed';
    this.rejectPending(new ConnectionClosedError(`gave up reconnecting: ${err.message}`, undefined, true));
    this.observer?.onGiveUp?.(this, err);
  }

  private afterReconnect(): void {
    const downtimeMs = performance.now() - this.downSince;
    const attempt = this.attempt;
    this.attempt = 0;
    this.stats.reconnects++;
    this.emit('reconnect', { attempt, downtimeMs, handshakeMs: this.handshakeMs });
    if (this.watching.size > 0) {
      // The new connection knows nothing of the old one's subscriptions: ask again, as the SDK does.
      const userIDs = [...this.watching];
      this.subscribe(userIDs).then(
        () => this.emit('resubscribe', { userIDs }),
        (error: unknown) => this.emit('resubscribe', { userIDs, error: error instanceof Error ? error : new Error(String(error)) }),
      );
    }
    const tracker = this.tracker;
    if (tracker === undefined || !this.reconnectOpts.catchUp) return;
    tracker.catchUp(this).then(
      (result) => this.emit('catchUp', { ok: true, result }),
      (error: unknown) => this.emit('catchUp', { ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
    );
  }
}

const EMPTY = new Uint8Array(0);
/** Most seqs one 1005 request built by {@link OpenIMClient.pullMsg} asks for. */
export const MAX_PULL_SEQS = 10_000;

function noop(): void {}

function rawToBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

// Module-level listeners (one function for every socket, no closure per connection).

function wsOnOpen(this: OwnedSocket): void {
  this[OWNER]?.onOpen();
}

function wsOnMessage(this: OwnedSocket, data: RawData, isBinary: boolean): void {
  this[OWNER]?.onMessage(data, isBinary);
}

function wsOnClose(this: OwnedSocket, code: number, reason: Buffer): void {
  const c = this[OWNER];
  if (c === undefined) return;
  this[OWNER] = undefined;
  c.onClose(code, reason.toString('utf8'));
}

function wsOnError(this: OwnedSocket, err: Error): void {
  this[OWNER]?.onSocketError(err);
}

function wsOnUnexpectedResponse(this: OwnedSocket, _req: unknown, res: IncomingMessage): void {
  const c = this[OWNER];
  if (c === undefined) {
    res.resume();
    return;
  }
  c.onUnexpectedResponse(res);
}

function wsOnUpgrade(this: OwnedSocket, res: IncomingMessage): void {
  this[OWNER]?.onUpgrade(res);
}

function wsOnAlive(this: OwnedSocket): void {
  this[OWNER]?.onAlive();
}

function wsOnPong(this: OwnedSocket): void {
  this[OWNER]?.onPong();
}

function pendingOnTimeout(p: Pending): void {
  p.client.onPendingTimeout(p);
}

function handshakeOnTimeout(c: OpenIMClient): void {
  c.onHandshakeTimeout();
}

function heartbeatOnTick(c: OpenIMClient): void {
  c.onHeartbeat();
}

function reconnectOnTimer(c: OpenIMClient): void {
  c.onReconnectTimer();
}
