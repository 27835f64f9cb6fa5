/**
 * What each request identifier carries: the protobuf type of a request's Data and of its reply's
 * Data (PROTOCOL.md section 3, upstream's msggateway message_handler.go). Used to build raw
 * requests from JSON and to show frames decoded; the typed helpers of the client use the codecs
 * directly.
 */
import { ReqIdentifier, reqIdentifierName } from '../../src/protocol/identifiers.js';
import { messageCodec, type JsonObject } from '../../src/protocol/pb.js';

/** Payload types of one identifier (undefined: no Data that way). */
export interface RequestShape {
  name: string;
  request?: string;
  reply?: string;
}

const shapes = new Map<number, RequestShape>([
  [ReqIdentifier.GetNewestSeq, { name: 'GetNewestSeq', request: 'openim.sdkws.GetMaxSeqReq', reply: 'openim.sdkws.GetMaxSeqResp' }],
  [ReqIdentifier.PullMsgBySeqList, { name: 'PullMsgBySeqList', request: 'openim.sdkws.PullMessageBySeqsReq', reply: 'openim.sdkws.PullMessageBySeqsResp' }],
  [ReqIdentifier.SendMsg, { name: 'SendMsg', request: 'openim.sdkws.MsgData', reply: 'openim.msg.SendMsgResp' }],
  [ReqIdentifier.SendSignalMsg, { name: 'SendSignalMsg', request: 'openim.sdkws.MsgData', reply: 'openim.msg.SendMsgResp' }],
  [ReqIdentifier.PullMsg, { name: 'PullMsg', request: 'openim.msg.GetSeqMessageReq', reply: 'openim.msg.GetSeqMessageResp' }],
  [ReqIdentifier.GetConvMaxReadSeq, { name: 'GetConvMaxReadSeq', request: 'openim.msg.GetConversationsHasReadAndMaxSeqReq', reply: 'openim.msg.GetConversationsHasReadAndMaxSeqResp' }],
  [ReqIdentifier.PullConvLastMessage, { name: 'PullConvLastMessage', request: 'openim.msg.GetLastMessageReq', reply: 'openim.msg.GetLastMessageResp' }],
  [ReqIdentifier.PushMsg, { name: 'PushMsg', reply: 'openim.sdkws.PushMessages' }],
  [ReqIdentifier.KickOnlineMsg, { name: 'KickOnlineMsg' }],
  [ReqIdentifier.WsLogoutMsg, { name: 'WsLogoutMsg', request: 'openim.push.DelUserPushTokenReq', reply: 'openim.push.DelUserPushTokenResp' }],
  [ReqIdentifier.WsSetBackgroundStatus, { name: 'WsSetBackgroundStatus', request: 'openim.sdkws.SetAppBackgroundStatusReq', reply: 'openim.sdkws.SetAppBackgroundStatusResp' }],
  [ReqIdentifier.WsSubUserOnlineStatus, { name: 'WsSubUserOnlineStatus', request: 'openim.sdkws.SubUserOnlineStatus', reply: 'openim.sdkws.SubUserOnlineStatusTips' }],
]);

/** The shape of an identifier, or a nameless one for identifiers we do not know. */
export function requestShape(reqIdentifier: number): RequestShape {
  return shapes.get(reqIdentifier) ?? { name: reqIdentifierName(reqIdentifier) };
}

/** Identifiers a client may send, in number order. */
export function clientRequestIdentifiers(): number[] {
  return [...shapes.entries()].filter(([, s]) => s.request !== undefined).map(([id]) => id);
}

/**
 * Encodes a request's Data from JSON (protobuf JSON mapping, field names as in the .proto) for
 * the identifier's request type; a string is taken as base64 bytes, null as no Data.
 */
export function encodeRequestData(reqIdentifier: number, data: unknown): Uint8Array | null {
  if (data === null || data === undefined) return null;
  if (typeof data === 'string') return Buffer.from(data, 'base64');
  const type = shapes.get(reqIdentifier)?.request;
  if (!type) throw new Error(`no known Data type for request ${reqIdentifier}: give data as a base64 string`);
  const codec = messageCodec(type);
  return codec.encode(codec.fromJSON(data));
}

/** Decodes Data as the identifier's request (`side` req) or reply type into JSON (empty Data is the empty message); undefined when the type is unknown. */
export function decodeData(reqIdentifier: number, side: 'req' | 'resp', data: Uint8Array | null): JsonObject | undefined {
  const shape = shapes.get(reqIdentifier);
  const type = side === 'req' ? shape?.request : shape?.reply;
  if (!type) return undefined;
  const codec = messageCodec(type);
  return codec.toJSON(codec.decode(data ?? new Uint8Array(0)));
}
