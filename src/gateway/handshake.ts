import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { parseSdkType, type SdkType } from '../protocol/codecs.js';
import { errs } from '../protocol/errors.js';
import { isValidPlatform } from '../protocol/platforms.js';

/** What a client says about itself when it connects (PROTOCOL.md section 2). */
export interface HandshakeArgs {
  token: string;
  userID: string;
  platformID: number;
  operationID: string;
  /** Both directions gzip every binary frame. */
  gzip: boolean;
  /** `go` = gob envelopes, `js` = JSON envelopes. */
  sdkType: SdkType;
  /** Report the handshake result as a text frame (browsers cannot read a failed upgrade). */
  sendResponse: boolean;
  background: boolean;
  sdkVersion: string;
}

/**
 * Parses the upgrade request's parameters, from the query string or from the base64url JSON in
 * `v`, with upstream's checks and messages. Throws a CodeError on failure: ConnArgsErr 1602, or
 * 500 ServerInternalError for a bad `isBackground` (upstream returns strconv's bare error there).
 */
export function parseHandshake(url: URL, headers: IncomingMessage['headers']): HandshakeArgs {
  const q = url.searchParams;
  const v = q.get('v');
  if (v) return parseJsonForm(v);
  const platformRaw = q.get('platformID') ?? '';
  const platformID = goAtoi(platformRaw);
  if (platformID === undefined) throw errs.connArgs('platformID is not int');
  let sendResponse = false;
  const isMsgResp = q.get('isMsgResp');
  if (isMsgResp) {
    const b = goParseBool(isMsgResp);
    if (b === undefined) throw errs.connArgs('isMsgResp is not bool');
    sendResponse = b;
  }
  let compression = q.get('compression') ?? '';
  if (!compression) compression = headerValue(headers, 'compression');
  const isBackground = q.get('isBackground') ?? '';
  const background = goParseBool(isBackground);
  // Upstream returns strconv's own error here (not a CodeError), which apiresp.ParseError turns
  // into ErrInternalServer with the error's text as its detail: 500 ServerInternalError, errDlt
  // strconv's text (openimsdk/tools from v0.0.50-alpha.84, v3.8.3-patch.5 on; before, errMsg held the text).
  if (background === undefined) throw errs.internal(`strconv.ParseBool: parsing ${goQuote(isBackground)}: invalid syntax`);
  return check({
    token: q.get('token') ?? '',
    userID: q.get('sendID') ?? '',
    platformID,
    operationID: q.get('operationID') ?? '',
    compression,
    sdkType: q.get('sdkType') ?? '',
    sendResponse,
    background,
    sdkVersion: q.get('sdkVersion') ?? '',
  });
}

interface RawArgs {
  token: string;
  userID: string;
  platformID: number;
  operationID: string;
  compression: string;
  sdkType: string;
  sendResponse: boolean;
  background: boolean;
  sdkVersion: string;
}

/** The `v` form's fields (upstream's UserConnContextInfo JSON names) and their Go types. */
const V_FIELDS = {
  token: 'string',
  userID: 'string',
  platformID: 'int',
  operationID: 'string',
  compression: 'string',
  sdkType: 'string',
  sendResponse: 'bool',
  background: 'bool',
  sdkVersion: 'string',
} as const;
type VField = keyof typeof V_FIELDS;
const V_BY_FOLDED = new Map<string, VField>((Object.keys(V_FIELDS) as VField[]).map((k) => [k.toLowerCase(), k]));

/** How Go's encoding/json names a JSON value in an UnmarshalTypeError. */
function goJsonKind(x: unknown): string {
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'boolean') return 'bool';
  return typeof x === 'object' ? 'object' : typeof x;
}

/**
 * The base64url JSON `v` form, decoded as upstream's json.Unmarshal into UserConnContextInfo:
 * keys match fields case-insensitively and a later key wins; null leaves a field empty; the first
 * value of the wrong type (in document order) fails with Go's UnmarshalTypeError text, which
 * upstream wraps as ConnArgsErr "data is not json, info=...".
 */
