import type { Resp } from '../protocol/envelope.js';
import type { SharedFrame } from './frames.js';

/**
 * Why a connection ended: shown in logs and events, and the `reason` label of
 * `msggw_disconnects_total`. Each value is asserted by test/e2e/close-reasons.test.ts.
 */
export const CLOSE_REASONS = [
  'peer closed',
  'socket error',
  'read deadline exceeded',
  'websocket write buffer full',
  'inbound queue full',
  'frame too large',
  'undecodable frame',
  'bad gzip',
  'sendID mismatch',
  'unknown reqIdentifier',
  'bad text frame',
  'ping flood',
  'kicked',
  'logout',
  'server shutdown',
] as const;

export type CloseReason = (typeof CLOSE_REASONS)[number];

/**
 * One client connection as everything outside the gateway's read loop sees it (hub, presence,
 * admin, metrics): who it is, and how to write to it or end it. Implemented by `Connection`.
 */
export interface Conn {
  readonly userID: string;
  readonly platformID: number;
  readonly connID: string;
  readonly token: string;
  readonly operationID: string;
  readonly sdkType: 'go' | 'js';
  readonly gzip: boolean;
  readonly sdkVersion: string;
  readonly remoteAddr: string;
  readonly connectedAt: number;
  /** (codec, gzip) variant 0..3: connections of one variant can share an encoded frame (see frames.ts). */
  readonly variant: number;
  /** Set by the 2004 request (iOS in background gets no pushes). */
  readonly background: boolean;
  readonly closed: boolean;
  /** Frames handed to the socket and not yet written to the kernel. */
  readonly queueDepth: number;
  /** User IDs this connection watches (2005); empty for most connections. */
  readonly subscriptions: ReadonlySet<string>;
  /** Encodes and queues one envelope; false when the connection is (or was just) closed. */
  send(resp: Resp): boolean;
  /** Queues an already encoded frame of this connection's variant (shared between connections). */
  write(frame: SharedFrame): boolean;
  /** Sends the 2002 kick frame, then closes; `why` says who kicked. */
  kick(why: string): void;
  close(reason: CloseReason, detail?: string): void;
  /** Drops the TCP connection without a close frame (the TUI's "abrupt disconnect"). */
  terminate(): void;
}
