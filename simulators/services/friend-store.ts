import type { RedisClient } from '../../src/redis/connect.js';
import { VersionState, versionLists, type VersionLog } from './version-log.js';

/** One side of a friendship (upstream's friend table). */
export interface FriendRecord {
  ownerUserID: string;
  friendUserID: string;
  remark: string;
  createTime: number;
  addSource: number;
  operatorUserID: string;
  ex: string;
}

const keys = { friends: (owner: string) => `MSGGW:FRIEND:${owner}` };

/** Upstream's addSource of import_friend (constant.BecomeFriendByImport). */
const BECOME_FRIEND_BY_IMPORT = 1;

/**
 * Friendships (ours; upstream's friend service keeps them in MongoDB): per owner a hash
 * friendUserID -> JSON record. Every change is logged for the incremental friend sync.
 */
export class FriendStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly versions: VersionLog,
  ) {}

  /** import_friend: both sides become friends; returns the friend IDs that were new to the owner. */
  async import(ownerUserID: string, friendUserIDs: readonly string[], operatorUserID: string): Promise<string[]> {
    const now = Date.now();
    const added: string[] = [];
    for (const f of friendUserIDs) {
      for (const [a, b] of [
        [ownerUserID, f],
        [f, ownerUserID],
      ] as const) {
        const rec: FriendRecord = { ownerUserID: a, friendUserID: b, remark: '', createTime: now, addSource: BECOME_FRIEND_BY_IMPORT, operatorUserID, ex: '' };
        const isNew = (await this.redis.hsetnx(keys.friends(a), b, JSON.stringify(rec))) === 1;
        if (isNew) {
          await this.versions.record(versionLists.friends(a), [b], VersionState.Insert);
          if (a === ownerUserID) added.push(b);
        }
      }
    }
    return added;
  }

  async friendIDs(ownerUserID: string): Promise<string[]> {
    return this.redis.hkeys(keys.friends(ownerUserID));
  }

  /** The owner's friend records for these friend IDs (all when omitted), unknown ones skipped. */
  async get(ownerUserID: string, friendUserIDs?: readonly string[]): Promise<FriendRecord[]> {
    const raw = friendUserIDs
      ? friendUserIDs.length > 0
        ? await this.redis.hmget(keys.friends(ownerUserID), ...friendUserIDs)
        : []
      : Object.values(await this.redis.hgetall(keys.friends(ownerUserID)));
    const out: FriendRecord[] = [];
    for (const r of raw) if (r) out.push(JSON.parse(r) as FriendRecord);
    return out;
  }
}
