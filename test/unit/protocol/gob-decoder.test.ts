/**
 * gob decoding beyond the vectors: streams Go can produce for other declarations of the
 * envelope (extra fields of every kind, other orders, extra types), and malformed ones.
 */
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec.js';
import { makeReq, makeResp } from '../../../src/protocol/envelope.js';
import {
  decodeGobReq,
  decodeGobResp,
  encodeGobReq,
  encodeGobResp,
  GOB_MAX_NESTING,
  gobTypeDefinition,
} from '../../../src/protocol/gob.js';
import {
  gBytes,
  gDefArray,
  gDefGobEncoder,
  gDefMap,
  gDefSlice,
  gDefStruct,
  gFloat,
  gInt,
  gString,
  gStruct,
  gUint,
  gValue,
  goFrame,
  gobNormal,
  plain,
  T,
} from './helpers.js';

const frame = (...parts: number[][]): Buffer => Buffer.from(parts.flat());

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

describe('gob: streams Go can write for other declarations', () => {
  it('skips unknown fields of every describable kind, with extra type definitions before and after', () => {
    const Inner = 66;
    const Strs = 67;
    const Arr = 68;
    const M = 69;
    const Enc = 70;
    const Top = 71;
    const Rec = 72; // type Rec []Rec
    const stream = frame(
      gDefStruct(Inner, 'Inner', [['A', T.int], ['B', T.string]]),
      gDefSlice(Strs, '[]string', T.string),
      gDefStruct(Top, 'main.Envelope', [
        ['Flag', T.bool],
        ['ReqIdentifier', T.int],
        ['Count', T.uint],
        ['Ratio', T.float],
        ['Token', T.string],
        ['C', T.complex],
        ['Inner', Inner],
        ['Tags', Strs],
        ['Fixed', Arr],
        ['Meta', M],
        ['When', Enc],
        ['SendID', T.string],
        ['Blob', T.bytes],
        ['Any', T.interface],
        ['Tree', Rec],
        ['Data', T.bytes],
        ['MsgIncr', T.string],
        ['OperationID', T.string],
      ]),
      gDefArray(Arr, '[3]uint8', T.uint, 3),
      gDefMap(M, 'map[string]int', T.string, T.int),
      gDefGobEncoder(Enc, 'time.Time', 5),
      gDefSlice(Rec, 'Rec', Rec),
      gValue(Top, [
        [0, [1]],
        [1, gInt(1003)],
        [2, gUint(2n ** 64n - 1n)],
        [3, gFloat(3.25)],
        [4, gString('tok')],
        [5, [...gFloat(1), ...gFloat(-2)]],
        [6, gStruct([[0, gInt(-5)], [1, gString('x')]])],
        [7, [...gUint(2), ...gString('a'), ...gString('bc')]],
        [8, [...gUint(3), ...gUint(1), ...gUint(255), ...gUint(0)]],
        [9, [...gUint(2), ...gString('k1'), ...gInt(1), ...gString('k2'), ...gInt(-1)]],
        [10, gBytes([1, 2, 3, 4, 5])],
        [11, gString('u1')],
        [12, gBytes([9, 9])],
        [14, [...gUint(2), ...gUint(1), ...gUint(0), ...gUint(0)]], // [[[]], []]
        [15, gBytes([0xde, 0xad])],
        [16, gString('u1_1')],
        [17, gString('op')],
      ]),
    );
    expect(plain(decodeGobReq(stream))).toEqual(
      plain(makeReq({ reqIdentifier: 1003, token: 'tok', sendID: 'u1', operationID: 'op', msgIncr: 'u1_1', data: Buffer.from('dead', 'hex') })),
    );
    expect(plain(decodeGobResp(stream))).toEqual(
      plain(makeResp({ reqIdentifier: 1003, operationID: 'op', msgIncr: 'u1_1', data: Buffer.from('dead', 'hex') })),
    );
  });

  it('accepts any field order, any type name, and a subset of the fields', () => {
    const stream = frame(
      gDefStruct(65, 'x.Y', [['Data', T.bytes], ['ErrMsg', T.string], ['ReqIdentifier', T.int]]),
      gValue(65, [[0, gBytes([7])], [1, gString('boom')], [2, gInt(-3)]]),
    );
    expect(plain(decodeGobResp(stream))).toEqual(plain(makeResp({ reqIdentifier: -3, errMsg: 'boom', data: Buffer.from([7]) })));
  });

  it('accepts an explicitly transmitted zero value and an empty byte slice (as nil)', () => {
    const stream = frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['Data', T.bytes], ['Token', T.string]]), gValue(65, [[0, gInt(0)], [1, gBytes([])], [2, gString('')]]));
    expect(plain(decodeGobReq(stream))).toEqual(plain(makeReq({})));
  });

  it('accepts non-minimal integer encodings as Go does', () => {
    const stream = frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gMessageRaw([...gInt(65), 1, 0xfe, 0x00, 0x04, 0]));
    expect(decodeGobReq(stream).reqIdentifier).toBe(2);
  });

  it('skips an interface field that is absent (nil) but rejects one present', () => {
    const def = gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['Any', T.interface]]);
    expect(decodeGobReq(frame(def, gValue(65, [[0, gInt(5)]]))).reqIdentifier).toBe(5);
    expectDecodeError(() => decodeGobReq(frame(def, gValue(65, [[1, gString('main.T')]]))), /interface/);
  });

  it('int32 and int64 ReqIdentifier/ErrCode bounds', () => {
    const req = (v: bigint) => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gValue(65, [[0, gInt(v)]]));
    expect(decodeGobReq(req(2147483647n)).reqIdentifier).toBe(2147483647);
    expect(decodeGobReq(req(-2147483648n)).reqIdentifier).toBe(-2147483648);
    expectDecodeError(() => decodeGobReq(req(2147483648n)), /int32/);
    expectDecodeError(() => decodeGobReq(req(-2147483649n)), /int32/);
    expectDecodeError(() => decodeGobReq(req(-(2n ** 63n))), /int32/);
    const resp = (v: bigint) => frame(gDefStruct(65, 'Resp', [['ErrCode', T.int]]), gValue(65, [[0, gInt(v)]]));
    for (const v of [2n ** 53n - 1n, -(2n ** 53n - 1n), 2n ** 40n, -(2n ** 48n), 2n ** 47n + 3n]) {
      expect(decodeGobResp(resp(v)).errCode).toBe(Number(v));
    }
    for (const v of [2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)]) expectDecodeError(() => decodeGobResp(resp(v)), /safe/);
  });

  it('encodes the whole safe range of ErrCode as Go would (checked by the independent writer)', () => {
    for (const e of [1, -1, 63, -64, 64, 127, 128, 255, 256, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 40, -(2 ** 47), 2 ** 52 + 1, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      const r = makeResp({ reqIdentifier: 7, errCode: e, errMsg: 'm' });
      expect(encodeGobResp(r, 'Resp').toString('hex'), String(e)).toBe(goFrame('Resp', r).toString('hex'));
      expect(encodeGobResp(r, 'GeneralWsResp').toString('hex')).toBe(goFrame('GeneralWsResp', r).toString('hex'));
      expect(decodeGobResp(encodeGobResp(r)).errCode).toBe(e);
    }
  });

  it('recursive types: nesting up to the limit decodes, beyond it is a DecodeError', () => {
    const nested = (depth: number): number[] => [...Array<number>(depth).fill(1), 0]; // depth x "1 element", then an empty slice
    const stream = (depth: number) =>
      frame(gDefSlice(66, 'T', 66), gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['Tree', 66]]), gValue(65, [[0, gInt(1)], [1, nested(depth)]]));
    expect(decodeGobReq(stream(GOB_MAX_NESTING - 1)).reqIdentifier).toBe(1);
    expectDecodeError(() => decodeGobReq(stream(GOB_MAX_NESTING + 1)), /deep/);
    expectDecodeError(() => decodeGobReq(stream(20000)));
  });
});

