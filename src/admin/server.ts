import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { AdminFeed, AdminListener } from './feed.js';
import { parseAdminCommand, type AdminMessage } from './schema.js';

/** Options of an {@link AdminServer}. */
export interface AdminServerOptions {
  feed: AdminFeed;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Required on every connection; '' = generate one at start. */
  token: string;
  /** When the port is taken, listen on a free one instead of failing (for the default port). */
  fallbackToFreePort?: boolean;
  /** An admin client with more than this many bytes unsent is closed as too slow. Default 8 MiB. */
  maxBufferedBytes?: number;
  log?: (line: string) => void;
}

/** Close code for an admin client that cannot keep up (RFC 6455 "try again later"). */
const CLOSE_TOO_SLOW = 1013;

const SOCKET_FEED = Symbol('msggw.admin.feed');
const SERVER = Symbol('msggw.admin.server');
type AdminSocket = WebSocket & { [SOCKET_FEED]?: { off: () => void; listener: AdminListener }; [SERVER]?: AdminServer };
const REFUSAL = 'admin token missing or wrong\n';

/**
 * The admin event stream endpoint: a WebSocket server on its own port that checks the admin
 * token on the HTTP request (401 before any upgrade), then subscribes each socket to the
 * {@link AdminFeed} and runs the commands the socket sends.
 */
export class AdminServer {
  readonly token: string;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<AdminSocket>();
  private readonly tokenBytes: Buffer;
  /** The last message serialized, so N sockets cost one JSON.stringify. */
  private lastMsg: AdminMessage | undefined;
  private lastText = '';
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: AdminServerOptions) {
    this.token = opts.token || randomBytes(18).toString('base64url');
    this.tokenBytes = Buffer.from(this.token);
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, clientTracking: false, maxPayload: 64 * 1024 });
    this.http = createServer(this.onRequest);
    this.http.on('upgrade', this.onUpgrade);
  }

  /** Listens; resolves with the bound port. */
  async start(): Promise<number> {
    try {
      await this.listen(this.opts.port);
    } catch (e) {
      if (!(this.opts.fallbackToFreePort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE')) throw e;
      await this.listen(0);
      this.opts.log?.(`admin port ${this.opts.port} is taken; the admin stream listens on ${this.port} instead`);
    }
    return this.port;
  }

  /** The bound port (0 before start). */
  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Admin clients connected now. */
  get clientCount(): number {
    return this.sockets.size;
  }

  /** Closes every admin socket and the listener. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        for (const ws of this.sockets) ws.close(1001, 'server shutdown');
        this.http.close(() => resolve());
        this.http.closeAllConnections();
        setTimeout(() => {
          for (const ws of this.sockets) ws.terminate();
        }, 500).unref();
      });
    }
    return this.closing;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, this.opts.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
  }

  /** The token from `Authorization: Bearer T` or `?token=T`, compared in constant time. */
  private authorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    let given = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (given === undefined) given = new URL(req.url ?? '/', 'http://admin').searchParams.get('token') ?? undefined;
    if (!given) return false;
    const b = Buffer.from(given);
    return b.length === this.tokenBytes.length && timingSafeEqual(b, this.tokenBytes);
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.authorized(req)) {
      refuse(res, 401, REFUSAL);
      return;
    }
    res.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket' });
    res.end('connect with a WebSocket client: this endpoint streams gateway events\n');
  };

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', noop);
    if (this.closing) {
      socket.destroy();
      return;
    }
    if (!this.authorized(req)) {
      socket.end(`HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nContent-Type: text/plain\r\nContent-Length: ${REFUSAL.length}\r\nConnection: close\r\n\r\n${REFUSAL}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws as AdminSocket));
  };

  private accept(ws: AdminSocket): void {
    this.sockets.add(ws);
    const listener: AdminListener = (m) => this.send(ws, m);
    ws.on('message', socketOnMessage);
    ws.on('close', socketOnClose);
    ws.on('error', noop);
    ws[SERVER] = this;
    ws[SOCKET_FEED] = { listener, off: this.opts.feed.subscribe(listener) };
  }

  private send(ws: AdminSocket, m: AdminMessage): void {
    if (ws.readyState !== 1) return;
    if (ws.bufferedAmount > (this.opts.maxBufferedBytes ?? 8 * 1024 * 1024)) {
      ws.close(CLOSE_TOO_SLOW, 'admin client too slow');
      return;
    }
    if (m !== this.lastMsg) {
      this.lastMsg = m;
      this.lastText = JSON.stringify(m);
    }
    ws.send(this.lastText);
  }

  /** @internal */
  received(ws: AdminSocket, data: RawData): void {
    const c = parseAdminCommand(data.toString());
    if (typeof c === 'string') {
      this.send(ws, { type: 'result', id: -1, ok: false, error: c });
      return;
    }
    const sub = ws[SOCKET_FEED];
    this.send(ws, this.opts.feed.command(c, sub?.listener));
  }

  /** @internal */
  gone(ws: AdminSocket): void {
    this.sockets.delete(ws);
    ws[SOCKET_FEED]?.off();
    ws[SOCKET_FEED] = undefined;
  }
}

// Named listeners shared by every admin socket.
function socketOnMessage(this: AdminSocket, data: RawData): void {
  this[SERVER]?.received(this, data);
}

function socketOnClose(this: AdminSocket): void {
  this[SERVER]?.gone(this);
}

function refuse(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': 'Bearer', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function noop(): void {}
