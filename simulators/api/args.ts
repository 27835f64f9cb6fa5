import { errs } from '../../src/protocol/errors.js';

/**
 * Readers of request fields with upstream's answer to bad input: ArgsError (1001) naming the
 * field. JSON numbers and numeric strings are both accepted for integers (protojson-style
 * clients send int64 as strings).
 */
type Body = Record<string, unknown>;

export function optStr(b: Body, k: string): string {
  const v = b[k];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw errs.args(`${k} must be a string`);
  return v;
}

export function str(b: Body, k: string): string {
  const v = optStr(b, k);
  if (!v) throw errs.args(`${k} is empty`);
  return v;
}

export function optInt(b: Body, k: string): number {
  const v = b[k];
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || !Number.isInteger(n)) throw errs.args(`${k} must be an integer`);
  return n;
}

export function optBool(b: Body, k: string): boolean {
  const v = b[k];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw errs.args(`${k} must be a boolean`);
  return v;
}

/** A string array; at most `max` entries (every list the API takes is bounded). */
export function strs(b: Body, k: string, o: { required?: boolean; max?: number } = {}): string[] {
  const v = b[k];
  if (v === undefined || v === null) {
    if (o.required) throw errs.args(`${k} is empty`);
    return [];
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw errs.args(`${k} must be an array of strings`);
  if (o.required && v.length === 0) throw errs.args(`${k} is empty`);
  const max = o.max ?? 10_000;
  if (v.length > max) throw errs.args(`${k} has ${v.length} entries, at most ${max}`);
  return v as string[];
}

export function obj(b: Body, k: string, required = false): Body {
  const v = b[k];
  if (v === undefined || v === null) {
    if (required) throw errs.args(`${k} is empty`);
    return {};
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw errs.args(`${k} must be an object`);
  return v as Body;
}

export function objs(b: Body, k: string, o: { required?: boolean; max?: number } = {}): Body[] {
  const v = b[k];
  if (v === undefined || v === null) {
    if (o.required) throw errs.args(`${k} is empty`);
    return [];
  }
  if (!Array.isArray(v) || v.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) throw errs.args(`${k} must be an array of objects`);
  if (o.required && v.length === 0) throw errs.args(`${k} is empty`);
  const max = o.max ?? 10_000;
  if (v.length > max) throw errs.args(`${k} has ${v.length} entries, at most ${max}`);
  return v as Body[];
}

/** Upstream's page: pageNumber from 1, showNumber; no pagination = everything. */
export function page<T>(list: readonly T[], b: Body): T[] {
  const p = obj(b, 'pagination');
  const num = optInt(p, 'pageNumber');
  const show = optInt(p, 'showNumber');
  if (num <= 0 || show <= 0) return [...list];
  return list.slice((num - 1) * show, num * show);
}
