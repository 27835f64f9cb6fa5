/**
 * What `msggw call` knows of a message from the loaded protos: strict checking of a JSON request
 * (unknown fields with a did-you-mean, wrong types naming the field, as grpcurl refuses them) and
 * the shape and an example JSON of a message for `call describe`.
 */
import protobuf from 'protobufjs';
import { lookupMessageType } from '../../src/protocol/pb.js';

const INTS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
const FLOATS = new Set(['double', 'float']);

function typeOf(name: string): protobuf.Type {
  const t = lookupMessageType(name);
  if (!t) throw new Error(`unknown message type ${name}`);
  return t;
}

/** Edit distance (small strings: field names). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

/** The field name meant by a misspelt one: same letters in another case, or within 2 edits. */
export function didYouMean(name: string, fields: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = fields.find((f) => f.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: string | undefined;
  let bestD = 3;
  for (const f of fields) {
    const dist = distance(lower, f.toLowerCase());
    if (dist < bestD) {
      best = f;
      bestD = dist;
    }
  }
  return best;
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function checkScalar(type: string, v: unknown, path: string, resolved: protobuf.ReflectionObject | null): string | undefined {
  if (resolved instanceof protobuf.Enum) {
    if (typeof v === 'number' && Number.isInteger(v)) return undefined;
    if (typeof v === 'string' && Object.hasOwn(resolved.values, v)) return undefined;
    return `${path}: must be ${resolved.name} (one of ${Object.keys(resolved.values).join(', ')}, or its number), got ${show(v)}`;
  }
  if (INTS.has(type)) {
    if (typeof v === 'number' && Number.isInteger(v)) return undefined;
    // int64 may come as a string in protobuf JSON.
    if (typeof v === 'string' && /^-?\d+$/.test(v)) return undefined;
    return `${path}: must be ${type} (an integer), got ${show(v)}`;
  }
  if (FLOATS.has(type)) return typeof v === 'number' ? undefined : `${path}: must be ${type} (a number), got ${show(v)}`;
  if (type === 'bool') return typeof v === 'boolean' ? undefined : `${path}: must be bool (true or false), got ${show(v)}`;
  if (type === 'string') return typeof v === 'string' ? undefined : `${path}: must be string, got ${show(v)}`;
  if (type === 'bytes') return typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v) ? undefined : `${path}: must be bytes (a base64 string), got ${show(v)}`;
  return undefined;
}

function checkValue(f: protobuf.Field, v: unknown, path: string, out: string[]): void {
  if (v === null) return;
  const resolved = f.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) {
    if (typeof v !== 'object' || Array.isArray(v)) out.push(`${path}: must be an object (${resolved.name}), got ${show(v)}`);
    else checkObject(resolved, v as Record<string, unknown>, path, out);
    return;
  }
  const p = checkScalar(f.type, v, path, resolved);
  if (p) out.push(p);
}

function checkObject(t: protobuf.Type, obj: Record<string, unknown>, prefix: string, out: string[]): void {
  const names = t.fieldsArray.map((f) => f.name);
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    const f = t.fields[k];
    if (!f) {
      const guess = didYouMean(k, names);
      out.push(`unknown field "${path}" in ${t.name}${guess ? `: did you mean "${prefix ? `${prefix}.` : ''}${guess}"?` : ''} (fields: ${names.join(', ')})`);
      continue;
    }
    if (f instanceof protobuf.MapField) {
      if (v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v)) out.push(`${path}: must be an object (map<${f.keyType}, ${f.type}>), got ${show(v)}`);
      else for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) checkValue(f, mv, `${path}.${mk}`, out);
    } else if (f.repeated) {
      if (v === null) continue;
      if (!Array.isArray(v)) out.push(`${path}: must be a list (repeated ${f.type}), got ${show(v)}`);
      else v.forEach((x, i) => checkValue(f, x, `${path}[${i}]`, out));
    } else checkValue(f, v, path, out);
  }
}

/** Every problem of a JSON request against a message type (empty when it fits exactly). */
export function checkRequest(typeName: string, json: unknown): string[] {
  const out: string[] = [];
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return [`the request must be a JSON object, got ${show(json)}`];
  checkObject(typeOf(typeName), json as Record<string, unknown>, '', out);
  return out;
}

function fieldType(f: protobuf.Field): string {
  const r = f.resolve().resolvedType;
  const base = r ? r.name : f.type;
  if (f instanceof protobuf.MapField) return `map<${f.keyType}, ${base}>`;
  return f.repeated ? `repeated ${base}` : base;
}

function exampleScalar(f: protobuf.Field): unknown {
  const r = f.resolvedType;
  if (r instanceof protobuf.Enum) return Object.keys(r.values)[0] ?? 0;
  if (INTS.has(f.type) || FLOATS.has(f.type)) return /platform/i.test(f.name) ? 5 : 0;
  if (f.type === 'bool') return false;
  if (f.type === 'bytes') return '';
  if (/userid/i.test(f.name)) return 'u1';
  return '';
}

/** An example JSON of a message: every field with a placeholder value, nested messages to `depth`. */
export function exampleOf(typeName: string, depth = 2): Record<string, unknown> {
  const t = typeOf(typeName);
  const out: Record<string, unknown> = {};
  for (const f of [...t.fieldsArray].sort((a, b) => a.id - b.id)) {
    const r = f.resolve().resolvedType;
    let v: unknown;
    if (r instanceof protobuf.Type) v = depth > 0 ? exampleOf(r.fullName.replace(/^\./, ''), depth - 1) : {};
    else v = exampleScalar(f);
    if (f instanceof protobuf.MapField) out[f.name] = { key: v };
    else out[f.name] = f.repeated ? [v] : v;
  }
  return out;
}

/** A message's fields as `name (type) = number` lines. */
export function shapeOf(typeName: string): string[] {
  const t = typeOf(typeName);
  return [...t.fieldsArray].sort((a, b) => a.id - b.id).map((f) => `${f.name}: ${fieldType(f)} = ${f.id}`);
}

/** Whether a name is a message type we know (for `call describe <message>`). */
export function isMessageType(name: string): boolean {
  return lookupMessageType(name) !== undefined;
}
