import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { getCodec } from '../protocol/codecs.js';
import { CodeError, errs } from '../protocol/errors.js';
import type { Req, Resp } from '../protocol/envelope.js';
import { platformName } from '../protocol/platforms.js';
import type { RpcContext } from '../rpc/context.js';
import { Signal } from '../util/signal.js';
import { Client, type ClientOwner, type CloseReason } from './client.js';
export { ProtocolViolation } from './client.js';
import type { GatewayEvent } from './events.js';
import { makeConnID, parseHandshake, remoteAddrOf, type HandshakeArgs } from './handshake.js';
import { sessionsToKick } from './multi-login.js';
import { UserMap } from './user-map.js';

/** The token check and kick reports the gateway needs from the auth service. */
export interface AuthPort {
  parseToken(token: string, ctx: RpcContext): Promise<{ userID: string; platformID: number }>;
  kickTokens(tokens: string[], ctx: RpcContext): Promise<void>;
  invalidateToken(req: { preservedToken: string; userID: string; platformID: number }, ctx: RpcContext): Promise<void>;
}

/** Handles decoded requests (the dispatcher); throws ProtocolViolation to close the connection. */
export type RequestHandler = (client: Client, req: Req, ctx: RpcContext) => Promise<Resp>;

export interface WsGatewayOptions {
  listenIP: string;
  port: number;
  maxConnNum: number;
  handshakeTimeoutMs: number;
  maxFrameBytes: number;
  maxInflatedBytes: number;
  writeQueueFrames: number;
  readDeadlineMs: number;
  webPingIntervalMs: number;
  multiLoginPolicy: number;
  auth: AuthPort;
  handleRequest: RequestHandler;
  /** Called after a connection is registered (cross-node multi-login check, presence...). */
  onRegistered?: (client: Client) => void;
  /** Called after a connection is unregistered (presence subscriptions...). */
  onUnregistered?: (client: Client) => void;
  /** Frame counters (metrics). */
  counters?: { frameIn(reqIdentifier: number): void; frameOut(n: number): void };
  log?: (msg: string) => void;
}

/**
 * The long-connection server: authenticates on the HTTP upgrade request (before any WebSocket
 * exists), applies the multi-login policy, and owns every Client.
 */
export class WsGateway implements ClientOwner {
  readonly users = new UserMap();
  readonly events = new Signal<GatewayEvent>();
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private sweeper: NodeJS.Timeout | undefined;
  private handshaking = 0;
  private closing = false;
  private closed: Promise<void> | undefined;

