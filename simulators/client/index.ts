/** The simulated OpenIM client: one import for the sim command, the TUI and tests. */
export {
  OpenIMClient,
  type CatchUpEvent,
  type ClientEvents,
  type ClientObserver,
  type ClientState,
  type ClientStats,
  type CloseEvent,
  type FrameEvent,
  MAX_PULL_SEQS,
  type HeartbeatMode,
  type OpenIMClientOptions,
  type PresenceEvent,
  type PushEvent,
  type ReconnectEvent,
  type ReconnectFailedEvent,
  type ReconnectOptions,
  type RequestOptions,
} from './sdk-client.js';
export { ClientPool, closeReasonKey, summarizeLatencies, type ClientPoolOptions, type LatencySummary, type PoolCounts, type PoolOpenResult } from './pool.js';
export {
  SeqTracker,
  type CatchUpResult,
  type MissingRange,
  type SeqAnomaly,
  type SeqSource,
  type SeqTrackerOptions,
  type SeqTrackerStats,
  type SeqVerdict,
} from './seq-tracker.js';
export {
  ClientError,
  ClientErrorCode,
  ConnectionClosedError,
  HandshakeError,
  isTokenErrCode,
  RequestTimeoutError,
  ResponseError,
  type ClientErrorCodeValue,
  type HandshakeFailureKind,
} from './errors.js';
export { TimerWheel, defaultTimerWheel, type TimerHandle, type TimerWheelOptions } from './timer-wheel.js';
export { buildHandshakeURL, type HandshakeParams } from './handshake-url.js';
export { tokenFor, type TokenOptions } from './token.js';
export { TypedEmitter, type EventMap } from './emitter.js';
export type { CatchUpClient, Reply, RequestResult, SeqRangeInit } from './types.js';
export { clientRequestIdentifiers, decodeData, encodeRequestData, requestShape, type RequestShape } from './requests.js';
