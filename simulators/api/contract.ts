/**
 * OpenIM's REST API contract, as msggw knows it: the paths, the reply envelope, the error codes
 * and the JSON shapes of the requests and replies. The REST API simulator (simulators/api)
 * serves it and the provisioning client (simulators/provision) calls it, so both sides agree by
 * construction.
 *
 * Facts from upstream: paths from open-im-server `internal/api/router.go`; the envelope from
 * openimsdk/tools `apiresp` (`{errCode, errMsg, errDlt, data}`, HTTP 200 even for errors, `data`
 * left out on errors); field names from the protos' `json` tags (openimsdk/protocol), encoded by
 * Go's encoding/json: zero values are left out (omitempty) and int64 values are JSON numbers.
 */
import { ErrCode } from '../../src/protocol/errors.js';

/** Headers every POST carries (upstream `constant.Token`, `constant.OperationID`). */
export const API_HEADERS = { token: 'token', operationID: 'operationID' } as const;

/** Default port of the REST API (upstream openim-api.yml `api.ports`). */
export const DEFAULT_API_PORT = 10002;

/** The platform admin tokens are issued for (upstream constant.AdminPlatformID). */
export const ADMIN_PLATFORM_ID = 10;

/** Upstream's REST error codes the API uses beyond the common ones (servererrs). */
export const ApiErrCode = {
  ...ErrCode,
  /** A userID in the request is not registered (servererrs.UserIDNotFoundError). */
  UserIDNotFound: 1101,
  /** user_register of a userID that exists (servererrs.RegisteredAlreadyError). */
  RegisteredAlready: 1102,
  /** The group does not exist (servererrs.GroupIDNotFoundError). */
  GroupIDNotFound: 1201,
  /** create_group with a groupID that exists (servererrs.GroupIDExisted). */
  GroupIDExisted: 1202,
  /** The user is not a member of the group (servererrs.NotInGroupYetError). */
  NotInGroupYet: 1203,
  /** The route is not one of upstream's (gin answers 404; msggw adds an envelope). */
  RouteNotFound: 404,
  /** An upstream route msggw does not implement (uploads, third/, ...): msggw's own code. */
  NotSupported: 501,
} as const;

/** Every path the simulator serves (plus {@link UNSUPPORTED_PREFIXES}). */
export const API_PATHS = {
  auth: {
    getAdminToken: '/auth/get_admin_token',
    getUserToken: '/auth/get_user_token',
    parseToken: '/auth/parse_token',
    forceLogout: '/auth/force_logout',
  },
  user: {
    userRegister: '/user/user_register',
    getUsersInfo: '/user/get_users_info',
    updateUserInfo: '/user/update_user_info',
    updateUserInfoEx: '/user/update_user_info_ex',
    getUsersOnlineStatus: '/user/get_users_online_status',
    accountCheck: '/user/account_check',
    getAllUsersUID: '/user/get_all_users_uid',
  },
  friend: {
    getIncrementalFriends: '/friend/get_incremental_friends',
    getFriendList: '/friend/get_friend_list',
    getDesignatedFriends: '/friend/get_designated_friends',
    getFullFriendUserIDs: '/friend/get_full_friend_user_ids',
    getBlackList: '/friend/get_black_list',
    getSpecifiedBlacks: '/friend/get_specified_blacks',
    getDesignatedFriendApply: '/friend/get_designated_friend_apply',
    importFriend: '/friend/import_friend',
  },
  group: {
    createGroup: '/group/create_group',
    inviteUserToGroup: '/group/invite_user_to_group',
    kickGroup: '/group/kick_group',
    getIncrementalJoinGroups: '/group/get_incremental_join_groups',
    getJoinedGroupList: '/group/get_joined_group_list',
    getFullJoinGroupIDs: '/group/get_full_join_group_ids',
    getIncrementalGroupMembersBatch: '/group/get_incremental_group_members_batch',
    getIncrementalGroupMembers: '/group/get_incremental_group_members',
    getGroupMemberList: '/group/get_group_member_list',
    getFullGroupMemberUserIDs: '/group/get_full_group_member_user_ids',
    getGroupsInfo: '/group/get_groups_info',
    getGroupMembersInfo: '/group/get_group_members_info',
    getSpecifiedUserGroupRequestInfo: '/group/get_specified_user_group_request_info',
  },
  conversation: {
    getIncrementalConversations: '/conversation/get_incremental_conversations',
    getOwnerConversation: '/conversation/get_owner_conversation',
    getAllConversations: '/conversation/get_all_conversations',
    getFullConversationIDs: '/conversation/get_full_conversation_ids',
    getConversations: '/conversation/get_conversations',
    getNotNotifyConversationIDs: '/conversation/get_not_notify_conversation_ids',
    getConversationsHasReadAndMaxSeq: '/conversation/get_conversations_has_read_and_max_seq',
  },
  msg: {
    sendMsg: '/msg/send_msg',
    getServerTime: '/msg/get_server_time',
    newestSeq: '/msg/newest_seq',
  },
  jssdk: {
    getActiveConversations: '/jssdk/get_active_conversations',
    getConversations: '/jssdk/get_conversations',
  },
} as const;

