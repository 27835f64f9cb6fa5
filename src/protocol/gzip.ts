/**
 * gzip of whole frames (handshake `compression=gzip`): every binary frame is one gzip
 * stream both ways. gzip bytes differ between implementations (Go's compress/gzip vs zlib),
 * so peers only ever compare decompressed bytes.
 *
 * Decompression is bounded: a frame is at most 51200 bytes on the wire, but a tiny gzip
 * stream can inflate to gigabytes, so the output is capped and exceeding it is an error.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from './codec.js';

/** Default cap on a decompressed frame: 1 MiB (far above any legitimate envelope). */
export const DEFAULT_MAX_INFLATED_BYTES = 1 << 20;

/** Compresses one frame (zlib's default level, like Go's `gzip.NewWriter`). */
export function gzipFrame(bytes: Uint8Array): Buffer {
  return gzipSync(bytes);
}

/**
 * Decompresses one frame. Concatenated gzip members are accepted (as Go's multistream
 * reader does).
 * @param maxOutputBytes cap on the decompressed size, at least 1 (default {@link DEFAULT_MAX_INFLATED_BYTES}).
 * @throws DecodeError of kind `gzip` for input that is not a complete, valid gzip stream, or of
 *   kind `too large` when it inflates beyond `maxOutputBytes`.
 */
export function gunzipFrame(bytes: Uint8Array, maxOutputBytes: number = DEFAULT_MAX_INFLATED_BYTES): Buffer {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('gzip: input is not bytes', undefined, 'gzip');
  if (!(Number.isSafeInteger(maxOutputBytes) && maxOutputBytes >= 1)) {
    throw new RangeError(`gzip: invalid maxOutputBytes ${maxOutputBytes}`);
  }
  // zlib reports an empty input as a truncated stream anyway; say it plainly.
  if (bytes.length === 0) throw new DecodeError('gzip: empty frame', undefined, 'gzip');
  try {
    // Node caps maxOutputLength at its own buffer limit; stay within it.
    return gunzipSync(bytes, { maxOutputLength: Math.min(maxOutputBytes, bufferConstants.MAX_LENGTH) });
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(`gzip: frame inflates beyond ${maxOutputBytes} bytes`, { cause: e }, 'too large');
    }
    const why = e instanceof Error ? e.message : String(e);
    throw new DecodeError(`gzip: invalid frame: ${why}`, { cause: e }, 'gzip');
  }
}
