/**
 * A small fake OpenIM gateway for the client tests (the real one is built elsewhere): parses
 * the handshake with the gateway's own parser, refuses upgrades with HTTP 200 + JSON (written
 * by hand on the raw socket, since `verifyClient` cannot send a body) or, with isMsgResp, with
 * a text frame; decodes requests with the SERVER flavour codecs, answers 1001/1002 from an
 * in-test message store, echoes everything else, answers text pings, and can push, kick and
 * drop connections.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseHandshake, type HandshakeArgs } from '../../../src/gateway/handshake.js';
import type { EnvelopeCodec } from '../../../src/protocol/codec.js';
import { codecFor } from '../../../src/protocol/codecs.js';
import { makeResp, type Req, type Resp } from '../../../src/protocol/envelope.js';
import { CodeError } from '../../../src/protocol/errors.js';
import { gunzipFrame, gzipFrame } from '../../../src/protocol/gzip.js';
import { ReqIdentifier } from '../../../src/protocol/identifiers.js';
import type { Init, sdkws } from '../../../src/protocol/pb-types.js';
import { pb } from '../../../src/protocol/pb.js';

/** An OpenIM error answer. */
export interface Refusal {
  errCode: number;
  errMsg: string;
  errDlt?: string;
}

/** What a request hook may answer: a reply, `hold` (answer later, or never), or `default`. */
export type HookResult = Resp | 'hold' | 'default';

/** One received request frame. */
export interface Received {
  conn: FakeConn;
  req: Req;
  /** The frame after gunzip: the encoded envelope exactly as the client wrote it. */
  envelope: Buffer;
}

/** One accepted connection. */
export class FakeConn {
  readonly codec: EnvelopeCodec;
  readonly pings: Buffer[] = [];
  readonly texts: string[] = [];
  closeCode: number | undefined;
  constructor(
    readonly ws: WebSocket,
    readonly args: HandshakeArgs,
    readonly url: URL,
  ) {
    this.codec = codecFor(args.sdkType, 'server');
  }

  /** Sends one envelope (encoded and gzipped the way the connection asked). */
  send(resp: Partial<Resp>): void {
    const raw = this.codec.encodeResp(makeResp(resp));
    this.ws.send(this.args.gzip ? gzipFrame(raw) : raw);
  }

  /** Answers a request with its reqIdentifier, msgIncr and operationID echoed. */
  reply(req: Req, fields: Partial<Resp> = {}): void {
    this.send({ reqIdentifier: req.reqIdentifier, msgIncr: req.msgIncr, operationID: req.operationID, data: req.data, ...fields });
  }

  /** A 2001 push. */
  push(msgs: Init<sdkws.PushMessages>): void {
    this.send({ reqIdentifier: ReqIdentifier.PushMsg, operationID: 'push', data: pb.sdkws.PushMessages.encode(msgs) });
  }

  /** A 2005 presence push. */
  presence(tips: Init<sdkws.SubUserOnlineStatusTips>): void {
    this.send({ reqIdentifier: ReqIdentifier.WsSubUserOnlineStatus, operationID: 'presence', data: pb.sdkws.SubUserOnlineStatusTips.encode(tips) });
  }

  /** A 2002 kick, then close (as the gateway does). */
  kick(): void {
    this.send({ reqIdentifier: ReqIdentifier.KickOnlineMsg, operationID: 'kick' });
    this.ws.close(1000);
  }

  /** Drops the TCP connection without a close frame. */
  drop(): void {
    this.ws.terminate();
  }
}

/** Options of a {@link FakeGateway}. */
export interface FakeGatewayOptions {
  /** Refuse some handshakes (after parsing succeeded). */
  refuse?: (args: HandshakeArgs) => Refusal | undefined;
  /** Accept the TCP connection but never answer the upgrade. */
  silent?: boolean;
}

/** See the module comment. */
export class FakeGateway {
  readonly conns = new Set<FakeConn>();
  readonly received: Received[] = [];
  /** Handshake attempts (parsed arguments or the refusal), in order. */
  readonly attempts: { url: URL; args?: HandshakeArgs; refusal?: Refusal }[] = [];
  /** Message store: conversationID -> messages by seq (index = seq - 1). */
  readonly store = new Map<string, sdkws.MsgData[]>();
  /** Called for every request before the default handling. */
  onRequest: ((r: Received) => HookResult) | undefined;
  refuse: ((args: HandshakeArgs) => Refusal | undefined) | undefined;
  url = '';
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly sockets = new Set<Socket>();
  private readonly waiters: ((c: FakeConn) => void)[] = [];

