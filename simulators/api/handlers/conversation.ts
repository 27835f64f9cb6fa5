import { isNotificationConversation } from '../../../src/protocol/conversation.js';
import { pb } from '../../../src/protocol/pb.js';
import type { jssdk, sdkws } from '../../../src/protocol/pb-types.js';
import { requireSelfOrAdmin } from '../access.js';
import { optInt, optStr, page, strs } from '../args.js';
import { API_PATHS, type Conversation } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiContext, ApiRoute } from '../server.js';
import { fullIDs, incremental } from '../sync.js';
import { versionLists } from '../../services/version-log.js';
import { userInfoOf } from './user.js';

/** Conversation types (upstream constant.SingleChatType, WriteGroupChatType, ReadGroupChatType, NotificationChatType). */
const CONVERSATION_TYPE: Record<string, number> = { si_: 1, g_: 2, sg_: 3, sn_: 4 };

/** Upstream's bounds of get_active_conversations. */
const MAX_ACTIVE = 500;
const DEFAULT_ACTIVE = 100;

/**
 * The conversation record of an ID for one owner: the type and peer come from the ID itself
 * (`si_<a>_<b>`, `sg_<group>`, ...), the max seq from the msg simulator's store. msggw keeps no
 * per-user settings (pinning, receive options), so those are upstream's defaults.
 */
export function conversationOf(owner: string, conversationID: string, maxSeq: number): Conversation | undefined {
  const prefix = Object.keys(CONVERSATION_TYPE).find((p) => conversationID.startsWith(p));
  if (!prefix) return undefined;
  const rest = conversationID.slice(prefix.length);
  const c: Conversation = { ownerUserID: owner, conversationID, conversationType: CONVERSATION_TYPE[prefix]!, maxSeq };
  if (prefix === 'g_' || prefix === 'sg_') c.groupID = rest;
  else c.userID = rest.startsWith(`${owner}_`) ? rest.slice(owner.length + 1) : rest.endsWith(`_${owner}`) ? rest.slice(0, -(owner.length + 1)) : rest;
  return c;
}

