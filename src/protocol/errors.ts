/**
 * OpenIM error codes (PROTOCOL.md section 7) and the CodeError that carries them,
 * on the wire (errCode/errMsg, gRPC status) and inside the gateway.
 */
export const ErrCode = {
  ServerInternalError: 500,
  ArgsError: 1001,
  NoPermissionError: 1002,
  RecordNotFoundError: 1004,
  TokenExpiredError: 1501,
  TokenInvalidError: 1502,
  TokenMalformedError: 1503,
  TokenNotValidYetError: 1504,
  TokenUnknownError: 1505,
  TokenKickedError: 1506,
  TokenNotExistError: 1507,
  ConnOverMaxNumLimit: 1601,
  ConnArgsErr: 1602,
  PushMsgErr: 1603,
  IOSBackgroundPushErr: 1604,
} as const;

export type ErrCodeName = keyof typeof ErrCode;

/** What each code means, for docs and CLI output (a test checks every code is described). */
export const errCodeDescriptions: Record<ErrCodeName, string> = {
  ServerInternalError: 'unexpected server-side failure',
  ArgsError: 'a request argument is missing or invalid (also: gRPC call without operationID)',
  NoPermissionError: 'the caller is not allowed to do this (e.g. not an admin user)',
  RecordNotFoundError: 'the requested record does not exist',
  TokenExpiredError: 'the token has expired',
  TokenInvalidError: 'the token was invalidated, or does not belong to this user/platform',
  TokenMalformedError: 'the token is not a well-formed, correctly signed JWT',
  TokenNotValidYetError: 'the token is not valid yet (nbf in the future)',
  TokenUnknownError: 'the token is in an unknown state',
  TokenKickedError: 'the token was kicked by a newer login',
  TokenNotExistError: 'the token is not known to the auth service',
  ConnOverMaxNumLimit: 'the gateway holds its maximum number of connections',
  ConnArgsErr: 'the WebSocket handshake arguments are invalid',
  PushMsgErr: 'a push could not be written to the connection',
  IOSBackgroundPushErr: 'not pushed: the iOS connection is in the background',
};

const codeNames = new Map<number, ErrCodeName>(
  (Object.entries(ErrCode) as [ErrCodeName, number][]).map(([k, v]) => [v, k]),
);

export function errCodeName(code: number): string {
  return codeNames.get(code) ?? `code ${code}`;
}

/** An error with an OpenIM code; `detail` is the extra text (upstream's `errDlt`/ErrorInfo cause). */
export class CodeError extends Error {
  override readonly name = 'CodeError';
  constructor(
    readonly code: number,
    message: string,
    readonly detail = '',
  ) {
    super(message);
  }

  static is(e: unknown, code?: number): e is CodeError {
    return e instanceof CodeError && (code === undefined || e.code === code);
  }
}

/** Shorthand constructors with upstream's messages (openimsdk/tools errs, open-im-server servererrs). */
export const errs = {
  internal: (detail = '') => new CodeError(ErrCode.ServerInternalError, 'ServerInternalError', detail),
  args: (detail = '') => new CodeError(ErrCode.ArgsError, 'ArgsError', detail),
  noPermission: (detail = '') => new CodeError(ErrCode.NoPermissionError, 'NoPermissionError', detail),
  tokenExpired: (detail = '') => new CodeError(ErrCode.TokenExpiredError, 'TokenExpiredError', detail),
  tokenInvalid: (detail = '') => new CodeError(ErrCode.TokenInvalidError, 'TokenInvalidError', detail),
  tokenMalformed: (detail = '') => new CodeError(ErrCode.TokenMalformedError, 'TokenMalformedError', detail),
  tokenNotValidYet: (detail = '') => new CodeError(ErrCode.TokenNotValidYetError, 'TokenNotValidYetError', detail),
  tokenUnknown: (detail = '') => new CodeError(ErrCode.TokenUnknownError, 'TokenUnknownError', detail),
  tokenKicked: (detail = '') => new CodeError(ErrCode.TokenKickedError, 'TokenKickedError', detail),
  tokenNotExist: (detail = '') => new CodeError(ErrCode.TokenNotExistError, 'TokenNotExistError', detail),
  connOverMaxNum: (detail = '') => new CodeError(ErrCode.ConnOverMaxNumLimit, 'ConnOverMaxNumLimit', detail),
  connArgs: (detail = '') => new CodeError(ErrCode.ConnArgsErr, 'args err, need token, sendID, platformID', detail),
};
