/**
 * Pins of the kept zlib contexts in src/protocol/gzip.ts: the bytes equal Node's one-shot
 * `gzipSync` (the output Go's compress/gzip already read), an independent inflater (fflate)
 * reads them as one complete gzip member, Go-produced gzip inflates, and a frame after a bad
 * one, a huge one or a bomb is still right (a context is never left half-used).
 */
import { randomBytes } from 'node:crypto';
import { gunzipSync as zGunzip, gzipSync as zGzip } from 'node:zlib';
import { gunzipSync as fGunzip, gzipSync as fGzip } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec.js';
import { gunzipFrame, gzipFrame } from '../../../src/protocol/gzip.js';
import { loadVectors } from './helpers.js';

const vectors = loadVectors().vectors;
const sizes = [0, 1, 147, 401, 4096, 65_535, 65_536, 65_537, 200_000];
const payload = (n: number): Buffer => {
  // half random, half repetitive: both literal and match paths of deflate
  const b = Buffer.alloc(n, 'abcdefgh');
  randomBytes(Math.floor(n / 2)).copy(b);
  return b;
};

describe('gzip with kept contexts', () => {
  it('writes the same bytes as gzipSync, frame after frame', () => {
    for (let round = 0; round < 3; round++) {
      for (const n of sizes) {
        const data = payload(n);
        expect(gzipFrame(data).equals(zGzip(data)), `size ${n}`).toBe(true);
      }
    }
  });

  it('every frame is one complete gzip member an independent inflater reads (header, CRC, ISIZE)', () => {
    for (const v of vectors) {
      const gob = Buffer.from(v.gobHex, 'hex');
      const ours = gzipFrame(gob);
      expect(ours.subarray(0, 3).toString('hex')).toBe('1f8b08');
      expect(Buffer.from(fGunzip(ours)).equals(gob)).toBe(true);
      expect(ours.readUInt32LE(ours.length - 4)).toBe(gob.length);
    }
    for (const n of sizes) {
      const data = payload(n);
      expect(Buffer.from(fGunzip(gzipFrame(data))).equals(data), `size ${n}`).toBe(true);
    }
  });

  it('inflates Go-produced gzip and other encoders\' gzip to the same bytes', () => {
    for (const v of vectors) {
      const gob = Buffer.from(v.gobHex, 'hex');
      expect(gunzipFrame(Buffer.from(v.gobGzipBase64, 'base64')).equals(gob)).toBe(true);
      expect(gunzipFrame(fGzip(gob, { level: 9 })).equals(gob)).toBe(true);
    }
    for (const n of sizes) {
      const data = payload(n);
      expect(gunzipFrame(zGzip(data)).equals(data), `size ${n}`).toBe(true);
    }
  });

  it('recovers after bad input, a bomb and a frame over the cap', () => {
    const good = payload(1000);
    const gz = zGzip(good);
    const bad = [Buffer.from('not gzip at all'), gz.subarray(0, gz.length - 3), Buffer.concat([gz, Buffer.from('junk')])];
    const bomb = zGzip(Buffer.alloc(8 << 20));
    for (const b of [...bad, bomb]) {
      expect(() => gunzipFrame(b)).toThrow(DecodeError);
      expect(gunzipFrame(gz).equals(good)).toBe(true);
      expect(gzipFrame(good).equals(gz)).toBe(true);
    }
    expect(() => gunzipFrame(zGzip(Buffer.alloc(101)), 100)).toThrow(/beyond 100 bytes/);
    expect(gunzipFrame(zGzip(Buffer.alloc(100)), 100).length).toBe(100);
    // results are independent buffers: a later frame does not overwrite an earlier one
    const a = gunzipFrame(zGzip(Buffer.from('first')));
    gunzipFrame(zGzip(Buffer.from('second')));
    expect(a.toString()).toBe('first');
    expect(zGunzip(gzipFrame(good)).equals(good)).toBe(true);
  });
});
