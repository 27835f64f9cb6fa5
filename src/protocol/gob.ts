/**
 * Go `encoding/gob` for the gateway's two envelopes (PROTOCOL.md section 3), both ways.
 *
 * A gob stream is a sequence of messages, each `uint(length) payload`. A payload starts
 * with a signed type id: negative = a type definition (`wireType` value) for that id,
 * positive = a value of that type. Every frame of the long-connection protocol is what a
 * *fresh* `gob.Encoder` writes for one struct value: one type-definition message for the
 * struct (ids start at 65 in a fresh process) followed by one value message.
 *
 * Number encoding (the whole format rests on it):
 * - uint: values < 128 are one byte; otherwise a byte holding the negated byte count
 *   (0xff = 1 byte ... 0xf8 = 8 bytes) followed by the big-endian bytes.
 * - int: zig-zag into a uint: `i >= 0 ? 2i : 2(-i-1)+1`.
 * - string / []byte: uint length then the raw bytes.
 * - struct: per transmitted field `uint(fieldIndex - previousIndex)` then the field's value,
 *   closed by a 0 byte; zero-valued fields (0, "", empty slice) are not transmitted.
 *
 * Encoding produces exactly the bytes Go writes; the type-definition message of every
 * layout is built once at load time and copied in front of each value.
 *
 * Decoding accepts anything Go's encoder can produce for a struct carrying (a subset of)
 * our field names, matched by name as Go does: any user type id, any type name, any field
 * order, extra type definitions, and unknown fields of any type the stream can describe
 * (bools, ints, uints, floats, complexes, strings, byte slices, structs, slices, arrays,
 * maps, GobEncoder/BinaryMarshaler/TextMarshaler values), which are skipped. Not supported,
 * as a DecodeError: a non-nil interface value in an unknown field, and fields typed with
 * gob's internal ids 9-63. Every problem with the input, however malformed, surfaces as a
 * {@link DecodeError}; work and memory stay linear in the input length (nothing is ever
 * allocated from a claimed length, only from bytes present). Decoded `data` is a view
 * into the input frame, not a copy.
 */
import { DecodeError, type EnvelopeCodec } from './codec.js';
import type { Req, Resp } from './envelope.js';

/** Which side's Go struct declarations to encode with: the server's `Req`/`Resp` or the Go SDK's `GeneralWsReq`/`GeneralWsResp`. */
export type GobFlavour = 'server' | 'sdk';

/** The Go type names gob transmits for our envelopes; each implies a field order. */
export type GobTypeName = 'Req' | 'Resp' | 'GeneralWsReq' | 'GeneralWsResp';

/** The id a fresh Go process gives its first user type; our encoder always uses it. */
export const GOB_FIRST_USER_TYPE_ID = 65;

/**
 * How deep nested values of unknown fields may go before decoding gives up; bounds the
 * recursion of the skipper (types can be recursive, e.g. `type T []T`).
 */
export const GOB_MAX_NESTING = 100;

// Builtin type ids of encoding/gob (fixed by the format; user types start at 64/65).
const T_BOOL = 1;
const T_INT = 2;
const T_UINT = 3;
const T_FLOAT = 4;
const T_BYTES = 5;
const T_STRING = 6;
const T_COMPLEX = 7;
const T_INTERFACE = 8;
/** Go's decoder refuses type definitions for ids below this (they are builtins or reserved). */
const MIN_DEFINABLE_ID = 64;
const MAX_TYPE_ID = 0x7fffffff; // typeId is an int32 in Go

// "Slots": the envelope fields we know, shared by Req and Resp, identified by Go field name.
const S_SKIP = -1;
const S_REQ_ID = 0;
const S_TOKEN = 1;
const S_SEND_ID = 2;
const S_OP_ID = 3;
const S_MSG_INCR = 4;
const S_ERR_CODE = 5;
const S_ERR_MSG = 6;
const S_DATA = 7;
const SLOT_NAMES = ['ReqIdentifier', 'Token', 'SendID', 'OperationID', 'MsgIncr', 'ErrCode', 'ErrMsg', 'Data'];
/** The only wire type Go accepts for each slot's Go type (int32/int -> int, string, []byte). */
const SLOT_WIRE_TYPE = [T_INT, T_STRING, T_STRING, T_STRING, T_STRING, T_INT, T_STRING, T_BYTES];
const REQ_SLOTS: readonly number[] = [S_REQ_ID, S_TOKEN, S_SEND_ID, S_OP_ID, S_MSG_INCR, S_DATA];
const RESP_SLOTS: readonly number[] = [S_REQ_ID, S_MSG_INCR, S_OP_ID, S_ERR_CODE, S_ERR_MSG, S_DATA];

