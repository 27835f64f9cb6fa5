/**
 * Outgoing binary frames: which (codec, gzip) variant a connection speaks, encoding an envelope
 * once per variant for everyone who gets the same bytes (push fan-out, 2005 notifications), and
 * the WebSocket framing of such a shared payload built once.
 */
import type { EnvelopeCodec } from '../protocol/codec.js';
import { codecFor, type SdkType } from '../protocol/codecs.js';
import type { Resp } from '../protocol/envelope.js';
import { gzipFrame } from '../protocol/gzip.js';

/** 0: gob, 1: gob+gzip, 2: json, 3: json+gzip. */
export function frameVariant(sdkType: SdkType, gzip: boolean): number {
  return (sdkType === 'js' ? 2 : 0) + (gzip ? 1 : 0);
}

const variantCodecs: readonly EnvelopeCodec[] = [codecFor('go', 'server'), codecFor('go', 'server'), codecFor('js', 'server'), codecFor('js', 'server')];

/** Encodes (and gzips) one envelope as connections of `variant` expect it. */
export function encodeVariant(variant: number, resp: Resp): Buffer {
  const raw = variantCodecs[variant]!.encodeResp(resp);
  return variant & 1 ? gzipFrame(raw) : raw;
}

/** Shared payloads up to this size get their whole frame (header + payload) built once; bigger ones are not copied. */
const CONCAT_MAX_BYTES = 64 * 1024;

/**
 * One encoded payload sent to many connections. The first send goes out as header + payload
 * (no copy); from the second on, one buffer holding both is built once and reused, so each
 * further connection costs one socket write of a buffer that already exists.
 */
export class SharedFrame {
  private header: Buffer | undefined;
  private whole: [Buffer] | undefined;

  constructor(readonly payload: Buffer) {}

  /** The wire chunks of this frame: one buffer (header + payload) or two (header, payload). */
  chunks(): Buffer[] {
    if (this.whole) return this.whole;
    if (this.header === undefined) {
      this.header = frameHeader(this.payload.length);
      return [this.header, this.payload];
    }
    if (this.payload.length > CONCAT_MAX_BYTES) return [this.header, this.payload];
    this.whole = [Buffer.concat([this.header, this.payload])];
    return this.whole;
  }
}

/**
 * Lazily encoded frames of one envelope, one per variant: the one place that "encode once per
 * (codec, gzip) variant" is written. `stats.encodes` counts the encodes (tests, benchmarks).
 */
export class FrameVariants {
  private readonly frames: (SharedFrame | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(
    private readonly resp: Resp,
    private readonly stats?: { encodes: number },
  ) {}

  for(variant: number): SharedFrame {
    let f = this.frames[variant];
    if (!f) {
      f = this.frames[variant] = new SharedFrame(encodeVariant(variant, this.resp));
      if (this.stats) this.stats.encodes++;
    }
    return f;
  }
}

/** RFC 6455 header of an unmasked final binary frame of `len` bytes. */
export function frameHeader(len: number): Buffer {
  if (len < 126) {
    const h = Buffer.allocUnsafe(2);
    h[0] = 0x82;
    h[1] = len;
    return h;
  }
  if (len < 65_536) {
    const h = Buffer.allocUnsafe(4);
    h[0] = 0x82;
    h[1] = 126;
    h.writeUInt16BE(len, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = 0x82;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
  h.writeUInt32BE(len >>> 0, 6);
  return h;
}
