/**
 * Typed protobuf access to the OpenIM packages we speak (the `.proto` files in `proto/`).
 *
 * - `pb.<file>.<Message>` is a {@link MessageCodec}: `encode` / `decode` / `create` /
 *   `fromJSON` / `toJSON`, typed with the interfaces generated into `pb-types.ts`.
 *   `<file>` is the proto file's base name (`sdkws`, `conversation`, `relation`, `jssdk`, `msggateway`, `auth`, `user`, `msg`,
 *   `push`, `errinfo`); nested messages are flattened Go-style (`Outer_Inner`).
 * - `root` is the protobufjs Root for dynamic use; {@link messageCodec}, {@link describeMessage}
 *   and {@link listServices} serve tools that only know a type or method by name.
 *
 * Value model (the same everywhere: decode output, gRPC requests/responses, `create`):
 * plain objects with every field present — strings `''`, numbers `0`, bools `false`,
 * repeated `[]`, maps `{}`, bytes a `Uint8Array` (a Node Buffer; after `decode` it is a view
 * into the input bytes, copy it if the input buffer is reused), enums as numbers, and a
 * singular sub-message either a full plain object or `undefined` when absent.
 * int64/uint64 are plain JS numbers (exact up to 2^53, which seqs and unix-ms times are).
 * Inputs to `encode` are {@link Init} objects: every field optional.
 *
 * Encoding follows Go's `proto.Marshal`: fields in field-number order and proto3 zero values
 * (and absent sub-messages) not written, so our bytes equal upstream's for the same message
 * (map entry order aside, which is unordered in Go too).
 */
import { isUtf8 } from 'node:buffer';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Init, JsonObject, MessageCodec, MessageTypes, PbCodecs } from './pb-types.js';

export type { Init, JsonObject, MessageCodec } from './pb-types.js';

// int64 fields come back as plain numbers (upstream's numbers - seqs, unix-ms times - fit in
// 2^53). protobufjs' Long support stays on for the rest of the process: other libraries built on
// protobufjs (etcd3's lease IDs) need exact 64-bit values, so the conversion happens in
// normalize() below, per field, instead of by turning Long off globally.

/** The proto files loaded, in dependency order (all live flat in `proto/`). */
export const PROTO_FILES: readonly string[] = [
  'sdkws.proto',
  'conversation.proto',
  'relation.proto',
  'jssdk.proto',
  'msggateway.proto',
  'auth.proto',
  'user.proto',
  'msg.proto',
  'push.proto',
  'errinfo.proto',
];

/**
 * Finds the `proto/` directory: `$MSGGW_PROTO_DIR` when set, else the first ancestor of this
 * module's directory holding `proto/sdkws.proto` (works from `src/protocol/` under tsx/vitest
 * and from the compiled `dist/src/protocol/`).
 */
export function findProtoDir(start: string = dirname(fileURLToPath(import.meta.url))): string {
  const fromEnv = process.env.MSGGW_PROTO_DIR;
  if (fromEnv && existsSync(join(fromEnv, 'sdkws.proto'))) return resolve(fromEnv);
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'sdkws.proto'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`proto/sdkws.proto not found above ${start}`);
    dir = parent;
  }
}

/** Absolute path of the `proto/` directory in use. */
export const protoDir: string = findProtoDir();

function loadRoot(): protobuf.Root {
  const r = new protobuf.Root();
  // Imports are written as `import "sdkws.proto"`: resolve them inside protoDir.
  r.resolvePath = (_origin, target) => (isAbsolute(target) ? target : join(protoDir, target));
  r.loadSync([...PROTO_FILES], { keepCase: true });
  r.resolveAll();
  return r;
}

/** The protobufjs Root holding every loaded type and service (field names as in the .proto). */
export const root: protobuf.Root = loadRoot();

