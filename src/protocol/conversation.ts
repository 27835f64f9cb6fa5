/** Session types of MsgData.sessionType (upstream constant). */
export const SessionType = {
  Single: 1,
  WriteGroup: 2,
  ReadGroup: 3,
  Notification: 4,
} as const;

/** The MsgData fields a conversation ID is made of. */
export interface ConversationKey {
  sessionType: number;
  sendID: string;
  recvID: string;
  groupID: string;
  options?: Record<string, boolean> | undefined;
}

/**
 * The conversation a message belongs to (upstream msgprocessor.GetConversationIDByMsg):
 * `si_a_b` single chat (IDs sorted), `g_`/`sg_` groups, `sn_` notification chats, and `n_...`
 * when the message's options mark it a notification (`notNotification: false`).
 */
export function conversationIDOf(m: ConversationKey): string {
  // An absent option counts as true upstream, so only an explicit false makes a notification.
  const notification = m.options?.notNotification === false;
  const pair = () => (m.sendID <= m.recvID ? `${m.sendID}_${m.recvID}` : `${m.recvID}_${m.sendID}`);
  switch (m.sessionType) {
    case SessionType.Single:
      return (notification ? 'n_' : 'si_') + pair();
    case SessionType.WriteGroup:
      return (notification ? 'n_' : 'g_') + m.groupID;
    case SessionType.ReadGroup:
      return (notification ? 'n_' : 'sg_') + m.groupID;
    case SessionType.Notification:
      return (notification ? 'n_' : 'sn_') + pair();
    default:
      return '';
  }
}

/** Notification conversations go into PushMessages.notificationMsgs. */
export function isNotificationConversation(conversationID: string): boolean {
  return conversationID.startsWith('n_');
}
