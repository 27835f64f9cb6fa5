/**
 * Property tests over random envelopes: every codec round-trips, our gob bytes equal what
 * an independent writer of Go's format produces, JSON output is valid JSON with Go's escaping.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getCodec } from '../../../src/protocol/codecs.js';
import { makeReq, makeResp, type Req, type Resp } from '../../../src/protocol/envelope.js';
import { encodeGobReq, encodeGobResp } from '../../../src/protocol/gob.js';
import { gunzipFrame, gzipFrame } from '../../../src/protocol/gzip.js';
import { gobNormal, goFrame, plain, Rng } from './helpers.js';

const int32 = fc.integer({ min: -2147483648, max: 2147483647 });
const reqIdentifier = fc.oneof(int32, fc.constantFrom(0, 1001, 2001, -1, 2147483647, -2147483648, 63, 64, -64, -65, 127, 128));
const errCode = fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, 1001, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, 2 ** 32));
const text = fc.oneof(
  fc.string({ maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  fc.constantFrom('', '<>&', '\u2028\u2029', '\u0000\u001f"\\', 'u1_1700000000000000002', '用户😀'),
);
const data = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 1,
    // Large payloads (up to 60 KB) from a seed: cheap to generate and to shrink.
    arbitrary: fc.record({ seed: fc.integer(), len: fc.integer({ min: 1, max: 61440 }) }).map(({ seed, len }) => new Rng(seed).bytes(len)),
  },
);
const reqArb: fc.Arbitrary<Req> = fc.record({ reqIdentifier, token: text, sendID: text, operationID: text, msgIncr: text, data }).map(makeReq);
const respArb: fc.Arbitrary<Resp> = fc.record({ reqIdentifier, msgIncr: text, operationID: text, errCode, errMsg: text, data }).map(makeResp);
const flavour = fc.constantFrom('server' as const, 'sdk' as const);
const RUNS = { numRuns: 300 };

describe('gob round trip', () => {
  it('Req, both flavours, decoded by both flavours', () => {
    fc.assert(
      fc.property(reqArb, flavour, flavour, (req, enc, dec) => {
        const bytes = getCodec('gob', enc).encodeReq(req);
        expect(gobNormal(getCodec('gob', dec).decodeReq(bytes))).toEqual(gobNormal(req));
      }),
      RUNS,
    );
  });

  it('Resp, both flavours, decoded by both flavours', () => {
    fc.assert(
      fc.property(respArb, flavour, flavour, (resp, enc, dec) => {
        const bytes = getCodec('gob', enc).encodeResp(resp);
        expect(gobNormal(getCodec('gob', dec).decodeResp(bytes))).toEqual(gobNormal(resp));
      }),
      RUNS,
    );
  });

  it('bytes equal those of an independent writer of Go\'s format, for all four declarations', () => {
    fc.assert(
      fc.property(reqArb, respArb, (req, resp) => {
        expect(encodeGobReq(req, 'Req').equals(goFrame('Req', req))).toBe(true);
        expect(encodeGobReq(req, 'GeneralWsReq').equals(goFrame('GeneralWsReq', req))).toBe(true);
        expect(encodeGobResp(resp, 'Resp').equals(goFrame('Resp', resp))).toBe(true);
        expect(encodeGobResp(resp, 'GeneralWsResp').equals(goFrame('GeneralWsResp', resp))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('JSON round trip', () => {
  it('Req and Resp, both flavours, nil and empty data kept apart', () => {
    fc.assert(
      fc.property(reqArb, respArb, flavour, flavour, (req, resp, enc, dec) => {
        const e = getCodec('json', enc);
        const d = getCodec('json', dec);
        expect(plain(d.decodeReq(e.encodeReq(req)))).toEqual(plain(req));
        expect(plain(d.decodeResp(e.encodeResp(resp)))).toEqual(plain(resp));
      }),
      RUNS,
    );
  });

  it('is valid JSON equal to the value, with <, >, &, U+2028, U+2029 never raw', () => {
    fc.assert(
      fc.property(respArb, flavour, (resp, f) => {
        const out = getCodec('json', f).encodeResp(resp).toString('utf8');
        expect(out).not.toMatch(/[<>&\u2028\u2029\u0000-\u001f]/);
        const parsed = JSON.parse(out) as Record<string, unknown>;
        expect(parsed).toEqual({
          reqIdentifier: resp.reqIdentifier,
          msgIncr: resp.msgIncr,
          operationID: resp.operationID,
          errCode: resp.errCode,
          errMsg: resp.errMsg,
          data: resp.data === null ? null : Buffer.from(resp.data).toString('base64'),
        });
      }),
      RUNS,
    );
  });

  it('strings with lone surrogates come back as Go would see them (U+FFFD), in gob and JSON', () => {
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const broken = fc.array(fc.oneof(surrogate, fc.string({ maxLength: 3 })), { maxLength: 8 }).map((xs) => xs.join(''));
    fc.assert(
      fc.property(broken, (s) => {
        const asGo = Buffer.from(s, 'utf8').toString('utf8'); // lone surrogates -> U+FFFD
        const req = makeReq({ token: s, reqIdentifier: 1 });
        expect(getCodec('json', 'sdk').decodeReq(getCodec('json', 'sdk').encodeReq(req)).token).toBe(asGo);
        expect(getCodec('gob', 'sdk').decodeReq(getCodec('gob', 'sdk').encodeReq(req)).token).toBe(asGo);
      }),
      RUNS,
    );
  });
});

describe('gzip wrapping', () => {
  it('gzip(encode(x)) inflates and decodes back, for gob and JSON', () => {
    fc.assert(
      fc.property(reqArb, respArb, fc.constantFrom('gob' as const, 'json' as const), flavour, (req, resp, kind, f) => {
        const c = getCodec(kind, f);
        const norm = kind === 'gob' ? gobNormal : plain;
        expect(norm(c.decodeReq(gunzipFrame(gzipFrame(c.encodeReq(req)))))).toEqual(norm(req));
        expect(norm(c.decodeResp(gunzipFrame(gzipFrame(c.encodeResp(resp)))))).toEqual(norm(resp));
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        expect(Buffer.compare(gunzipFrame(gzipFrame(bytes)), bytes)).toBe(0);
      }),
      RUNS,
    );
  });
});
