/**
 * gzip of whole frames (handshake `compression=gzip`): every binary frame is one gzip
 * stream both ways. gzip bytes differ between implementations (Go's compress/gzip vs zlib),
 * so peers only ever compare decompressed bytes.
 *
 * Decompression is bounded: a frame is at most 51200 bytes on the wire, but a tiny gzip
 * stream can inflate to gigabytes, so the output is capped and exceeding it is an error.
 *
 * Speed: Node's `gzipSync`/`gunzipSync` set up a new zlib context (and its 256 KiB of deflate
 * state, a 16 KiB output chunk and a stream object) for every call, which cost more than the
 * compression of a 100-byte frame itself. Here one deflate and one inflate context per thread
 * are kept and reset between frames (zlib's `deflateReset`/`inflateReset`, which write or
 * expect a fresh gzip header, so every frame stays one complete gzip member): the same zlib,
 * level and output bytes as `gzipSync`, at a fraction of the cost (bench/micro/gzip.ts, and
 * bench/RESULTS.md for the numbers that chose this over fflate). Node exposes a synchronous
 * write on a kept context only through its streams' native handle (`_handle.writeSync`,
 * what `gzipSync` itself drives), so when that handle is missing (a future Node), the
 * one-shot functions are used instead.
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants, createGunzip, createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { DecodeError } from './codec.js';

/** Default cap on a decompressed frame: 1 MiB (far above any legitimate envelope). */
export const DEFAULT_MAX_INFLATED_BYTES = 1 << 20;

/** The native zlib handle behind Node's zlib streams (what `gzipSync` drives). */
interface NativeZlib {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
  close(): void;
  onerror: ((message: string, errno: number, code?: string) => void) | null;
}

/** Output scratch of a context: most frames fit; bigger ones continue in further chunks. */
const SCRATCH_BYTES = 64 * 1024;

/** Thrown by {@link ZlibContext.run} when the output would exceed its cap. */
export class OutputTooLarge extends Error {}

/**
 * One zlib context run synchronously frame after frame. After a zlib error (bad input) the
 * context is dropped and the next frame gets a new one: zlib's state after an error is not
 * worth trusting, and errors are rare.
 */
export class ZlibContext {
  private handle: NativeZlib | undefined;
  private state: Uint32Array | undefined;
  private error: string | undefined;
  private readonly scratch = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

  constructor(private readonly make: () => unknown) {}

  /** Whether Node exposes what a kept context needs (checked once per kind). */
  get supported(): boolean {
    return this.open();
  }

  private open(): boolean {
    if (this.handle) return true;
    const stream = this.make() as { _handle?: Partial<NativeZlib>; _writeState?: unknown };
    const h = stream._handle;
    if (!h || typeof h.writeSync !== 'function' || typeof h.reset !== 'function' || !(stream._writeState instanceof Uint32Array)) return false;
    // Errors are taken here instead of by the stream (which would emit them asynchronously).
    h.onerror = (message: string) => {
      this.error = message;
    };
    this.handle = h as NativeZlib;
    this.state = stream._writeState;
    return true;
  }

  private drop(): void {
    try {
      this.handle?.close();
    } catch {
      // already closed
    }
    this.handle = undefined;
    this.state = undefined;
  }

  /**
   * Runs `input` through the context with Z_FINISH and resets it.
   * @throws OutputTooLarge past `maxOutput` bytes; Error(zlib's message) for bad input.
   */
  run(input: Uint8Array, maxOutput: number): Buffer {
    if (!this.open()) throw new Error('zlib context unavailable');
    const h = this.handle!;
    const st = this.state!;
    const out = this.scratch;
    let chunks: Buffer[] | undefined;
    let total = 0;
    let inOff = 0;
    let inLen = input.length;
    this.error = undefined;
    for (;;) {
      h.writeSync(constants.Z_FINISH, input, inOff, inLen, out, 0, SCRATCH_BYTES);
      if (this.error !== undefined) {
        const why = this.error;
        this.drop();
        throw new Error(why);
      }
      const availOut = st[0]!;
      const availIn = st[1]!;
      const have = SCRATCH_BYTES - availOut;
      total += have;
      if (total > maxOutput) {
        this.drop();
        throw new OutputTooLarge();
      }
      if (availOut !== 0) {
        h.reset();
        if (!chunks) {
          const result = Buffer.allocUnsafe(have);
          out.copy(result, 0, 0, have);
          return result;
        }
        chunks.push(Buffer.from(out.subarray(0, have)));
        return Buffer.concat(chunks, total);
      }
      (chunks ??= []).push(Buffer.from(out));
      inOff += inLen - availIn;
      inLen = availIn;
    }
  }
}

const deflater = new ZlibContext(() => createGzip());
const inflater = new ZlibContext(() => createGunzip());
const kept = deflater.supported && inflater.supported;

/** Compresses one frame (zlib's default level, like Go's `gzip.NewWriter`). */
export function gzipFrame(bytes: Uint8Array): Buffer {
  return kept ? deflater.run(bytes, bufferConstants.MAX_LENGTH) : gzipSync(bytes);
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
  const cap = Math.min(maxOutputBytes, bufferConstants.MAX_LENGTH);
  try {
    // Node caps maxOutputLength at its own buffer limit; stay within it.
    return kept ? inflater.run(bytes, cap) : gunzipSync(bytes, { maxOutputLength: cap });
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (e instanceof OutputTooLarge || code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DecodeError(`gzip: frame inflates beyond ${maxOutputBytes} bytes`, { cause: e }, 'too large');
    }
    const why = e instanceof Error ? e.message : String(e);
    throw new DecodeError(`gzip: invalid frame: ${why}`, { cause: e }, 'gzip');
  }
}
