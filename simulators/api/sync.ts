import { createHash } from 'node:crypto';
import { optInt, optStr } from './args.js';
import type { VersionLog } from '../services/version-log.js';

/**
 * Upstream's hashutil.IdHash: the first 8 bytes (big-endian uint64) of md5(JSON of the IDs),
 * 0 for none. JSON numbers lose precision above 2^53 on our side as on the client's (both parse
 * the same double), so comparing the rounded values is what a JS client can do; a Go client's
 * exact value rounds to the same double.
 */
export function idHash(ids: readonly string[]): number {
  if (ids.length === 0) return 0;
  const sum = createHash('md5').update(JSON.stringify(ids)).digest();
  return Number(sum.readBigUInt64BE(0));
}

/** get_full_*_ids: the list's head, and the IDs unless the client's hash says it has them. */
export async function fullIDs(versions: VersionLog, listID: string, ids: readonly string[], b: Record<string, unknown>): Promise<{ version: number; versionID: string; equal: boolean; ids: string[] }> {
  const head = await versions.head(listID);
  const clientHash = Number(b.idHash ?? 0);
  const equal = clientHash === idHash(ids);
  return { version: head.version, versionID: head.versionID, equal, ids: equal ? [] : [...ids] };
}

/**
 * The incremental answer of upstream's incrversion.Option.Build: the list's head, `full` when
 * the client's version is unusable, else the inserted/updated elements (looked up) and the
 * deleted IDs since the client's version.
 */
export async function incremental<T>(
  versions: VersionLog,
  listID: string,
  b: Record<string, unknown>,
  find: (ids: string[]) => Promise<T[]>,
): Promise<{ version: number; versionID: string; full: boolean; delete: string[]; insert: T[]; update: T[]; sortVersion: number }> {
  const delta = await versions.since(listID, optStr(b, 'versionID'), optInt(b, 'version'));
  return {
    version: delta.version,
    versionID: delta.versionID,
    full: delta.full,
    delete: delta.delete,
    insert: delta.insert.length > 0 ? await find(delta.insert) : [],
    update: delta.update.length > 0 ? await find(delta.update) : [],
    // msggw never reorders a list.
    sortVersion: 0,
  };
}
