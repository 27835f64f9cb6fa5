/**
 * Fuzzing every decoder with >100k random, mutated and generated inputs (seeded: set
 * FUZZ_SEED to reproduce or vary a run). Each call must either return a well-formed
 * envelope or throw DecodeError - never another error, never take long.
 * Generated valid streams (random extra types and fields around the envelope fields) must
 * decode to exactly the envelope they carry.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/protocol/codec.js';
import { makeReq, makeResp, type Req, type Resp } from '../../../src/protocol/envelope.js';
import { decodeGobReq, decodeGobResp, encodeGobReq, encodeGobResp } from '../../../src/protocol/gob.js';
import { gunzipFrame } from '../../../src/protocol/gzip.js';
import { decodeJsonReq, decodeJsonResp, encodeJsonReq, encodeJsonResp } from '../../../src/protocol/json.js';
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
  gobNormal,
  loadVectors,
  plain,
  Rng,
  T,
} from './helpers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x6f0b1e5);
/**
 * A hang detector, not a speed check (timings belong in bench/): a decoder that loops or
 * inflates without bound takes far longer than this, while a loaded 2-core box with other
 * suites running in parallel can stall any single call for a few hundred ms.
 */
const MAX_CALL_MS = 3000;

const vectors = loadVectors().vectors;
const gobSeeds = vectors.map((v) => new Uint8Array(Buffer.from(v.gobHex, 'hex')));
const jsonSeeds = vectors.map((v) => new Uint8Array(Buffer.from(v.json, 'utf8')));
const gzipSeeds = vectors.map((v) => new Uint8Array(Buffer.from(v.gobGzipBase64, 'base64')));

