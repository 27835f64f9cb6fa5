/**
 * The JSON envelope codec (sdkType `js`), byte-compatible with Go's `encoding/json`.
 *
 * Encoding mirrors `json.Marshal` of the Go structs: keys in the order of the Go struct
 * declaration (which differs between the server's `Resp` and the SDK's `GeneralWsResp`),
 * `data` as standard padded base64, `null` for a nil slice and `""` for an empty one, and
 * Go's string escaping (HTML-safe `\u003c`/`\u003e`/`\u0026`, `\u2028`/`\u2029`, control
 * characters as `\u00XX` except `\n` `\r` `\t`, invalid UTF-16 as `\ufffd`).
 *
 * Decoding mirrors `json.Unmarshal` into those structs: keys matched exactly or
 * case-insensitively, unknown keys ignored, missing keys and `null` leave the zero value,
 * numbers for int fields must be integer literals in range, wrong types are errors.
 * It is a small purpose-built parser (not `JSON.parse`) so that integer literals can be
 * checked as Go does (`1.0` and `1e3` are not ints) and the rest of the object is only
 * validated, not materialised. Every failure is a {@link DecodeError}.
 */
import { DecodeError, type EnvelopeCodec } from './codec.js';
import type { Req, Resp } from './envelope.js';

/** Which side's Go struct declaration decides the key order when encoding a Resp. */
export type JsonFlavour = 'server' | 'sdk';

/** Unknown values nested deeper than this are rejected (Go allows 10000; we keep the stack small). */
export const JSON_MAX_NESTING = 512;

// ---------------------------------------------------------------------------------------
// Go's string escaping.

const HEX = '0123456789abcdef';
/** Anything Go escapes, plus every surrogate (valid pairs are then kept by the slow path). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** `s` with the escapes Go's `encoding/json` applies, without the surrounding quotes. */
function escapeGo(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  let out = '';
  let last = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c < 0x20) {
      rep = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c === 0x3c) rep = '\\u003c';
    else if (c === 0x3e) rep = '\\u003e';
    else if (c === 0x26) rep = '\\u0026';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      if (c <= 0xdbff && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          i++; // a valid pair: written as is
          continue;
        }
      }
      rep = '\\ufffd'; // what Go writes for bytes that are not valid UTF-8
    } else continue;
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return out + s.slice(last);
}

/**
 * `s` as a JSON string literal (with quotes) exactly as Go's `encoding/json` writes it.
 * Useful wherever the gateway must reproduce Go's JSON byte for byte.
 */
export function goJsonString(s: string): string {
  return '"' + escapeGo(s) + '"';
}

// ---------------------------------------------------------------------------------------
// Encoding.

const F_INT = 0;
const F_STR = 1;
const F_DATA = 2;

interface FieldSpec {
  /** The constant text before the value: `{"key":` or `,"key":`. */
  readonly prefix: string;
  readonly kind: typeof F_INT | typeof F_STR | typeof F_DATA;
  readonly key: string;
}

function specs(fields: ReadonlyArray<readonly [string, FieldSpec['kind']]>): readonly FieldSpec[] {
  return fields.map(([key, kind], i) => ({ prefix: (i === 0 ? '{"' : ',"') + key + '":', kind, key }));
}

const REQ_SPECS = specs([
  ['reqIdentifier', F_INT],
  ['token', F_STR],
  ['sendID', F_STR],
  ['operationID', F_STR],
  ['msgIncr', F_STR],
  ['data', F_DATA],
]);
/** The server's `Resp` declaration order. */
const RESP_SPECS = specs([
  ['reqIdentifier', F_INT],
  ['msgIncr', F_STR],
  ['operationID', F_STR],
  ['errCode', F_INT],
  ['errMsg', F_STR],
  ['data', F_DATA],
]);
/** The Go SDK's `GeneralWsResp` declaration order. */
const SDK_RESP_SPECS = specs([
  ['reqIdentifier', F_INT],
  ['errCode', F_INT],
  ['errMsg', F_STR],
  ['msgIncr', F_STR],
  ['operationID', F_STR],
  ['data', F_DATA],
]);

/**
 * Encodes an object whose values are looked up by key. Everything before `data` (always
 * the last key) is built as one string; the base64 of `data` is written after it directly,
 * so a large payload is copied once, and one exact-size Buffer is allocated.
 */
