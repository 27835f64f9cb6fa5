import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CodeError, errs } from '../protocol/errors.js';
import { goJsonString } from '../protocol/json.js';
import { platformName } from '../protocol/platforms.js';
import type { RpcContext } from '../rpc/context.js';
import type { Signal } from '../util/signal.js';
import type { GatewayEvent } from './events.js';
import { parseHandshake, remoteAddrOf, type HandshakeArgs } from './handshake.js';

/** The token check the handshake needs from the auth service. */
export interface TokenParser {
  parseToken(token: string, ctx: RpcContext): Promise<{ userID: string; platformID: number }>;
}

export interface WsServerOptions {
  listenIP: string;
  port: number;
  maxConnNum: number;
  /** Bounds the whole handshake: the HTTP request's headers and the token check. */
  handshakeTimeoutMs: number;
  maxFrameBytes: number;
  auth: TokenParser;
  /** Connections open now (the max-conn check adds the handshakes under way). */
  connCount: () => number;
  /** A handshake passed: the WebSocket is open. */
  onAccept: (ws: WebSocket, args: HandshakeArgs, remote: { raw: string; remembered: string }) => void;
  /** Where handshake failures are reported. */
  events?: Signal<GatewayEvent>;
}

/**
 * The HTTP side of the long-connection server, and nothing else: authenticates on the upgrade
 * request (before any WebSocket exists), with upstream's checks in upstream's order, and hands
 * an accepted WebSocket to `onAccept`.
 */
export class WsServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private handshaking = 0;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly opts: WsServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: opts.maxFrameBytes,
      // Connections are counted in the registry; ws's own Set would be a second copy.
      clientTracking: false,
    });
    const t = Math.max(1, opts.handshakeTimeoutMs);
    this.http = createServer({
      // A client that trickles its request headers (slowloris) is held by the handshake
      // timeout, not Node's default headersTimeout (60 s) checked every 30 s.
      headersTimeout: t,
      requestTimeout: t,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(t / 4))),
    }, this.onHttpRequest);
    this.http.on('upgrade', this.onUpgrade);
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, this.opts.listenIP, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Refuses new handshakes from now on (shutdown in progress). */
  stopAccepting(): void {
    this.closing = true;
  }

  /** Stops accepting and closes the HTTP server and its sockets. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    this.closed = new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    return this.closed;
  }

  private readonly onHttpRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A plain GET (no upgrade) gets the same checks, then the failure a WebSocket library gives.
    void this.handshake(req).then(
      () => {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Bad Request: this endpoint only accepts WebSocket upgrades\n');
      },
      (e: unknown) => {
        const body = errorBody(e instanceof AuthRefusal ? e.cause : e);
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      },
    );
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', ignore);
    this.handshaking++;
    this.handshake(req)
      .then(
        (args) => this.accept(req, socket, head, args),
        (e: unknown) => this.reject(req, socket, head, e),
      )
      .finally(() => this.handshaking--);
  };

  /** Every check of PROTOCOL.md section 2, in upstream's order. */
  private async handshake(req: IncomingMessage): Promise<HandshakeArgs> {
    if (this.closing) throw errs.connOverMaxNum('server is shutting down');
    if (this.opts.connCount() + this.handshaking > this.opts.maxConnNum) throw errs.connOverMaxNum('over max conn num limit');
    const url = new URL(req.url ?? '/', 'http://gateway');
    const args = parseHandshake(url, req.headers);
    try {
      await this.authenticate(args);
    } catch (e) {
      throw new AuthRefusal(e, args);
    }
    return args;
  }

  /** The token check and upstream's validateRespWithRequest: the token must be this user's, on this platform. */
  private async authenticate(args: HandshakeArgs): Promise<void> {
    const ctx: RpcContext = { operationID: args.operationID, opUserID: args.userID, platform: platformName(args.platformID) };
    const claims = await withTimeout(this.opts.auth.parseToken(args.token, ctx), this.opts.handshakeTimeoutMs);
    if (claims.userID !== args.userID) throw errs.tokenInvalid(`token uid ${claims.userID} != userID ${args.userID}`);
    if (claims.platformID !== args.platformID) throw errs.tokenInvalid(`token platform ${claims.platformID} != platformID ${args.platformID}`);
  }

  private reject(req: IncomingMessage, socket: Duplex, head: Buffer, refusal: unknown): void {
    const args = refusal instanceof AuthRefusal ? refusal.args : undefined;
    const e = refusal instanceof AuthRefusal ? refusal.cause : refusal;
    const body = errorBody(e);
    const code = e instanceof CodeError ? e.code : 500;
    const events = this.opts.events;
    if (events?.active) {
      events.emit({
        type: 'handshake-fail',
        at: Date.now(),
        code,
        message: e instanceof Error ? e.message : String(e),
        detail: e instanceof CodeError ? e.detail : '',
        remoteAddr: remoteAddrOf(req).remembered,
      });
    }
    // Upstream's handlerError (v3.8.3-patch.13 and later, main): once the arguments parsed, a
    // client that asked for isMsgResp gets the error as a text frame after the upgrade (a browser
    // cannot read a refused upgrade's body), then the TCP connection is closed without a close
    // frame (gorilla's Conn.Close), so the peer sees 1006. Argument errors (args unknown) stay HTTP.
    if (args?.sendResponse && !this.closing && isUpgrade(req)) {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(body, () => ws.terminate());
        // Bounded whatever the peer does: a write that never completes still ends the socket.
        setTimeout(() => ws.terminate(), 2000).unref();
      });
      return;
    }
    if (!socket.writable) return;
    socket.end(
      `HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, args: HandshakeArgs): void {
    if (!socket.writable || this.closing) {
      socket.destroy();
      return;
    }
    const remote = remoteAddrOf(req);
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.opts.onAccept(ws, args, remote));
  }
}

/** A failure after the arguments parsed (token check, user/platform mismatch): isMsgResp applies to it. */
class AuthRefusal extends Error {
  constructor(
    override readonly cause: unknown,
    readonly args: HandshakeArgs,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/**
 * The JSON upstream's apiresp.ParseError makes of an error, byte for byte as Go's encoding/json
 * writes it: a CodeError keeps code, message and detail (errDlt is the detail only, empty when
 * there is none); anything else is 500 ServerInternalError with the error's text as errDlt.
 */
export function errorBody(e: unknown): string {
  const ce = e instanceof CodeError ? e : errs.internal(e instanceof Error ? e.message : String(e));
  return `{"errCode":${ce.code},"errMsg":${goJsonString(ce.message)},"errDlt":${goJsonString(ce.detail)}}`;
}

function isUpgrade(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(errs.internal(`auth did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

function ignore(): void {}