/** Thrown by `decode` / `fromJSON` for input that is not a valid message of the type. */
export class ProtoDecodeError extends Error {
  override readonly name = 'ProtoDecodeError';
  /** Full name of the message type that failed. */
  readonly typeName: string;
  constructor(typeName: string, cause: unknown) {
    super(`cannot decode ${typeName}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.typeName = typeName;
  }
}

// ---------------------------------------------------------------------------------------------
// Naming shared with scripts/gen-proto-types.ts

/** The `pb` namespace key of a type: its proto file's base name (e.g. `errinfo` for openim.protobuf.ErrorInfo). */
export function namespaceOf(obj: protobuf.ReflectionObject): string {
  let o: protobuf.ReflectionObject | null = obj;
  while (o && !o.filename) o = o.parent;
  if (!o?.filename) throw new Error(`no file for ${obj.fullName}`);
  return o.filename.replace(/^.*[\\/]/, '').replace(/\.proto$/, '');
}

/** A type's name within its namespace: nested types joined Go-style (`GetUsersOnlineStatusResp_SuccessDetail`). */
export function localName(obj: protobuf.ReflectionObject): string {
  const parts: string[] = [];
  let o: protobuf.ReflectionObject | null = obj;
  while (o && (o instanceof protobuf.Type || o instanceof protobuf.Enum)) {
    parts.unshift(o.name);
    o = o.parent;
  }
  return parts.join('_');
}

/** Every message type, depth-first in declaration order. */
export function allMessageTypes(ns: protobuf.NamespaceBase = root): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) out.push(...allMessageTypes(nested));
  }
  return out;
}

/** Every service, in declaration order. */
export function allServices(ns: protobuf.NamespaceBase = root): protobuf.Service[] {
  const out: protobuf.Service[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Service) out.push(nested);
    else if (nested instanceof protobuf.Namespace) out.push(...allServices(nested));
  }
  return out;
}

/** Full name without protobufjs' leading dot. */
function fullNameOf(obj: protobuf.ReflectionObject): string {
  return obj.fullName.replace(/^\./, '');
}

// ---------------------------------------------------------------------------------------------
// Field plans: what encode/normalize need to know about each field, computed once per type.

type WireWriter = (w: protobuf.Writer, v: never) => unknown;

/** Writer method and wire type per scalar proto type. */
const SCALARS: Readonly<Record<string, { write: WireWriter; wire: number; zero: unknown }>> = {
  double: { write: (w, v: number) => w.double(v), wire: 1, zero: 0 },
  float: { write: (w, v: number) => w.float(v), wire: 5, zero: 0 },
  int32: { write: (w, v: number) => w.int32(v), wire: 0, zero: 0 },
  uint32: { write: (w, v: number) => w.uint32(v), wire: 0, zero: 0 },
  sint32: { write: (w, v: number) => w.sint32(v), wire: 0, zero: 0 },
  fixed32: { write: (w, v: number) => w.fixed32(v), wire: 5, zero: 0 },
  sfixed32: { write: (w, v: number) => w.sfixed32(v), wire: 5, zero: 0 },
  int64: { write: (w, v: number) => w.int64(v), wire: 0, zero: 0 },
  uint64: { write: (w, v: number) => w.uint64(v), wire: 0, zero: 0 },
  sint64: { write: (w, v: number) => w.sint64(v), wire: 0, zero: 0 },
  fixed64: { write: (w, v: number) => w.fixed64(v), wire: 1, zero: 0 },
  sfixed64: { write: (w, v: number) => w.sfixed64(v), wire: 1, zero: 0 },
  bool: { write: (w, v: boolean) => w.bool(v), wire: 0, zero: false },
  string: { write: (w, v: string) => w.string(v), wire: 2, zero: '' },
  bytes: { write: (w, v: Uint8Array) => w.bytes(v), wire: 2, zero: undefined },
  // Enums travel as int32.
  enum: { write: (w, v: number) => w.int32(v), wire: 0, zero: 0 },
};

const LONG_SCALARS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

interface ValuePlan {
  /** Scalar proto type (`enum` for enums) or undefined for messages. */
  readonly scalar: string | undefined;
  /** A 64-bit integer type: decoded Long values are turned into numbers. */
  readonly long: boolean;
  /** Message type of the value, for message-typed fields and map values. */
  readonly message: protobuf.Type | undefined;
}

interface FieldPlan extends ValuePlan {
  readonly name: string;
  readonly id: number;
  readonly repeated: boolean;
  readonly packed: boolean;
  readonly mapKey: string | undefined;
}

const plans = new WeakMap<protobuf.Type, readonly FieldPlan[]>();

function valuePlan(field: protobuf.FieldBase): ValuePlan {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return { scalar: undefined, long: false, message: rt };
  if (rt instanceof protobuf.Enum) return { scalar: 'enum', long: false, message: undefined };
  if (!(field.type in SCALARS)) throw new Error(`unsupported field type ${field.type} of ${field.fullName}`);
  return { scalar: field.type, long: LONG_SCALARS.has(field.type), message: undefined };
}

function planOf(type: protobuf.Type): readonly FieldPlan[] {
  let plan = plans.get(type);
  if (plan) return plan;
  plan = [...type.fieldsArray]
    .sort((a, b) => a.id - b.id)
    .map((f): FieldPlan => {
      const v = valuePlan(f);
      const mapKey = f instanceof protobuf.MapField ? f.keyType : undefined;
      // proto3 packs repeated numeric/bool/enum fields unless told otherwise.
      const packed =
        f.repeated && mapKey === undefined && v.scalar !== undefined && v.scalar !== 'string' && v.scalar !== 'bytes' && f.getOption('packed') !== false;
      return { name: f.name, id: f.id, repeated: f.repeated, packed, mapKey, ...v };
    });
  plans.set(type, plan);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Encoding (Go proto.Marshal compatible: zero values skipped, field-number order).

type Obj = Record<string, unknown>;

function isZeroScalar(scalar: string, v: unknown): boolean {
  if (scalar === 'bytes') return (v as Uint8Array).length === 0;
  if (scalar === 'double' || scalar === 'float') return Object.is(v, 0);
  return v === SCALARS[scalar]!.zero;
}

function mapKeyValue(keyType: string, key: string): unknown {
  if (keyType === 'string') return key;
  if (keyType === 'bool') return key === 'true';
  return Number(key);
}

function writeMessage(type: protobuf.Type, value: Obj, w: protobuf.Writer): void {
  for (const f of planOf(type)) {
    const v = value[f.name];
    if (v == null) continue;
    if (f.mapKey !== undefined) {
      const key = SCALARS[f.mapKey]!;
      for (const [k, mv] of Object.entries(v as Obj)) {
        w.uint32((f.id << 3) | 2).fork();
        key.write(w.uint32((1 << 3) | key.wire), mapKeyValue(f.mapKey, k) as never);
        if (f.message) {
          w.uint32((2 << 3) | 2).fork();
          if (mv != null) writeMessage(f.message, mv as Obj, w);
          w.ldelim();
        } else {
          const s = SCALARS[f.scalar!]!;
          s.write(w.uint32((2 << 3) | s.wire), (mv ?? s.zero ?? new Uint8Array(0)) as never);
        }
        w.ldelim();
      }
    } else if (f.repeated) {
      const arr = v as readonly unknown[];
      if (arr.length === 0) continue;
      if (f.message) {
        for (const el of arr) {
          w.uint32((f.id << 3) | 2).fork();
          if (el != null) writeMessage(f.message, el as Obj, w);
          w.ldelim();
        }
      } else {
        const s = SCALARS[f.scalar!]!;
        if (f.packed) {
          w.uint32((f.id << 3) | 2).fork();
          for (const el of arr) s.write(w, el as never);
          w.ldelim();
        } else {
          for (const el of arr) s.write(w.uint32((f.id << 3) | s.wire), el as never);
        }
      }
    } else if (f.message) {
      w.uint32((f.id << 3) | 2).fork();
      writeMessage(f.message, v as Obj, w);
      w.ldelim();
    } else {
      if (isZeroScalar(f.scalar!, v)) continue;
      const s = SCALARS[f.scalar!]!;
      s.write(w.uint32((f.id << 3) | s.wire), v as never);
    }
  }
}

function encodeMessage(type: protobuf.Type, value: unknown): Buffer {
  const w = protobuf.Writer.create();
  writeMessage(type, (value ?? {}) as Obj, w);
  const out = w.finish();
  // In Node protobufjs hands back a Buffer already; keep the type honest either way.
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Normalizing to plain objects with defaults (decode output, create, fromJSON).

function defaultScalar(scalar: string): unknown {
  return scalar === 'bytes' ? Buffer.alloc(0) : SCALARS[scalar]!.zero;
}

/** A decoded 64-bit value as a JS number (protobufjs gives Long objects for them). */
function plainLong(v: unknown): unknown {
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  if (typeof v === 'string') return Number(v);
  return v;
}

function normalizeValue(p: ValuePlan, v: unknown): unknown {
  if (p.message) return normalize(p.message, (v ?? {}) as Obj);
  if (v == null) return defaultScalar(p.scalar!);
  return p.long ? plainLong(v) : v;
}

/**
 * Copies `src` (a protobufjs message instance or a plain/Init object) into a fresh plain object
 * with every field of `type` present. Missing scalars get their zero value, missing singular
 * sub-messages stay `undefined`.
 */
function normalize(type: protobuf.Type, src: Obj): Obj {
  const out: Obj = {};
  for (const f of planOf(type)) {
    const v = src[f.name];
    if (f.mapKey !== undefined) {
      const m: Obj = {};
      if (v != null) for (const [k, mv] of Object.entries(v as Obj)) m[k] = normalizeValue(f, mv);
      out[f.name] = m;
    } else if (f.repeated) {
      out[f.name] = v == null ? [] : (v as readonly unknown[]).map((el) => normalizeValue(f, el));
    } else if (f.message) {
      out[f.name] = v == null ? undefined : normalize(f.message, v as Obj);
    } else {
      // protobufjs' prototype default for absent bytes is a frozen [] - give a real buffer.
      out[f.name] = v == null || (f.scalar === 'bytes' && !(v instanceof Uint8Array)) ? defaultScalar(f.scalar!) : f.long ? plainLong(v) : v;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * protobufjs' Buffer reader reads a truncated string without complaint and accepts invalid
 * UTF-8; Go's proto.Unmarshal rejects both. This reader bounds-checks (via `bytes()`) and
 * validates UTF-8, so what we refuse matches what upstream refuses. Its `bytes()` returns
 * Buffer views (subarray of a Buffer is a Buffer).
 */
class StrictReader extends protobuf.Reader {
  override string(): string {
    const b = this.bytes();
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    if (!isUtf8(buf)) throw new Error('string field contains invalid UTF-8');
    return buf.toString('utf8');
  }
}

function readerFor(bytes: Uint8Array): protobuf.Reader {
  return new StrictReader(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

// ---------------------------------------------------------------------------------------------
// Codecs

const toJSONOptions: protobuf.IConversionOptions = {
  longs: Number,
  enums: Number,
  bytes: String,
  defaults: true,
  arrays: true,
  objects: true,
};

function makeCodec<T>(type: protobuf.Type): MessageCodec<T> {
  const typeName = fullNameOf(type);
  return {
    typeName,
    encode: (value) => encodeMessage(type, value),
    decode: (bytes) => {
      let m: protobuf.Message;
      try {
        m = type.decode(readerFor(bytes));
      } catch (err) {
        throw new ProtoDecodeError(typeName, err);
      }
      return normalize(type, m as unknown as Obj) as T;
    },
    create: (init) => normalize(type, (init ?? {}) as Obj) as T,
    fromJSON: (json) => {
      let m: protobuf.Message;
      try {
        if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('object expected');
        m = type.fromObject(json as Obj);
      } catch (err) {
        throw new ProtoDecodeError(typeName, err);
      }
      return normalize(type, m as unknown as Obj) as T;
    },
    toJSON: (value) => type.toObject(type.fromObject(normalize(type, (value ?? {}) as Obj)), toJSONOptions) as JsonObject,
  };
}

const codecCache = new WeakMap<protobuf.Type, MessageCodec<unknown>>();

function codecOf<T>(type: protobuf.Type): MessageCodec<T> {
  let c = codecCache.get(type);
  if (!c) {
    c = makeCodec<unknown>(type);
    codecCache.set(type, c);
  }
  return c as MessageCodec<T>;
}

function buildPb(): PbCodecs {
  const out: Record<string, Record<string, MessageCodec<unknown>>> = {};
  for (const t of allMessageTypes()) {
    // Synthetic map-entry types do not exist in protobufjs, so every Type here is a real message.
    (out[namespaceOf(t)] ??= {})[localName(t)] = codecOf(t);
  }
  return out as unknown as PbCodecs;
}

/**
 * Typed codecs for every message, by proto file and message name.
 *
 * @example
 * const bytes = pb.sdkws.MsgData.encode({ sendID: 'u1', recvID: 'u2', sessionType: 1, contentType: 101,
 *   content: Buffer.from('{"content":"hi"}'), seq: 7, sendTime: Date.now() });
 * const msg = pb.sdkws.MsgData.decode(bytes); // msg.seq === 7, msg.groupID === '', msg.offlinePushInfo === undefined
 */
export const pb: PbCodecs = buildPb();

/** Looks a message type up by full name (`openim.sdkws.MsgData`, a leading dot allowed) or `<file>.<Name>` (`sdkws.MsgData`). */
export function lookupMessageType(name: string): protobuf.Type | undefined {
  const n = name.replace(/^\./, '');
  const t = root.lookup(n);
  if (t instanceof protobuf.Type) return t;
  const dot = n.indexOf('.');
  if (dot > 0) {
    const ns = n.slice(0, dot);
    const local = n.slice(dot + 1);
    return allMessageTypes().find((x) => namespaceOf(x) === ns && (localName(x) === local || x.name === local));
  }
  return undefined;
}

/** A codec for a message type named at run time (see {@link lookupMessageType}); throws for an unknown name. */
export function messageCodec<K extends keyof MessageTypes>(name: K): MessageCodec<MessageTypes[K]>;
export function messageCodec(name: string): MessageCodec<JsonObject>;
export function messageCodec(name: string): MessageCodec<unknown> {
  const t = lookupMessageType(name);
  if (!t) throw new Error(`unknown message type ${name}`);
  return codecOf(t);
}

/** One field of a message, as {@link describeMessage} reports it. */
export interface FieldDescription {
  /** Field name exactly as in the .proto (also the JSON key). */
  readonly name: string;
  /** Field number. */
  readonly id: number;
  /** Proto type: a scalar name or the full name of a message/enum (for maps: the value type). */
  readonly type: string;
  readonly repeated: boolean;
  /** Key type for map fields. */
  readonly mapKey?: string;
}

/** The fields of a message type in field-number order; throws for an unknown name. */
export function describeMessage(name: string): FieldDescription[] {
  const t = lookupMessageType(name);
  if (!t) throw new Error(`unknown message type ${name}`);
  return [...t.fieldsArray]
    .sort((a, b) => a.id - b.id)
    .map((f) => {
      const type = f.resolvedType ? fullNameOf(f.resolvedType) : f.type;
      const d: FieldDescription = { name: f.name, id: f.id, type, repeated: f.repeated && !f.map };
      return f instanceof protobuf.MapField ? { ...d, mapKey: f.keyType } : d;
    });
}

/** One RPC method, as {@link listServices} reports it. */
export interface MethodDescription {
  /** Method name as declared (case matters: `parseToken`, `SendMsg`). */
  readonly name: string;
  /** gRPC path: `/<package>.<service>/<method>`. */
  readonly path: string;
  /** Full name of the request message. */
  readonly requestType: string;
  /** Full name of the response message. */
  readonly responseType: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** One gRPC service. */
export interface ServiceDescription {
  /** Full service name, e.g. `openim.msggateway.msgGateway`. */
  readonly name: string;
  /** Proto file base name (`msggateway`). */
  readonly file: string;
  readonly methods: readonly MethodDescription[];
}

/** Every service and method in the loaded protos. */
export function listServices(): ServiceDescription[] {
  return allServices().map((s) => {
    const name = fullNameOf(s);
    return {
      name,
      file: namespaceOf(s),
      methods: s.methodsArray.map((m) => {
        m.resolve();
        return {
          name: m.name,
          path: `/${name}/${m.name}`,
          requestType: fullNameOf(m.resolvedRequestType!),
          responseType: fullNameOf(m.resolvedResponseType!),
          requestStream: Boolean(m.requestStream),
          responseStream: Boolean(m.responseStream),
        };
      }),
    };
  });
}