function encodeObject(fieldSpecs: readonly FieldSpec[], value: Readonly<Record<string, unknown>>): Buffer {
  let head = '';
  const last = fieldSpecs.length - 1;
  for (let i = 0; i < last; i++) {
    const spec = fieldSpecs[i]!;
    const v = value[spec.key];
    head += spec.prefix + (spec.kind === F_INT ? String(v) : '"' + escapeGo(v as string) + '"');
  }
  const dataSpec = fieldSpecs[last]!;
  if (dataSpec.kind !== F_DATA) throw new Error('json: data must be the last key');
  head += dataSpec.prefix;
  const d = value[dataSpec.key] as Uint8Array | null;
  const b64 = d === null ? null : Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString('base64');
  const headBytes = Buffer.byteLength(head, 'utf8');
  const total = headBytes + (b64 === null ? 4 : b64.length + 2) + 1;
  const out = Buffer.allocUnsafe(total);
  let at = out.write(head, 0, headBytes === head.length ? 'latin1' : 'utf8');
  if (b64 === null) {
    out[at++] = 0x6e; // null
    out[at++] = 0x75;
    out[at++] = 0x6c;
    out[at++] = 0x6c;
  } else {
    out[at++] = 0x22;
    at += out.write(b64, at, 'latin1');
    out[at++] = 0x22;
  }
  out[at++] = 0x7d; // }
  if (at !== total) throw new Error('json: internal size mismatch');
  return out;
}

function checkInts(reqIdentifier: number, errCode: number): void {
  if ((reqIdentifier | 0) !== reqIdentifier) throw new RangeError(`json: reqIdentifier ${reqIdentifier} is not an int32`);
  if (!Number.isSafeInteger(errCode)) throw new RangeError(`json: errCode ${errCode} is not a safe integer`);
}

/**
 * Encodes a Req as Go's `json.Marshal` does for `Req` / `GeneralWsReq` (same key order).
 * @throws RangeError if `reqIdentifier` is not an int32.
 */
export function encodeJsonReq(req: Req): Buffer {
  checkInts(req.reqIdentifier, 0);
  return encodeObject(REQ_SPECS, req as unknown as Record<string, unknown>);
}

/**
 * Encodes a Resp as Go's `json.Marshal` does for the server's `Resp` (flavour `server`)
 * or the SDK's `GeneralWsResp` (flavour `sdk`), which order their keys differently.
 * @throws RangeError if `reqIdentifier` is not an int32 or `errCode` not a safe integer.
 */
export function encodeJsonResp(resp: Resp, flavour: JsonFlavour = 'server'): Buffer {
  checkInts(resp.reqIdentifier, resp.errCode);
  return encodeObject(flavour === 'server' ? RESP_SPECS : SDK_RESP_SPECS, resp as unknown as Record<string, unknown>);
}

// ---------------------------------------------------------------------------------------
// Decoding.

// Slots of the envelope fields, keyed by the lower-case JSON key.
const K_REQ_ID = 0;
const K_TOKEN = 1;
const K_SEND_ID = 2;
const K_OP_ID = 3;
const K_MSG_INCR = 4;
const K_ERR_CODE = 5;
const K_ERR_MSG = 6;
const K_DATA = 7;
const SLOT_KEYS = ['reqIdentifier', 'token', 'sendID', 'operationID', 'msgIncr', 'errCode', 'errMsg', 'data'];
const LOWER_KEYS = SLOT_KEYS.map((k) => k.toLowerCase());
const REQ_WANTED = [true, true, true, true, true, false, false, true];
const RESP_WANTED = [true, false, false, true, true, true, true, true];

// Parser state (synchronous, see above).
let src = '';
let at = 0;
let len = 0;

function fail(why: string): never {
  throw new DecodeError(`json: ${why}`);
}

function failAt(why: string): never {
  fail(`${why} at offset ${at}`);
}

function skipWs(): void {
  while (at < len) {
    const c = src.charCodeAt(at);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
    else return;
  }
}

function expect(c: number, what: string): void {
  skipWs();
  if (at >= len || src.charCodeAt(at) !== c) failAt(`expected ${what}`);
  at++;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Reads 4 hex digits at `at` (after `\u`), or fails. */
function readHex4(): number {
  if (at + 4 > len) failAt('truncated \\u escape');
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = hexDigit(src.charCodeAt(at + k));
    if (h < 0) failAt('invalid \\u escape');
    v = v * 16 + h;
  }
  at += 4;
  return v;
}