/** Field order of each Go struct declaration, which is the order gob numbers the fields. */
const LAYOUTS: Record<GobTypeName, readonly number[]> = {
  Req: REQ_SLOTS,
  GeneralWsReq: REQ_SLOTS,
  Resp: RESP_SLOTS,
  GeneralWsResp: [S_REQ_ID, S_ERR_CODE, S_ERR_MSG, S_MSG_INCR, S_OP_ID, S_DATA],
};

// ---------------------------------------------------------------------------------------
// Wire types as described by a stream's type-definition messages.

interface WireField {
  readonly name: string;
  readonly id: number;
}
type WireType =
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly WireField[] }
  | { readonly kind: 'slice'; readonly elem: number }
  | { readonly kind: 'array'; readonly elem: number; readonly len: number }
  | { readonly kind: 'map'; readonly key: number; readonly elem: number }
  /** GobEncoder / BinaryMarshaler / TextMarshaler: transmitted as a byte slice. */
  | { readonly kind: 'opaque' };
type TypeTable = ReadonlyMap<number, WireType>;

/** How to decode the value of one struct type into our slots. */
interface Plan {
  /** Per wire field index: the slot it fills, or S_SKIP. */
  readonly slots: readonly number[];
  /** Per wire field index: its type id (used to skip it). */
  readonly typeIds: readonly number[];
  readonly types: TypeTable;
}

// ---------------------------------------------------------------------------------------
// Reading primitives. A single mutable cursor; decoding is synchronous, so module-level
// state is safe and saves an allocation per frame.

let buf: Buffer = Buffer.alloc(0);
let pos = 0;
/** End of the current message: nothing may be read past it. */
let end = 0;

function fail(why: string): never {
  throw new DecodeError(`gob: ${why}`);
}

/**
 * Reads a gob uint. Exact up to 2^53; larger values come back approximate but still huge,
 * which is all callers need (they compare lengths/counts/deltas against bytes present).
 */
function readUint(): number {
  if (pos >= end) fail('unexpected end of message');
  const b = buf[pos]!;
  if (b < 0x80) {
    pos++;
    return b;
  }
  const n = 256 - b;
  if (n > 8) fail('uint byte count too large');
  if (pos + 1 + n > end) fail('unexpected end of message in uint');
  let v = 0;
  for (let i = pos + 1, e = pos + 1 + n; i < e; i++) v = v * 256 + buf[i]!;
  pos += 1 + n;
  return v;
}

/**
 * Reads a gob int exactly when its magnitude is below 2^53; otherwise returns a value that
 * is not a safe integer (Infinity), so callers' range checks reject it.
 */
function readInt(): number {
  if (pos >= end) fail('unexpected end of message');
  const b = buf[pos]!;
  if (b < 0x80) {
    pos++;
    return b & 1 ? -(b >> 1) - 1 : b >> 1;
  }
  const n = 256 - b;
  if (n > 8) fail('int byte count too large');
  if (pos + 1 + n > end) fail('unexpected end of message in int');
  const start = pos + 1;
  pos = start + n;
  if (n <= 6) {
    // Below 2^48: plain double arithmetic is exact.
    let u = 0;
    for (let i = start; i < pos; i++) u = u * 256 + buf[i]!;
    const sign = u % 2;
    const mag = (u - sign) / 2;
    return sign ? -mag - 1 : mag;
  }
  // 7 or 8 bytes: split into high bits and the low 32 bits to stay exact.
  let hi = 0;
  for (let i = start; i < pos - 4; i++) hi = hi * 256 + buf[i]!;
  const lo = buf.readUInt32BE(pos - 4);
  if (hi >= 0x400000) return Infinity; // magnitude >= 2^53
  const mag = hi * 0x80000000 + (lo >>> 1);
  return lo & 1 ? -mag - 1 : mag;
}