  constructor(private readonly opts: WsGatewayOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false,
      maxPayload: opts.maxFrameBytes,
      // Our clients are counted in the UserMap; ws's own Set would be a second copy.
      clientTracking: false,
    });
    this.http = createServer(this.onHttpRequest);
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
    const tick = Math.max(10, Math.min(1000, Math.floor(this.opts.readDeadlineMs / 3)));
    this.sweeper = setInterval(this.sweep, tick);
    this.sweeper.unref();
    return this.port;
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? 0;
  }

  get connCount(): number {
    return this.users.connCount;
  }

  /** Stops accepting, closes every connection (unregistering each), then the HTTP server. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const c of [...this.users.allClients()]) c.close('server shutdown');
    this.closed = new Promise((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    return this.closed;
  }

  // ---- ClientOwner ----

  async handleRequest(client: Client, req: Req): Promise<Resp | undefined> {
    const started = performance.now();
    const ctx: RpcContext = {
      operationID: req.operationID,
      // The connection's authenticated user, never a field of the request (the services check access against it).
      opUserID: client.userID,
      platform: platformName(client.platformID),
      connID: client.connID,
    };
    const resp = await this.opts.handleRequest(client, req, ctx);
    if (this.events.active) {
      this.events.emit({
        type: 'request',
        at: Date.now(),
        userID: client.userID,
        connID: client.connID,
        reqIdentifier: req.reqIdentifier,
        errCode: resp.errCode,
        ms: performance.now() - started,
      });
    }
    return resp;
  }

  onFrameIn(_client: Client, reqIdentifier: number): void {
    this.opts.counters?.frameIn(reqIdentifier);
  }

  onFrameOut(_client: Client, n: number): void {
    this.opts.counters?.frameOut(n);
  }

  unregister(client: Client, reason: CloseReason, detail: string): void {
    this.users.remove(client.userID, [client]);
    this.opts.onUnregistered?.(client);
    if (this.events.active) {
      this.events.emit({
        type: 'disconnect',
        at: Date.now(),
        userID: client.userID,
        platformID: client.platformID,
        connID: client.connID,
        reason,
        detail,
      });
    }
  }

  /**
   * Applies the multi-login policy for a login of (userID, platformID, token), here or on
   * another node; kicks what it says and reports the tokens to auth. Returns the kicked clients.
   */
  applyMultiLogin(
    login: { userID: string; platformID: number; token: string },
    ctx: RpcContext,
    cause: 'login' | 'remote-login',
  ): Client[] {
    const existing = [...this.users.getAll(login.userID)];
    const { kick, report } = sessionsToKick(this.opts.multiLoginPolicy, existing, login);
    if (kick.length === 0) return kick;
    this.users.remove(login.userID, kick);
    for (const c of kick) {
      // The kick event goes first: observers then see "kick" before the "disconnect" it causes.
      if (this.events.active) {
        this.events.emit({ type: 'kick', at: Date.now(), userID: c.userID, platformID: c.platformID, connID: c.connID, policy: this.opts.multiLoginPolicy, cause });
      }
      c.kick(cause === 'login' ? 'kicked by a new login on this node' : 'kicked by a login on another node');
    }
    const log = (e: unknown) => this.opts.log?.(`kick report to auth failed: ${(e as Error).message}`);
    if (report === 'kickTokens') {
      this.opts.auth.kickTokens(kick.map((c) => c.token), ctx).catch(log);
    } else if (report === 'invalidateToken') {
      this.opts.auth.invalidateToken({ preservedToken: login.token, userID: login.userID, platformID: login.platformID }, ctx).catch(log);
    }
    return kick;
  }

  /** Kicks a user's connections on one platform (hub KickUserOffline). Returns how many. */
  kickPlatform(userID: string, platformID: number): number {
    const clients = this.users.getPlatform(userID, platformID);
    if (clients.length === 0) return 0;
    this.users.remove(userID, clients);
    for (const c of clients) {
      if (this.events.active) {
        this.events.emit({ type: 'kick', at: Date.now(), userID, platformID, connID: c.connID, policy: this.opts.multiLoginPolicy, cause: 'hub' });
      }
      c.kick('kicked through the hub (KickUserOffline)');
    }
    return clients.length;
  }

  // ---- HTTP ----

  private readonly onHttpRequest = (req: IncomingMessage, res: ServerResponse): void => {
    // A plain GET (no upgrade) gets the same checks, then the failure a WebSocket library gives.
    void this.handshake(req).then(
      () => {
        res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Bad Request: this endpoint only accepts WebSocket upgrades\n');
      },
      (e: unknown) => {
        const body = errorBody(e);
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
    if (this.users.connCount + this.handshaking > this.opts.maxConnNum) throw errs.connOverMaxNum('over max conn num limit');
    const url = new URL(req.url ?? '/', 'http://gateway');
    const args = parseHandshake(url, req.headers);
    const ctx: RpcContext = { operationID: args.operationID, opUserID: args.userID, platform: platformName(args.platformID) };
    let claims: { userID: string; platformID: number };
    try {
      claims = await withTimeout(this.opts.auth.parseToken(args.token, ctx), this.opts.handshakeTimeoutMs);
    } catch (e) {
      (e as { args?: HandshakeArgs }).args = args; // lets reject() honour isMsgResp for token errors
      throw e;
    }
    if (claims.userID !== args.userID) throw errs.tokenInvalid(`token uid ${claims.userID} != userID ${args.userID}`);
    if (claims.platformID !== args.platformID) throw errs.tokenInvalid(`token platform ${claims.platformID} != platformID ${args.platformID}`);
    return args;
  }

  private reject(req: IncomingMessage, socket: Duplex, head: Buffer, e: unknown): void {
    const body = errorBody(e);
    const code = e instanceof CodeError ? e.code : 500;
    if (this.events.active) {
      this.events.emit({
        type: 'handshake-fail',
        at: Date.now(),
        code,
        message: e instanceof Error ? e.message : String(e),
        detail: e instanceof CodeError ? e.detail : '',
        remoteAddr: remoteAddrOf(req).remembered,
      });
    }
    const args = (e as { args?: HandshakeArgs } | undefined)?.args;
    // Upstream reports token errors as a text frame when the client asked for it (isMsgResp).
    if (args?.sendResponse && !this.closing && isUpgrade(req)) {
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        ws.send(body, () => ws.close(1000));
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
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (args.sendResponse) ws.send('{"errCode":0,"errMsg":"","errDlt":""}');
      const client = new Client(
        ws,
        makeConnID(remote.raw),
        remote.remembered,
        args,
        getCodec(args.sdkType === 'js' ? 'json' : 'gob', 'server'),
        this,
        { maxFrameBytes: this.opts.maxFrameBytes, writeQueueFrames: this.opts.writeQueueFrames, maxInflatedBytes: this.opts.maxInflatedBytes },
      );
      this.register(client);
    });
  }

  private register(client: Client): void {
    const ctx: RpcContext = { operationID: client.operationID, opUserID: client.userID, platform: platformName(client.platformID), connID: client.connID };
    this.applyMultiLogin(client, ctx, 'login');
    this.users.add(client);
    if (this.events.active) {
      this.events.emit({
        type: 'connect',
        at: Date.now(),
        userID: client.userID,
        platformID: client.platformID,
        connID: client.connID,
        remoteAddr: client.remoteAddr,
        sdkType: client.sdkType,
        gzip: client.gzip,
      });
    }
    this.opts.onRegistered?.(client);
  }

  /** Read deadlines and Web heartbeats for every connection, on one timer rather than one per connection. */
  private readonly sweep = (): void => {
    const now = Date.now();
    const deadline = now - this.opts.readDeadlineMs;
    const pingBefore = now - this.opts.webPingIntervalMs;
    // Walk the live map without copying it (this runs every tick over every connection); only
    // the few connections to close are collected, since closing edits the map.
    let expired: Client[] | undefined;
    for (const c of this.users.allClients()) {
      if (c.lastSeen < deadline) (expired ??= []).push(c);
      else if (c.platformID === 5 && c.lastPing <= pingBefore) c.ping();
    }
    if (expired) for (const c of expired) c.close('read deadline exceeded', `no frame for ${now - c.lastSeen} ms`);
  };
}

/** The JSON body upstream's apiresp writes for an error. */
export function errorBody(e: unknown): string {
  if (e instanceof CodeError) {
    return JSON.stringify({ errCode: e.code, errMsg: e.message, errDlt: e.detail || e.message });
  }
  return JSON.stringify({ errCode: 500, errMsg: e instanceof Error ? e.message : String(e), errDlt: '' });
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
