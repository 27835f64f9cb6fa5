import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../src/redis/connect.js';

/** What happened to an element of a versioned list (upstream model.VersionStateInsert/Delete/Update). */
export const VersionState = { Insert: 1, Delete: 2, Update: 3 } as const;
export type VersionStateValue = (typeof VersionState)[keyof typeof VersionState];

/** The first version of a list (upstream database.FirstVersion): a list exists at version 1. */
export const FIRST_VERSION = 1;

/**
 * Changes one answer carries at most; a client further behind gets `full` (upstream's syncLimit
 * bounds the same thing).
 */
export const SYNC_LIMIT = 200;

export interface VersionHead {
  /** 24 hex digits, like upstream's Mongo ObjectID; a new ID means "your version is from another life". */
  versionID: string;
  version: number;
}

export interface VersionDelta extends VersionHead {
  /** The client must re-fetch the full list (unknown versionID, version 0 or ahead, or too far behind). */
  full: boolean;
  insert: string[];
  update: string[];
  delete: string[];
}

const keys = {
  head: (dID: string) => `MSGGW:VLOG:${dID}`,
  elems: (dID: string) => `MSGGW:VLOGE:${dID}`,
  states: (dID: string) => `MSGGW:VLOGS:${dID}`,
};

/**
 * Per-list version logs for the incremental sync of the 3.8 SDKs (upstream's version_log
 * collection): a list (one user's friends, joined groups or conversations, one group's members)
 * has an ID and a version counter; every change bumps the counter and records, per element, its
 * last state and the version it happened at. A client that says "I have versionID X at version
 * N" gets the elements changed after N.
 *
 * A list's log starts on first use at {@link FIRST_VERSION}; a client first asks with version 0
 * and gets `full` plus the head, so changes before the first question need no log entries.
 */
export class VersionLog {
  constructor(private readonly redis: RedisClient) {}

  /** The list's current head, creating it (at FIRST_VERSION) when new. */
  async head(dID: string): Promise<VersionHead> {
    const h = await this.redis.hgetall(keys.head(dID));
    if (h.id && h.v) return { versionID: h.id, version: Number(h.v) };
    // HSETNX keeps one ID when two first uses race.
    await this.redis.hsetnx(keys.head(dID), 'id', randomBytes(12).toString('hex'));
    await this.redis.hsetnx(keys.head(dID), 'v', String(FIRST_VERSION));
    const again = await this.redis.hgetall(keys.head(dID));
    return { versionID: again.id!, version: Number(again.v) };
  }

  /** Records that the elements changed in `state`; returns the new head. */
  async record(dID: string, eIDs: readonly string[], state: VersionStateValue): Promise<VersionHead> {
    const head = await this.head(dID);
    if (eIDs.length === 0) return head;
    const version = await this.redis.hincrby(keys.head(dID), 'v', 1);
    const pipe = this.redis.multi();
    for (const e of eIDs) {
      pipe.zadd(keys.elems(dID), version, e);
      pipe.hset(keys.states(dID), e, String(state));
    }
    await pipe.exec();
    return { versionID: head.versionID, version };
  }

  /** What changed after the client's version, or `full` when the client has to start over. */
  async since(dID: string, versionID: string, version: number): Promise<VersionDelta> {
    const head = await this.head(dID);
    const none = { insert: [], update: [], delete: [] };
    const valid = /^[0-9a-f]{24}$/.test(versionID) && version > 0;
    if (!valid || versionID !== head.versionID || version > head.version) return { ...head, full: true, ...none };
    if (version === head.version) return { ...head, full: false, ...none };
    const changed = await this.redis.zrangebyscore(keys.elems(dID), `(${version}`, '+inf', 'LIMIT', 0, SYNC_LIMIT + 1);
    if (changed.length > SYNC_LIMIT) return { ...head, full: true, ...none };
    const states = changed.length > 0 ? await this.redis.hmget(keys.states(dID), ...changed) : [];
    const out: VersionDelta = { ...head, full: false, insert: [], update: [], delete: [] };
    changed.forEach((e, i) => {
      const s = Number(states[i]);
      if (s === VersionState.Insert) out.insert.push(e);
      else if (s === VersionState.Delete) out.delete.push(e);
      else out.update.push(e);
    });
    return out;
  }
}

/** The version-log list IDs the API keeps. */
export const versionLists = {
  friends: (userID: string) => `friend:${userID}`,
  joinedGroups: (userID: string) => `join:${userID}`,
  groupMembers: (groupID: string) => `member:${groupID}`,
  conversations: (userID: string) => `conv:${userID}`,
};
