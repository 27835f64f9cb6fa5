import type { Req, Resp } from './envelope.js';

/** Thrown by every decoder for input it cannot accept; never another kind of error. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
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