/** Upstream routes msggw answers with {@link ApiErrCode.NotSupported} (uploads, push tokens, logs, ...). */
export const UNSUPPORTED_PREFIXES: readonly string[] = ['/third/', '/object/', '/statistics/', '/config/', '/prometheus_discovery/'];

/** Paths that need no token (upstream's `Whitelist` in internal/api/router.go). */
export const TOKEN_WHITELIST: readonly string[] = [API_PATHS.auth.getAdminToken, API_PATHS.auth.parseToken];

/** The reply of every route (openimsdk/tools apiresp.ApiResponse). */
export interface ApiReply<T = unknown> {
  errCode: number;
  errMsg: string;
  errDlt: string;
  data?: T;
}

// ---- shapes (proto JSON; optional where upstream's omitempty may leave a field out) ----

export interface UserInfo {
  userID: string;
  nickname?: string;
  faceURL?: string;
  ex?: string;
  createTime?: number;
  appMangerLevel?: number;
  globalRecvMsgOpt?: number;
}

export interface GroupInfo {
  groupID: string;
  groupName?: string;
  notification?: string;
  introduction?: string;
  faceURL?: string;
  ownerUserID?: string;
  createTime?: number;
  memberCount?: number;
  ex?: string;
  status?: number;
  creatorUserID?: string;
  groupType?: number;
  needVerification?: number;
  lookMemberInfo?: number;
  applyMemberFriend?: number;
}

export interface GroupMemberFullInfo {
  groupID: string;
  userID: string;
  roleLevel?: number;
  joinTime?: number;
  nickname?: string;
  faceURL?: string;
  joinSource?: number;
  operatorUserID?: string;
  inviterUserID?: string;
  ex?: string;
}

export interface FriendInfo {
  ownerUserID: string;
  remark?: string;
  createTime?: number;
  friendUser?: UserInfo;
  addSource?: number;
  operatorUserID?: string;
  ex?: string;
}

export interface Conversation {
  ownerUserID: string;
  conversationID: string;
  conversationType?: number;
  userID?: string;
  groupID?: string;
  recvMsgOpt?: number;
  isPinned?: boolean;
  maxSeq?: number;
  minSeq?: number;
}

/** The incremental-sync reply of friends, joined groups, group members and conversations. */
export interface IncrementalResp<T> {
  version?: number;
  versionID?: string;
  /** true: the client's version is unknown/too old, it must re-fetch the full list. */
  full?: boolean;
  /** IDs removed since the client's version. */
  delete?: string[];
  insert?: T[];
  update?: T[];
  /** Version of the list's order (friends/members); msggw never reorders, so 0. */
  sortVersion?: number;
}

export interface IncrementalReq {
  userID?: string;
  groupID?: string;
  versionID?: string;
  version?: number;
}

export interface RequestPagination {
  pageNumber?: number;
  showNumber?: number;
}

/** Role levels of group members (upstream constant). */
export const GroupRole = { Owner: 100, Admin: 60, Ordinary: 20 } as const;

/** Requests and replies the provisioning client uses, by path. */
export interface ApiCalls {
  [API_PATHS.auth.getAdminToken]: { req: { secret: string; userID: string }; resp: { token: string; expireTimeSeconds: number } };
  [API_PATHS.auth.getUserToken]: { req: { userID: string; platformID: number }; resp: { token: string; expireTimeSeconds: number } };
  [API_PATHS.auth.parseToken]: { req: { token: string }; resp: { userID: string; platformID: number; expireTimeSeconds: number } };
  [API_PATHS.auth.forceLogout]: { req: { userID: string; platformID: number }; resp: Record<string, never> };
  [API_PATHS.user.userRegister]: { req: { users: UserInfo[] }; resp: Record<string, never> };
  [API_PATHS.user.accountCheck]: { req: { checkUserIDs: string[] }; resp: { results?: { userID: string; accountStatus?: number }[] } };
  [API_PATHS.user.getUsersInfo]: { req: { userIDs: string[] }; resp: { usersInfo?: UserInfo[] } };
  [API_PATHS.group.createGroup]: {
    req: { memberUserIDs?: string[]; adminUserIDs?: string[]; ownerUserID: string; groupInfo: Partial<GroupInfo> & { groupType?: number } };
    resp: { groupInfo?: GroupInfo };
  };
  [API_PATHS.group.inviteUserToGroup]: { req: { groupID: string; invitedUserIDs: string[]; reason?: string }; resp: Record<string, never> };
  [API_PATHS.group.getGroupsInfo]: { req: { groupIDs: string[] }; resp: { groupInfos?: GroupInfo[] } };
  [API_PATHS.group.getFullGroupMemberUserIDs]: { req: { groupID: string; idHash?: number }; resp: { version?: number; versionID?: string; equal?: boolean; userIDs?: string[] } };
  [API_PATHS.msg.getServerTime]: { req: Record<string, never>; resp: { serverTime: number } };
}

/** Account status values of account_check (upstream constant.Registered / UnRegistered). */
export const AccountStatus = { Registered: 1, Unregistered: 0 } as const;
