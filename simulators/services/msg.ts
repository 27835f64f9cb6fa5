import { errs } from '../../src/protocol/errors.js';
import { isNotificationConversation, SessionType } from '../../src/protocol/conversation.js';
import type { sdkws } from '../../src/protocol/pb-types.js';
import type { RpcContext } from '../../src/rpc/context.js';
import type { RpcHandlers } from '../../src/rpc/server.js';
import type { MsgMethods } from '../../src/rpc/services.js';
import type { MsgStore } from './msg-store.js';
import { checkAccess, isAdmin } from './access.js';

/** Delivers a stored message to the online connections of some users (the hub's SuperGroupOnlineBatchPushOneMsg). */
export type PushFn = (msg: sdkws.MsgData, userIDs: string[], ctx: RpcContext) => Promise<void>;

export interface MsgSimOptions {
  store: MsgStore;
  push: PushFn;
  /** Users who may act for others (share.yml imAdminUserID); everyone else only for themselves. */
  adminUserIDs: readonly string[];
  log?: (msg: string) => void;
  /**
   * Push a message before answering its SendMsg (the reverse of upstream's order), so the
   * sender's own 2001 echo reaches it before the 1003 reply: a scenario for client robustness.
   */
  pushBeforeReply?: boolean;
  /** Told about each stored message (for views and tests). */
  onSent?: (msg: sdkws.MsgData, conversationID: string, recipients: number) => void;
}

/**
 * The msg service simulator: SendMsg assigns the conversation's next seq, stores the message,
 * answers, and only then pushes (upstream's msg service answers once the message is queued in
 * Kafka; the push comes from the consumer later), in seq order per conversation; the pull/seq methods answer from the same store.
 *
 * Access is checked as upstream's msg service does: the caller is the opUserID of the RPC
 * metadata; it may send as `sendID`, and read seqs and messages of `userID`, only when it is that
 * user or an admin, and it reads only conversations that user is in (others are left out of the
 * reply, as upstream skips conversations it cannot find for the user).
 */