// ---------------------------------------------------------------------------------------
// Mutations

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x7f, 0x80, 0x81, 0xf7, 0xf8, 0xfc, 0xfe, 0xff, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a];
const HUGE_VARINTS = [
  [0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xf8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
  [0xfc, 0x7f, 0xff, 0xff, 0xff],
  [0xfc, 0xff, 0xff, 0xff, 0xfe],
  [0xfa, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00],
  [0xfe, 0xff, 0xff],
  [0x80],
  [0xf0, 1, 2, 3],
];
const JSON_BITS = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u', 'null', 'true', '-', '1e999', '0.5', '"data":', '"reqIdentifier":', '"errCode":', '\u2028', '\ud800', '9007199254740993'];

function mutate(rng: Rng, input: Uint8Array, pool: readonly Uint8Array[], textual: boolean): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const ops = 1 + rng.int(4);
  for (let k = 0; k < ops; k++) {
    const at = b.length === 0 ? 0 : rng.int(b.length + 1);
    switch (rng.int(textual ? 10 : 9)) {
      case 0: // bit flip
        if (b.length > 0) b[rng.int(b.length)]! ^= 1 << rng.int(8);
        break;
      case 1: // interesting byte
        if (b.length > 0) b[rng.int(b.length)] = rng.pick(INTERESTING);
        break;
      case 2: // truncate
        b = b.subarray(0, rng.int(b.length + 1));
        break;
      case 3: {
        // insert random bytes
        b = concat(b.subarray(0, at), rng.bytes(1 + rng.int(8)), b.subarray(at));
        break;
      }
      case 4: {
        // delete a range
        const n = 1 + rng.int(8);
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + n)));
        break;
      }
      case 5: {
        // huge varint, inserted or overwriting
        const v = Uint8Array.from(rng.pick(HUGE_VARINTS));
        b = rng.int(2) === 0 ? concat(b.subarray(0, at), v, b.subarray(at)) : concat(b.subarray(0, at), v, b.subarray(Math.min(b.length, at + v.length)));
        break;
      }
      case 6: {
        // duplicate a range
        const from = rng.int(b.length + 1);
        const to = Math.min(b.length, from + rng.int(32));
        b = concat(b.subarray(0, at), b.subarray(from, to), b.subarray(at));
        break;
      }
      case 7: {
        // splice with another seed
        const other = rng.pick(pool);
        b = concat(b.subarray(0, at), other.subarray(rng.int(other.length + 1)));
        break;
      }
      case 8: // byte +- 1 (off-by-one lengths and counts)
        if (b.length > 0) {
          const i = rng.int(b.length);
          b[i] = (b[i]! + (rng.int(2) ? 1 : 255)) & 0xff;
        }
        break;
      default: {
        // JSON token
        const t = Buffer.from(rng.pick(JSON_BITS), 'utf8');
        b = concat(b.subarray(0, at), t, b.subarray(at));
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Generators of valid streams around known envelopes

const GOB_KNOWN: Array<[string, 'int' | 'string' | 'bytes']> = [
  ['ReqIdentifier', 'int'],
  ['Token', 'string'],
  ['SendID', 'string'],
  ['OperationID', 'string'],
  ['MsgIncr', 'string'],
  ['ErrCode', 'int'],
  ['ErrMsg', 'string'],
  ['Data', 'bytes'],
];

function randomText(rng: Rng): string {
  const n = rng.int(6);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(['a', 'Z', '0', '_', 'é', '€', '😀', '<', '"', '\\', '\n', '\u2028', ' ']);
  return s;
}

interface GenType {
  kind: 'struct' | 'slice' | 'array' | 'map' | 'opaque';
  fields?: number[];
  elem?: number;
  key?: number;
  len?: number;
}

/** A gob stream with random extra types/fields; returns it with the envelope it carries. */
function generateGob(rng: Rng): { bytes: Uint8Array; req: Req; resp: Resp } {
  const builtins = [T.bool, T.int, T.uint, T.float, T.bytes, T.string, T.complex];
  const top = 65 + rng.int(1000);
  const nTypes = rng.int(5);
  const ids = Array.from({ length: nTypes }, (_, i) => top + 1 + i);
  const types = new Map<number, GenType>();
  const anyType = (): number => (ids.length > 0 && rng.int(3) === 0 ? rng.pick(ids) : rng.pick(builtins));
  const defs: number[][] = [];
  for (const id of ids) {
    const k = rng.int(5);
    if (k === 0) {
      const fields = Array.from({ length: rng.int(4) }, anyType);
      types.set(id, { kind: 'struct', fields });
      defs.push(gDefStruct(id, `S${id}`, fields.map((t, i) => [`F${i}`, t])));
    } else if (k === 1) {
      const elem = anyType();
      types.set(id, { kind: 'slice', elem });
      defs.push(gDefSlice(id, `L${id}`, elem));
    } else if (k === 2) {
      const elem = rng.pick(builtins);
      const len = rng.int(4);
      types.set(id, { kind: 'array', elem, len });
      defs.push(gDefArray(id, `A${id}`, elem, len));
    } else if (k === 3) {
      const key = rng.pick(builtins);
      const elem = anyType();
      types.set(id, { kind: 'map', key, elem });
      defs.push(gDefMap(id, `M${id}`, key, elem));
    } else {
      types.set(id, { kind: 'opaque' });
      defs.push(gDefGobEncoder(id, `E${id}`, (4 + rng.int(3)) as 4 | 5 | 6));
    }
  }
  const value = (t: number, depth: number): number[] => {
    switch (t) {
      case T.bool:
        return gUint(rng.int(2));
      case T.int:
        return gInt(BigInt(rng.u32()) * BigInt(rng.u32() >>> 1) * (rng.int(2) ? 1n : -1n)); // within int64
      case T.uint:
        return gUint(BigInt(rng.u32()) << BigInt(rng.int(33))); // within uint64
      case T.float:
        return gFloat((rng.u32() - 2 ** 31) / 7);
      case T.bytes:
        return gBytes(rng.bytes(rng.int(5)));
      case T.string:
        return gString(randomText(rng));
      case T.complex:
        return [...gFloat(rng.u32()), ...gFloat(-1)];
    }
    const g = types.get(t)!;
    const deep = depth > 6;
    switch (g.kind) {
      case 'struct': {
        const fields: Array<[number, number[]]> = [];
        if (!deep) g.fields!.forEach((ft, i) => rng.int(2) && fields.push([i, value(ft, depth + 1)]));
        return gStruct(fields);
      }
      case 'slice': {
        const n = deep ? 0 : rng.int(3);
        return [...gUint(n), ...Array.from({ length: n }, () => value(g.elem!, depth + 1)).flat()];
      }
      case 'array':
        return [...gUint(g.len!), ...Array.from({ length: g.len! }, () => value(g.elem!, depth + 1)).flat()];
      case 'map': {
        const n = deep ? 0 : rng.int(3);
        return [...gUint(n), ...Array.from({ length: n }, () => [...value(g.key!, depth + 1), ...value(g.elem!, depth + 1)]).flat()];
      }
      case 'opaque':
        return gBytes(rng.bytes(rng.int(6)));
    }
  };
  // Top struct: the known fields (a random subset, random order) among unknown ones.
  const known = GOB_KNOWN.filter(() => rng.int(4) !== 0);
  // Both decoders need a field they know (Go refuses a struct sharing no field).
  const shared = GOB_KNOWN.filter(([n]) => ['ReqIdentifier', 'OperationID', 'MsgIncr', 'Data'].includes(n));
  if (!known.some((k) => shared.includes(k))) known.push(rng.pick(shared));
  const fields: Array<[string, number, string | null]> = []; // name, type, known-name
  for (const k of known) fields.push([k[0], k[1] === 'int' ? T.int : k[1] === 'string' ? T.string : T.bytes, k[0]]);
  for (let i = rng.int(5); i > 0; i--) fields.push([`X${i}`, anyType(), null]);
  for (let i = fields.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  const req = makeReq({});
  const resp = makeResp({});
  const vals: Array<[number, number[]]> = [];
  fields.forEach(([, t, name], i) => {
    if (name === null) {
      if (rng.int(2)) vals.push([i, value(t, 0)]);
      return;
    }
    if (rng.int(5) === 0) return; // absent: zero value
    let v: number[];
    if (name === 'ReqIdentifier') {
      const n = (rng.u32() | 0) >> rng.int(32);
      req.reqIdentifier = resp.reqIdentifier = n;
      v = gInt(n);
    } else if (name === 'ErrCode') {
      const n = Math.floor((rng.u32() / 2 ** 32) * 2 ** 53) * (rng.int(2) ? 1 : -1);
      resp.errCode = n === 0 ? 0 : n;
      v = gInt(n);
    } else if (name === 'Data') {
      const d = rng.bytes(rng.int(40));
      req.data = resp.data = d.length > 0 ? d : null;
      v = gBytes(d);
    } else {
      const s = randomText(rng);
      const key = name[0]!.toLowerCase() + name.slice(1);
      if (key in req) (req as unknown as Record<string, string>)[key] = s;
      if (key in resp) (resp as unknown as Record<string, string>)[key] = s;
      v = gString(s);
    }
    vals.push([i, v]);
  });
  // Type definitions in random order around the top one (Go writes the top one first).
  const all = [...defs];
  all.splice(rng.int(all.length + 1), 0, gDefStruct(top, rng.pick(['Req', 'Resp', 'GeneralWsReq', 'main.X', '']), fields.map(([n, t]) => [n, t])));
  return { bytes: Uint8Array.from([...all.flat(), ...gValue(top, vals)]), req, resp };
}

/** Random JSON (valid), used as unknown values and as top-level garbage. */
function randomJson(rng: Rng, depth: number): unknown {
  switch (rng.int(depth > 4 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return rng.int(2) === 0;
    case 2:
      return rng.int(2) ? rng.u32() - 2 ** 31 : (rng.u32() - 2 ** 31) / 1000;
    case 3:
      return randomText(rng);
    case 4:
      return Array.from({ length: rng.int(4) }, () => randomJson(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(4); i > 0; i--) o[randomText(rng)] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

function caseVariant(rng: Rng, key: string): string {
  if (rng.int(3) !== 0) return key;
  return [...key].map((c) => (rng.int(2) ? c.toUpperCase() : c.toLowerCase())).join('');
}

/** A JSON envelope with random key order/case, unknown keys and whitespace. */
function generateJson(rng: Rng): { bytes: Uint8Array; req: Req; resp: Resp } {
  const req = makeReq({});
  const resp = makeResp({});
  const entries: Array<[string, unknown]> = [];
  const id = (rng.u32() | 0) >> rng.int(32);
  const code = Math.floor((rng.u32() / 2 ** 32) * 2 ** 53) * (rng.int(2) ? 1 : -1) || 0;
  const str = () => randomText(rng);
  const candidates: Array<[string, () => unknown]> = [
    ['reqIdentifier', () => ((req.reqIdentifier = resp.reqIdentifier = id), id)],
    ['token', () => (req.token = str())],
    ['sendID', () => (req.sendID = str())],
    ['operationID', () => (req.operationID = resp.operationID = str())],
    ['msgIncr', () => (req.msgIncr = resp.msgIncr = str())],
    ['errCode', () => ((resp.errCode = code), code)],
    ['errMsg', () => (resp.errMsg = str())],
    [
      'data',
      () => {
        if (rng.int(4) === 0) return (req.data = resp.data = null);
        const d = rng.bytes(rng.int(30));
        req.data = resp.data = d;
        return Buffer.from(d).toString('base64');
      },
    ],
  ];
  for (const [k, make] of candidates) if (rng.int(4) !== 0) entries.push([caseVariant(rng, k), make()]);
  for (let i = rng.int(4); i > 0; i--) entries.splice(rng.int(entries.length + 1), 0, [`u${randomText(rng)}x`, randomJson(rng, 0)]);
  const ws = () => rng.pick(['', '', ' ', '\n', '\t', ' \r\n ']);
  const body = entries.map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${JSON.stringify(v)}${ws()}`).join(',');
  return { bytes: new Uint8Array(Buffer.from(`${ws()}{${body}}${ws()}`, 'utf8')), req, resp };
}

// ---------------------------------------------------------------------------------------
// The harness

interface Stats {
  inputs: number;
  calls: number;
  accepted: number;
  rejected: number;
  slowest: number;
}

function newStats(): Stats {
  return { inputs: 0, calls: 0, accepted: 0, rejected: 0, slowest: 0 };
}

/** Runs `decode` on `input`; returns the value or undefined after a DecodeError; anything else fails. */
function attempt<T>(stats: Stats, label: string, input: Uint8Array, decode: (b: Uint8Array) => T): T | undefined {
  stats.calls++;
  const t0 = performance.now();
  let out: T | undefined;
  try {
    out = decode(input);
    stats.accepted++;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(`${label}: ${String(e)} (not a DecodeError) for input ${Buffer.from(input).toString('hex').slice(0, 400)}`, { cause: e });
    }
    stats.rejected++;
  }
  const ms = performance.now() - t0;
  stats.slowest = Math.max(stats.slowest, ms);
  if (ms > MAX_CALL_MS) throw new Error(`${label}: took ${ms.toFixed(1)} ms for ${input.length} bytes`);
  return out;
}

function checkReq(r: Req): void {
  expect((r.reqIdentifier | 0) === r.reqIdentifier).toBe(true);
  for (const s of [r.token, r.sendID, r.operationID, r.msgIncr]) expect(typeof s).toBe('string');
  expect(r.data === null || r.data instanceof Uint8Array).toBe(true);
}

function checkResp(r: Resp): void {
  expect((r.reqIdentifier | 0) === r.reqIdentifier).toBe(true);
  expect(Number.isSafeInteger(r.errCode)).toBe(true);
  for (const s of [r.msgIncr, r.operationID, r.errMsg]) expect(typeof s).toBe('string');
  expect(r.data === null || r.data instanceof Uint8Array).toBe(true);
}

function fuzzGobInput(stats: Stats, input: Uint8Array): void {
  stats.inputs++;
  const req = attempt(stats, 'decodeGobReq', input, decodeGobReq);
  if (req) {
    checkReq(req);
    // Whatever was accepted re-encodes to something that decodes to the same envelope.
    expect(gobNormal(decodeGobReq(encodeGobReq(req, 'GeneralWsReq')))).toEqual(gobNormal(req));
  }
  const resp = attempt(stats, 'decodeGobResp', input, decodeGobResp);
  if (resp) {
    checkResp(resp);
    expect(gobNormal(decodeGobResp(encodeGobResp(resp)))).toEqual(gobNormal(resp));
  }
}

function fuzzJsonInput(stats: Stats, input: Uint8Array): void {
  stats.inputs++;
  const req = attempt(stats, 'decodeJsonReq', input, decodeJsonReq);
  if (req) {
    checkReq(req);
    expect(plain(decodeJsonReq(encodeJsonReq(req)))).toEqual(plain(req));
  }
  const resp = attempt(stats, 'decodeJsonResp', input, decodeJsonResp);
  if (resp) {
    checkResp(resp);
    expect(plain(decodeJsonResp(encodeJsonResp(resp, 'sdk')))).toEqual(plain(resp));
  }
}

const totals = { inputs: 0 };

describe(`codec fuzzing (FUZZ_SEED=${SEED})`, () => {
  it('gob: generated valid streams decode to the envelope they carry', () => {
    const rng = new Rng(SEED ^ 0x1);
    for (let i = 0; i < 3000; i++) {
      const g = generateGob(rng);
      expect(gobNormal(decodeGobReq(g.bytes)), `case ${i}`).toEqual(gobNormal(g.req));
      expect(gobNormal(decodeGobResp(g.bytes)), `case ${i}`).toEqual(gobNormal(g.resp));
    }
  });

  it('gob: mutated, generated and random inputs only ever give DecodeError', () => {
    const rng = new Rng(SEED ^ 0x2);
    const stats = newStats();
    const generated = Array.from({ length: 200 }, () => generateGob(rng).bytes);
    const pool = [...gobSeeds, ...generated];
    for (let i = 0; i < 30000; i++) fuzzGobInput(stats, mutate(rng, rng.pick(pool), pool, false));
    for (let i = 0; i < 8000; i++) fuzzGobInput(stats, mutate(rng, generateGob(rng).bytes, pool, false));
    for (let i = 0; i < 4000; i++) fuzzGobInput(stats, rng.bytes(rng.int(200)));
    // A valid type definition followed by random bytes reaches deep into the value decoder.
    for (let i = 0; i < 4000; i++) {
      const seed = rng.pick(gobSeeds);
      const cut = seed[0]! + 1;
      fuzzGobInput(stats, concat(seed.subarray(0, cut), rng.bytes(rng.int(40))));
    }
    totals.inputs += stats.inputs;
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.rejected).toBeGreaterThan(stats.inputs / 2);
  });

  it('json: generated valid envelopes decode to their values', () => {
    const rng = new Rng(SEED ^ 0x3);
    for (let i = 0; i < 3000; i++) {
      const g = generateJson(rng);
      expect(plain(decodeJsonReq(g.bytes)), `case ${i}: ${Buffer.from(g.bytes).toString()}`).toEqual(plain(g.req));
      expect(plain(decodeJsonResp(g.bytes)), `case ${i}: ${Buffer.from(g.bytes).toString()}`).toEqual(plain(g.resp));
    }
  });

  it('json: mutated, generated and random inputs only ever give DecodeError', () => {
    const rng = new Rng(SEED ^ 0x4);
    const stats = newStats();
    const generated = Array.from({ length: 200 }, () => generateJson(rng).bytes);
    const pool = [...jsonSeeds, ...generated];
    for (let i = 0; i < 30000; i++) fuzzJsonInput(stats, mutate(rng, rng.pick(pool), pool, true));
    for (let i = 0; i < 6000; i++) fuzzJsonInput(stats, mutate(rng, generateJson(rng).bytes, pool, true));
    for (let i = 0; i < 4000; i++) fuzzJsonInput(stats, rng.bytes(rng.int(120)));
    for (let i = 0; i < 4000; i++) {
      let s = '';
      for (let k = rng.int(30); k > 0; k--) s += rng.pick(JSON_BITS);
      fuzzJsonInput(stats, new Uint8Array(Buffer.from(s, 'utf8')));
    }
    // Absurd nesting and sizes.
    for (const s of ['['.repeat(200000), `{"x":${'{"a":'.repeat(50000)}`, `{"data":"${'A'.repeat(600000)}"}`, `{"x":"${'\\u0041'.repeat(50000)}"}`]) {
      fuzzJsonInput(stats, new Uint8Array(Buffer.from(s)));
    }
    totals.inputs += stats.inputs;
    expect(stats.accepted).toBeGreaterThan(0);
  });

  it('gunzip: mutated and random inputs only ever give DecodeError, bombs are capped', () => {
    const rng = new Rng(SEED ^ 0x5);
    const stats = newStats();
    const extra = [gzipSync(Buffer.alloc(5 << 20)), gzipSync(rng.bytes(3000)), gzipSync(Buffer.alloc(0))].map((b) => new Uint8Array(b));
    const pool = [...gzipSeeds, ...extra];
    const run = (input: Uint8Array) => {
      stats.inputs++;
      const out = attempt(stats, 'gunzipFrame', input, (b) => gunzipFrame(b, 1 << 20));
      if (out) expect(out.length).toBeLessThanOrEqual(1 << 20);
    };
    for (let i = 0; i < 10000; i++) run(mutate(rng, rng.pick(pool), pool, false));
    for (let i = 0; i < 2000; i++) run(rng.bytes(rng.int(100)));
    for (const b of extra) run(b);
    totals.inputs += stats.inputs;
    expect(stats.rejected).toBeGreaterThan(stats.inputs / 2);
  });

  it('fed at least 100k inputs in total', () => {
    expect(totals.inputs).toBeGreaterThanOrEqual(100_000);
  });
});
