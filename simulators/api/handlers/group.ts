import { randomInt } from 'node:crypto';
import { CodeError, errs } from '../../../src/protocol/errors.js';
import { ensureUsers, requireSelfOrAdmin } from '../access.js';
import { obj, objs, optInt, optStr, page, str, strs } from '../args.js';
import { ApiErrCode, API_PATHS, type GroupInfo, type GroupMemberFullInfo } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiContext, ApiRoute } from '../server.js';
import { fullIDs, incremental } from '../sync.js';
import { ROLE, type GroupRecord } from '../../services/group-store.js';
import { versionLists } from '../../services/version-log.js';

/** Upstream accepts only working groups (constant.WorkingGroup) since 3.x. */
const WORKING_GROUP = 2;
/** Members per create/invite call (upstream has no cap; a bound keeps one call bounded). */
const MAX_MEMBERS_PER_CALL = 10_000;

/** /group/*: membership is the msg simulator's, so these groups are the ones pushes go to. */
export function groupRoutes(d: ApiDeps): ApiRoute[] {
  const notFound = (groupID: string) => new CodeError(ApiErrCode.GroupIDNotFound, 'GroupIDNotFoundError', `group ${groupID} not found`);
  const infoOf = async (g: GroupRecord): Promise<GroupInfo> => {
    const members = await d.msgs.groupMembers(g.groupID);
    return { ...g, ownerUserID: await d.groups.owner(g.groupID), memberCount: members.length };
  };
  const groupInfos = async (ids: readonly string[]): Promise<GroupInfo[]> => {
    const out: GroupInfo[] = [];
    for (const id of ids) {
      const g = await d.groups.info(id);
      if (g) out.push(await infoOf(g));
    }
    return out;
  };
  const memberInfos = async (groupID: string, userIDs?: readonly string[]): Promise<GroupMemberFullInfo[]> => {
    const members = await d.groups.members(groupID, userIDs);
    const users = new Map((await d.users.get(members.map((m) => m.userID))).map((u) => [u.userID, u]));
    return members.map((m) => ({
      groupID,
      userID: m.userID,
      roleLevel: m.roleLevel,
      joinTime: m.joinTime,
      nickname: users.get(m.userID)?.nickname ?? '',
      faceURL: users.get(m.userID)?.faceURL ?? '',
      joinSource: m.joinSource,
      operatorUserID: m.operatorUserID,
      inviterUserID: m.inviterUserID,
    }));
  };
  const mustExist = async (groupID: string): Promise<GroupRecord> => {
    const g = await d.groups.info(groupID);
    if (!g) throw notFound(groupID);
    return g;
  };
  /** Upstream checkAdminOrInGroup: an app admin or a member. */
  const memberOrAdmin = async (groupID: string, ctx: ApiContext) => {
    if (ctx.isAdmin) return;
    if (!(await d.msgs.isGroupMember(groupID, ctx.opUserID))) throw new CodeError(ApiErrCode.NotInGroupYet, 'NotInGroupYetError', `${ctx.opUserID} is not in group ${groupID}`);
  };
  const incrementalMembers = async (groupID: string, b: Record<string, unknown>) => {
    const g = await mustExist(groupID);
    const r = await incremental(d.versions, versionLists.groupMembers(groupID), b, (ids) => memberInfos(groupID, ids));
    // Upstream sends the group's profile along on a full answer or when members changed.
    const changed = r.full || r.insert.length + r.update.length + r.delete.length > 0;
    return { ...r, ...(changed ? { group: await infoOf(g) } : {}) };
  };
  return [
    {
      path: API_PATHS.group.createGroup,
      handler: async (b, ctx) => {
        const info = obj(b, 'groupInfo', true);
        const ownerUserID = str(b, 'ownerUserID');
        if (!ctx.isAdmin && ctx.opUserID !== ownerUserID) throw errs.noPermission('only the owner or an app admin creates a group');
        const groupType = optInt(info, 'groupType');
        if (groupType !== WORKING_GROUP) throw errs.args(`groupType ${groupType} is not supported: use ${WORKING_GROUP} (working group)`);
        const admins = strs(b, 'adminUserIDs', { max: MAX_MEMBERS_PER_CALL });
        const members = strs(b, 'memberUserIDs', { max: MAX_MEMBERS_PER_CALL });
        const all = [...new Set([ownerUserID, ...admins, ...members])];
        if (all.length !== 1 + admins.length + members.length) throw errs.args('groupMember repeated');
        await ensureUsers(d, all);
        const groupID = optStr(info, 'groupID') || String(randomInt(1, 2 ** 47));
        const rec: GroupRecord = {
          groupID,
          groupName: optStr(info, 'groupName'),
          notification: optStr(info, 'notification'),
          introduction: optStr(info, 'introduction'),
          faceURL: optStr(info, 'faceURL'),
          ex: optStr(info, 'ex'),
          status: 0,
          creatorUserID: ctx.opUserID,
          groupType,
          needVerification: optInt(info, 'needVerification'),
          lookMemberInfo: optInt(info, 'lookMemberInfo'),
          applyMemberFriend: optInt(info, 'applyMemberFriend'),
          createTime: Date.now(),
        };
        if ((await d.msgs.groupMembers(groupID)).length > 0 || !(await d.groups.create(rec))) {
          throw new CodeError(ApiErrCode.GroupIDExisted, 'GroupIDExisted', `group ${groupID} exists`);
        }
        const roles = new Map<string, number>([[ownerUserID, ROLE.Owner], ...admins.map((a) => [a, ROLE.Admin] as [string, number])]);
        await d.groups.addMembers(groupID, all, { operatorUserID: ctx.opUserID, roles });
        return { groupInfo: await infoOf(rec) };
      },
    },
    {
      path: API_PATHS.group.inviteUserToGroup,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        const invited = strs(b, 'invitedUserIDs', { required: true, max: MAX_MEMBERS_PER_CALL });
        await mustExist(groupID);
        await memberOrAdmin(groupID, ctx);
        await ensureUsers(d, invited);
        await d.groups.addMembers(groupID, invited, { operatorUserID: ctx.opUserID });
        return {};
      },
    },
    {
      path: API_PATHS.group.kickGroup,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        const kicked = strs(b, 'kickedUserIDs', { required: true, max: MAX_MEMBERS_PER_CALL });
        await mustExist(groupID);
        if (!ctx.isAdmin) {
          const [me] = await d.groups.members(groupID, [ctx.opUserID]);
          if (!me || me.roleLevel < ROLE.Admin) throw errs.noPermission('only the group owner, a group admin or an app admin kicks members');
        }
        const owner = await d.groups.owner(groupID);
        if (kicked.includes(owner)) throw errs.noPermission('the group owner cannot be kicked');
        await d.groups.removeMembers(groupID, kicked);
        return {};
      },
    },
    {
      path: API_PATHS.group.getIncrementalJoinGroups,
      handler: async (b, ctx) => {
        const userID = optStr(b, 'userID') || ctx.opUserID;
        requireSelfOrAdmin(ctx, userID);
        return incremental(d.versions, versionLists.joinedGroups(userID), b, groupInfos);
      },
    },
    {
      path: API_PATHS.group.getJoinedGroupList,
      handler: async (b, ctx) => {
        const userID = optStr(b, 'fromUserID') || ctx.opUserID;
        requireSelfOrAdmin(ctx, userID);
        const all = await groupInfos((await d.msgs.joinedGroups(userID)).sort());
        return { total: all.length, groups: page(all, b) };
      },
    },
    {
      path: API_PATHS.group.getFullJoinGroupIDs,
      handler: async (b, ctx) => {
        const userID = optStr(b, 'userID') || ctx.opUserID;
        requireSelfOrAdmin(ctx, userID);
        const ids = (await d.msgs.joinedGroups(userID)).sort();
        const r = await fullIDs(d.versions, versionLists.joinedGroups(userID), ids, b);
        return { version: r.version, versionID: r.versionID, equal: r.equal, groupIDs: r.ids };
      },
    },
    {
      path: API_PATHS.group.getIncrementalGroupMembersBatch,
      handler: async (b, ctx) => {
        const userID = optStr(b, 'userID') || ctx.opUserID;
        requireSelfOrAdmin(ctx, userID);
        const respList: Record<string, unknown> = {};
        for (const r of objs(b, 'reqList', { max: 1000 })) {
          const groupID = str(r, 'groupID');
          if (groupID in respList) continue;
          if (!(await d.groups.info(groupID))) continue; // upstream skips dismissed groups
          await memberOrAdmin(groupID, ctx);
          respList[groupID] = await incrementalMembers(groupID, r);
        }
        return { respList };
      },
    },
    {
      path: API_PATHS.group.getIncrementalGroupMembers,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        await mustExist(groupID);
        await memberOrAdmin(groupID, ctx);
        return incrementalMembers(groupID, b);
      },
    },
    {
      path: API_PATHS.group.getGroupMemberList,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        await mustExist(groupID);
        await memberOrAdmin(groupID, ctx);
        const keyword = optStr(b, 'keyword');
        const all = (await memberInfos(groupID)).filter((m) => !keyword || m.userID.includes(keyword) || (m.nickname ?? '').includes(keyword));
        return { total: all.length, members: page(all, b) };
      },
    },
    {
      path: API_PATHS.group.getFullGroupMemberUserIDs,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        await mustExist(groupID);
        await memberOrAdmin(groupID, ctx);
        const ids = (await d.msgs.groupMembers(groupID)).sort();
        const r = await fullIDs(d.versions, versionLists.groupMembers(groupID), ids, b);
        return { version: r.version, versionID: r.versionID, equal: r.equal, userIDs: r.ids };
      },
    },
    {
      path: API_PATHS.group.getGroupsInfo,
      handler: async (b) => ({ groupInfos: await groupInfos(strs(b, 'groupIDs', { required: true, max: 1000 })) }),
    },
    {
      path: API_PATHS.group.getGroupMembersInfo,
      handler: async (b, ctx) => {
        const groupID = str(b, 'groupID');
        await mustExist(groupID);
        await memberOrAdmin(groupID, ctx);
        return { members: await memberInfos(groupID, strs(b, 'userIDs', { required: true, max: MAX_MEMBERS_PER_CALL })) };
      },
    },
    { path: API_PATHS.group.getSpecifiedUserGroupRequestInfo, handler: async () => ({ total: 0, groupRequests: [] }) },
  ];
}
