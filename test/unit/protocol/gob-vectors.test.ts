/**
 * The Go-generated vectors (fixtures/protocol/gob-vectors.json): our gob and JSON codecs
 * must produce Go's bytes exactly and read them back; gzip is compared after inflating.
 */
import { describe, expect, it } from 'vitest';
import { getCodec } from '../../../src/protocol/codecs.js';
import { gunzipFrame, gzipFrame } from '../../../src/protocol/gzip.js';
import { flavourOf, gobNormal, isReqType, loadVectors, plain, vectorReq, vectorResp, withTypeId } from './helpers.js';

const file = loadVectors();
const FLAVOURS = ['server', 'sdk'] as const;

describe('gob vectors fixture', () => {
  it('covers all four Go declarations and ids 65', () => {
    const types = new Set(file.vectors.map((v) => v.goType));
    expect([...types].sort()).toEqual(['GeneralWsReq', 'GeneralWsResp', 'Req', 'Resp']);
    for (const v of file.vectors) expect(v.gobTypeId).toBe(65);
  });
});

describe.each(file.vectors)('$name', (v) => {
  const flavour = flavourOf(v.goType);
  const gob = getCodec('gob', flavour);
  const json = getCodec('json', flavour);
  const bytes = Buffer.from(v.gobHex, 'hex');
  const isReq = isReqType(v.goType);
  const expected = isReq ? vectorReq(v.value) : vectorResp(v.value);

  it('gob: encodes to Go bytes exactly', () => {
    expect(bytes.length).toBe(v.gobLen);
    const out = isReq ? gob.encodeReq(vectorReq(v.value)) : gob.encodeResp(vectorResp(v.value));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString('hex')).toBe(v.gobHex);
  });

  it('gob: decodes Go bytes (every codec, both flavours)', () => {
    for (const f of FLAVOURS) {
      for (const kind of ['gob'] as const) {
        const c = getCodec(kind, f);
        const got = isReq ? c.decodeReq(bytes) : c.decodeResp(bytes);
        expect(gobNormal(got)).toEqual(gobNormal(expected));
      }
    }
  });

  it('gob: decodes the other direction too (fields matched by name)', () => {
    // A Req frame read as Resp keeps the shared fields, and vice versa.
    const asOther = isReq ? gob.decodeResp(bytes) : gob.decodeReq(bytes);
    const e = expected as unknown as Record<string, unknown>;
    const o = asOther as unknown as Record<string, unknown>;
    for (const k of ['reqIdentifier', 'msgIncr', 'operationID']) expect(o[k]).toEqual(e[k]);
  });

  it.each([64, 66, 70, 100, 127, 200, 1000, 70000, 0x7fffffff])('gob: decodes when the type id is %i', (id) => {
    const patched = withTypeId(bytes, id);
    expect(patched.equals(bytes)).toBe(false);
    for (const f of FLAVOURS) {
      const c = getCodec('gob', f);
      const got = isReq ? c.decodeReq(patched) : c.decodeResp(patched);
      expect(gobNormal(got)).toEqual(gobNormal(expected));
    }
  });

  it('gob: decoded data is a view into the input', () => {
    const got = isReq ? gob.decodeReq(bytes) : gob.decodeResp(bytes);
    if (got.data !== null) expect(got.data.buffer).toBe(bytes.buffer);
  });

  it('json: encodes to Go bytes exactly', () => {
    const out = isReq ? json.encodeReq(vectorReq(v.value)) : json.encodeResp(vectorResp(v.value));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(out.toString('utf8')).toBe(v.json);
    // and it is valid JSON with the same values
    const parsed = JSON.parse(out.toString('utf8')) as Record<string, unknown>;
    expect(parsed.reqIdentifier).toBe(v.value.ReqIdentifier);
  });

  it('json: decodes Go bytes (both flavours), nil and empty data kept apart', () => {
    for (const f of FLAVOURS) {
      const c = getCodec('json', f);
      const text = Buffer.from(v.json, 'utf8');
      const got = isReq ? c.decodeReq(text) : c.decodeResp(text);
      expect(plain(got)).toEqual(plain(expected));
    }
  });

  it('gzip: Go gzip inflates to the gob bytes; ours round-trips', () => {
    const gz = Buffer.from(v.gobGzipBase64, 'base64');
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
    expect(gunzipFrame(gz).toString('hex')).toBe(v.gobHex);
    const ours = gzipFrame(bytes);
    expect(gunzipFrame(ours).equals(bytes)).toBe(true);
    const decoded = isReq ? gob.decodeReq(gunzipFrame(gz)) : gob.decodeResp(gunzipFrame(gz));
    expect(gobNormal(decoded)).toEqual(gobNormal(expected));
  });
});

describe('cross-flavour decoding', () => {
  const byName = new Map(file.vectors.map((v) => [v.name, v]));
  it('server flavour decodes GeneralWsReq bytes and sdk flavour decodes Resp bytes', () => {
    const sdkReq = byName.get('req_get_newest_seq__GeneralWsReq')!;
    const serverResp = byName.get('resp_get_newest_seq_ok__Resp')!;
    expect(plain(getCodec('gob', 'server').decodeReq(Buffer.from(sdkReq.gobHex, 'hex')))).toEqual(plain(vectorReq(sdkReq.value)));
    expect(plain(getCodec('gob', 'sdk').decodeResp(Buffer.from(serverResp.gobHex, 'hex')))).toEqual(
      plain(vectorResp(serverResp.value)),
    );
  });

  it('equal values give the same decoded envelope from both declarations', () => {
    for (const v of file.vectors.filter((x) => x.goType === 'Req' || x.goType === 'Resp')) {
      const sdkName = v.name.replace(/__(Req|Resp)$/, (_m, t: string) => `__GeneralWs${t}`);
      const other = byName.get(sdkName);
      expect(other, sdkName).toBeDefined();
      const c = getCodec('gob', 'server');
      const a = v.goType === 'Req' ? c.decodeReq(Buffer.from(v.gobHex, 'hex')) : c.decodeResp(Buffer.from(v.gobHex, 'hex'));
      const b =
        v.goType === 'Req' ? c.decodeReq(Buffer.from(other!.gobHex, 'hex')) : c.decodeResp(Buffer.from(other!.gobHex, 'hex'));
      expect(plain(a)).toEqual(plain(b));
    }
  });
});
