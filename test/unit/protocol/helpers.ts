/**
 * Shared helpers of the protocol codec tests: the Go-generated vectors, an independent
 * (deliberately simple, BigInt-based) gob writer to build streams our encoder never writes,
 * and a seeded PRNG so fuzz failures reproduce.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeReq, makeResp, type Req, type Resp } from '../../../src/protocol/envelope.js';

// ---------------------------------------------------------------------------------------
// Vectors

export interface VectorValue {
  ReqIdentifier: number;
  Token?: string;
  SendID?: string;
  OperationID: string;
  MsgIncr: string;
  ErrCode?: number;
  ErrMsg?: string;
  /** hex; null = nil slice, "" = empty non-nil slice */
  Data: string | null;
}

export interface Vector {
  name: string;
  goType: 'Req' | 'Resp' | 'GeneralWsReq' | 'GeneralWsResp';
  note: string;
  value: VectorValue;
  gobHex: string;
  gobLen: number;
  gobTypeId: number;
  gobGzipBase64: string;
  json: string;
}

export interface VectorFile {
  goVersion: string;
  notes: string[];
  vectors: Vector[];
}

/** The fixture file lives in the shared folder next to the repository. */
export const VECTORS_URL = new URL('../../../../shared/fixtures/gob-vectors.json', import.meta.url);

export function loadVectors(): VectorFile {
  const path = fileURLToPath(VECTORS_URL);
  if (!existsSync(path)) {
    throw new Error(`gob vectors fixture not found at ${path} (expected ../shared/fixtures/gob-vectors.json next to the repo)`);
  }
  const file = JSON.parse(readFileSync(path, 'utf8')) as VectorFile;
  if (!Array.isArray(file.vectors) || file.vectors.length === 0) throw new Error(`no vectors in ${path}`);
  return file;
}

export const isReqType = (goType: Vector['goType']): boolean => goType === 'Req' || goType === 'GeneralWsReq';
export const flavourOf = (goType: Vector['goType']): 'server' | 'sdk' =>
  goType === 'Req' || goType === 'Resp' ? 'server' : 'sdk';

function dataOf(hex: string | null): Uint8Array | null {
  return hex === null ? null : new Uint8Array(Buffer.from(hex, 'hex'));
}

export function vectorReq(v: VectorValue): Req {
  return makeReq({
    reqIdentifier: v.ReqIdentifier,
    token: v.Token ?? '',
    sendID: v.SendID ?? '',
    operationID: v.OperationID,
    msgIncr: v.MsgIncr,
    data: dataOf(v.Data),
  });
}

export function vectorResp(v: VectorValue): Resp {
  return makeResp({
    reqIdentifier: v.ReqIdentifier,
    msgIncr: v.MsgIncr,
    operationID: v.OperationID,
    errCode: v.ErrCode ?? 0,
    errMsg: v.ErrMsg ?? '',
    data: dataOf(v.Data),
  });
}

/** A comparable form of an envelope: data as hex (null stays null). */
export function plain<T extends { data: Uint8Array | null }>(e: T): Omit<T, 'data'> & { data: string | null } {
  return { ...e, data: e.data === null ? null : Buffer.from(e.data).toString('hex') };
}

/** gob cannot tell nil from empty: both decode as nil. */
export function gobNormal<T extends { data: Uint8Array | null }>(e: T): Omit<T, 'data'> & { data: string | null } {
  const p = plain(e);
  return { ...p, data: p.data === '' ? null : p.data };
}

// ---------------------------------------------------------------------------------------
// An independent gob writer (BigInt arithmetic, no shortcuts), for hand-built streams.

export function gUint(v: number | bigint): number[] {
  let u = BigInt(v);
  if (u < 0n) throw new Error('negative uint');
  if (u < 128n) return [Number(u)];
  const digits: number[] = [];
  while (u > 0n) {
    digits.unshift(Number(u & 0xffn));
    u >>= 8n;
  }
  return [256 - digits.length, ...digits];
}

export function gInt(v: number | bigint): number[] {
  const i = BigInt(v);
  return gUint(i < 0n ? (-i << 1n) - 1n : i << 1n);
}

export function gBytes(b: Uint8Array | number[]): number[] {
  return [...gUint(b.length), ...b];
}

export function gString(s: string): number[] {
  return gBytes([...Buffer.from(s, 'utf8')]);
}

/** A struct value from [fieldIndex, encodedValue] pairs (indexes ascending), with deltas. */
export function gStruct(fields: Array<[number, number[]]>): number[] {
  const out: number[] = [];
  let last = -1;
  for (const [i, v] of fields) {
    out.push(...gUint(i - last), ...v);
    last = i;
  }
  out.push(0);
  return out;
}

export function gMessage(payload: number[]): number[] {
  return [...gUint(payload.length), ...payload];
}

const commonType = (name: string, id: number): number[] => gStruct([[0, gString(name)], [1, gInt(id)]]);

