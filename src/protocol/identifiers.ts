/** Request identifiers of the long-connection protocol (PROTOCOL.md section 3). */
export const ReqIdentifier = {
  GetNewestSeq: 1001,
  PullMsgBySeqList: 1002,
  SendMsg: 1003,
  SendSignalMsg: 1004,
  PullMsg: 1005,
  GetConvMaxReadSeq: 1006,
  PullConvLastMessage: 1007,
  PushMsg: 2001,
  KickOnlineMsg: 2002,
  WsLogoutMsg: 2003,
  WsSetBackgroundStatus: 2004,
  WsSubUserOnlineStatus: 2005,
  WSDataError: 3001,
} as const;

export type ReqIdentifierName = keyof typeof ReqIdentifier;

const names = new Map<number, ReqIdentifierName>(
  (Object.entries(ReqIdentifier) as [ReqIdentifierName, number][]).map(([k, v]) => [v, k]),
);

/** The name of an identifier, or `unknown(<n>)`. */
export function reqIdentifierName(id: number): string {
  return names.get(id) ?? `unknown(${id})`;
}