/** What the string fast path cannot take: escapes and (invalid) raw control characters. */
const SLOW_STRING = /[\u0000-\u001f\\]/;

/** Parses a string literal whose opening quote is at `at`; returns its value. */
function parseString(): string {
  at++; // opening quote
  const start = at;
  // Fast path: up to the next quote there is no escape and no control character
  // (native indexOf and a one-class regex beat a charCodeAt loop on long values).
  const close = src.indexOf('"', start);
  if (close < 0) fail('unterminated string');
  const candidate = src.slice(start, close);
  if (!SLOW_STRING.test(candidate)) {
    at = close + 1;
    return candidate;
  }
  let out = '';
  while (at < len) {
    const c = src.charCodeAt(at);
    if (c === 0x22) {
      at++;
      return out;
    }
    if (c < 0x20) failAt('control character in string');
    if (c !== 0x5c) {
      const runStart = at;
      while (at < len) {
        const d = src.charCodeAt(at);
        if (d === 0x22 || d === 0x5c || d < 0x20) break;
        at++;
      }
      out += src.slice(runStart, at);
      continue;
    }
    at++; // backslash
    if (at >= len) break;
    const e = src.charCodeAt(at++);
    switch (e) {
      case 0x22:
        out += '"';
        break;
      case 0x5c:
        out += '\\';
        break;
      case 0x2f:
        out += '/';
        break;
      case 0x62:
        out += '\b';
        break;
      case 0x66:
        out += '\f';
        break;
      case 0x6e:
        out += '\n';
        break;
      case 0x72:
        out += '\r';
        break;
      case 0x74:
        out += '\t';
        break;
      case 0x75: {
        const u = readHex4();
        if (u >= 0xd800 && u <= 0xdfff) {
          // Like Go: a high surrogate followed by an escaped low one is a pair; anything
          // else becomes U+FFFD and the following text is read normally.
          if (u <= 0xdbff && at + 6 <= len && src.charCodeAt(at) === 0x5c && src.charCodeAt(at + 1) === 0x75) {
            const save = at;
            at += 2;
            const v = readHex4();
            if (v >= 0xdc00 && v <= 0xdfff) {
              out += String.fromCharCode(u, v);
              break;
            }
            at = save;
          }
          out += '\ufffd';
        } else out += String.fromCharCode(u);
        break;
      }
      default:
        failAt('invalid escape in string');
    }
  }
  fail('unterminated string');
}

/** Skips a string literal (validating it) whose opening quote is at `at`. */
function skipString(): void {
  parseString();
}

/** Whether the last scanned number had neither fraction nor exponent. */
let numIsInteger = true;

/** Scans a number literal at `at` per the JSON grammar; returns its text. */
function scanNumber(): string {
  const start = at;
  numIsInteger = true;
  if (src.charCodeAt(at) === 0x2d) at++; // -
  if (at >= len) failAt('truncated number');
  let c = src.charCodeAt(at);
  if (c === 0x30) at++;
  else if (c >= 0x31 && c <= 0x39) {
    while (at < len && (c = src.charCodeAt(at)) >= 0x30 && c <= 0x39) at++;
  } else failAt('invalid number');
  if (at < len && src.charCodeAt(at) === 0x2e) {
    numIsInteger = false;
    at++;
    const fracStart = at;
    while (at < len && (c = src.charCodeAt(at)) >= 0x30 && c <= 0x39) at++;
    if (at === fracStart) failAt('invalid number');
  }
  if (at < len && (src.charCodeAt(at) | 0x20) === 0x65) {
    numIsInteger = false;
    at++;
    if (at < len && ((c = src.charCodeAt(at)) === 0x2b || c === 0x2d)) at++;
    const expStart = at;
    while (at < len && (c = src.charCodeAt(at)) >= 0x30 && c <= 0x39) at++;
    if (at === expStart) failAt('invalid number');
  }
  return src.slice(start, at);
}

/** Matches `true`, `false` or `null` at `at`. */
function skipLiteral(word: string): void {
  if (src.startsWith(word, at)) at += word.length;
  else failAt('invalid literal');
}

