/**
 * Field names, types and numbers of the messages the gateway depends on, written out by hand
 * from upstream (openimsdk/protocol sdkws, msggateway, auth, user, msg, push, errinfo) so an
 * accidental .proto edit cannot silently change the wire format.
 */
import { describe, expect, it } from 'vitest';
import { describeMessage } from '../../../src/protocol/pb.js';

/** name -> "type number" (type as describeMessage reports it; `repeated ` / `map<k> ` prefixes). */
function layout(typeName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of describeMessage(typeName)) {
    const prefix = f.mapKey ? `map<${f.mapKey}> ` : f.repeated ? 'repeated ' : '';
    out[f.name] = `${prefix}${f.type} ${f.id}`;
  }
  return out;
}

const EXPECTED: Record<string, Record<string, string>> = {
  'openim.sdkws.MsgData': {
    sendID: 'string 1',
    recvID: 'string 2',
    groupID: 'string 3',
    clientMsgID: 'string 4',
    serverMsgID: 'string 5',
    senderPlatformID: 'int32 6',
    senderNickname: 'string 7',
    senderFaceURL: 'string 8',
    sessionType: 'int32 9',
    msgFrom: 'int32 10',
    contentType: 'int32 11',
    content: 'bytes 12',
    seq: 'int64 14',
    sendTime: 'int64 15',
    createTime: 'int64 16',
    status: 'int32 17',
    isRead: 'bool 18',
    options: 'map<string> bool 19',
    offlinePushInfo: 'openim.sdkws.OfflinePushInfo 20',
    atUserIDList: 'repeated string 21',
    attachedInfo: 'string 22',
    ex: 'string 23',
  },
  'openim.sdkws.OfflinePushInfo': {
    title: 'string 1',
    desc: 'string 2',
    ex: 'string 3',
    iOSPushSound: 'string 4',
    iOSBadgeCount: 'bool 5',
    signalInfo: 'string 6',
  },
  'openim.sdkws.PushMessages': {
    msgs: 'map<string> openim.sdkws.PullMsgs 1',
    notificationMsgs: 'map<string> openim.sdkws.PullMsgs 2',
  },
  'openim.sdkws.PullMsgs': { Msgs: 'repeated openim.sdkws.MsgData 1', isEnd: 'bool 2', endSeq: 'int64 3' },
  'openim.sdkws.GetMaxSeqReq': { userID: 'string 1' },
  'openim.sdkws.GetMaxSeqResp': { maxSeqs: 'map<string> int64 1', minSeqs: 'map<string> int64 2' },
  'openim.sdkws.PullMessageBySeqsReq': {
    userID: 'string 1',
    seqRanges: 'repeated openim.sdkws.SeqRange 2',
    order: 'openim.sdkws.PullOrder 3',
  },
  'openim.sdkws.SeqRange': { conversationID: 'string 1', begin: 'int64 2', end: 'int64 3', num: 'int64 4' },
  'openim.sdkws.PullMessageBySeqsResp': {
    msgs: 'map<string> openim.sdkws.PullMsgs 1',
    notificationMsgs: 'map<string> openim.sdkws.PullMsgs 2',
  },
  'openim.sdkws.SetAppBackgroundStatusReq': { userID: 'string 1', isBackground: 'bool 2' },
  'openim.sdkws.SubUserOnlineStatus': { subscribeUserID: 'repeated string 1', unsubscribeUserID: 'repeated string 2' },
  'openim.sdkws.SubUserOnlineStatusTips': { subscribers: 'repeated openim.sdkws.SubUserOnlineStatusElem 1' },
  'openim.sdkws.SubUserOnlineStatusElem': { userID: 'string 1', onlinePlatformIDs: 'repeated int32 2' },
  'openim.sdkws.RequestPagination': { pageNumber: 'int32 1', showNumber: 'int32 2' },
  'openim.msggateway.OnlineBatchPushOneMsgReq': {
    msgData: 'openim.sdkws.MsgData 1',
    pushToUserIDs: 'repeated string 2',
  },
  'openim.msggateway.OnlineBatchPushOneMsgResp': {
    singlePushResult: 'repeated openim.msggateway.SingleMsgToUserResults 1',
  },
  'openim.msggateway.SingleMsgToUserResults': {
    userID: 'string 1',
    resp: 'repeated openim.msggateway.SingleMsgToUserPlatform 2',
    onlinePush: 'bool 3',
  },
  'openim.msggateway.SingleMsgToUserPlatform': { ResultCode: 'int64 1', RecvID: 'string 2', RecvPlatFormID: 'int32 3' },
  'openim.msggateway.OnlinePushMsgReq': { msgData: 'openim.sdkws.MsgData 1', pushToUserID: 'string 2' },
  'openim.msggateway.GetUsersOnlineStatusReq': { userIDs: 'repeated string 1' },
  'openim.msggateway.GetUsersOnlineStatusResp': {
    successResult: 'repeated openim.msggateway.GetUsersOnlineStatusResp.SuccessResult 1',
    failedResult: 'repeated openim.msggateway.GetUsersOnlineStatusResp.FailedDetail 2',
  },
  'openim.msggateway.GetUsersOnlineStatusResp.SuccessResult': {
    userID: 'string 1',
    status: 'int32 2',
    detailPlatformStatus: 'repeated openim.msggateway.GetUsersOnlineStatusResp.SuccessDetail 3',
  },
  'openim.msggateway.GetUsersOnlineStatusResp.SuccessDetail': {
    platformID: 'int32 1',
    connID: 'string 2',
    isBackground: 'bool 3',
    token: 'string 4',
  },
  'openim.msggateway.KickUserOfflineReq': { platformID: 'int32 1', kickUserIDList: 'repeated string 2' },
  'openim.msggateway.MultiTerminalLoginCheckReq': { userID: 'string 1', platformID: 'int32 2', token: 'string 3' },
  'openim.auth.parseTokenReq': { token: 'string 1' },
  'openim.auth.parseTokenResp': { userID: 'string 1', platformID: 'int32 2', expireTimeSeconds: 'int64 4' },
  'openim.auth.kickTokensReq': { tokens: 'repeated string 1' },
  'openim.auth.invalidateTokenReq': { preservedToken: 'string 1', userID: 'string 2', platformID: 'int32 3' },
  'openim.auth.getUserTokenReq': { platformID: 'int32 1', userID: 'string 2' },
  'openim.auth.getUserTokenResp': { token: 'string 1', expireTimeSeconds: 'int64 2' },
  'openim.auth.getAdminTokenReq': { secret: 'string 1', userID: 'string 3' },
  'openim.auth.getAdminTokenResp': { token: 'string 2', expireTimeSeconds: 'int64 3' },
  'openim.auth.forceLogoutReq': { platformID: 'int32 1', userID: 'string 2' },
  'openim.user.setUserOnlineStatusReq': { status: 'repeated openim.user.userOnlineStatus 1' },
  'openim.user.userOnlineStatus': {
    userID: 'string 1',
    connID: 'string 2',
    online: 'repeated int32 3',
    offline: 'repeated int32 4',
  },
  'openim.user.getUserStatusReq': { userID: 'string 1', userIDs: 'repeated string 2' },
  'openim.user.getUserStatusResp': { statusList: 'repeated openim.user.onlineStatus 1' },
  'openim.user.onlineStatus': { userID: 'string 1', status: 'int32 2', platformIDs: 'repeated int32 3' },
  'openim.msg.SendMsgReq': { msgData: 'openim.sdkws.MsgData 3' },
  'openim.msg.SendMsgResp': { serverMsgID: 'string 1', clientMsgID: 'string 2', sendTime: 'int64 3' },
  'openim.msg.GetSeqMessageReq': {
    userID: 'string 1',
    conversations: 'repeated openim.msg.ConversationSeqs 2',
    order: 'openim.sdkws.PullOrder 3',
  },
  'openim.msg.ConversationSeqs': { conversationID: 'string 2', seqs: 'repeated int64 3' },
  'openim.msg.GetConversationsHasReadAndMaxSeqReq': { userID: 'string 1', conversationIDs: 'repeated string 2' },
  'openim.msg.Seqs': { maxSeq: 'int64 1', hasReadSeq: 'int64 2', maxSeqTime: 'int64 3' },
  'openim.msg.GetLastMessageReq': { userID: 'string 1', conversationIDs: 'repeated string 2' },
  'openim.msg.GetLastMessageResp': { msgs: 'map<string> openim.sdkws.MsgData 1' },
  'openim.push.DelUserPushTokenReq': { userID: 'string 1', platformID: 'int32 2' },
  'openim.push.PushMsgReq': { msgData: 'openim.sdkws.MsgData 1', conversationID: 'string 2', userIDs: 'repeated string 3' },
  'openim.protobuf.ErrorInfo': {
    path: 'string 1',
    line: 'uint32 2',
    name: 'string 3',
    cause: 'string 4',
    warp: 'repeated string 5',
  },
};

describe('field numbers equal upstream', () => {
  for (const [typeName, fields] of Object.entries(EXPECTED)) {
    it(typeName, () => {
      expect(layout(typeName)).toEqual(fields);
    });
  }
});
