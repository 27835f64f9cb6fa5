import { CodeError, ErrCode, errs } from '../protocol/errors.js';
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
  /**
   * Append an error's developer detail to the reply's errMsg (`serve --verbose-errors`). Off, the
   * reply carries upstream's code and message only; the detail goes to the log and admin stream.
   */
  verboseErrors?: boolean;
}

/** Why a request failed, beyond the reply's errCode/errMsg: for the log and the admin stream. */
export interface DispatchFailure {
  errCode: number;
  errMsg: string;
  /** The developer detail upstream keeps out of the reply (its ErrDlt). */
  errDlt: string;
}

// Keyed by the reply object, so the detail travels beside the reply without touching the wire.
const failures = new WeakMap<Resp, DispatchFailure>();

/** The failure behind an error reply the dispatcher made, if any. */
export function failureOf(resp: Resp): DispatchFailure | undefined {
  return failures.get(resp);
}

/** A request forwarded byte for byte: its Data is exactly the downstream request message. */
interface Forward {
  service: 'msg' | 'push';
  method: keyof MsgMethods | keyof PushMsgServiceMethods;
  codec: MessageCodec<unknown>;
  /** Upstream's handler runs its validator over the envelope (see {@link checkEnvelope}). */
  checkEnvelope?: true;
}

const forwards = new Map<number, Forward>([
  [ReqIdentifier.GetNewestSeq, { service: 'msg', method: 'GetMaxSeq', codec: pb.sdkws.GetMaxSeqReq }],
  [ReqIdentifier.PullMsgBySeqList, { service: 'msg', method: 'PullMessageBySeqs', codec: pb.sdkws.PullMessageBySeqsReq, checkEnvelope: true }],
  [ReqIdentifier.PullMsg, { service: 'msg', method: 'GetSeqMessage', codec: pb.msg.GetSeqMessageReq, checkEnvelope: true }],
  [ReqIdentifier.GetConvMaxReadSeq, { service: 'msg', method: 'GetConversationsHasReadAndMaxSeq', codec: pb.msg.GetConversationsHasReadAndMaxSeqReq, checkEnvelope: true }],
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
      return reply(req, e, deps.verboseErrors === true);
    }
    return makeResp({ reqIdentifier: req.reqIdentifier, msgIncr: req.msgIncr, operationID: req.operationID, data });
  };
}

async function handle(deps: DispatcherDeps, client: Connection, req: Req, ctx: RpcContext): Promise<Uint8Array | null> {
  const body = req.data ?? EMPTY;
  const fwd = forwards.get(req.reqIdentifier);
  if (fwd) {
    validate(fwd.codec, body);
    if (fwd.checkEnvelope) checkEnvelope(req);
    const pool = fwd.service === 'msg' ? deps.msg : deps.push;
    const svc = await pool.pick();
    return svc.raw(fwd.method as never, body, ctx);
  }
  switch (req.reqIdentifier) {
    case ReqIdentifier.SendMsg: {
      validate(pb.sdkws.MsgData, body);
      const svc = await deps.msg.pick();
      return svc.raw('SendMsg', wrapField(SEND_MSG_REQ_MSG_DATA, body), ctx);
    }
    case ReqIdentifier.SendSignalMsg: {
      // Upstream's SendSignalMessage ignores the request's data and calls SendMsg with a nil
      // request (every version through main), which the msg service refuses: 1001 ArgsError
      // ("MsgData is empty"). We make the same call, so a real msg service answers it as upstream's.
      const svc = await deps.msg.pick();
      return svc.raw('SendMsg', EMPTY, ctx);
    }
    case ReqIdentifier.WsSetBackgroundStatus: {
      const r = validate(pb.sdkws.SetAppBackgroundStatusReq, body);
      checkEnvelope(req);
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

/** Thrown for a payload that does not decode: upstream wraps proto.Unmarshal's error, which is no CodeError, so it answers 500. */
class UndecodablePayload extends Error {}

function validate<T>(codec: MessageCodec<T>, bytes: Uint8Array): T {
  try {
    return codec.decode(bytes);
  } catch (e) {
    throw new UndecodablePayload(`data is not a valid ${codec.typeName}: ${(e as Error).message}`);
  }
}

/** The envelope fields upstream's Req declares `validate:"required"`, in its struct order. */
const REQUIRED_FIELDS = [
  ['ReqIdentifier', (r: Req) => r.reqIdentifier !== 0],
  ['SendID', (r: Req) => r.sendID !== ''],
  ['OperationID', (r: Req) => r.operationID !== ''],
  ['MsgIncr', (r: Req) => r.msgIncr !== ''],
] as const;

/** Thrown by checkEnvelope: the validator's error is no CodeError, so upstream answers 500. */
class InvalidEnvelope extends Error {}

/**
 * Upstream's Req has `validate:"required"` tags, but its read loop's Validate is a no-op: only
 * the handlers of 1002, 1005, 1006 and 2004 run the validator over the envelope, after decoding
 * the payload. An empty operationID or msgIncr there is 500 ServerInternalError; every other
 * identifier serves it (an empty sendID never gets here: it closes the connection first).
 * The detail is go-playground/validator's text.
 */
function checkEnvelope(req: Req): void {
  let why = '';
  for (const [field, ok] of REQUIRED_FIELDS) {
    if (!ok(req)) why += `${why ? '\n' : ''}Key: 'Req.${field}' Error:Field validation for '${field}' failed on the 'required' tag`;
  }
  if (why) throw new InvalidEnvelope(why);
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

function reply(req: Req, e: unknown, verbose: boolean): Resp {
  if (e instanceof ProtocolViolation) throw e;
  // As upstream's apiresp.ParseError: a CodeError keeps its code and message; anything else is
  // ErrInternalServer (500 "ServerInternalError") with the error's text as its detail. The
  // envelope has no errDlt, so upstream's reply carries code and message only.
  const f: DispatchFailure =
    e instanceof CodeError
      ? { errCode: e.code, errMsg: e.message, errDlt: e.detail }
      : { errCode: ErrCode.ServerInternalError, errMsg: 'ServerInternalError', errDlt: e instanceof Error ? e.message : String(e) };
  const resp = makeResp({
    reqIdentifier: req.reqIdentifier,
    msgIncr: req.msgIncr,
    operationID: req.operationID,
    errCode: f.errCode,
    errMsg: verbose && f.errDlt ? `${f.errMsg}: ${f.errDlt}` : f.errMsg,
  });
  failures.set(resp, f);
  return resp;
}
