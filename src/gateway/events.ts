import type { CloseReason } from './conn.js';

/** What the gateway reports to observers (metrics, the admin stream, the TUI). */
export type GatewayEvent =
  | { type: 'connect'; at: number; userID: string; platformID: number; connID: string; remoteAddr: string; sdkType: 'go' | 'js'; gzip: boolean }
  | { type: 'disconnect'; at: number; userID: string; platformID: number; connID: string; reason: CloseReason; detail: string }
  | { type: 'kick'; at: number; userID: string; platformID: number; connID: string; policy: number; cause: 'login' | 'remote-login' | 'hub' }
  | { type: 'handshake-fail'; at: number; code: number; message: string; detail: string; remoteAddr: string }
  | {
      type: 'request';
      at: number;
      userID: string;
      connID: string;
      reqIdentifier: number;
      errCode: number;
      ms: number;
      /** On an error reply: its errMsg, and the developer detail the reply leaves out (unless --verbose-errors). */
      errMsg?: string;
      errDlt?: string;
    }
  | {
      type: 'push';
      at: number;
      /** Users the push named. */
      userIDs: number;
      /** Connections that got the frame. */
      delivered: number;
      /** Per-connection results by OpenIM code (0 delivered, 1603 write failed, 1604 iOS background). */
      codes: Record<string, number>;
      /** The first users that had a connection here. */
      reached?: string[];
      /** Who sent what to whom. */
      msg?: { sendID: string; recvID: string; groupID: string; sessionType: number; contentType: number; seq: number };
    }
  | {
      /** A hub push refused (queue full) or cut short (deadline): its undelivered users were answered 1603, not dropped silently. */
      type: 'push-dropped';
      at: number;
      reason: 'queue_full' | 'deadline';
      /** Users the push named. */
      userIDs: number;
      /** Users it did not reach. */
      undeliveredUsers: number;
      /** Connections here that got no frame because of it. */
      undeliveredConns: number;
      /** How long it waited for a turn, ms. */
      waitedMs: number;
      msg?: { sendID: string; recvID: string; groupID: string; sessionType: number; contentType: number; seq: number };
    }
  | { type: 'presence'; at: number; userID: string; platformIDs: number[]; subscribers: number }
  /** A REST API call served beside the node (the simulators' openim-api), reported through the node so watchers see it. */
  | ApiCallEvent;

/** One finished REST API call: path, calling user ('' before the token check), OpenIM errCode, duration. */
export interface ApiCallEvent {
  type: 'api';
  at: number;
  path: string;
  userID: string;
  errCode: number;
  ms: number;
}