/** Skips any JSON value at `at` (after whitespace), validating it. */
function skipValue(depth: number): void {
  skipWs();
  if (at >= len) failAt('unexpected end of input');
  const c = src.charCodeAt(at);
  switch (c) {
    case 0x22:
      skipString();
      return;
    case 0x74:
      skipLiteral('true');
      return;
    case 0x66:
      skipLiteral('false');
      return;
    case 0x6e:
      skipLiteral('null');
      return;
    case 0x7b: // {
    case 0x5b: {
      // [
      if (depth >= JSON_MAX_NESTING) failAt('values nested too deeply');
      at++;
      const close = c === 0x7b ? 0x7d : 0x5d;
      skipWs();
      if (at < len && src.charCodeAt(at) === close) {
        at++;
        return;
      }
      for (;;) {
        if (c === 0x7b) {
          skipWs();
          if (at >= len || src.charCodeAt(at) !== 0x22) failAt('expected object key');
          skipString();
          expect(0x3a, "':'");
        }
        skipValue(depth + 1);
        skipWs();
        if (at >= len) failAt('unexpected end of input');
        const d = src.charCodeAt(at++);
        if (d === close) return;
        if (d !== 0x2c) failAt("expected ',' or closing bracket");
      }
    }
    default:
      if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
        scanNumber();
        return;
      }
      failAt('invalid character');
  }
}

/**
 * The slot a key refers to, or -1. Exact match first, then case-insensitive as Go does
 * (ASCII case folding plus the two non-ASCII folds of ASCII letters: U+017F -> s, U+212A -> k).
 */
function slotOfKey(key: string): number {
  const exact = SLOT_KEYS.indexOf(key);
  if (exact >= 0) return exact;
  let folded = '';
  for (let i = 0; i < key.length; i++) {
    let c = key.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    else if (c === 0x17f) c = 0x73;
    else if (c === 0x212a) c = 0x6b;
    folded += String.fromCharCode(c);
  }
  return LOWER_KEYS.indexOf(folded);
}

/**
 * Standard base64 with padding, as Go's `StdEncoding` accepts it (it also skips CR and LF).
 * Node's decoder is lenient (it skips unknown characters and accepts the URL alphabet), so
 * the layout is checked here and unknown characters are caught by the decoded length: each
 * skipped character makes the output shorter than the input length implies.
 */
function decodeBase64(s: string): Uint8Array {
  if (s.includes('\n') || s.includes('\r')) s = s.replace(/[\r\n]/g, '');
  const n = s.length;
  if (n === 0) return new Uint8Array(0);
  if (n % 4 !== 0) fail('data is not valid base64 (length)');
  let pads = 0;
  if (s.charCodeAt(n - 1) === 0x3d) pads = s.charCodeAt(n - 2) === 0x3d ? 2 : 1;
  const eq = s.indexOf('=');
  if (eq !== -1 && eq < n - pads) fail('data is not valid base64 (padding)');
  if (s.includes('-') || s.includes('_')) fail('data is not valid base64 (URL alphabet)');
  const out = Buffer.from(s, 'base64');
  if (out.length !== (n / 4) * 3 - pads) fail('data is not valid base64');
  return out;
}

// Decoded values (synchronous scratch).
let dReqId = 0;
let dErrCode = 0;
const dStr: string[] = ['', '', '', '', '', '', '', ''];
let dData: Uint8Array | null = null;

/** Reads an int field's value (cursor on its first character). `null` leaves it unchanged. */
function readIntValue(slot: number): void {
  const c = src.charCodeAt(at);
  if (c === 0x6e) {
    skipLiteral('null');
    return;
  }
  if (!(c === 0x2d || (c >= 0x30 && c <= 0x39))) failAt(`${SLOT_KEYS[slot]} is not a number`);
  const text = scanNumber();
  if (!numIsInteger) fail(`${SLOT_KEYS[slot]} is not an integer: ${text.slice(0, 40)}`);
  const digits = text.charCodeAt(0) === 0x2d ? text.length - 1 : text.length;
  // More than 16 digits can never be a safe integer; up to 16 digits Number() is exact
  // whenever the value is safe, and rounds unsafe values to unsafe ones.
  const v = digits > 16 ? NaN : Number(text);
  if (slot === K_REQ_ID) {
    if (!(v >= -0x80000000 && v <= 0x7fffffff)) fail(`reqIdentifier overflows int32: ${text.slice(0, 40)}`);
    dReqId = v === 0 ? 0 : v; // no -0
  } else {
    if (!Number.isSafeInteger(v)) fail(`errCode is not a safe integer: ${text.slice(0, 40)}`);
    dErrCode = v === 0 ? 0 : v;
  }
}

