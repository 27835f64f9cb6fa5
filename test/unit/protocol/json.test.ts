/** The JSON envelope codec against Go's encoding/json behaviour beyond the vectors. */
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec.js';
import { makeReq, makeResp } from '../../../src/protocol/envelope.js';
import { decodeJsonReq, decodeJsonResp, encodeJsonReq, encodeJsonResp, goJsonString, JSON_MAX_NESTING } from '../../../src/protocol/json.js';
import { plain } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function expectDecodeError(f: () => unknown, match?: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DecodeError);
  if (match) expect((err as Error).message).toMatch(match);
}

describe('json: Go string escaping', () => {
  it.each([
    ['plain', 'abc', '"abc"'],
    ['html', '<a href="x">&</a>', '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"'],
    ['line separators', 'a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['short escapes', 'a\nb\rc\td\\e"', '"a\\nb\\rc\\td\\\\e\\""'],
    // Go 1.19 writes \b and \f in the long form
    ['other control characters', '\u0000\u0001\b\f\u001f\u007f', '"\\u0000\\u0001\\u0008\\u000c\\u001f\u007f"'],
    ['non-ASCII kept raw', 'é€😀用户', '"é€😀用户"'],
    ['lone surrogates', 'a\ud800b\udc00c\ud83d', '"a\\ufffdb\\ufffdc\\ufffd"'],
    ['valid pair after a lone high surrogate', '\ud83d\ud83d\ude00', '"\\ufffd😀"'],
    ['slash not escaped', 'a/b', '"a/b"'],
  ])('%s', (_n, input, expected) => {
    expect(goJsonString(input)).toBe(expected);
  });

  it('output of the encoders is valid JSON with the same strings', () => {
    const r = makeResp({ reqIdentifier: -5, errCode: 2 ** 53 - 1, errMsg: '<\u2028\u0000"\\>', msgIncr: '😀', operationID: '\t', data: new Uint8Array([0, 255]) });
    for (const f of ['server', 'sdk'] as const) {
      const parsed = JSON.parse(encodeJsonResp(r, f).toString('utf8')) as Record<string, unknown>;
      expect(parsed).toEqual({ reqIdentifier: -5, errCode: 2 ** 53 - 1, errMsg: r.errMsg, msgIncr: '😀', operationID: '\t', data: 'AP8=' });
    }
  });

  it('key order follows the flavour for Resp; Req has one order', () => {
    const r = makeResp({});
    expect(Object.keys(JSON.parse(encodeJsonResp(r, 'server').toString()) as object)).toEqual(['reqIdentifier', 'msgIncr', 'operationID', 'errCode', 'errMsg', 'data']);
    expect(Object.keys(JSON.parse(encodeJsonResp(r, 'sdk').toString()) as object)).toEqual(['reqIdentifier', 'errCode', 'errMsg', 'msgIncr', 'operationID', 'data']);
    expect(encodeJsonReq(makeReq({ data: new Uint8Array(0) })).toString()).toBe('{"reqIdentifier":0,"token":"","sendID":"","operationID":"","msgIncr":"","data":""}');
  });

  it('rejects values Go could not hold', () => {
    expect(() => encodeJsonReq(makeReq({ reqIdentifier: 2 ** 31 }))).toThrow(RangeError);
    expect(() => encodeJsonResp(makeResp({ errCode: 0.5 }))).toThrow(RangeError);
  });
});

describe('json: decoding like encoding/json', () => {
  it('missing keys are zero values; unknown keys of any kind are ignored', () => {
    const text = '{"x":{"a":[1,2.5e-3,true,false,null,{"b":"\\u00e9"}]},"reqIdentifier":1001,"y":[],"z":{},"sendID":"u1","w":-0.0}';
    expect(plain(decodeJsonReq(b(text)))).toEqual(plain(makeReq({ reqIdentifier: 1001, sendID: 'u1' })));
    expect(plain(decodeJsonReq(b('{}')))).toEqual(plain(makeReq({})));
    expect(plain(decodeJsonResp(b(' \n\t{ } \r\n')))).toEqual(plain(makeResp({})));
  });

  it('keys match case-insensitively (with Go\'s K/ſ folds), exact match or not', () => {
    const text = '{"ReqIdentifier":7,"TOKEN":"t","sendid":"s","OperationId":"o","msgincr":"m","DATA":"AQ=="}';
    expect(plain(decodeJsonReq(b(text)))).toEqual(plain(makeReq({ reqIdentifier: 7, token: 't', sendID: 's', operationID: 'o', msgIncr: 'm', data: Buffer.from([1]) })));
    expect(decodeJsonReq(b('{"to\u212aen":"kelvin"}')).token).toBe('kelvin');
    expect(decodeJsonResp(b('{"errM\u017fg":"long s","ERRCODE":3}'))).toMatchObject({ errMsg: 'long s', errCode: 3 });
    expect(decodeJsonReq(b('{"\\u0074oken":"escaped key"}')).token).toBe('escaped key');
    expect(decodeJsonReq(b('{"tokens":"no"}')).token).toBe('');
  });

  it('later duplicates win; null leaves strings and ints alone and makes data nil', () => {
    expect(decodeJsonReq(b('{"token":"a","token":"b"}')).token).toBe('b');
    expect(decodeJsonReq(b('{"token":"a","token":null,"reqIdentifier":3,"reqIdentifier":null}'))).toMatchObject({ token: 'a', reqIdentifier: 3 });
    expect(decodeJsonReq(b('{"data":"AQ==","data":null}')).data).toBeNull();
    expect(decodeJsonReq(b('{"data":""}')).data).toEqual(new Uint8Array(0));
  });

  it('Resp fields are read by decodeResp only; Req fields by decodeReq only', () => {
    const text = b('{"reqIdentifier":1,"token":"t","errCode":5,"errMsg":"e","msgIncr":"m"}');
    expect(plain(decodeJsonReq(text))).toEqual(plain(makeReq({ reqIdentifier: 1, token: 't', msgIncr: 'm' })));
    expect(plain(decodeJsonResp(text))).toEqual(plain(makeResp({ reqIdentifier: 1, errCode: 5, errMsg: 'e', msgIncr: 'm' })));
  });

  it('string escapes, including surrogate pairs and lone surrogates (U+FFFD like Go)', () => {
    expect(decodeJsonReq(b('{"token":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}')).token).toBe('"\\/\b\f\n\r\té😀');
    expect(decodeJsonReq(b('{"token":"\\ud800x\\udc00\\ud800\\u0041"}')).token).toBe('\ufffdx\ufffd\ufffdA');
    expect(decodeJsonReq(b('{"token":"\\u003c\\u2028"}')).token).toBe('<\u2028');
  });

  it('integers: range and form checked as Go does', () => {
    expect(decodeJsonReq(b('{"reqIdentifier":-2147483648}')).reqIdentifier).toBe(-2147483648);
    expect(decodeJsonReq(b('{"reqIdentifier":2147483647}')).reqIdentifier).toBe(2147483647);
    expect(Object.is(decodeJsonReq(b('{"reqIdentifier":-0}')).reqIdentifier, 0)).toBe(true);
    expect(decodeJsonResp(b('{"errCode":9007199254740991}')).errCode).toBe(2 ** 53 - 1);
    expect(decodeJsonResp(b('{"errCode":-9007199254740991}')).errCode).toBe(-(2 ** 53 - 1));
    for (const t of ['2147483648', '-2147483649', '1.0', '1e3', '1E0', '99999999999999999999999']) {
      expectDecodeError(() => decodeJsonReq(b(`{"reqIdentifier":${t}}`)));
    }
    for (const t of ['9007199254740992', '9007199254740993', '-9007199254740992', '0.5', '12345678901234567890']) {
      expectDecodeError(() => decodeJsonResp(b(`{"errCode":${t}}`)));
    }
  });

  it.each([
    ['not an object', '[]'],
    ['top-level null', 'null'],
    ['top-level string', '"x"'],
    ['empty', ''],
    ['whitespace only', '  '],
    ['trailing data', '{}x'],
    ['two objects', '{}{}'],
    ['trailing comma', '{"token":"a",}'],
    ['missing colon', '{"token" "a"}'],
    ['single quotes', "{'token':'a'}"],
    ['unquoted key', '{token:"a"}'],
    ['string for int', '{"reqIdentifier":"1"}'],
    ['bool for int', '{"reqIdentifier":true}'],
    ['number for string', '{"msgIncr":1}'],
    ['object for string', '{"operationID":{}}'],
    ['array for data', '{"data":[1,2]}'],
    ['number for data', '{"data":0}'],
    ['bad base64 char', '{"data":"AQ-_"}'],
    ['unpadded base64', '{"data":"AQ"}'],
    ['misplaced padding', '{"data":"A=Q="}'],
    ['base64 with spaces', '{"data":"AQ== "}'],
    ['raw control char in string', '{"token":"a\u0001"}'],
    ['bad escape', '{"token":"\\x"}'],
    ['short \\u escape', '{"token":"\\u12"}'],
    ['unterminated string', '{"token":"abc'],
    ['unterminated object', '{"token":"abc"'],
    ['leading zero', '{"x":01}'],
    ['bare minus', '{"x":-}'],
    ['dot without digits', '{"x":1.}'],
    ['exponent without digits', '{"x":1e}'],
    ['NaN', '{"x":NaN}'],
    ['bad literal', '{"x":tru}'],
    ['BOM', '\ufeff{}'],
    ['deep nesting', `{"x":${'['.repeat(JSON_MAX_NESTING + 5)}${']'.repeat(JSON_MAX_NESTING + 5)}}`],
    ['very deep nesting', `{"x":${'['.repeat(100000)}`],
  ])('%s is a DecodeError', (_n, text) => {
    expectDecodeError(() => decodeJsonReq(b(text)));
    expectDecodeError(() => decodeJsonResp(b(text)));
  });

  it('base64 may contain CR/LF (Go skips them)', () => {
    expect(Buffer.from(decodeJsonReq(b('{"data":"AQID\\r\\nBA=="}')).data!).toString('hex')).toBe('01020304');
  });

  it('nesting below the limit is fine', () => {
    const depth = JSON_MAX_NESTING - 2;
    expect(decodeJsonReq(b(`{"x":${'['.repeat(depth)}${']'.repeat(depth)},"token":"ok"}`)).token).toBe('ok');
  });

  it('rejects non-bytes input', () => {
    expectDecodeError(() => decodeJsonReq('{}' as unknown as Uint8Array));
  });
});
