import { conversationIDOf, isNotificationConversation } from '../protocol/conversation.js';
import { ErrCode } from '../protocol/errors.js';
import { makeResp, type Resp } from '../protocol/envelope.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import { pb } from '../protocol/pb.js';
import type { sdkws, msggateway } from '../protocol/pb-types.js';
import { Platform } from '../protocol/platforms.js';
import type { Conn } from '../gateway/conn.js';
import type { GatewayEvent } from '../gateway/events.js';
import { FrameVariants } from '../gateway/frames.js';
import type { ConnRegistry } from '../gateway/registry.js';
import type { Signal } from '../util/signal.js';

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
  /** Pushes that started at the position of an earlier push to the same users and ran in step with it. */
  joined: number;
}

/** One push in progress: where it is in its user list and what it has answered. */
interface Run {
  readonly userIDs: readonly string[];
  /** Index of the next user to deliver to (wraps around for joined runs). */
  pos: number;
  /** Users still to visit. */
  left: number;
  /** Per-connection results of this push, by outcome (for the push event). */
  delivered: number;
  failed: number;
  iosBackground: number;
  /** Users that had a connection here (the first few, for the push event); undefined when nobody watches. */
  reached: string[] | undefined;
}

/** Users named in a push event at most. */
const REACHED_LISTED = 50;

/**
 * Delivers one message to every connection of the listed users, encoding the 2001 frame once
 * per (codec, gzip) variant and sharing the bytes between connections. Per user it reports the
 * platforms as upstream does: iOS in background -> 1604 and no frame, a failed write -> 1603,
 * a delivered iOS/Android frame -> code 0 and onlinePush. Users not reached before `deadline`
 * are returned with empty results, in the order of the request.
 *
 * Pushes to the same user list (one hot group) run in step: a push that arrives while an earlier
 * one to the same users is under way starts where that one is, right behind it in the same loop
 * iteration, and wraps around to the users the earlier one had already passed. Each connection
 * then gets the frames of both in the same iteration, so the client's write coalescing sends
 * them in one syscall, and every connection still sees the earlier push first.
 */
export class PushDelivery {
  readonly stats: PushStats = { pushes: 0, encodes: 0, deliveries: 0, failed: 0, iosBackground: 0, joined: 0 };
  private inFlight = 0;
  /** Runs under way, oldest first (a few at most: pushes in flight at once). */
  private readonly running: Run[] = [];

  constructor(
    private readonly users: Pick<ConnRegistry, 'getAll'>,
    /** Bound on concurrently processed push requests (upstream: a 16384-slot queue). */
    private readonly maxPending = 16_384,
    /** Told the result code of every connection a push reached (metrics). */
    private readonly onResult?: (code: number) => void,
    /** Where a `push` event goes after each push, built only while someone listens. */
    private readonly events?: Signal<GatewayEvent>,
  ) {}

  async push(msg: sdkws.MsgData, userIDs: readonly string[], operationID: string, deadline?: Date): Promise<msggateway.SingleMsgToUserResults[]> {
    if (this.inFlight >= this.maxPending) {
      return userIDs.map((userID) => ({ userID, onlinePush: false, resp: [] }));
    }
    this.inFlight++;
    const n = userIDs.length;
    const run: Run = { userIDs, pos: 0, left: n, delivered: 0, failed: 0, iosBackground: 0, reached: this.events?.active ? [] : undefined };
    try {
      this.stats.pushes++;
      const frames = new FrameVariants(pushResp(msg, operationID), this.stats);
      const results = new Array<msggateway.SingleMsgToUserResults>(n);
      const deadlineMs = deadline ? deadline.getTime() : Infinity;
      const lead = n > USERS_PER_SLICE ? this.leaderFor(userIDs) : undefined;
      this.running.push(run);
      if (lead) {
        // The leader's next slice runs in the coming check phase; queue ours right behind it.
        run.pos = lead.pos;
        this.stats.joined++;
        await yieldToLoop();
      }
      while (run.left > 0) {
        const count = Math.min(USERS_PER_SLICE, run.left);
        const late = Date.now() >= deadlineMs;
        for (let k = 0; k < count; k++) {
          const i = run.pos;
          run.pos = i + 1 === n ? 0 : i + 1;
          const userID = userIDs[i]!;
          results[i] = late ? { userID, onlinePush: false, resp: [] } : this.deliverToUser(userID, frames, run);
        }
        run.left -= count;
        if (run.left > 0) await yieldToLoop();
      }
      if (run.reached && this.events?.active) this.emitPush(msg, run);
      return results;
    } finally {
      const at = this.running.indexOf(run);
      if (at >= 0) this.running.splice(at, 1);
      this.inFlight--;
    }
  }

