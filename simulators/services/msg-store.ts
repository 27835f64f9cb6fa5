import { randomUUID, createHash } from 'node:crypto';
import { pb } from '../../src/protocol/pb.js';
import type { sdkws } from '../../src/protocol/pb-types.js';
import { conversationIDOf } from '../../src/protocol/conversation.js';
import type { RedisClient } from '../../src/redis/connect.js';
import { VersionState, versionLists, type VersionLog } from './version-log.js';

/** Redis keys of the msg simulator's store (ours; upstream keeps messages in MongoDB). */
const keys = {
  seq: (conversationID: string) => `MSGGW:SEQ:${conversationID}`,
  msgs: (conversationID: string) => `MSGGW:MSG:${conversationID}`,
  convs: (userID: string) => `MSGGW:CONV:${userID}`,
  group: (groupID: string) => `MSGGW:GROUP:${groupID}`,
  joined: (userID: string) => `MSGGW:JOINED:${userID}`,
};

export interface MsgStoreOptions {
  /**
   * Where a conversation's first message for a user is logged, so the REST API's incremental
   * conversation sync sees conversations come into being as messages flow.
   */
  versions?: VersionLog;
}

/**
 * The message history the msg simulator answers from: per conversation a seq counter and
 * the stored MsgData by seq, per user the conversations they are in.
 */
export class MsgStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly opts: MsgStoreOptions = {},
  ) {}

  /** Assigns the next seq of the message's conversation, stores it, returns the stored message. */
  async append(msg: sdkws.MsgData, members: readonly string[]): Promise<{ msg: sdkws.MsgData; conversationID: string }> {
    const conversationID = conversationIDOf(msg);
    const seq = await this.redis.incr(keys.seq(conversationID));
    const now = Date.now();
    const stored: sdkws.MsgData = {
      ...msg,
      seq,
      serverMsgID: msg.serverMsgID || serverMsgID(msg, now),
      clientMsgID: msg.clientMsgID || randomUUID().replaceAll('-', ''),
      sendTime: msg.sendTime || now,
      createTime: msg.createTime || now,
    };
    const pipe = this.redis.multi();
    pipe.hset(keys.msgs(conversationID), String(seq), Buffer.from(pb.sdkws.MsgData.encode(stored)).toString('base64'));
    for (const u of members) pipe.sadd(keys.convs(u), conversationID);
    const results = await pipe.exec();
    if (this.opts.versions) {
      // SADD answers 1 for the members this conversation is new to (results[0] is the HSET).
      const fresh = members.filter((_, i) => results?.[i + 1]?.[1] === 1);
      for (const u of fresh) await this.opts.versions.record(versionLists.conversations(u), [conversationID], VersionState.Insert);
    }
    return { msg: stored, conversationID };
  }

  async maxSeq(conversationID: string): Promise<number> {
    return Number((await this.redis.get(keys.seq(conversationID))) ?? 0);
  }

  /** Max seq of every conversation the user is in. */
  async maxSeqs(userID: string): Promise<Record<string, number>> {
    const convs = await this.redis.smembers(keys.convs(userID));
    const out: Record<string, number> = {};
    if (convs.length === 0) return out;
    const values = await this.redis.mget(...convs.map(keys.seq));
    convs.forEach((c, i) => (out[c] = Number(values[i] ?? 0)));
    return out;
  }

  async conversations(userID: string): Promise<string[]> {
    return this.redis.smembers(keys.convs(userID));
  }

  /** Messages by seq (missing seqs are skipped). */
  async bySeqs(conversationID: string, seqs: readonly number[]): Promise<sdkws.MsgData[]> {
    if (seqs.length === 0) return [];
    const raw = await this.redis.hmget(keys.msgs(conversationID), ...seqs.map(String));
    const out: sdkws.MsgData[] = [];
    for (const r of raw) if (r) out.push(pb.sdkws.MsgData.decode(Buffer.from(r, 'base64')));
    return out;
  }

  /** Messages with begin <= seq <= end, at most `num` (the newest ones when more exist, as upstream pulls). */
  async range(conversationID: string, begin: number, end: number, num: number): Promise<sdkws.MsgData[]> {
    const max = await this.maxSeq(conversationID);
    const hi = Math.min(end > 0 ? end : max, max);
    const lo = Math.max(1, begin);
    if (hi < lo) return [];
    const count = num > 0 ? Math.min(num, hi - lo + 1) : hi - lo + 1;
    const bounded = Math.min(count, 10_000);
    const seqs: number[] = [];
    for (let s = lo; s <= hi && seqs.length < bounded; s++) seqs.push(s);
    return this.bySeqs(conversationID, seqs);
  }

  async last(conversationID: string): Promise<sdkws.MsgData | undefined> {
    const max = await this.maxSeq(conversationID);
    if (max === 0) return undefined;
    return (await this.bySeqs(conversationID, [max]))[0];
  }

  /**
   * Adds members to a group (created from fixtures, over REST, or on first use); returns the
   * ones that were not members yet. Keeps each user's joined-groups index in step.
   */
  async setGroup(groupID: string, members: readonly string[]): Promise<string[]> {
    if (members.length === 0) return [];
    const pipe = this.redis.multi();
    for (const u of members) pipe.sadd(keys.group(groupID), u);
    const results = await pipe.exec();
    const added = members.filter((_, i) => results?.[i]?.[1] === 1);
    if (added.length > 0) {
      const idx = this.redis.multi();
      for (const u of added) idx.sadd(keys.joined(u), groupID);
      await idx.exec();
    }
    return added;
  }

  /** Removes members from a group; returns the ones that were members. */
  async removeGroupMembers(groupID: string, members: readonly string[]): Promise<string[]> {
    if (members.length === 0) return [];
    const pipe = this.redis.multi();
    for (const u of members) pipe.srem(keys.group(groupID), u);
    const results = await pipe.exec();
    const removed = members.filter((_, i) => results?.[i]?.[1] === 1);
    if (removed.length > 0) {
      const idx = this.redis.multi();
      for (const u of removed) idx.srem(keys.joined(u), groupID);
      await idx.exec();
    }
    return removed;
  }

  async groupMembers(groupID: string): Promise<string[]> {
    return this.redis.smembers(keys.group(groupID));
  }

  async isGroupMember(groupID: string, userID: string): Promise<boolean> {
    return (await this.redis.sismember(keys.group(groupID), userID)) === 1;
  }

  /** The groups a user is a member of. */
  async joinedGroups(userID: string): Promise<string[]> {
    return this.redis.smembers(keys.joined(userID));
  }
}

/** Upstream's serverMsgID: md5 of operation-ish entropy; any unique hex string works for clients. */
function serverMsgID(msg: sdkws.MsgData, now: number): string {
  return createHash('md5').update(`${msg.sendID}_${msg.clientMsgID}_${now}_${randomUUID()}`).digest('hex');
}