/** /conversation/* and the jssdk routes: conversations come into being as messages flow. */
export function conversationRoutes(d: ApiDeps): ApiRoute[] {
  const ownerOf = (b: Record<string, unknown>, ctx: ApiContext, key: string) => {
    const id = optStr(b, key) || ctx.opUserID;
    requireSelfOrAdmin(ctx, id);
    return id;
  };
  const ids = async (owner: string) => (await d.msgs.conversations(owner)).filter((c) => !isNotificationConversation(c)).sort();
  const records = async (owner: string, conversationIDs: readonly string[]): Promise<Conversation[]> => {
    const out: Conversation[] = [];
    for (const id of conversationIDs) {
      const c = conversationOf(owner, id, await d.msgs.maxSeq(id));
      if (c) out.push(c);
    }
    return out;
  };
  /** jssdk ConversationMsg: the conversation with its last message and peer (user, friend or group). */
  const conversationMsgs = async (owner: string, conversationIDs: readonly string[]): Promise<jssdk.ConversationMsg[]> => {
    const out: jssdk.ConversationMsg[] = [];
    for (const c of await records(owner, conversationIDs)) {
      const last = await d.msgs.last(c.conversationID);
      const m: jssdk.ConversationMsg = {
        conversation: pb.conversation.Conversation.create(c),
        lastMsg: last,
        user: undefined,
        friend: undefined,
        group: undefined,
        maxSeq: c.maxSeq ?? 0,
        readSeq: 0,
      };
      if (c.userID) {
        const [u] = await d.users.get([c.userID]);
        if (u) m.user = pb.sdkws.UserInfo.create(userInfoOf(u));
        const [f] = await d.friends.get(owner, [c.userID]);
        if (f) m.friend = pb.relation.FriendInfoOnly.create(f);
      } else if (c.groupID) {
        const g = await d.groups.info(c.groupID);
        if (g) m.group = pb.sdkws.GroupInfo.create({ ...g, ownerUserID: await d.groups.owner(c.groupID), memberCount: (await d.msgs.groupMembers(c.groupID)).length });
      }
      out.push(m);
    }
    return out;
  };
  const unread = (list: jssdk.ConversationMsg[]) => list.reduce((n, c) => n + Math.max(0, c.maxSeq - c.readSeq), 0);
  const lastTime = (m: sdkws.MsgData | undefined) => m?.sendTime ?? 0;
  return [
    {
      path: API_PATHS.conversation.getIncrementalConversations,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'userID');
        const r = await incremental(d.versions, versionLists.conversations(owner), b, (list) => records(owner, list));
        const { sortVersion: _s, ...rest } = r;
        return rest;
      },
    },
    {
      path: API_PATHS.conversation.getOwnerConversation,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'userID');
        const all = await records(owner, await ids(owner));
        return { total: all.length, conversations: page(all, b) };
      },
    },
    {
      path: API_PATHS.conversation.getAllConversations,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'ownerUserID');
        return { conversations: await records(owner, await ids(owner)) };
      },
    },
    {
      path: API_PATHS.conversation.getFullConversationIDs,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'userID');
        const r = await fullIDs(d.versions, versionLists.conversations(owner), await ids(owner), b);
        return { version: r.version, versionID: r.versionID, equal: r.equal, conversationIDs: r.ids };
      },
    },
    {
      path: API_PATHS.conversation.getConversations,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'ownerUserID');
        const mine = new Set(await d.msgs.conversations(owner));
        return { conversations: await records(owner, strs(b, 'conversationIDs', { max: 1000 }).filter((c) => mine.has(c))) };
      },
    },
    {
      path: API_PATHS.conversation.getNotNotifyConversationIDs,
      handler: async (b, ctx) => {
        ownerOf(b, ctx, 'userID');
        return { conversationIDs: [] };
      },
    },
    {
      path: API_PATHS.conversation.getConversationsHasReadAndMaxSeq,
      handler: async (b, ctx) => {
        const owner = ownerOf(b, ctx, 'userID');
        const wanted = strs(b, 'conversationIDs', { max: 1000 });
        const seqs: Record<string, { maxSeq: number; hasReadSeq: number; maxSeqTime: number }> = {};
        for (const id of wanted.length > 0 ? wanted : await d.msgs.conversations(owner)) {
          const last = await d.msgs.last(id);
          seqs[id] = { maxSeq: last?.seq ?? 0, hasReadSeq: 0, maxSeqTime: last?.sendTime ?? 0 };
        }
        return { seqs };
      },
    },
    {
      path: API_PATHS.jssdk.getActiveConversations,
      protobuf: { req: pb.jssdk.GetActiveConversationsReq, resp: pb.jssdk.GetActiveConversationsResp },
      handler: async (b, ctx) => {
        // Upstream answers for the caller, whatever ownerUserID says.
        const owner = ctx.opUserID;
        let count = optInt(b, 'count');
        if (count <= 0 || count > MAX_ACTIVE) count = DEFAULT_ACTIVE;
        const all = await conversationMsgs(owner, await ids(owner));
        all.sort((x, y) => lastTime(y.lastMsg) - lastTime(x.lastMsg));
        const conversations = all.slice(0, count);
        return { unreadCount: unread(all), conversations };
      },
    },
    {
      path: API_PATHS.jssdk.getConversations,
      protobuf: { req: pb.jssdk.GetConversationsReq, resp: pb.jssdk.GetConversationsResp },
      handler: async (b, ctx) => {
        const owner = ctx.opUserID;
        const mine = new Set(await d.msgs.conversations(owner));
        const list = await conversationMsgs(owner, strs(b, 'conversationIDs', { max: 1000 }).filter((c) => mine.has(c)));
        return { unreadCount: unread(list), conversations: list };
      },
    },
  ];
}
