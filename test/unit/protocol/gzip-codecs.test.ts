/** gzip framing limits and codec selection. */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec.js';
import { codecFor, codecKindOf, getCodec, parseSdkType } from '../../../src/protocol/codecs.js';
import { makeReq, makeResp } from '../../../src/protocol/envelope.js';
import { GobCodec } from '../../../src/protocol/gob.js';
import { DEFAULT_MAX_INFLATED_BYTES, gunzipFrame, gzipFrame } from '../../../src/protocol/gzip.js';
import { JsonCodec } from '../../../src/protocol/json.js';

function decodeErrorOf(f: () => unknown): DecodeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('gzip frames', () => {
  it('round-trips, including empty and large payloads and concatenated members', () => {
    for (const n of [0, 1, 100, 60_000]) {
      const data = Buffer.alloc(n, 7);
      expect(gunzipFrame(gzipFrame(data)).equals(data)).toBe(true);
    }
    const two = Buffer.concat([gzipSync(Buffer.from('ab')), gzipSync(Buffer.from('cd'))]);
    expect(gunzipFrame(two).toString()).toBe('abcd');
  });

  it('caps the inflated size (default 1 MiB, configurable)', () => {
    expect(DEFAULT_MAX_INFLATED_BYTES).toBe(1 << 20);
    const exact = gzipSync(Buffer.alloc(DEFAULT_MAX_INFLATED_BYTES));
    expect(gunzipFrame(exact).length).toBe(DEFAULT_MAX_INFLATED_BYTES);
    const bomb = gzipSync(Buffer.alloc(DEFAULT_MAX_INFLATED_BYTES + 1));
    expect(decodeErrorOf(() => gunzipFrame(bomb)).message).toMatch(/gzip: .*beyond/);
    expect(gunzipFrame(gzipSync(Buffer.alloc(100)), 100).length).toBe(100);
    expect(decodeErrorOf(() => gunzipFrame(gzipSync(Buffer.alloc(101)), 100)).message).toMatch(/gzip/);
    const huge = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in ~64 KB
    const t0 = performance.now();
    decodeErrorOf(() => gunzipFrame(huge));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(() => gunzipFrame(exact, 0)).toThrow(RangeError);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['not gzip', Buffer.from('hello world')],
    ['truncated', gzipSync(Buffer.from('hello world')).subarray(0, 15)],
    ['header only', gzipSync(Buffer.from('x')).subarray(0, 10)],
    ['bad checksum', (() => { const g = gzipSync(Buffer.from('hello world')); g[g.length - 6]! ^= 1; return g; })()],
    ['trailing garbage', Buffer.concat([gzipSync(Buffer.from('x')), Buffer.from('junk')])],
  ])('%s is a DecodeError mentioning gzip', (_n, input) => {
    expect(decodeErrorOf(() => gunzipFrame(input)).message).toMatch(/^gzip: /);
  });
});

describe('codec selection', () => {
  it('getCodec returns cached singletons of the right class and flavour', () => {
    expect(getCodec('gob', 'server')).toBe(getCodec('gob', 'server'));
    expect(getCodec('gob', 'server')).not.toBe(getCodec('gob', 'sdk'));
    expect(getCodec('gob', 'sdk')).toBeInstanceOf(GobCodec);
    expect(getCodec('json', 'sdk')).toBeInstanceOf(JsonCodec);
    expect(getCodec('json', 'server').name).toBe('json');
    expect(getCodec('gob', 'sdk').name).toBe('gob');
  });

  it('flavours pick the Go type names and key orders', () => {
    expect(getCodec('gob', 'server').encodeReq(makeReq({})).includes(Buffer.from('\x03Req'))).toBe(true);
    expect(getCodec('gob', 'sdk').encodeReq(makeReq({})).includes(Buffer.from('GeneralWsReq'))).toBe(true);
    expect(getCodec('gob', 'server').encodeResp(makeResp({})).includes(Buffer.from('\x04Resp'))).toBe(true);
    expect(getCodec('gob', 'sdk').encodeResp(makeResp({})).includes(Buffer.from('GeneralWsResp'))).toBe(true);
    expect(getCodec('json', 'sdk').encodeResp(makeResp({})).toString()).toMatch(/^\{"reqIdentifier":0,"errCode":0,/);
    expect(getCodec('json', 'server').encodeResp(makeResp({})).toString()).toMatch(/^\{"reqIdentifier":0,"msgIncr":"",/);
  });

  it('sdkType: go and empty -> gob, js -> json, anything else -> undefined', () => {
    expect(parseSdkType('go')).toBe('go');
    expect(parseSdkType('')).toBe('go');
    expect(parseSdkType('js')).toBe('js');
    for (const t of ['GO', 'Js', 'json', 'gob', ' go', 'x', 'python']) expect(parseSdkType(t)).toBeUndefined();
    expect(codecKindOf('go')).toBe('gob');
    expect(codecKindOf('js')).toBe('json');
    expect(codecFor('go', 'server')).toBe(getCodec('gob', 'server'));
    expect(codecFor('js', 'sdk')).toBe(getCodec('json', 'sdk'));
  });
});
