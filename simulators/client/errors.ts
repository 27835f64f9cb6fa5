/**
 * Errors of the simulated client. Each carries a stable string `code` (our own, for CLI output
 * and counters); handshake and reply errors also carry OpenIM's numeric `errCode`.
 */

/** Our string codes for client-side failures. */
export const ClientErrorCode = {
  HandshakeFailed: 'HANDSHAKE_FAILED',
  RequestTimeout: 'REQUEST_TIMEOUT',
  ConnectionClosed: 'CONNECTION_CLOSED',
  NotConnected: 'NOT_CONNECTED',
  ResponseError: 'RESPONSE_ERROR',
  /** Too many requests already wait for a reconnect. */
  QueueFull: 'QUEUE_FULL',
} as const;

/** One of {@link ClientErrorCode}'s values. */
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** Base class: every error the client raises is one of these. */
export class ClientError extends Error {
  constructor(
    readonly code: ClientErrorCodeValue,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * How a handshake failed:
 * - `http`: the gateway refused the upgrade with an HTTP answer (OpenIM: 200 + JSON body);
 * - `text`: `isMsgResp` mode, the first text frame carried a non-zero errCode;
 * - `network`: socket error before the upgrade completed;
 * - `timeout`: no answer within the handshake timeout;
 * - `closed`: the socket closed before the handshake result arrived (or `close()` was called).
 */
export type HandshakeFailureKind = 'http' | 'text' | 'network' | 'timeout' | 'closed';

/** A failed handshake; `errCode`/`errMsg`/`errDlt` are the gateway's answer (0/'' when it gave none). */
export class HandshakeError extends ClientError {
  override readonly name = 'HandshakeError';
  constructor(
    readonly kind: HandshakeFailureKind,
    readonly errCode: number,
    readonly errMsg: string,
    readonly errDlt: string,
    /** HTTP status of a refused upgrade (`kind` `http`). */
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(ClientErrorCode.HandshakeFailed, describeHandshake(kind, errCode, errMsg, errDlt, httpStatus), options);
  }
}

function describeHandshake(kind: HandshakeFailureKind, errCode: number, errMsg: string, errDlt: string, httpStatus?: number): string {
  const parts = [`handshake failed (${kind})`];
  if (httpStatus !== undefined) parts.push(`HTTP ${httpStatus}`);
  if (errCode !== 0) parts.push(`errCode ${errCode}`);
  if (errMsg) parts.push(errMsg);
  if (errDlt) parts.push(errDlt);
  return parts.join(': ');
}

/**
 * What to do about a failed handshake, for a person at `msggw client`: where it tried, what the
 * failure most likely means, and the flag that fixes it. Undefined when there is nothing to add.
 */
export function handshakeAdvice(e: unknown, url: string): string | undefined {
  if (!(e instanceof HandshakeError)) return undefined;
  const errno = /\b(E[A-Z]{4,})\b/.exec(`${e.errMsg} ${e.message}`)?.[1];
  if (e.kind === 'network') {
    const what = errno === 'ECONNREFUSED' ? 'nothing listens there' : errno === 'ENOTFOUND' || errno === 'EAI_AGAIN' ? 'the host name does not resolve' : errno ?? 'the connection failed';
    return `could not reach ${url} (${what}): is msggw serve (or the gateway) running? Its banner prints the websocket address; pass it with --url`;
  }
  if (e.kind === 'timeout') return `${url} did not answer the upgrade in time: is it an OpenIM gateway, and not overloaded?`;
  if (e.errCode === 1503) return 'the token does not verify: wrong secret? Pass the gateway\'s --secret (or a token it issued: --token, --api)';
  if (e.errCode === 1501) return 'the token expired: mint a fresh one (leave --token out, or msggw token)';
  if (e.errCode === 1507) return 'the server only accepts tokens it issued (serve --strict-tokens, a real OpenIM): use --api URL to get one';
  return undefined;
}

/** No reply with the request's msgIncr arrived in time. */
export class RequestTimeoutError extends ClientError {
  override readonly name = 'RequestTimeoutError';
  constructor(
    readonly reqIdentifier: number,
    readonly msgIncr: string,
    readonly timeoutMs: number,
  ) {
    super(ClientErrorCode.RequestTimeout, `request ${reqIdentifier} (${msgIncr}) timed out after ${timeoutMs} ms`);
  }
}

/** The connection closed while a request waited, or a request was made without a connection. */
export class ConnectionClosedError extends ClientError {
  override readonly name = 'ConnectionClosedError';
  constructor(
    message: string,
    /** WebSocket close code, when the connection had one. */
    readonly closeCode?: number,
    notConnected = false,
  ) {
    super(notConnected ? ClientErrorCode.NotConnected : ClientErrorCode.ConnectionClosed, message);
  }
}

/** A typed helper got a reply with a non-zero errCode (`request()` itself resolves with such replies). */
export class ResponseError extends ClientError {
  override readonly name = 'ResponseError';
  constructor(
    readonly reqIdentifier: number,
    readonly errCode: number,
    readonly errMsg: string,
  ) {
    super(ClientErrorCode.ResponseError, `request ${reqIdentifier} failed: errCode ${errCode}${errMsg ? `: ${errMsg}` : ''}`);
  }
}

/** OpenIM's token error codes (1501..1507): a handshake refused with one will not succeed on retry. */
export function isTokenErrCode(errCode: number): boolean {
  return errCode >= 1501 && errCode <= 1507;
}