/** Type-definition messages (wireType field index: 0 array, 1 slice, 2 struct, 3 map, 4..6 GobEncoder kinds). */
export function gDefStruct(id: number, name: string, fields: Array<[string, number]>): number[] {
  const ft = fields.map(([n, t]) => gStruct([[0, gString(n)], [1, gInt(t)]]));
  const st = gStruct([[0, commonType(name, id)], [1, [...gUint(fields.length), ...ft.flat()]]]);
  return gMessage([...gInt(-id), ...gStruct([[2, st]])]);
}
export function gDefSlice(id: number, name: string, elem: number): number[] {
  return gMessage([...gInt(-id), ...gStruct([[1, gStruct([[0, commonType(name, id)], [1, gInt(elem)]])]])]);
}
export function gDefArray(id: number, name: string, elem: number, len: number): number[] {
  return gMessage([
    ...gInt(-id),
    ...gStruct([[0, gStruct([[0, commonType(name, id)], [1, gInt(elem)], [2, gInt(len)]])]]),
  ]);
}
export function gDefMap(id: number, name: string, key: number, elem: number): number[] {
  return gMessage([
    ...gInt(-id),
    ...gStruct([[3, gStruct([[0, commonType(name, id)], [1, gInt(key)], [2, gInt(elem)]])]]),
  ]);
}
export function gDefGobEncoder(id: number, name: string, kind: 4 | 5 | 6 = 4): number[] {
  return gMessage([...gInt(-id), ...gStruct([[kind, gStruct([[0, commonType(name, id)]])]])]);
}

/** A value message of a struct type. */
export function gValue(id: number, fields: Array<[number, number[]]>): number[] {
  return gMessage([...gInt(id), ...gStruct(fields)]);
}

/** gob's float encoding: the IEEE bits byte-reversed, sent as a uint. */
export function gFloat(f: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(f);
  return gUint(b.readBigUInt64BE());
}

/** Builtin type ids. */
export const T = { bool: 1, int: 2, uint: 3, float: 4, bytes: 5, string: 6, complex: 7, interface: 8 } as const;

/** Field lists of the four Go declarations, for hand-built streams. */
export const GO_FIELDS: Record<Vector['goType'], Array<[string, number]>> = {
  Req: [['ReqIdentifier', T.int], ['Token', T.string], ['SendID', T.string], ['OperationID', T.string], ['MsgIncr', T.string], ['Data', T.bytes]],
  GeneralWsReq: [['ReqIdentifier', T.int], ['Token', T.string], ['SendID', T.string], ['OperationID', T.string], ['MsgIncr', T.string], ['Data', T.bytes]],
  Resp: [['ReqIdentifier', T.int], ['MsgIncr', T.string], ['OperationID', T.string], ['ErrCode', T.int], ['ErrMsg', T.string], ['Data', T.bytes]],
  GeneralWsResp: [['ReqIdentifier', T.int], ['ErrCode', T.int], ['ErrMsg', T.string], ['MsgIncr', T.string], ['OperationID', T.string], ['Data', T.bytes]],
};

/** What Go writes for a value of one of the four declarations, built by this independent writer. */
export function goFrame(goType: Vector['goType'], v: Req | Resp, id = 65): Buffer {
  const fields: Array<[number, number[]]> = [];
  GO_FIELDS[goType].forEach(([name], i) => {
    const key = name[0]!.toLowerCase() + name.slice(1); // ReqIdentifier -> reqIdentifier, SendID -> sendID
    const value = (v as unknown as Record<string, unknown>)[key];
    if (name === 'ReqIdentifier' || name === 'ErrCode') {
      if (value !== 0) fields.push([i, gInt(value as number)]);
    } else if (name === 'Data') {
      const d = value as Uint8Array | null;
      if (d !== null && d.length > 0) fields.push([i, gBytes([...d])]);
    } else if (value !== '') fields.push([i, gString(value as string)]);
  });
  return Buffer.from([...gDefStruct(id, goType, GO_FIELDS[goType]), ...gValue(id, fields)]);
}

/**
 * Re-frames a Go-written single-type frame with another type id: parses the two messages
 * with the independent reader below and rewrites the id in the definition header, the
 * CommonType.Id and the value header (lengths recomputed, as ids may change size).
 */
export function withTypeId(frame: Uint8Array, newId: number): Buffer {
  const r = { b: frame, p: 0 };
  const msgs: Uint8Array[] = [];
  while (r.p < frame.length) {
    const n = Number(readUint(r));
    msgs.push(frame.subarray(r.p, r.p + n));
    r.p += n;
  }
  if (msgs.length !== 2) throw new Error('expected two messages');
  const [def, val] = msgs as [Uint8Array, Uint8Array];
  // definition: int(-id) then wireType{StructT: structType{CommonType{Name, Id}, ...}}
  const d = { b: def, p: 0 };
  const oldId = -Number(readInt(d));
  const afterHeader = d.p;
  // wireType delta(3), structType delta(1), CommonType delta(1) name(string)
  d.p += 3;
  const nameLen = Number(readUint(d));
  d.p += nameLen;
  if (def[d.p] !== 1) throw new Error('expected CommonType.Id');
  d.p += 1;
  const idStart = d.p;
  if (Number(readInt(d)) !== oldId) throw new Error('CommonType.Id mismatch');
  const newDef = [...gInt(-newId), ...def.subarray(afterHeader, idStart), ...gInt(newId), ...def.subarray(d.p)];
  const v = { b: val, p: 0 };
  if (Number(readInt(v)) !== oldId) throw new Error('value id mismatch');
  const newVal = [...gInt(newId), ...val.subarray(v.p)];
  return Buffer.from([...gMessage(newDef), ...gMessage(newVal)]);
}

interface Cursor {
  b: Uint8Array;
  p: number;
}
function readUint(r: Cursor): bigint {
  const first = r.b[r.p++]!;
  if (first < 128) return BigInt(first);
  let v = 0n;
  for (let i = 0; i < 256 - first; i++) v = (v << 8n) | BigInt(r.b[r.p++]!);
  return v;
}
function readInt(r: Cursor): bigint {
  const u = readUint(r);
  return u & 1n ? -((u + 1n) >> 1n) : u >> 1n;
}

// ---------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32): fuzz runs are reproducible from their seed.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 2^32). */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 0x100000000) * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