function parseJsonForm(v: string): HandshakeArgs {
  // Go's RawURLEncoding: URL alphabet, no padding.
  if (!/^[A-Za-z0-9_-]*$/.test(v) || v.length % 4 === 1) throw errs.connArgs('data is not base64');
  const notJson = (why: string) => errs.connArgs(`data is not json, info=${why}`);
  let info: unknown;
  try {
    info = JSON.parse(Buffer.from(v, 'base64url').toString('utf8'));
  } catch (e) {
    throw notJson((e as Error).message);
  }
  // A JSON null unmarshals into the struct as nothing at all (every field stays empty).
  if (info !== null && (typeof info !== 'object' || Array.isArray(info))) {
    throw notJson(`json: cannot unmarshal ${goJsonKind(info)} into Go value of type msggateway.UserConnContextInfo`);
  }
  const got: { [K in VField]?: unknown } = {};
  for (const [key, val] of Object.entries((info ?? {}) as Record<string, unknown>)) {
    const f = V_BY_FOLDED.get(key.toLowerCase());
    if (f === undefined || val === null) continue;
    const want = V_FIELDS[f];
    const ok = want === 'string' ? typeof val === 'string' : want === 'bool' ? typeof val === 'boolean' : typeof val === 'number' && Number.isSafeInteger(val);
    if (!ok) {
      // Go names the literal only for a number that does not fit an int field.
      const kind = typeof val === 'number' && want === 'int' ? `number ${String(val)}` : goJsonKind(val);
      throw notJson(`json: cannot unmarshal ${kind} into Go struct field UserConnContextInfo.${f} of type ${want}`);
    }
    got[f] = val;
  }
  const str = (k: VField): string => (got[k] as string | undefined) ?? '';
  const bool = (k: VField): boolean => (got[k] as boolean | undefined) ?? false;
  return check({
    token: str('token'),
    userID: str('userID'),
    platformID: (got.platformID as number | undefined) ?? 0,
    operationID: str('operationID'),
    compression: str('compression'),
    sdkType: str('sdkType'),
    sendResponse: bool('sendResponse'),
    background: bool('background'),
    sdkVersion: str('sdkVersion'),
  });
}

function check(a: RawArgs): HandshakeArgs {
  if (a.operationID === '') throw errs.connArgs('operationID is empty');
  if (a.token === '') throw errs.connArgs('token is empty');
  if (a.userID === '') throw errs.connArgs('sendID is empty');
  // Both travel to OpenIM's services in gRPC metadata, which carries printable ASCII only: grpc-go
  // refuses anything else on every call ("contains value with non-printable ASCII characters"),
  // so upstream's login fails with a bare 500. Refusing here says why, before any call is made.
  if (!isMetadataSafe(a.userID)) throw errs.connArgs('sendID must be printable ASCII (it travels in gRPC metadata)');
  if (!isMetadataSafe(a.operationID)) throw errs.connArgs('operationID must be printable ASCII (it travels in gRPC metadata)');
  if (!isValidPlatform(a.platformID)) throw errs.connArgs('platformID is invalid');
  const sdkType = parseSdkType(a.sdkType);
  if (sdkType === undefined) throw errs.connArgs('sdkType is invalid');
  return {
    token: a.token,
    userID: a.userID,
    platformID: a.platformID,
    operationID: a.operationID,
    gzip: a.compression === 'gzip',
    sdkType,
    sendResponse: a.sendResponse,
    background: a.background,
    sdkVersion: a.sdkVersion,
  };
}

/** True when every character is printable ASCII (0x20-0x7E), what a gRPC metadata value may hold. */
export function isMetadataSafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** Go's strconv.Atoi: optional sign, decimal digits, fits 64 bits (we also require a safe integer). */
function goAtoi(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Go's strconv.Quote, as strconv's errors quote the input: printable runes as they are, `"` and
 * `\` escaped, the rest as \a \b \f \n \r \t \v, \xNN, \uNNNN or \UNNNNNNNN.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 0x20 || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (GO_SHORT_ESCAPES[c] !== undefined) out += GO_SHORT_ESCAPES[c];
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/** Go's unicode.IsPrint is false for these: control, format, surrogate, private-use, unassigned and separators (but the ASCII space). */
const NOT_PRINTABLE = /^[\p{C}\p{Z}]$/u;
const GO_SHORT_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

/** Go's strconv.ParseBool. */
export function goParseBool(s: string): boolean | undefined {
  switch (s) {
    case '1': case 't': case 'T': case 'true': case 'TRUE': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'false': case 'FALSE': case 'False':
      return false;
    default:
      return undefined;
  }
}

function headerValue(headers: IncomingMessage['headers'], name: string): string {
  const h = headers[name];
  return Array.isArray(h) ? (h[0] ?? '') : (h ?? '');
}

/**
 * The remembered remote address: `ip:port`, plus `_<X-Forwarded-For>` when a proxy sent one.
 * Node reports IPv6 peers without brackets; Go's RemoteAddr has them, so we add them.
 */
export function remoteAddrOf(req: IncomingMessage): { raw: string; remembered: string } {
  const ip = req.socket.remoteAddress ?? '';
  const raw = `${ip.includes(':') ? `[${ip}]` : ip}:${req.socket.remotePort ?? 0}`;
  const fwd = headerValue(req.headers, 'x-forwarded-for');
  return { raw, remembered: fwd ? `${raw}_${fwd}` : raw };
}

/** Upstream's connection ID: md5 hex of `remoteAddr + "_" + unixMillis`. */
export function makeConnID(rawRemoteAddr: string, nowMs = Date.now()): string {
  return createHash('md5').update(`${rawRemoteAddr}_${nowMs}`).digest('hex');
}