/** Reads a uint length and checks that many bytes are present. */
function readLength(): number {
  const n = readUint();
  if (n > end - pos) fail('length exceeds remaining bytes');
  return n;
}

function readString(): string {
  const n = readLength();
  const start = pos;
  pos += n;
  return n === 0 ? '' : buf.toString('utf8', start, pos);
}

function readTypeId(): number {
  const id = readInt();
  if (!(id > 0 && id <= MAX_TYPE_ID)) fail(`invalid type id ${id}`);
  return id;
}

/**
 * Reads a struct with a fixed field count, calling `onField` for each transmitted field
 * (only used for the fixed-schema type-definition structs).
 */
function readStruct(nFields: number, onField: (index: number) => void): void {
  let f = -1;
  for (;;) {
    const d = readUint();
    if (d === 0) return;
    f += d;
    if (f >= nFields) fail('field number out of range');
    onField(f);
  }
}

/** CommonType{Name string; Id typeId}: only the name matters to us. */
function readCommonType(): string {
  let name = '';
  readStruct(2, (f) => {
    if (f === 0) name = readString();
    else readInt(); // Id: redundant with the message's id; Go does not rely on it either
  });
  return name;
}

/** Reads one `wireType` value: exactly one of its seven pointer fields is set. */
function readWireType(): WireType {
  let result: WireType | undefined;
  readStruct(7, (f) => {
    if (result !== undefined) fail('type definition with several kinds');
    switch (f) {
      case 0: {
        // arrayType{CommonType; Elem typeId; Len int}
        let elem = 0;
        let len = 0;
        readStruct(3, (g) => {
          if (g === 0) readCommonType();
          else if (g === 1) elem = readTypeId();
          else len = readInt();
        });
        if (!(len >= 0 && Number.isSafeInteger(len))) fail('invalid array length');
        result = { kind: 'array', elem, len };
        break;
      }
      case 1: {
        // sliceType{CommonType; Elem typeId}
        let elem = 0;
        readStruct(2, (g) => {
          if (g === 0) readCommonType();
          else elem = readTypeId();
        });
        result = { kind: 'slice', elem };
        break;
      }
      case 2: {
        // structType{CommonType; Field []*fieldType}
        let name = '';
        let fields: WireField[] = [];
        readStruct(2, (g) => {
          if (g === 0) name = readCommonType();
          else fields = readFieldTypes();
        });
        result = { kind: 'struct', name, fields };
        break;
      }
      case 3: {
        // mapType{CommonType; Key typeId; Elem typeId}
        let key = 0;
        let elem = 0;
        readStruct(3, (g) => {
          if (g === 0) readCommonType();
          else if (g === 1) key = readTypeId();
          else elem = readTypeId();
        });
        result = { kind: 'map', key, elem };
        break;
      }
      default:
        // gobEncoderType{CommonType} for GobEncoder, BinaryMarshaler, TextMarshaler
        readStruct(1, () => readCommonType());
        result = { kind: 'opaque' };
    }
  });
  if (result === undefined) fail('empty type definition');
  return result;
}

/** `[]*fieldType` where fieldType{Name string; Id typeId}. */
function readFieldTypes(): WireField[] {
  const count = readUint();
  // Every element takes at least its terminating byte: a larger count is a lie.
  if (count > end - pos) fail('field count exceeds remaining bytes');
  const fields: WireField[] = [];
  for (let i = 0; i < count; i++) {
    let name = '';
    let id = 0;
    readStruct(2, (g) => {
      if (g === 0) name = readString();
      else id = readTypeId();
    });
    if (id === 0) fail(`field ${JSON.stringify(name)} without a type`);
    fields.push({ name, id });
  }
  return fields;
}

// ---------------------------------------------------------------------------------------
// Skipping values of fields we do not know. Every value occupies at least one byte, so
// counts are checked against the bytes left and the total work is linear in the input.

function skipBytes(): void {
  const n = readLength(); // (not `pos += readLength()`: that would add to the stale pos)
  pos += n;
}