/** A message from a raw payload (for hand-made non-canonical bytes). */
function gMessageRaw(payload: number[]): number[] {
  return [...gUint(payload.length), ...payload];
}

describe('gob: malformed frames are DecodeErrors', () => {
  const good = encodeGobReq(makeReq({ reqIdentifier: 1001, sendID: 'u1', data: Buffer.from([1, 2, 3]) }));
  const cases: Array<[string, () => Uint8Array, RegExp?]> = [
    ['empty input', () => new Uint8Array(0)],
    ['only the type definition', () => gobTypeDefinition('Req'), /no value/],
    ['value without definition', () => frame(gValue(65, [[0, gInt(1)]])), /without a type definition/],
    ['value of another id', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gValue(66, [[0, gInt(1)]])), /without a type definition/],
    ['trailing bytes', () => Buffer.concat([good, Buffer.from([0])]), /trailing/],
    ['a second value', () => Buffer.concat([good, good.subarray(gobTypeDefinition('Req').length)]), /trailing/],
    ['truncated', () => good.subarray(0, good.length - 1)],
    ['huge message length', () => Buffer.from([0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]), /length/],
    ['uint byte count > 8', () => Buffer.from([0xf7, 1, 2, 3, 4, 5, 6, 7, 8, 9]), /byte count/],
    ['zero-length message', () => Buffer.from([0x00]), /empty message/],
    ['duplicate definition', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gValue(65, [])), /duplicate/],
    ['redefining a builtin id', () => frame(gDefStruct(6, 'Req', [['ReqIdentifier', T.int]]), gValue(6, [])), /cannot define/],
    ['type mismatch', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.string]]), gValue(65, [[0, gString('1')]])), /mismatch/],
    ['Data declared as string', () => frame(gDefStruct(65, 'Req', [['Data', T.string]]), gValue(65, [])), /mismatch/],
    ['no field matches', () => frame(gDefStruct(65, 'Other', [['X', T.int]]), gValue(65, [[0, gInt(1)]])), /no fields/],
    ['field of an undefined type', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['X', 99]]), gValue(65, [])), /undefined type/],
    ['value is not a struct', () => frame(gDefSlice(65, 'S', T.int), gValue(65, [])), /not a struct/],
    ['field number out of range', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gValue(65, [[3, gInt(1)]])), /out of range/],
    ['absurd field count', () => frame(gMessageRaw([...gInt(-65), 3, 1, 1, ...gString('Req'), 0, 1, ...gUint(2n ** 40n), 0, 0]), gValue(65, [])), /count/],
    ['string length beyond message', () => frame(gDefStruct(65, 'Req', [['Token', T.string]]), gMessageRaw([...gInt(65), 1, ...gUint(1000), 0])), /length/],
    ['array length mismatch', () => frame(gDefArray(66, 'A', T.int, 2), gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['A', 66]]), gValue(65, [[1, [...gUint(3), 2, 2, 2]]])), /mismatch/],
    ['slice count beyond input', () => frame(gDefSlice(66, 'S', T.int), gDefStruct(65, 'Req', [['ReqIdentifier', T.int], ['S', 66]]), gValue(65, [[1, gUint(2n ** 50n)]])), /count/],
    ['empty wireType', () => frame(gMessageRaw([...gInt(-65), 0]), gValue(65, [])), /empty type/],
    ['wireType with two kinds', () => frame(gMessageRaw([...gInt(-65), 2, ...gStruct([[1, gInt(6)]]), 1, ...gStruct([])]), gValue(65, [])), /several/],
    ['extra data in a definition', () => frame(gMessageRaw([...gDefStruct(65, 'Req', [['Token', T.string]]).slice(1), 0]), gValue(65, [])), /extra data/],
    ['extra data in the value message', () => frame(gDefStruct(65, 'Req', [['Token', T.string]]), gMessageRaw([...gInt(65), 0, 0])), /extra data/],
    ['negative array length', () => frame(gDefArray(66, 'A', T.int, -1), gDefStruct(65, 'Req', [['ReqIdentifier', T.int]]), gValue(65, [])), /array length/],
    ['type id 0 in a field', () => frame(gDefStruct(65, 'Req', [['ReqIdentifier', 0]]), gValue(65, [])), /type id/],
    ['not bytes at all', () => 'hello' as unknown as Uint8Array, /not bytes/],
  ];
  it.each(cases)('%s', (_name, make, match) => {
    const input = make();
    expectDecodeError(() => decodeGobReq(input), match);
    expectDecodeError(() => decodeGobResp(input));
  });

  it('a bad ReqIdentifier in the hot path and in the general path alike', () => {
    const bad = frame(gDefStruct(65, 'Req', [...[['ReqIdentifier', T.int]] as Array<[string, number]>, ['Token', T.string], ['SendID', T.string], ['OperationID', T.string], ['MsgIncr', T.string], ['Data', T.bytes]]), gValue(65, [[0, gInt(2n ** 40n)]]));
    expect(bad.subarray(0, gobTypeDefinition('Req').length).equals(gobTypeDefinition('Req'))).toBe(true);
    expectDecodeError(() => decodeGobReq(bad), /int32/);
  });
});

