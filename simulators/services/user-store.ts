import type { RedisClient } from '../../src/redis/connect.js';

/** A registered user, as the user service keeps it (upstream's user table, the fields the API serves). */
export interface UserRecord {
  userID: string;
  nickname: string;
  faceURL: string;
  ex: string;
  createTime: number;
  appMangerLevel: number;
  globalRecvMsgOpt: number;
}

const keys = {
  users: 'MSGGW:USERS',
  user: (userID: string) => `MSGGW:USER:${userID}`,
};

/**
 * The users the REST API registered (ours; upstream keeps them in MongoDB). One hash per user,
 * one set of all IDs, in the same Redis as tokens, seqs and groups.
 */
export class UserStore {
  constructor(private readonly redis: RedisClient) {}

  /** Which of these IDs are registered, in input order. */
  async exist(userIDs: readonly string[]): Promise<boolean[]> {
    if (userIDs.length === 0) return [];
    const pipe = this.redis.multi();
    for (const id of userIDs) pipe.sismember(keys.users, id);
    const r = (await pipe.exec()) ?? [];
    return userIDs.map((_, i) => r[i]?.[1] === 1);
  }

  /** Stores new users (callers check for existing ones first, as upstream refuses the whole batch). */
  async add(users: readonly UserRecord[]): Promise<void> {
    if (users.length === 0) return;
    const pipe = this.redis.multi();
    for (const u of users) {
      pipe.hset(keys.user(u.userID), { ...u, createTime: String(u.createTime), appMangerLevel: String(u.appMangerLevel), globalRecvMsgOpt: String(u.globalRecvMsgOpt) });
      pipe.sadd(keys.users, u.userID);
    }
    await pipe.exec();
  }

  /** The registered ones among these IDs, in input order (unknown IDs are skipped). */
  async get(userIDs: readonly string[]): Promise<UserRecord[]> {
    if (userIDs.length === 0) return [];
    const pipe = this.redis.multi();
    for (const id of userIDs) pipe.hgetall(keys.user(id));
    const rows = (await pipe.exec()) ?? [];
    const out: UserRecord[] = [];
    for (const [, row] of rows) {
      const h = row as Record<string, string> | null;
      if (!h || !h.userID) continue;
      out.push({
        userID: h.userID,
        nickname: h.nickname ?? '',
        faceURL: h.faceURL ?? '',
        ex: h.ex ?? '',
        createTime: Number(h.createTime ?? 0),
        appMangerLevel: Number(h.appMangerLevel ?? 0),
        globalRecvMsgOpt: Number(h.globalRecvMsgOpt ?? 0),
      });
    }
    return out;
  }

  /** Changes some fields of a registered user; false when the user is unknown. */
  async update(userID: string, fields: Partial<Pick<UserRecord, 'nickname' | 'faceURL' | 'ex' | 'globalRecvMsgOpt'>>): Promise<boolean> {
    if (!(await this.exist([userID]))[0]) return false;
    const set: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) set[k] = String(v);
    if (Object.keys(set).length > 0) await this.redis.hset(keys.user(userID), set);
    return true;
  }

  /** Every registered user ID (for get_all_users_uid; a dev node holds thousands, not millions). */
  async all(): Promise<string[]> {
    return this.redis.smembers(keys.users);
  }

  async count(): Promise<number> {
    return this.redis.scard(keys.users);
  }
}