function skipValue(id: number, types: TypeTable, depth: number): void {
  switch (id) {
    case T_BOOL:
    case T_INT:
    case T_UINT:
    case T_FLOAT:
      readUint();
      return;
    case T_BYTES:
    case T_STRING:
      skipBytes();
      return;
    case T_COMPLEX:
      readUint();
      readUint();
      return;
    case T_INTERFACE:
      fail('cannot skip an interface value');
  }
  if (depth >= GOB_MAX_NESTING) fail('values nested too deeply');
  const t = types.get(id);
  if (t === undefined) fail(`undefined type id ${id}`); // unreachable after validateTypes
  switch (t.kind) {
    case 'struct': {
      const n = t.fields.length;
      let f = -1;
      for (;;) {
        const d = readUint();
        if (d === 0) return;
        f += d;
        if (f >= n) fail('field number out of range');
        skipValue(t.fields[f]!.id, types, depth + 1);
      }
    }
    case 'slice': {
      const n = readUint();
      if (n > end - pos) fail('element count exceeds remaining bytes');
      for (let i = 0; i < n; i++) skipValue(t.elem, types, depth + 1);
      return;
    }
    case 'array': {
      const n = readUint();
      if (n !== t.len) fail('array length mismatch');
      if (n > end - pos) fail('element count exceeds remaining bytes');
      for (let i = 0; i < n; i++) skipValue(t.elem, types, depth + 1);
      return;
    }
    case 'map': {
      const n = readUint();
      if (n > end - pos) fail('element count exceeds remaining bytes');
      for (let i = 0; i < n; i++) {
        skipValue(t.key, types, depth + 1);
        skipValue(t.elem, types, depth + 1);
      }
      return;
    }
    case 'opaque':
      skipBytes();
      return;
  }
}

/** Checks that `root` and every type reachable from it are defined (as Go does when compiling a decoder). */
function validateTypes(root: number, types: TypeTable): void {
  const seen = new Set<number>();
  const todo = [root];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (id <= T_INTERFACE || seen.has(id)) continue;
    seen.add(id);
    const t = types.get(id);
    if (t === undefined) fail(`undefined type id ${id}`);
    switch (t.kind) {
      case 'struct':
        for (const f of t.fields) todo.push(f.id);
        break;
      case 'slice':
      case 'array':
        todo.push(t.elem);
        break;
      case 'map':
        todo.push(t.key, t.elem);
        break;
      case 'opaque':
        break;
    }
  }
}

/** Maps the wire fields of a struct onto the wanted slots by Go field name. */
function buildPlan(fields: readonly WireField[], types: TypeTable, wanted: readonly number[]): Plan {
  const slots: number[] = [];
  const typeIds: number[] = [];
  let matched = false;
  for (const f of fields) {
    const slot = SLOT_NAMES.indexOf(f.name);
    if (slot >= 0 && wanted.includes(slot)) {
      if (f.id !== SLOT_WIRE_TYPE[slot]) fail(`type mismatch for field ${f.name}`);
      slots.push(slot);
      matched = true;
    } else {
      validateTypes(f.id, types);
      slots.push(S_SKIP);
    }
    typeIds.push(f.id);
  }
  // Go refuses to decode into a struct sharing no field with the stream's type.
  if (!matched) fail('no fields matched');
  return { slots, typeIds, types };
}

// ---------------------------------------------------------------------------------------
// Decoding the envelope value.

// Scratch result of the value decoder, reset per frame (see the note on module state).
let vReqId = 0;
let vErrCode = 0;
let vToken = '';
let vSendId = '';
let vOpId = '';
let vMsgIncr = '';
let vErrMsg = '';
let vData: Uint8Array | null = null;

/** Decodes a struct value (cursor just after its type id) according to `plan`. */
function decodeStructValue(plan: Plan): void {
  vReqId = 0;
  vErrCode = 0;
  vToken = vSendId = vOpId = vMsgIncr = vErrMsg = '';
  vData = null;
  const slots = plan.slots;
  const n = slots.length;
  let f = -1;
  for (;;) {
    const d = readUint();
    if (d === 0) return;
    f += d;
    if (f >= n) fail('field number out of range');
    switch (slots[f]) {
      case S_REQ_ID: {
        const v = readInt();
        if (!(v >= -0x80000000 && v <= 0x7fffffff)) fail('ReqIdentifier overflows int32');
        vReqId = v;
        break;
      }
      case S_ERR_CODE: {
        const v = readInt();
        if (!Number.isSafeInteger(v)) fail('ErrCode is not a safe integer');
        vErrCode = v;
        break;
      }
      case S_TOKEN:
        vToken = readString();
        break;
      case S_SEND_ID:
        vSendId = readString();
        break;
      case S_OP_ID:
        vOpId = readString();
        break;
      case S_MSG_INCR:
        vMsgIncr = readString();
        break;
      case S_ERR_MSG:
        vErrMsg = readString();
        break;
      case S_DATA: {
        const len = readLength();
        // A view into the input, not a copy; an explicit empty slice decodes as nil, as in Go.
        vData = len === 0 ? null : buf.subarray(pos, pos + len);
        pos += len;
        break;
      }
      default:
        skipValue(plan.typeIds[f]!, plan.types, 0);
    }
  }
}