export function msgHandlers(o: MsgSimOptions): Partial<RpcHandlers<MsgMethods>> {
  // Pushes of one conversation go out one after another so recipients see seqs in order.
  const chains = new Map<string, Promise<void>>();
  const pushInOrder = (conversationID: string, job: () => Promise<void>): Promise<void> => {
    const prev = chains.get(conversationID) ?? Promise.resolve();
    const next = prev.then(job).catch((e: unknown) => o.log?.(`push of ${conversationID} failed: ${(e as Error).message}`));
    chains.set(conversationID, next);
    void next.then(() => {
      if (chains.get(conversationID) === next) chains.delete(conversationID);
    });
    return next;
  };
  // The push starts a macrotask later: the handler's reply is handed to gRPC in this one's
  // microtasks (and, in process, reaches the dispatcher there), so it leaves before the push.
  const afterReply = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  // The conversations a caller may read for `userID`: the user's own; an admin reads any.
  const readable = async (userID: string, ctx: RpcContext): Promise<(conversationID: string) => boolean> => {
    if (isAdmin(ctx, o.adminUserIDs)) return () => true;
    const convs = new Set(await o.store.conversations(userID));
    return (id) => convs.has(id);
  };

  return {
    SendMsg: async (req, ctx) => {
      const m = req.msgData;
      // Upstream's request check (SendMsgReq.Check, run by its server interceptor before SendMsg).
      if (!m) throw errs.args('MsgData is empty');
      if (!m.sendID) throw errs.args('sendID is empty');
      checkAccess(ctx, m.sendID, o.adminUserIDs);
      let members: string[];
      if (m.sessionType === SessionType.Single || m.sessionType === SessionType.Notification) {
        if (!m.recvID) throw errs.args('recvID is empty');
        members = m.sendID === m.recvID ? [m.sendID] : [m.sendID, m.recvID];
      } else if (m.sessionType === SessionType.WriteGroup || m.sessionType === SessionType.ReadGroup) {
        if (!m.groupID) throw errs.args('groupID is empty');
        // A group the simulator does not know yet is created on first use with its sender.
        await o.store.setGroup(m.groupID, [m.sendID]);
        members = await o.store.groupMembers(m.groupID);
      } else {
        throw errs.args(`sessionType ${m.sessionType} is not supported`);
      }
      const { msg, conversationID } = await o.store.append(m, members);
      o.onSent?.(msg, conversationID, members.length);
      const push = () => o.push(msg, members, { operationID: ctx.operationID, opUserID: m.sendID });
      if (o.pushBeforeReply) await pushInOrder(conversationID, push);
      else void pushInOrder(conversationID, () => afterReply().then(push));
      return { serverMsgID: msg.serverMsgID, clientMsgID: msg.clientMsgID, sendTime: msg.sendTime };
    },
    GetMaxSeq: async (req, ctx) => {
      checkAccess(ctx, req.userID, o.adminUserIDs);
      const maxSeqs = await o.store.maxSeqs(req.userID);
      const minSeqs: Record<string, number> = {};
      for (const c of Object.keys(maxSeqs)) minSeqs[c] = 0;
      return { maxSeqs, minSeqs };
    },
    PullMessageBySeqs: async (req, ctx) => {
      checkAccess(ctx, req.userID, o.adminUserIDs);
      const mine = await readable(req.userID, ctx);
      const msgs: Record<string, sdkws.PullMsgs> = {};
      const notificationMsgs: Record<string, sdkws.PullMsgs> = {};
      for (const r of req.seqRanges) {
        if (!mine(r.conversationID)) continue;
        const list = await o.store.range(r.conversationID, r.begin, r.end, r.num);
        const max = await o.store.maxSeq(r.conversationID);
        const endSeq = list.length > 0 ? list[list.length - 1]!.seq : 0;
        const pulled: sdkws.PullMsgs = { Msgs: req.order === 1 ? list.reverse() : list, isEnd: endSeq >= max, endSeq };
        (isNotificationConversation(r.conversationID) ? notificationMsgs : msgs)[r.conversationID] = pulled;
      }
      return { msgs, notificationMsgs };
    },
    GetSeqMessage: async (req, ctx) => {
      checkAccess(ctx, req.userID, o.adminUserIDs);
      const mine = await readable(req.userID, ctx);
      const msgs: Record<string, sdkws.PullMsgs> = {};
      const notificationMsgs: Record<string, sdkws.PullMsgs> = {};
      for (const c of req.conversations) {
        if (!mine(c.conversationID)) continue;
        const list = await o.store.bySeqs(c.conversationID, c.seqs);
        const max = await o.store.maxSeq(c.conversationID);
        const endSeq = list.length > 0 ? list[list.length - 1]!.seq : 0;
        (isNotificationConversation(c.conversationID) ? notificationMsgs : msgs)[c.conversationID] = { Msgs: list, isEnd: endSeq >= max, endSeq };
      }
      return { msgs, notificationMsgs };
    },
    GetConversationsHasReadAndMaxSeq: async (req, ctx) => {
      checkAccess(ctx, req.userID, o.adminUserIDs);
      const mine = await readable(req.userID, ctx);
      const ids = req.conversationIDs.length > 0 ? req.conversationIDs.filter(mine) : await o.store.conversations(req.userID);
      const seqs: Record<string, { maxSeq: number; hasReadSeq: number; maxSeqTime: number }> = {};
      for (const id of ids) {
        const last = await o.store.last(id);
        seqs[id] = { maxSeq: last?.seq ?? 0, hasReadSeq: 0, maxSeqTime: last?.sendTime ?? 0 };
      }
      return { seqs };
    },
    GetLastMessage: async (req, ctx) => {
      checkAccess(ctx, req.userID, o.adminUserIDs);
      const mine = await readable(req.userID, ctx);
      const msgs: Record<string, sdkws.MsgData> = {};
      for (const id of req.conversationIDs) {
        if (!mine(id)) continue;
        const last = await o.store.last(id);
        if (last) msgs[id] = last;
      }
      return { msgs };
    },
  };
}
