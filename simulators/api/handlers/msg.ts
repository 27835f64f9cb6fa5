import { createHash, randomUUID } from 'node:crypto';
import { errs } from '../../../src/protocol/errors.js';
import { SessionType } from '../../../src/protocol/conversation.js';
import { requireSelfOrAdmin, rpcContext } from '../access.js';
import { obj, optBool, optInt, optStr, str } from '../args.js';
import { API_PATHS } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRoute } from '../server.js';

/** The content types /msg/send_msg accepts (upstream getSendMsgReq). */
const SENDABLE_CONTENT_TYPES = new Set([101, 102, 103, 104, 105, 106, 110, 114, 118, 1400]);
/** MsgData.msgFrom of messages sent over REST (upstream constant.SysMsgType). */
const SYS_MSG_TYPE = 200;
/** The options an online-only message switches off (upstream MessageApi.SetOptions). */
const ONLINE_ONLY_OFF = ['history', 'persistent', 'offlinePush', 'unreadCount', 'conversationUpdate', 'senderSync', 'senderConversationUpdate'];

/** /msg/*: send_msg goes through the msg simulator, so online recipients get the 2001 push. */
export function msgRoutes(d: ApiDeps): ApiRoute[] {
  return [
    {
      path: API_PATHS.msg.sendMsg,
      handler: async (b, ctx) => {
        const sendID = str(b, 'sendID');
        const sessionType = optInt(b, 'sessionType');
        const contentType = optInt(b, 'contentType');
        const content = obj(b, 'content', true);
        if (!ctx.isAdmin) throw errs.noPermission('only app manager can send message');
        if (!SENDABLE_CONTENT_TYPES.has(contentType)) throw errs.args(`unsupported content type ${contentType}`);
        const recvID = optStr(b, 'recvID');
        const groupID = optStr(b, 'groupID');
        if ((sessionType === SessionType.Single || sessionType === SessionType.Notification) && !recvID) throw errs.args('recvID is required if sessionType is SingleChatType or NotificationChatType');
        if ((sessionType === SessionType.WriteGroup || sessionType === SessionType.ReadGroup) && !groupID) throw errs.args('groupID is required if sessionType is a group chat');
        if (![SessionType.Single, SessionType.WriteGroup, SessionType.ReadGroup, SessionType.Notification].includes(sessionType as 1)) throw errs.args(`sessionType ${sessionType} is invalid`);
        const options: Record<string, boolean> = {};
        if (optBool(b, 'isOnlineOnly')) for (const k of ONLINE_ONLY_OFF) options[k] = false;
        if (optBool(b, 'notOfflinePush')) options.offlinePush = false;
        const now = Date.now();
        const text = contentType === 1400 ? JSON.stringify({ detail: JSON.stringify(content) }) : JSON.stringify(content);
        const r = await d.sendMsg(
          {
            sendID,
            recvID,
            groupID,
            clientMsgID: createHash('md5').update(`${sendID}${now}${randomUUID()}`).digest('hex'),
            senderPlatformID: optInt(b, 'senderPlatformID'),
            senderNickname: optStr(b, 'senderNickname'),
            senderFaceURL: optStr(b, 'senderFaceURL'),
            sessionType,
            msgFrom: SYS_MSG_TYPE,
            contentType,
            content: Buffer.from(text),
            createTime: now,
            sendTime: optInt(b, 'sendTime'),
            options,
            ex: optStr(b, 'ex'),
          },
          rpcContext(ctx),
        );
        return { serverMsgID: r.serverMsgID, clientMsgID: r.clientMsgID, sendTime: r.sendTime };
      },
    },
    { path: API_PATHS.msg.getServerTime, handler: async () => ({ serverTime: Date.now() }) },
    {
      path: API_PATHS.msg.newestSeq,
      handler: async (b, ctx) => {
        const userID = optStr(b, 'userID') || ctx.opUserID;
        requireSelfOrAdmin(ctx, userID);
        const maxSeqs = await d.msgs.maxSeqs(userID);
        return { maxSeqs, minSeqs: Object.fromEntries(Object.keys(maxSeqs).map((c) => [c, 0])) };
      },
    },
  ];
}