/** Reads the length of the message starting at `pos` and sets `end` to its end. */
function enterMessage(): void {
  end = buf.length;
  const len = readUint();
  if (len === 0) fail('empty message');
  if (len > end - pos) fail('message length exceeds input');
  end = pos + len;
}

/** Known type-definition prefixes (id 65) of the four layouts, for the hot path. */
interface KnownLayout {
  readonly prefix: Buffer;
  readonly reqPlan: Plan;
  readonly respPlan: Plan;
}
const knownByFirstByte = new Map<number, KnownLayout>();

/**
 * Decodes a whole frame into the scratch values. `wanted` is REQ_SLOTS or RESP_SLOTS;
 * `pick` chooses the matching precomputed plan for the fast path.
 */
function decodeFrame(bytes: Uint8Array, wanted: readonly number[], pick: (k: KnownLayout) => Plan): void {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('gob: input is not bytes');
  buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  pos = 0;
  end = buf.length;
  try {
    // Hot path: the exact type definition Go writes for one of our layouts with id 65.
    const known = buf.length > 0 ? knownByFirstByte.get(buf[0]!) : undefined;
    if (known !== undefined && startsWith(buf, known.prefix)) {
      pos = known.prefix.length;
      if (pos < buf.length) {
        enterMessage();
        if (readInt() === GOB_FIRST_USER_TYPE_ID) {
          decodeStructValue(pick(known));
          finishValue();
          return;
        }
      }
      // Something else follows (more definitions?): take the general path from the start.
      pos = 0;
    }
    decodeGeneral(wanted);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Not expected (every check above throws DecodeError), but the contract is that decoders
    // throw nothing else, e.g. should the caller's stack be nearly exhausted.
    throw new DecodeError(`gob: cannot decode: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    // Do not keep the caller's input alive through module state.
    buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

function startsWith(b: Buffer, prefix: Buffer): boolean {
  const n = prefix.length;
  return b.length >= n && prefix.compare(b, 0, n, 0, n) === 0;
}

/** The value message must be consumed exactly and be the last thing in the frame. */
function finishValue(): void {
  if (pos !== end) fail('extra data in value message');
  if (end !== buf.length) fail('trailing bytes after value message');
}

/** The general path: any number of type definitions, then the value of one of them. */
function decodeGeneral(wanted: readonly number[]): void {
  const types = new Map<number, WireType>();
  for (;;) {
    if (pos >= buf.length) fail('no value message');
    enterMessage();
    const id = readInt();
    if (id < 0) {
      const defined = -id;
      if (!(defined >= MIN_DEFINABLE_ID && defined <= MAX_TYPE_ID)) fail(`cannot define type id ${defined}`);
      if (types.has(defined)) fail(`duplicate type id ${defined}`);
      const t = readWireType();
      if (pos !== end) fail('extra data in type definition');
      types.set(defined, t);
      continue;
    }
    const t = types.get(id);
    if (t === undefined) fail(`value of type id ${id} without a type definition`);
    if (t.kind !== 'struct') fail('value is not a struct');
    decodeStructValue(buildPlan(t.fields, types, wanted));
    finishValue();
    return;
  }
}

/**
 * Decodes a gob frame holding a `Req`-like struct (any type name, e.g. `Req` or
 * `GeneralWsReq`). Fields are matched by Go name; others are skipped.
 * The returned `data` is a view into `bytes` (no copy): copy it if `bytes` will be reused.
 * @throws DecodeError for anything that is not such a frame.
 */
export function decodeGobReq(bytes: Uint8Array): Req {
  decodeFrame(bytes, REQ_SLOTS, pickReqPlan);
  return { reqIdentifier: vReqId, token: vToken, sendID: vSendId, operationID: vOpId, msgIncr: vMsgIncr, data: vData };
}

/**
 * Decodes a gob frame holding a `Resp`-like struct (e.g. `Resp` or `GeneralWsResp`).
 * The returned `data` is a view into `bytes` (no copy).
 * @throws DecodeError for anything that is not such a frame.
 */
export function decodeGobResp(bytes: Uint8Array): Resp {
  decodeFrame(bytes, RESP_SLOTS, pickRespPlan);
  return { reqIdentifier: vReqId, msgIncr: vMsgIncr, operationID: vOpId, errCode: vErrCode, errMsg: vErrMsg, data: vData };
}

const pickReqPlan = (k: KnownLayout): Plan => k.reqPlan;
const pickRespPlan = (k: KnownLayout): Plan => k.respPlan;

// ---------------------------------------------------------------------------------------
// Encoding.

/** Bytes a gob uint takes; `u` must be an exact non-negative integer below 2^53. */
function uintSize(u: number): number {
  return u < 0x80 ? 1 : 1 + byteCount(u);
}

/** Writes a gob uint (exact non-negative integer below 2^53); returns the new offset. */
function writeUint(out: Buffer, at: number, u: number): number {
  if (u < 0x80) {
    out[at] = u;
    return at + 1;
  }
  const n = uintSize(u) - 1;
  out[at] = 256 - n;
  for (let i = at + n; i > at; i--) {
    out[i] = u % 256;
    u = Math.floor(u / 256);
  }
  return at + n + 1;
}

/**
 * A gob int as a (hi, lo) pair of its zig-zag uint, exact for every safe integer
 * (the uint of a safe integer can reach 2^54, beyond exact doubles).
 */
let zzHi = 0;
let zzLo = 0;
function zigzag(i: number): void {
  const neg = i < 0;
  const mag = neg ? -i - 1 : i;
  zzHi = Math.floor(mag / 0x80000000);
  zzLo = ((mag % 0x80000000) * 2 + (neg ? 1 : 0)) >>> 0;
}

/** Bytes needed for the big-endian digits of a positive integer below 2^53. */
function byteCount(v: number): number {
  let n = 1;
  while (v >= 256) {
    v = Math.floor(v / 256);
    n++;
  }
  return n;
}

function zigzagSize(): number {
  return zzHi === 0 ? uintSize(zzLo) : 1 + byteCount(zzHi) + 4;
}

function writeZigzag(out: Buffer, at: number): number {
  if (zzHi === 0) return writeUint(out, at, zzLo);
  const hiBytes = byteCount(zzHi);
  const n = hiBytes + 4;
  out[at] = 256 - n;
  let h = zzHi;
  for (let i = at + hiBytes; i > at; i--) {
    out[i] = h % 256;
    h = Math.floor(h / 256);
  }
  out.writeUInt32BE(zzLo, at + hiBytes + 1);
  return at + n + 1;
}

/** UTF-8 byte length of `s` as Node writes it (a lone surrogate becomes the 3-byte U+FFFD). */
function utf8Length(s: string): number {
  const len = s.length;
  if (len > 64) return Buffer.byteLength(s, 'utf8');
  let n = len;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n += 2;
    } else n += 2;
  }
  return n;
}

function writeStr(out: Buffer, at: number, s: string, n: number): number {
  if (n === s.length && n < 32) {
    // All ASCII (UTF-8 length equals UTF-16 length only then) and short: a loop beats a native call.
    for (let i = 0; i < n; i++) out[at + i] = s.charCodeAt(i);
  } else {
    out.write(s, at, n, n === s.length ? 'latin1' : 'utf8');
  }
  return at + n;
}

/** Appends a gob uint/int/string to a byte array (load-time helpers for the type definitions). */
function pushUint(out: number[], u: number): void {
  const b = Buffer.alloc(9);
  out.push(...b.subarray(0, writeUint(b, 0, u)));
}
function pushInt(out: number[], i: number): void {
  pushUint(out, i < 0 ? -i * 2 - 1 : i * 2);
}
function pushString(out: number[], s: string): void {
  const bytes = Buffer.from(s, 'utf8');
  pushUint(out, bytes.length);
  out.push(...bytes);
}

/** The type-definition message Go's fresh encoder writes for a struct. */
function typeDefinitionMessage(name: string, fields: readonly WireField[], id: number): Buffer {
  const body: number[] = [];
  pushInt(body, -id); // negative id: a definition follows
  body.push(3); // wireType field 2 (StructT): delta 3 from -1
  body.push(1); // structType field 0: CommonType
  body.push(1); // CommonType.Name
  pushString(body, name);
  body.push(1); // CommonType.Id
  pushInt(body, id);
  body.push(0); // end CommonType
  body.push(1); // structType field 1: Field []*fieldType
  pushUint(body, fields.length);
  for (const f of fields) {
    body.push(1); // fieldType.Name
    pushString(body, f.name);
    body.push(1); // fieldType.Id
    pushInt(body, f.id);
    body.push(0); // end fieldType
  }
  body.push(0, 0); // end structType, end wireType
  const msg: number[] = [];
  pushUint(msg, body.length);
  msg.push(...body);
  return Buffer.from(msg);
}

function layoutFields(typeName: GobTypeName): WireField[] {
  return LAYOUTS[typeName].map((slot) => ({ name: SLOT_NAMES[slot]!, id: SLOT_WIRE_TYPE[slot]! }));
}

/** Per layout: the constant type definition plus the encoded value type id. */
interface EncLayout {
  readonly slots: readonly number[];
  readonly prefix: Buffer;
  readonly valueTypeId: Buffer;
}
const encLayouts = {} as Record<GobTypeName, EncLayout>;
for (const typeName of Object.keys(LAYOUTS) as GobTypeName[]) {
  const fields = layoutFields(typeName);
  const prefix = typeDefinitionMessage(typeName, fields, GOB_FIRST_USER_TYPE_ID);
  const idBytes: number[] = [];
  pushInt(idBytes, GOB_FIRST_USER_TYPE_ID);
  encLayouts[typeName] = { slots: LAYOUTS[typeName], prefix, valueTypeId: Buffer.from(idBytes) };
  const noTypes: TypeTable = new Map();
  knownByFirstByte.set(prefix[0]!, {
    prefix,
    reqPlan: buildPlan(fields, noTypes, REQ_SLOTS),
    respPlan: buildPlan(fields, noTypes, RESP_SLOTS),
  });
}
if (knownByFirstByte.size !== 4) throw new Error('gob: layout prefixes must differ in their first byte');

/**
 * The constant type-definition message our encoder writes for `typeName` (id 65).
 * Returns a copy.
 */
export function gobTypeDefinition(typeName: GobTypeName): Buffer {
  return Buffer.from(encLayouts[typeName].prefix);
}

// Scratch inputs of the encoder, by slot (synchronous, see the note on module state).
const eStr: string[] = ['', '', '', '', '', '', '', ''];
const eLen: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
let eReqId = 0;
let eErrCode = 0;
let eData: Uint8Array | null = null;

function checkInt32(v: number): void {
  if ((v | 0) !== v) throw new RangeError(`gob: reqIdentifier ${v} is not an int32`);
}

/** Encodes the scratch inputs as a fresh-encoder frame of `layout`, into one exact-size Buffer. */
function encodeLayout(layout: EncLayout): Buffer {
  const slots = layout.slots;
  const idBytes = layout.valueTypeId;
  let body = idBytes.length + 1; // type id + struct terminator
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    switch (slot) {
      case S_REQ_ID:
        if (eReqId !== 0) body += 1 + uintSize(eReqId < 0 ? -eReqId * 2 - 1 : eReqId * 2);
        break;
      case S_ERR_CODE:
        if (eErrCode !== 0) {
          zigzag(eErrCode);
          body += 1 + zigzagSize();
        }
        break;
      case S_DATA:
        if (eData !== null && eData.length > 0) body += 1 + uintSize(eData.length) + eData.length;
        break;
      default: {
        const s = eStr[slot]!;
        if (s.length > 0) {
          const n = utf8Length(s);
          eLen[slot] = n;
          body += 1 + uintSize(n) + n;
        }
      }
    }
  }
  const prefix = layout.prefix;
  const out = Buffer.allocUnsafe(prefix.length + uintSize(body) + body);
  prefix.copy(out, 0);
  let at = writeUint(out, prefix.length, body);
  for (let i = 0; i < idBytes.length; i++) out[at++] = idBytes[i]!;
  let last = -1;
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    switch (slot) {
      case S_REQ_ID:
        if (eReqId === 0) continue;
        out[at++] = i - last;
        at = writeUint(out, at, eReqId < 0 ? -eReqId * 2 - 1 : eReqId * 2);
        break;
      case S_ERR_CODE:
        if (eErrCode === 0) continue;
        out[at++] = i - last;
        zigzag(eErrCode);
        at = writeZigzag(out, at);
        break;
      case S_DATA: {
        const d = eData;
        if (d === null || d.length === 0) continue;
        out[at++] = i - last;
        at = writeUint(out, at, d.length);
        out.set(d, at);
        at += d.length;
        break;
      }
      default: {
        const s = eStr[slot]!;
        if (s.length === 0) continue;
        out[at++] = i - last;
        const n = eLen[slot]!;
        at = writeUint(out, at, n);
        at = writeStr(out, at, s, n);
      }
    }
    last = i;
  }
  out[at++] = 0;
  if (at !== out.length) throw new Error('gob: internal size mismatch');
  return out;
}

/**
 * Encodes `req` exactly as Go's `gob.NewEncoder(&buf).Encode(v)` does for a fresh encoder,
 * as the Go struct `typeName` (`Req` = server declaration, `GeneralWsReq` = Go SDK's).
 * @throws RangeError if `reqIdentifier` is not an int32.
 */
export function encodeGobReq(req: Req, typeName: 'Req' | 'GeneralWsReq' = 'Req'): Buffer {
  checkInt32(req.reqIdentifier);
  eReqId = req.reqIdentifier;
  eErrCode = 0;
  eStr[S_TOKEN] = req.token;
  eStr[S_SEND_ID] = req.sendID;
  eStr[S_OP_ID] = req.operationID;
  eStr[S_MSG_INCR] = req.msgIncr;
  eData = req.data;
  try {
    return encodeLayout(encLayouts[typeName]);
  } finally {
    eData = null;
  }
}

/**
 * Encodes `resp` exactly as a fresh Go gob encoder does, as the Go struct `typeName`
 * (`Resp` = server declaration, `GeneralWsResp` = Go SDK's).
 * @throws RangeError if `reqIdentifier` is not an int32 or `errCode` not a safe integer.
 */
export function encodeGobResp(resp: Resp, typeName: 'Resp' | 'GeneralWsResp' = 'Resp'): Buffer {
  checkInt32(resp.reqIdentifier);
  if (!Number.isSafeInteger(resp.errCode)) throw new RangeError(`gob: errCode ${resp.errCode} is not a safe integer`);
  eReqId = resp.reqIdentifier;
  eErrCode = resp.errCode;
  eStr[S_MSG_INCR] = resp.msgIncr;
  eStr[S_OP_ID] = resp.operationID;
  eStr[S_ERR_MSG] = resp.errMsg;
  eData = resp.data;
  try {
    return encodeLayout(encLayouts[typeName]);
  } finally {
    eData = null;
  }
}

/**
 * The gob envelope codec (sdkType `go`). The flavour only chooses the struct declarations
 * used for encoding; decoding accepts every layout (fields are matched by name).
 */
export class GobCodec implements EnvelopeCodec {
  readonly name = 'gob' as const;
  private readonly reqType: 'Req' | 'GeneralWsReq';
  private readonly respType: 'Resp' | 'GeneralWsResp';

  constructor(readonly flavour: GobFlavour) {
    this.reqType = flavour === 'server' ? 'Req' : 'GeneralWsReq';
    this.respType = flavour === 'server' ? 'Resp' : 'GeneralWsResp';
  }

  encodeReq(req: Req): Buffer {
    return encodeGobReq(req, this.reqType);
  }

  /** `data` of the result is a view into `bytes`. */
  decodeReq(bytes: Uint8Array): Req {
    return decodeGobReq(bytes);
  }

  encodeResp(resp: Resp): Buffer {
    return encodeGobResp(resp, this.respType);
  }

  /** `data` of the result is a view into `bytes`. */
  decodeResp(bytes: Uint8Array): Resp {
    return decodeGobResp(bytes);
  }
}
