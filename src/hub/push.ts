import { conversationIDOf, isNotificationConversation } from '../protocol/conversation.js';
import { ErrCode } from '../protocol/errors.js';
import { makeResp, type Resp } from '../protocol/envelope.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import { pb } from '../protocol/pb.js';
import type { sdkws, msggateway } from '../protocol/pb-types.js';
import { Platform } from '../protocol/platforms.js';
import type { Client } from '../gateway/client.js';
import type { UserMap } from '../gateway/user-map.js';

/** Platforms whose successful delivery counts as an online push (upstream pushTerminal). */
const PUSH_TERMINALS = new Set<number>([Platform.IOS, Platform.Android]);
/** Users handled between two yields to the event loop, so a huge push never stalls other work. */
const USERS_PER_SLICE = 256;

/** Counters that let tests and benchmarks see what a push cost. */
export interface PushStats {
  pushes: number;
  /** Frames encoded; at most 4 per push (one per codec x gzip variant). */
  encodes: number;
  deliveries: number;
  failed: number;
  iosBackground: number;
}

/**
 * Delivers one message to every connection of the listed users, encoding the 2001 frame once
 * per (codec, gzip) variant and sharing the bytes between connections. Per user it reports the
 * platforms as upstream does: iOS in background -> 1604 and no frame, a failed write -> 1603,
 * a delivered iOS/Android frame -> code 0 and onlinePush. Users not reached before `deadline`
 * are returned with empty results.
 */
export class PushDelivery {
  readonly stats: PushStats = { pushes: 0, encodes: 0, deliveries: 0, failed: 0, iosBackground: 0 };
  private inFlight = 0;

  constructor(
    private readonly users: UserMap,
    /** Bound on concurrently processed push requests (upstream: a 16384-slot queue). */
    private readonly maxPending = 16_384,
    /** Told the result code of every connection a push reached (metrics). */
    private readonly onResult?: (code: number) => void,
  ) {}

  async push(msg: sdkws.MsgData, userIDs: readonly string[], operationID: string, deadline?: Date): Promise<msggateway.SingleMsgToUserResults[]> {
    if (this.inFlight >= this.maxPending) {
      return userIDs.map((userID) => ({ userID, onlinePush: false, resp: [] }));
    }
    this.inFlight++;
    try {
      this.stats.pushes++;
      const frames = new FrameVariants(pushResp(msg, operationID), this.stats);
      const results: msggateway.SingleMsgToUserResults[] = [];
      const deadlineMs = deadline ? deadline.getTime() : Infinity;
      let i = 0;
      for (const userID of userIDs) {
        if (i > 0 && i % USERS_PER_SLICE === 0) {
          await new Promise<void>((r) => setImmediate(r));
        }
        i++;
        if (Date.now() >= deadlineMs) {
          results.push({ userID, onlinePush: false, resp: [] });
          continue;
        }
        results.push(this.deliverToUser(userID, frames));
      }
      return results;
    } finally {
      this.inFlight--;
    }
  }

  private deliverToUser(userID: string, frames: FrameVariants): msggateway.SingleMsgToUserResults {
    const result: msggateway.SingleMsgToUserResults = { userID, onlinePush: false, resp: [] };
    // Copy: a failed write closes the connection, which edits the live list.
    for (const client of [...this.users.getAll(userID)]) {
      if (client.background && client.platformID === Platform.IOS) {
        this.stats.iosBackground++;
        this.onResult?.(ErrCode.IOSBackgroundPushErr);
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: ErrCode.IOSBackgroundPushErr, RecvID: '' });
        continue;
      }
      if (!client.sendFrame(frames.for(client))) {
        this.stats.failed++;
        this.onResult?.(ErrCode.PushMsgErr);
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: ErrCode.PushMsgErr, RecvID: '' });
        continue;
      }
      this.stats.deliveries++;
      this.onResult?.(0);
      if (PUSH_TERMINALS.has(client.platformID)) {
        result.onlinePush = true;
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: 0, RecvID: '' });
      }
    }
    return result;
  }
}

/** The 2001 envelope carrying one message in PushMessages keyed by its conversation. */
export function pushResp(msg: sdkws.MsgData, operationID: string): Resp {
  const conversationID = conversationIDOf(msg);
  const pulled = { [conversationID]: { Msgs: [msg], isEnd: false, endSeq: 0 } };
  const data = pb.sdkws.PushMessages.encode(isNotificationConversation(conversationID) ? { notificationMsgs: pulled } : { msgs: pulled });
  return makeResp({ reqIdentifier: ReqIdentifier.PushMsg, operationID, data });
}

/** Lazily encoded frames of one envelope, one per (codec, gzip) variant. */
export class FrameVariants {
  private readonly frames: (Buffer | undefined)[] = [undefined, undefined, undefined, undefined];

  constructor(
    private readonly resp: Resp,
    private readonly stats?: { encodes: number },
  ) {}

  for(client: Client): Buffer {
    let f = this.frames[client.variant];
    if (!f) {
      f = this.frames[client.variant] = client.encode(this.resp);
      if (this.stats) this.stats.encodes++;
    }
    return f;
  }
}
