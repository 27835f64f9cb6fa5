import type { Req, Resp } from './envelope.js';

/**
 * What was wrong with a frame, a stable code the gateway maps to a close reason (never the message):
 * - `gzip`: not a complete, valid gzip stream;
 * - `too large`: it inflates beyond the cap;
 * - `envelope`: the gob/JSON envelope cannot be decoded.
 */
export type DecodeErrorKind = 'gzip' | 'too large' | 'envelope';

/** Thrown by every decoder for input it cannot accept; never another kind of error. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';

  constructor(
    message: string,
    options?: { cause?: unknown },
    readonly kind: DecodeErrorKind = 'envelope',
  ) {
    super(message, options);
  }
}

/**
 * One envelope encoding (sdkType `go` = gob, `js` = JSON). Pure: bytes in, values out.
 * Encoders return a Buffer so the gateway can hand it to `ws` without a copy.
 */
export interface EnvelopeCodec {
  readonly name: 'gob' | 'json';
  encodeReq(req: Req): Buffer;
  decodeReq(bytes: Uint8Array): Req;
  encodeResp(resp: Resp): Buffer;
  decodeResp(bytes: Uint8Array): Resp;
}