describe('gob: encoder', () => {
  it('rejects values Go could not hold', () => {
    expect(() => encodeGobReq(makeReq({ reqIdentifier: 2 ** 31 }))).toThrow(RangeError);
    expect(() => encodeGobReq(makeReq({ reqIdentifier: 1.5 }))).toThrow(RangeError);
    expect(() => encodeGobResp(makeResp({ errCode: 2 ** 53 }))).toThrow(RangeError);
    expect(() => encodeGobResp(makeResp({ errCode: NaN }))).toThrow(RangeError);
  });

  it('writes lone surrogates as U+FFFD (what a Go string of the UTF-8 would hold)', () => {
    const out = decodeGobReq(encodeGobReq(makeReq({ token: 'a\ud800b', sendID: '\udc00' })));
    expect(out.token).toBe('a\ufffdb');
    expect(out.sendID).toBe('\ufffd');
  });

  it('sizes long and multi-byte strings exactly', () => {
    for (const s of ['é'.repeat(40), '😀'.repeat(100), 'x'.repeat(31), 'x'.repeat(32), 'x'.repeat(200), 'a😀'.repeat(33)]) {
      const r = makeReq({ reqIdentifier: 1, token: s, msgIncr: s });
      expect(encodeGobReq(r, 'GeneralWsReq').equals(goFrame('GeneralWsReq', r))).toBe(true);
      expect(gobNormal(decodeGobReq(encodeGobReq(r)))).toEqual(gobNormal(r));
    }
  });

  it('accepts any Uint8Array as data and input (not only Buffers)', () => {
    const data = new Uint8Array([5, 6, 7, 8]).subarray(1, 3);
    const bytes = encodeGobReq(makeReq({ reqIdentifier: 1, data }));
    const copy = new Uint8Array(bytes.length + 4).subarray(2, 2 + bytes.length);
    copy.set(bytes);
    expect(plain(decodeGobReq(copy)).data).toBe('0607');
  });
});
