import type { RedisClient } from '../../src/redis/connect.js';
import type { MsgStore } from './msg-store.js';
import { VersionState, versionLists, type VersionLog } from './version-log.js';

/** A group's profile (upstream's group table, the fields the API serves). */
export interface GroupRecord {
  groupID: string;
  groupName: string;
  notification: string;
  introduction: string;
  faceURL: string;
  ex: string;
  status: number;
  creatorUserID: string;
  groupType: number;
  needVerification: number;
  lookMemberInfo: number;
  applyMemberFriend: number;
  createTime: number;
}

/** One membership's details (upstream's group_member table). */
export interface MemberRecord {
  roleLevel: number;
  joinTime: number;
  joinSource: number;
  inviterUserID: string;
  operatorUserID: string;
}

const keys = {
  info: (groupID: string) => `MSGGW:GROUPINFO:${groupID}`,
  members: (groupID: string) => `MSGGW:GMEMBER:${groupID}`,
};

/** Role levels (upstream constant.GroupOwner / GroupAdmin / GroupOrdinaryUsers). */
export const ROLE = { Owner: 100, Admin: 60, Ordinary: 20 } as const;
/** Join sources (upstream constant.JoinByInvitation). */
const JOIN_BY_INVITATION = 2;

/**
 * Groups as the REST API sees them: membership is the msg simulator's ({@link MsgStore} sets,
 * so a group created here is the group whose members get the push); profile and per-member
 * details live beside it. Groups the msg simulator made on its own (fixtures, first send) have
 * no profile: they get a default one. Every membership change is logged for the incremental
 * sync of joined groups and group members.
 */
export class GroupStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly msgs: MsgStore,
    private readonly versions: VersionLog,
  ) {}

  async exists(groupID: string): Promise<boolean> {
    return (await this.redis.exists(keys.info(groupID))) === 1 || (await this.msgs.groupMembers(groupID)).length > 0;
  }

  /** Creates the group's profile (false when it has one already). */
  async create(g: GroupRecord): Promise<boolean> {
    return (await this.redis.hsetnx(keys.info(g.groupID), 'json', JSON.stringify(g))) === 1;
  }

  async info(groupID: string): Promise<GroupRecord | undefined> {
    const raw = await this.redis.hget(keys.info(groupID), 'json');
    if (raw) return JSON.parse(raw) as GroupRecord;
    const members = await this.msgs.groupMembers(groupID);
    if (members.length === 0) return undefined;
    return { groupID, groupName: groupID, notification: '', introduction: '', faceURL: '', ex: '', status: 0, creatorUserID: '', groupType: 2, needVerification: 0, lookMemberInfo: 0, applyMemberFriend: 0, createTime: 0 };
  }

  /** Adds members (role per user, default ordinary); returns the ones that joined now. */
  async addMembers(groupID: string, userIDs: readonly string[], o: { operatorUserID: string; roles?: ReadonlyMap<string, number> }): Promise<string[]> {
    const added = await this.msgs.setGroup(groupID, userIDs);
    if (added.length === 0) return added;
    const now = Date.now();
    const pipe = this.redis.multi();
    for (const u of added) {
      const rec: MemberRecord = { roleLevel: o.roles?.get(u) ?? ROLE.Ordinary, joinTime: now, joinSource: JOIN_BY_INVITATION, inviterUserID: o.operatorUserID, operatorUserID: o.operatorUserID };
      pipe.hset(keys.members(groupID), u, JSON.stringify(rec));
    }
    await pipe.exec();
    await this.versions.record(versionLists.groupMembers(groupID), added, VersionState.Insert);
    for (const u of added) await this.versions.record(versionLists.joinedGroups(u), [groupID], VersionState.Insert);
    return added;
  }

  /** Removes members; returns the ones that were members. */
  async removeMembers(groupID: string, userIDs: readonly string[]): Promise<string[]> {
    const removed = await this.msgs.removeGroupMembers(groupID, userIDs);
    if (removed.length === 0) return removed;
    await this.redis.hdel(keys.members(groupID), ...removed);
    await this.versions.record(versionLists.groupMembers(groupID), removed, VersionState.Delete);
    for (const u of removed) await this.versions.record(versionLists.joinedGroups(u), [groupID], VersionState.Delete);
    return removed;
  }

  /** Member details for these users (all members when omitted); members without details get defaults. */
  async members(groupID: string, userIDs?: readonly string[]): Promise<(MemberRecord & { userID: string })[]> {
    const all = await this.msgs.groupMembers(groupID);
    const wanted = userIDs ? userIDs.filter((u) => all.includes(u)) : all.sort();
    if (wanted.length === 0) return [];
    const raw = await this.redis.hmget(keys.members(groupID), ...wanted);
    return wanted.map((userID, i) => {
      const r = raw[i];
      const rec: MemberRecord = r ? (JSON.parse(r) as MemberRecord) : { roleLevel: ROLE.Ordinary, joinTime: 0, joinSource: 0, inviterUserID: '', operatorUserID: '' };
      return { userID, ...rec };
    });
  }

  /** The owner (the member with the owner role; else the creator, else nobody). */
  async owner(groupID: string): Promise<string> {
    const all = await this.redis.hgetall(keys.members(groupID));
    for (const [u, r] of Object.entries(all)) if ((JSON.parse(r) as MemberRecord).roleLevel === ROLE.Owner) return u;
    return (await this.info(groupID))?.creatorUserID ?? '';
  }
}