  /** The latest run still under way to exactly these users, if any. */
  private leaderFor(userIDs: readonly string[]): Run | undefined {
    for (let r = this.running.length - 1; r >= 0; r--) {
      const run = this.running[r]!;
      if (run.left > 0 && sameUsers(run.userIDs, userIDs)) return run;
    }
    return undefined;
  }

  private emitPush(msg: sdkws.MsgData, run: Run): void {
    const codes: Record<string, number> = {};
    if (run.delivered > 0) codes['0'] = run.delivered;
    if (run.failed > 0) codes[String(ErrCode.PushMsgErr)] = run.failed;
    if (run.iosBackground > 0) codes[String(ErrCode.IOSBackgroundPushErr)] = run.iosBackground;
    this.events!.emit({
      type: 'push',
      at: Date.now(),
      userIDs: run.userIDs.length,
      delivered: run.delivered,
      codes,
      reached: run.reached!,
      msg: { sendID: msg.sendID, recvID: msg.recvID, groupID: msg.groupID, sessionType: msg.sessionType, contentType: msg.contentType, seq: msg.seq },
    });
  }

  private deliverToUser(userID: string, frames: FrameVariants, run: Run): msggateway.SingleMsgToUserResults {
    const result: msggateway.SingleMsgToUserResults = { userID, onlinePush: false, resp: [] };
    const live: readonly Conn[] = this.users.getAll(userID);
    if (run.reached && live.length > 0 && run.reached.length < REACHED_LISTED) run.reached.push(userID);
    // Copy when there is more than one: a failed write closes the connection, which edits the live list.
    const clients = live.length > 1 ? [...live] : live;
    for (const client of clients) {
      if (client.background && client.platformID === Platform.IOS) {
        this.stats.iosBackground++;
        run.iosBackground++;
        this.onResult?.(ErrCode.IOSBackgroundPushErr);
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: ErrCode.IOSBackgroundPushErr, RecvID: '' });
        continue;
      }
      if (!client.write(frames.for(client.variant))) {
        this.stats.failed++;
        run.failed++;
        this.onResult?.(ErrCode.PushMsgErr);
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: ErrCode.PushMsgErr, RecvID: '' });
        continue;
      }
      this.stats.deliveries++;
      run.delivered++;
      this.onResult?.(0);
      if (PUSH_TERMINALS.has(client.platformID)) {
        result.onlinePush = true;
        result.resp.push({ RecvPlatFormID: client.platformID, ResultCode: 0, RecvID: '' });
      }
    }
    return result;
  }
}

function yieldToLoop(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}

/** Same user IDs in the same order (cheap rejections first: lists are compared once per push). */
function sameUsers(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length || a[0] !== b[0] || a[n - 1] !== b[n - 1]) return false;
  for (let i = 1; i < n - 1; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The 2001 envelope carrying one message in PushMessages keyed by its conversation. */
export function pushResp(msg: sdkws.MsgData, operationID: string): Resp {
  const conversationID = conversationIDOf(msg);
  const pulled = { [conversationID]: { Msgs: [msg], isEnd: false, endSeq: 0 } };
  const data = pb.sdkws.PushMessages.encode(isNotificationConversation(conversationID) ? { notificationMsgs: pulled } : { msgs: pulled });
  return makeResp({ reqIdentifier: ReqIdentifier.PushMsg, operationID, data });
}
