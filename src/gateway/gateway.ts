import type { WebSocket } from 'ws';
import type { Req, Resp } from '../protocol/envelope.js';
import { platformName } from '../protocol/platforms.js';
import type { RpcContext } from '../rpc/context.js';
import { Signal } from '../util/signal.js';
import type { CloseReason } from './conn.js';
import { Connection, type ConnectionOwner } from './connection.js';
import type { GatewayEvent } from './events.js';
import { failureOf } from './dispatcher.js';
import { makeConnID, type HandshakeArgs } from './handshake.js';
import { MultiLoginEnforcer, type TokenReporter } from './login-policy.js';
import { Registry } from './registry.js';
import { Sweeper } from './sweeper.js';
import { WriteScheduler, type WriteStats } from './transport.js';
import { WsServer, type TokenParser } from './ws-server.js';

export { ProtocolViolation } from './connection.js';

/** The token check and kick reports the gateway needs from the auth service. */
export interface AuthPort extends TokenParser, TokenReporter {}

/** Handles decoded requests (the dispatcher); throws ProtocolViolation to close the connection. */
export type RequestHandler = (conn: Connection, req: Req, ctx: RpcContext) => Promise<Resp>;

export interface GatewayOptions {
  listenIP: string;
  port: number;
  maxConnNum: number;
  handshakeTimeoutMs: number;
  maxFrameBytes: number;
  maxInflatedBytes: number;
  /** Frames a connection may owe (and binary frames it may have waiting) before it is closed. */
  writeQueueFrames: number;
  /** Bytes a connection may owe beyond its frame in flight before it is closed. */
  writeQueueBytes: number;
  /** Bytes (received + inflated) one connection's requests may cost per second. */
  inboundBytesPerSec: number;
  readDeadlineMs: number;
  webPingIntervalMs: number;
  multiLoginPolicy: number;
  auth: AuthPort;
  handleRequest: RequestHandler;
  /** Called after a connection is registered (cross-node multi-login check, presence...). */
  onRegistered?: (conn: Connection) => void;
  /** Called after a connection is unregistered (presence subscriptions...). */
  onUnregistered?: (conn: Connection) => void;
  /** Frame counters (metrics). */
  counters?: { frameIn(reqIdentifier: number): void; frameOut(n: number): void };
  log?: (msg: string) => void;
}

/**
 * One gateway: composes the HTTP/upgrade server, the registry, multi-login enforcement, the
 * sweeper and the write flush cycle, and owns every Connection. Holds no process-wide state, so
 * several gateways can run in one process.
 */
export class Gateway implements ConnectionOwner {
  readonly events = new Signal<GatewayEvent>();
  readonly registry: Registry<Connection>;
  readonly multiLogin: MultiLoginEnforcer;
  private readonly scheduler = new WriteScheduler();
  private readonly server: WsServer;
  private readonly sweeper: Sweeper;
  private closed: Promise<void> | undefined;

  constructor(private readonly opts: GatewayOptions) {
    this.registry = new Registry<Connection>(this.events, opts.multiLoginPolicy);
    this.multiLogin = new MultiLoginEnforcer(this.registry, opts.multiLoginPolicy, opts.auth, opts.log);
    this.sweeper = new Sweeper(this.registry, { readDeadlineMs: opts.readDeadlineMs, webPingIntervalMs: opts.webPingIntervalMs });
    this.server = new WsServer({
      listenIP: opts.listenIP,
      port: opts.port,
      maxConnNum: opts.maxConnNum,
      handshakeTimeoutMs: opts.handshakeTimeoutMs,
      maxFrameBytes: opts.maxFrameBytes,
      auth: opts.auth,
      connCount: () => this.registry.connCount,
      onAccept: (ws, args, remote) => this.accept(ws, args, remote),
      events: this.events,
    });
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    const port = await this.server.start();
    this.sweeper.start();
    return port;
  }

  get port(): number {
    return this.server.port;
  }

  get connCount(): number {
    return this.registry.connCount;
  }

  /** Counters of this gateway's coalesced write path. */
  get writeStats(): Readonly<WriteStats> {
    return this.scheduler.stats;
  }

  /** Stops accepting, closes every connection (unregistering each), then the HTTP server. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.server.stopAccepting();
    this.sweeper.close();
    for (const c of [...this.registry.allClients()]) c.close('server shutdown');
    this.closed = this.server.close();
    return this.closed;
  }

  // ---- ConnectionOwner ----

  async handleRequest(conn: Connection, req: Req): Promise<Resp> {
    const started = performance.now();
    // opUserID is the connection's authenticated user, never a field of the request: the services check access against it.
    const ctx: RpcContext = { operationID: req.operationID, opUserID: conn.userID, platform: platformName(conn.platformID), connID: conn.connID };
    const resp = await this.opts.handleRequest(conn, req, ctx);
    const failure = resp.errCode !== 0 ? failureOf(resp) : undefined;
    if (failure) this.opts.log?.(`request ${req.reqIdentifier} of ${conn.userID} (operationID ${req.operationID}): errCode ${failure.errCode} ${failure.errMsg}${failure.errDlt ? `: ${failure.errDlt}` : ''}`);
    if (this.events.active) {
      this.events.emit({
        ...(failure && { errMsg: failure.errMsg, errDlt: failure.errDlt }),
        type: 'request',
        at: Date.now(),
        userID: conn.userID,
        connID: conn.connID,
        reqIdentifier: req.reqIdentifier,
        errCode: resp.errCode,
        ms: performance.now() - started,
      });
    }
    return resp;
  }

  onFrameIn(reqIdentifier: number): void {
    this.opts.counters?.frameIn(reqIdentifier);
  }

  onFrameOut(n: number): void {
    this.opts.counters?.frameOut(n);
  }

  unregister(conn: Connection, reason: CloseReason, detail: string): void {
    this.registry.remove(conn.userID, [conn]);
    this.opts.onUnregistered?.(conn);
    if (this.events.active) {
      this.events.emit({ type: 'disconnect', at: Date.now(), userID: conn.userID, platformID: conn.platformID, connID: conn.connID, reason, detail });
    }
  }

  // ---- connections ----

  private accept(ws: WebSocket, args: HandshakeArgs, remote: { raw: string; remembered: string }): void {
    const conn = new Connection(ws, makeConnID(remote.raw), remote.remembered, args, this, {
      maxInflatedBytes: this.opts.maxInflatedBytes,
      inboxFrames: this.opts.writeQueueFrames,
      writeBounds: { frames: this.opts.writeQueueFrames, bytes: this.opts.writeQueueBytes },
      scheduler: this.scheduler,
      inboundBytesPerSec: this.opts.inboundBytesPerSec,
    });
    if (args.sendResponse) conn.writeText('{"errCode":0,"errMsg":"","errDlt":""}');
    const ctx: RpcContext = { operationID: conn.operationID, opUserID: conn.userID, platform: platformName(conn.platformID), connID: conn.connID };
    this.multiLogin.apply(conn, ctx, 'login');
    this.registry.add(conn);
    if (this.events.active) {
      this.events.emit({
        type: 'connect',
        at: Date.now(),
        userID: conn.userID,
        platformID: conn.platformID,
        connID: conn.connID,
        remoteAddr: conn.remoteAddr,
        sdkType: conn.sdkType,
        gzip: conn.gzip,
      });
    }
    this.opts.onRegistered?.(conn);
  }
}
