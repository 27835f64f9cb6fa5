import type { CloseReason } from './client.js';

/** What the gateway reports to observers (metrics, the admin stream, the TUI). */
export type GatewayEvent =
  | { type: 'connect'; at: number; userID: string; platformID: number; connID: string; remoteAddr: string; sdkType: 'go' | 'js'; gzip: boolean }
  | { type: 'disconnect'; at: number; userID: string; platformID: number; connID: string; reason: CloseReason; detail: string }
  | { type: 'kick'; at: number; userID: string; platformID: number; connID: string; policy: number; cause: 'login' | 'remote-login' | 'hub' }
  | { type: 'handshake-fail'; at: number; code: number; message: string; detail: string; remoteAddr: string }
  | { type: 'request'; at: number; userID: string; connID: string; reqIdentifier: number; errCode: number; ms: number }
  | { type: 'push'; at: number; userIDs: number; delivered: number; codes: Record<string, number> }
  | { type: 'presence'; at: number; userID: string; platformIDs: number[]; subscribers: number };