  constructor(private readonly options: FakeGatewayOptions = {}) {
    this.refuse = options.refuse;
    this.http = createServer((_req, res) => res.writeHead(404).end());
    this.http.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    const { port } = this.http.address() as AddressInfo;
    this.url = `ws://127.0.0.1:${port}/`;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    for (const s of this.sockets) s.destroy();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Resolves with the next accepted connection. */
  nextConn(): Promise<FakeConn> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Appends a message to a conversation, assigning the next seq. */
  append(conversationID: string, fields: Init<sdkws.MsgData> = {}): sdkws.MsgData {
    const list = this.store.get(conversationID) ?? [];
    const msg = pb.sdkws.MsgData.create({ sendID: 'u2', recvID: 'u1', sessionType: 1, contentType: 101, ...fields, seq: list.length + 1 });
    list.push(msg);
    this.store.set(conversationID, list);
    return msg;
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    if (this.options.silent) return;
    const url = new URL(req.url ?? '/', 'http://localhost');
    let args: HandshakeArgs;
    let refusal: Refusal | undefined;
    try {
      args = parseHandshake(url, req.headers);
      refusal = this.refuse?.(args);
    } catch (e) {
      const ce = e instanceof CodeError ? e : new CodeError(500, String(e));
      refusal = { errCode: ce.code, errMsg: ce.message, errDlt: ce.detail };
      this.attempts.push({ url, refusal });
      writeRefusal(socket, refusal);
      return;
    }
    this.attempts.push({ url, args, refusal });
    if (refusal !== undefined && !args.sendResponse) {
      writeRefusal(socket, refusal);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (args.sendResponse) {
        const r = refusal ?? { errCode: 0, errMsg: '' };
        if (refusal !== undefined) {
          // As upstream's handlerError: the text frame, then the TCP close without a close frame (1006).
          ws.send(JSON.stringify({ errCode: r.errCode, errMsg: r.errMsg, errDlt: r.errDlt ?? '' }), () => ws.terminate());
          return;
        }
        ws.send(JSON.stringify({ errCode: r.errCode, errMsg: r.errMsg, errDlt: r.errDlt ?? '' }));
      }
      const conn = new FakeConn(ws, args, url);
      this.conns.add(conn);
      ws.on('close', (code) => {
        conn.closeCode = code;
        this.conns.delete(conn);
      });
      ws.on('ping', (data) => conn.pings.push(data));
      ws.on('message', (data: Buffer, isBinary) => this.onMessage(conn, data, isBinary));
      const w = this.waiters.shift();
      w?.(conn);
    });
  }

  private onMessage(conn: FakeConn, data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      const text = data.toString('utf8');
      conn.texts.push(text);
      const j = JSON.parse(text) as { type?: string; body?: unknown };
      if (j.type === 'ping') conn.ws.send(`{"type":"pong","body":${j.body === undefined ? 'null' : JSON.stringify(j.body)}}`);
      return;
    }
    const envelope = conn.args.gzip ? gunzipFrame(data) : data;
    const req = conn.codec.decodeReq(envelope);
    const r: Received = { conn, req, envelope };
    this.received.push(r);
    const hook = this.onRequest?.(r) ?? 'default';
    if (hook === 'hold') return;
    if (hook !== 'default') {
      conn.send(hook);
      return;
    }
    this.answer(conn, req);
  }

  private answer(conn: FakeConn, req: Req): void {
    const data = req.data ?? new Uint8Array(0);
    switch (req.reqIdentifier) {
      case ReqIdentifier.GetNewestSeq: {
        const maxSeqs: Record<string, number> = {};
        const minSeqs: Record<string, number> = {};
        for (const [conv, list] of this.store) {
          maxSeqs[conv] = list.length;
          minSeqs[conv] = list.length > 0 ? 1 : 0;
        }
        conn.reply(req, { data: pb.sdkws.GetMaxSeqResp.encode({ maxSeqs, minSeqs }) });
        return;
      }
      case ReqIdentifier.PullMsgBySeqList: {
        const q = pb.sdkws.PullMessageBySeqsReq.decode(data);
        const msgs: Record<string, Init<sdkws.PullMsgs>> = {};
        for (const r of q.seqRanges) {
          const list = this.store.get(r.conversationID) ?? [];
          const got = list.filter((m) => m.seq >= r.begin && m.seq <= r.end);
          const prev = msgs[r.conversationID]?.Msgs ?? [];
          msgs[r.conversationID] = { Msgs: [...prev, ...got], isEnd: true, endSeq: list.length };
        }
        conn.reply(req, { data: pb.sdkws.PullMessageBySeqsResp.encode({ msgs }) });
        return;
      }
      case ReqIdentifier.SendMsg: {
        const m = pb.sdkws.MsgData.decode(data);
        conn.reply(req, { data: pb.msg.SendMsgResp.encode({ serverMsgID: `srv-${m.clientMsgID}`, clientMsgID: m.clientMsgID, sendTime: 1_700_000_000_000 }) });
        return;
      }
      case ReqIdentifier.WsSubUserOnlineStatus: {
        const s = pb.sdkws.SubUserOnlineStatus.decode(data);
        conn.reply(req, { data: pb.sdkws.SubUserOnlineStatusTips.encode({ subscribers: s.subscribeUserID.map((userID) => ({ userID, onlinePlatformIDs: [1, 5] })) }) });
        return;
      }
      case ReqIdentifier.WsSetBackgroundStatus:
        conn.reply(req, { data: null });
        return;
      case ReqIdentifier.WsLogoutMsg:
        conn.reply(req, { data: null });
        conn.ws.close(1000);
        return;
      default:
        conn.reply(req);
    }
  }
}

function writeRefusal(socket: Socket, r: Refusal): void {
  const body = JSON.stringify({ errCode: r.errCode, errMsg: r.errMsg, errDlt: r.errDlt ?? '' });
  socket.end(
    `HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