/** Parses a whole frame into the scratch values; only `wanted` slots are filled. */
function decodeObject(bytes: Uint8Array, wanted: readonly boolean[]): void {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError('json: input is not bytes');
  dReqId = 0;
  dErrCode = 0;
  for (let i = 0; i < dStr.length; i++) dStr[i] = '';
  dData = null;
  try {
    src = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    at = 0;
    len = src.length;
    expect(0x7b, "'{'");
    skipWs();
    if (at < len && src.charCodeAt(at) === 0x7d) at++;
    else {
      for (;;) {
        skipWs();
        if (at >= len || src.charCodeAt(at) !== 0x22) failAt('expected object key');
        const slot = slotOfKey(parseString());
        expect(0x3a, "':'");
        skipWs();
        if (at >= len) failAt('unexpected end of input');
        if (slot < 0 || !wanted[slot]) skipValue(1);
        else if (slot === K_REQ_ID || slot === K_ERR_CODE) readIntValue(slot);
        else {
          const c = src.charCodeAt(at);
          if (c === 0x6e) {
            skipLiteral('null');
            // null leaves strings unchanged and makes a slice nil, as in Go
            if (slot === K_DATA) dData = null;
          } else if (c !== 0x22) failAt(`${SLOT_KEYS[slot]} is not a string`);
          else if (slot === K_DATA) dData = decodeBase64(parseString());
          else dStr[slot] = parseString();
        }
        skipWs();
        if (at >= len) failAt('unexpected end of input');
        const d = src.charCodeAt(at++);
        if (d === 0x7d) break;
        if (d !== 0x2c) failAt("expected ',' or '}'");
      }
    }
    skipWs();
    if (at !== len) failAt('data after the top-level value');
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // Should not happen; keeps the contract that decoders only throw DecodeError.
    throw new DecodeError(`json: cannot decode: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    src = '';
  }
}

/**
 * Decodes a JSON Req. Unknown keys are ignored, missing ones are zero values.
 * `data` is a fresh copy (base64-decoded).
 * @throws DecodeError for invalid JSON, a non-object, wrong value types, ints out of range or bad base64.
 */
export function decodeJsonReq(bytes: Uint8Array): Req {
  decodeObject(bytes, REQ_WANTED);
  return {
    reqIdentifier: dReqId,
    token: dStr[K_TOKEN]!,
    sendID: dStr[K_SEND_ID]!,
    operationID: dStr[K_OP_ID]!,
    msgIncr: dStr[K_MSG_INCR]!,
    data: dData,
  };
}

/**
 * Decodes a JSON Resp (either key order). `errCode` must be a safe integer.
 * @throws DecodeError as {@link decodeJsonReq}.
 */
export function decodeJsonResp(bytes: Uint8Array): Resp {
  decodeObject(bytes, RESP_WANTED);
  return {
    reqIdentifier: dReqId,
    msgIncr: dStr[K_MSG_INCR]!,
    operationID: dStr[K_OP_ID]!,
    errCode: dErrCode,
    errMsg: dStr[K_ERR_MSG]!,
    data: dData,
  };
}

/**
 * The JSON envelope codec (sdkType `js`). The flavour decides the key order of encoded
 * Resps (`server`: Resp, `sdk`: GeneralWsResp); decoding accepts any order.
 */
export class JsonCodec implements EnvelopeCodec {
  readonly name = 'json' as const;

  constructor(readonly flavour: JsonFlavour) {}

  encodeReq(req: Req): Buffer {
    return encodeJsonReq(req);
  }

  decodeReq(bytes: Uint8Array): Req {
    return decodeJsonReq(bytes);
  }

  encodeResp(resp: Resp): Buffer {
    return encodeJsonResp(resp, this.flavour);
  }

  decodeResp(bytes: Uint8Array): Resp {
    return decodeJsonResp(bytes);
  }
}
