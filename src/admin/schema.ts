/**
 * The admin event stream's wire schema: JSON text frames, one message per frame. The server
 * sends {@link AdminMessage}s; the client may send {@link AdminCommand}s and gets one
 * `result` per command. Everything here is plain data so the TUI can consume the same
 * messages from a socket (attach mode) or in-process (embedded mode).
 */
import type { GatewayEvent } from '../gateway/events.js';

/** Bumped when a message changes incompatibly; sent in `hello`. */
export const ADMIN_PROTOCOL_VERSION = 1;

/** Default port of the admin stream (next to the metrics port, 12140). */
export const DEFAULT_ADMIN_PORT = 12141;

/** One long connection as the admin stream describes it. */
export interface ConnInfo {
  connID: string;
  userID: string;
  platformID: number;
  /** `go` = gob envelopes, `js` = JSON envelopes. */
  sdkType: 'go' | 'js';
  gzip: boolean;
  background: boolean;
  remoteAddr: string;
  /** Frames queued to the socket and not yet flushed. */
  queue: number;
  /** Unix ms. */
  connectedAt: number;
  /** Users this connection watches (2005). */
  subs: string[];
}

/** Cumulative counters; take the difference of two `counters` messages for a rate. */
export interface CounterTotals {
  /** Decoded frames received from clients. */
  framesIn: number;
  /** Frames queued to clients. */
  framesOut: number;
  /** Hub push requests handled. */
  pushes: number;
  /** Per-connection push results by OpenIM code (0 delivered, 1603 write failed, 1604 iOS background). */
  pushResults: Record<string, number>;
  /** Successful handshakes seen by this stream's feed (counted only while someone watches). */
  handshakes: number;
  handshakeFailures: number;
  kicks: number;
  disconnects: number;
}

/** Where the node listens, as `hello` reports it (hub and ws let an attached TUI kick and spawn). */
export interface NodeInfo {
  ws?: string;
  hub?: string;
  metrics?: string;
  admin?: string;
  multiLoginPolicy: number;
  listenIP: string;
}

/** What the stream carries besides control messages: gateway events, some enriched. */
export type AdminEvent =
  | (Extract<GatewayEvent, { type: 'connect' }> & { background: boolean })
  | Extract<GatewayEvent, { type: 'disconnect' }>
  | Extract<GatewayEvent, { type: 'kick' }>
  | Extract<GatewayEvent, { type: 'handshake-fail' }>
  | Extract<GatewayEvent, { type: 'request' }>
  | (Extract<GatewayEvent, { type: 'push' }> & { msg?: PushedMsg; reached?: string[] })
  /** A hub push refused (queue full) or cut short by its deadline, with what it did not deliver. */
  | Extract<GatewayEvent, { type: 'push-dropped' }>
  | (Extract<GatewayEvent, { type: 'presence' }> & { watchers?: Watcher[] })
  /** A REST API call (path, user, errCode, ms) served by the simulators' API beside the node. */
  | Extract<GatewayEvent, { type: 'api' }>
  /** An RPC made or served by the node that failed (code != 0). */
  | { type: 'rpc'; at: number; name: string; path: string; code: number; ms: number }
  /** A connection's background flag or subscriptions changed (after a 2004/2005 request). */
  | { type: 'conn-update'; at: number; connID: string; userID: string; background: boolean; subs: string[] };

/** The message a push carried (enough to say who sent what to whom). */
export interface PushedMsg {
  sendID: string;
  recvID: string;
  groupID: string;
  sessionType: number;
  contentType: number;
  seq: number;
}

/** A connection that was told about a presence change. */
export interface Watcher {
  userID: string;
  platformID: number;
  connID: string;
}

/** Everything the server sends. */
export type AdminMessage =
  | { type: 'hello'; version: number; at: number; node: NodeInfo }
  /** The connections at subscribe time, in chunks; the last chunk has `done: true`. */
  | { type: 'snapshot'; at: number; conns: ConnInfo[]; total: number; done: boolean }
  /** Once a second: totals, gauges, and write-queue depths that changed since the last one. */
  | {
      type: 'counters';
      at: number;
      users: number;
      conns: number;
      /** (connection, watched user) pairs. */
      subscriptions: number;
      totals: CounterTotals;
      /** [connID, depth] for connections whose queue depth changed (0 = drained). */
      queues: [string, number][];
    }
  | { type: 'result'; id: number; ok: boolean; count?: number; error?: string }
  | AdminEvent;

/** Commands a client may send. `id` is echoed in the `result`. */
export type AdminCommand =
  /** Kicks a user's connections on one platform, as the hub's KickUserOffline does (2002 then close). */
  | { id: number; cmd: 'kick'; userID: string; platformID: number }
  /** Drops a connection at the TCP level: no close frame (an abrupt disconnect). */
  | { id: number; cmd: 'terminate'; connID: string; userID?: string }
  /** Sends a fresh snapshot to this client. */
  | { id: number; cmd: 'snapshot' };

/** The answer to a command. */
export type AdminResult = Extract<AdminMessage, { type: 'result' }>;

/** Parses and checks a command from a client; returns an error string when it is not one. */
export function parseAdminCommand(text: string): AdminCommand | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!v || typeof v !== 'object') return 'not an object';
  const o = v as Record<string, unknown>;
  if (typeof o.id !== 'number') return 'id must be a number';
  switch (o.cmd) {
    case 'kick':
      if (typeof o.userID !== 'string' || typeof o.platformID !== 'number') return 'kick needs userID (string) and platformID (number)';
      return { id: o.id, cmd: 'kick', userID: o.userID, platformID: o.platformID };
    case 'terminate':
      if (typeof o.connID !== 'string') return 'terminate needs connID (string)';
      return { id: o.id, cmd: 'terminate', connID: o.connID, ...(typeof o.userID === 'string' ? { userID: o.userID } : {}) };
    case 'snapshot':
      return { id: o.id, cmd: 'snapshot' };
    default:
      return `unknown cmd ${JSON.stringify(o.cmd)}`;
  }
}
