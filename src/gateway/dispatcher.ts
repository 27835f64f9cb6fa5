import { CodeError, errs } from '../protocol/errors.js';
import { makeResp, type Req, type Resp } from '../protocol/envelope.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import { pb, type MessageCodec } from '../protocol/pb.js';
import type { RpcContext } from '../rpc/context.js';
import type { ServicePool } from '../rpc/pool.js';
import type { MsgMethods, PushMsgServiceMethods } from '../rpc/services.js';
import { ProtocolViolation, type Connection } from './connection.js';

/** What the dispatcher calls: the msg and push services, and the presence subscription handler. */
export interface DispatcherDeps {
  msg: ServicePool<MsgMethods>;
  push: ServicePool<PushMsgServiceMethods>;
  /** Handles a 2005 request's data; returns the reply data (SubUserOnlineStatusTips). */
  subscribe?: (client: Connection, data: Uint8Array) => Promise<Uint8Array>;
}

/** A request forwarded byte for byte: its Data is exactly the downstream request message. */
interface Forward {
  service: 'msg' | 'push';
  method: keyof MsgMethods | keyof PushMsgServiceMethods;
  codec: MessageCodec<unknown>;
}

const forwards = new Map<number, Forward>([
  [ReqIdentifier.GetNewestSeq, { service: 'msg', method: 'GetMaxSeq', codec: pb.sdkws.GetMaxSeqReq }],
  [ReqIdentifier.PullMsgBySeqList, { service: 'msg', method: 'PullMessageBySeqs', codec: pb.sdkws.PullMessageBySeqsReq }],
  [ReqIdentifier.PullMsg, { service: 'msg', method: 'GetSeqMessage', codec: pb.msg.GetSeqMessageReq }],
  [ReqIdentifier.GetConvMaxReadSeq, { service: 'msg', method: 'GetConversationsHasReadAndMaxSeq', codec: pb.msg.GetConversationsHasReadAndMaxSeqReq }],
  [ReqIdentifier.PullConvLastMessage, { service: 'msg', method: 'GetLastMessage', codec: pb.msg.GetLastMessageReq }],
  [ReqIdentifier.WsLogoutMsg, { service: 'push', method: 'DelUserPushToken', codec: pb.push.DelUserPushTokenReq }],
]);

/**
 * Turns one request into its reply (PROTOCOL.md section 3). Payloads are checked by decoding
 * them, then forwarded as the original bytes, and replies are passed back untouched: no
 * re-encoding, and fields newer than our protos survive, as they do through Go's gateway.
 * Downstream errors become errCode/errMsg; an unknown identifier closes the connection.
 */
export function createDispatcher(deps: DispatcherDeps): (client: Connection, req: Req, ctx: RpcContext) => Promise<Resp> {
  return async (client, req, ctx) => {
    let data: Uint8Array | null = null;
    try {
      data = await handle(deps, client, req, ctx);
    } catch (e) {
      return reply(req, e);
    }
    return makeResp({ reqIdentifier: req.reqIdentifier, msgIncr: req.msgIncr, operationID: req.operationID, data });
  };
}

async function handle(deps: DispatcherDeps, client: Connection, req: Req, ctx: RpcContext): Promise<Uint8Array | null> {
  const body = req.data ?? EMPTY;
  const fwd = forwards.get(req.reqIdentifier);
  if (fwd) {
    validate(fwd.codec, body);
    const pool = fwd.service === 'msg' ? deps.msg : deps.push;
    const svc = await pool.pick();
    return svc.raw(fwd.method as never, body, ctx);
  }
  switch (req.reqIdentifier) {
    case ReqIdentifier.SendMsg:
    case ReqIdentifier.SendSignalMsg: {
      validate(pb.sdkws.MsgData, body);
      const svc = await deps.msg.pick();
      return svc.raw('SendMsg', wrapField(SEND_MSG_REQ_MSG_DATA, body), ctx);
    }
    case ReqIdentifier.WsSetBackgroundStatus: {
      const r = validate(pb.sdkws.SetAppBackgroundStatusReq, body);
      client.background = r.isBackground;
      return null;
    }
    case ReqIdentifier.WsSubUserOnlineStatus: {
      if (!deps.subscribe) throw errs.internal('presence subscriptions are not enabled on this gateway');
      return deps.subscribe(client, body);
    }
    default:
      throw new ProtocolViolation('unknown reqIdentifier', `ReqIdentifier failed, sendID:${req.sendID}, msgIncr:${req.msgIncr}, reqIdentifier:${req.reqIdentifier}`);
  }
}

const EMPTY = new Uint8Array(0);
/** SendMsgReq{msgData = 3}: the field the client's MsgData becomes. */
const SEND_MSG_REQ_MSG_DATA = 3;

function validate<T>(codec: MessageCodec<T>, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (e) {
    throw errs.args(`data is not a valid ${codec.typeName}: ${(e as Error).message}`);
  }
}

/** Encodes `bytes` as a length-delimited field of an otherwise empty message, without copying twice. */
export function wrapField(fieldNumber: number, bytes: Uint8Array): Buffer {
  const tag = (fieldNumber << 3) | 2;
  let len = bytes.length;
  const head: number[] = [tag];
  while (len > 0x7f) {
    head.push((len & 0x7f) | 0x80);
    len >>>= 7;
  }
  head.push(len);
  const out = Buffer.allocUnsafe(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

function reply(req: Req, e: unknown): Resp {
  if (e instanceof ProtocolViolation) throw e;
  // As upstream's apiresp.ParseError: a coded error keeps its code, anything else is 500 with its
  // text. The detail is appended so a developer sees why (the envelope has no errDlt field).
  const coded = e instanceof CodeError;
  return makeResp({
    reqIdentifier: req.reqIdentifier,
    msgIncr: req.msgIncr,
    operationID: req.operationID,
    errCode: coded ? e.code : 500,
    errMsg: coded ? (e.detail ? `${e.message}: ${e.detail}` : e.message) : e instanceof Error ? e.message : String(e),
  });
}
