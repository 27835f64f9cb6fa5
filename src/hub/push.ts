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
/**
 * How long before the call's deadline a push stops waiting or delivering and answers: a tenth
 * of the time the call had left on arrival, within these bounds, ms. The caller must get the
 * per-user results before its own deadline fires (which runs ahead of ours by the transit
 * time), or all it sees is DEADLINE_EXCEEDED; upstream answers at the deadline itself, which the
 * caller never reads.
 */
const REPLY_MARGIN_MIN_MS = 50;
const REPLY_MARGIN_MAX_MS = 1000;

/** Bounds of the hub's push queue (upstream: 512 workers taking per-user tasks from a 16384-slot queue). */
export interface PushLimits {
  /** Pushes delivered at once; more wait in the queue. */
  concurrency: number;
  /** Pushes waiting at most; beyond, a push is refused at once. */
  queued: number;
  /** Bytes of waiting pushes at most (message content and user IDs); beyond, a push is refused at once. */
  queuedBytes: number;
}

export const DEFAULT_PUSH_LIMITS: Readonly<PushLimits> = { concurrency: 16_384, queued: 16_384, queuedBytes: 64 * 1024 * 1024 };

/** Why a push was not delivered to everyone it named. */
export type PushDropReason = 'queue_full' | 'deadline';

/** What {@link PushDelivery} reports about a push it could not deliver in full. */
export interface PushDrop {
  reason: PushDropReason;
  /** Users the push named. */
  userIDs: number;
  /** Users it did not reach (their connections here are answered 1603). */
  undeliveredUsers: number;
  /** Connections here that got no frame because of it. */
  undeliveredConns: number;
  /** How long it waited for a turn, ms (0 = none). */
  waitedMs: number;
}

export interface PushDeliveryOptions {
  limits?: Partial<PushLimits>;
  /** Told the result code of every connection a push reached or could not reach (metrics). */
  onResult?: (code: number, n?: number) => void;
  /** Told about every push refused or cut short (metrics); the `push-dropped` event goes to `events` too. */
  onDrop?: (drop: PushDrop) => void;
  /** Where `push` and `push-dropped` events go, built only while someone listens. */
  events?: Signal<GatewayEvent>;
}

/** A push waiting for a turn. */
interface Waiter {
  resolve: (outcome: 'run' | PushDropReason) => void;
  bytes: number;
  timer: NodeJS.Timeout | undefined;
}

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
  /** Pushes that waited in the queue for a turn. */
  queued: number;
  /** Pushes refused or cut short (queue full, deadline): their undelivered users are answered 1603. */
  dropped: number;
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
 * a delivered iOS/Android frame -> code 0 and onlinePush; results keep the request's order.
 *
 * At most `concurrency` pushes are delivered at once; later ones wait in a FIFO queue bounded in
 * count and bytes until a turn comes or shortly before the call's deadline (a tenth of its time,
 * 50 ms to 1 s), as upstream's PushCtx waits for a queue slot until its context is done. A push
 * refused because the queue is full, or not finished before its deadline, is never an empty
 * success: every connection here of a user it did not reach is answered 1603 (PushMsgErr, so the
 * push service falls back to offline push), the drop is counted (`onDrop`) and announced as a
 * `push-dropped` event. Upstream answers such users with empty results, as if they were offline.
 *
 * Pushes to the same user list (one hot group) run in step: a push that arrives while an earlier
 * one to the same users is under way starts where that one is, right behind it in the same loop
 * iteration, and wraps around to the users the earlier one had already passed. Each connection
 * then gets the frames of both in the same iteration, so the client's write coalescing sends
 * them in one syscall, and every connection still sees the earlier push first.
 */
export class PushDelivery {
  readonly stats: PushStats = { pushes: 0, encodes: 0, deliveries: 0, failed: 0, iosBackground: 0, joined: 0, queued: 0, dropped: 0 };
  readonly limits: Readonly<PushLimits>;
  private inFlight = 0;
  /** Runs under way, oldest first (a few at most: pushes in flight at once). */
  private readonly running: Run[] = [];
  /** Pushes waiting for a turn, oldest first (a Set: O(1) removal when one's deadline passes). */
  private readonly waiting = new Set<Waiter>();
  private waitingBytes = 0;
  private readonly onResult: ((code: number, n?: number) => void) | undefined;
  private readonly onDrop: ((drop: PushDrop) => void) | undefined;
  private readonly events: Signal<GatewayEvent> | undefined;

  constructor(
    private readonly users: Pick<ConnRegistry, 'getAll'>,
    opts: PushDeliveryOptions = {},
  ) {
    this.limits = { ...DEFAULT_PUSH_LIMITS, ...opts.limits };
    this.onResult = opts.onResult;
    this.onDrop = opts.onDrop;
    this.events = opts.events;
  }

  /** Pushes waiting for a turn now. */
  get queueDepth(): number {
    return this.waiting.size;
  }

  async push(msg: sdkws.MsgData, userIDs: readonly string[], operationID: string, deadline?: Date): Promise<msggateway.SingleMsgToUserResults[]> {
    const deadlineMs = deadline ? answerBy(deadline.getTime()) : Infinity;
    let waitedMs = 0;
    // The common case takes a free slot synchronously: a small push still runs to its end in this call.
    if (this.inFlight < this.limits.concurrency && this.waiting.size === 0) this.inFlight++;
    else {
      const since = Date.now();
      const outcome = await this.waitForTurn(msg, userIDs, deadlineMs);
      if (outcome !== 'queue_full') waitedMs = Date.now() - since;
      // On 'run' the finishing push handed its slot over: inFlight already counts this one.
      if (outcome !== 'run') return this.refuse(msg, userIDs, outcome, waitedMs);
    }
    const n = userIDs.length;
    const run: Run = { userIDs, pos: 0, left: n, delivered: 0, failed: 0, iosBackground: 0, reached: this.events?.active ? [] : undefined };
    try {
      this.stats.pushes++;
      const frames = new FrameVariants(pushResp(msg, operationID), this.stats);
      const results = new Array<msggateway.SingleMsgToUserResults>(n);
      const lead = n > USERS_PER_SLICE ? this.leaderFor(userIDs) : undefined;
      this.running.push(run);
      if (lead) {
        // The leader's next slice runs in the coming check phase; queue ours right behind it.
        run.pos = lead.pos;
        this.stats.joined++;
        await yieldToLoop();
      }
      let cut: Cut | undefined;
      while (run.left > 0) {
        const count = Math.min(USERS_PER_SLICE, run.left);
        if (!cut && Date.now() >= deadlineMs) cut = { users: 0, conns: 0 };
        for (let k = 0; k < count; k++) {
          const i = run.pos;
          run.pos = i + 1 === n ? 0 : i + 1;
          const userID = userIDs[i]!;
          results[i] = cut ? this.undelivered(userID, cut) : this.deliverToUser(userID, frames, run);
        }
        run.left -= count;
        if (run.left > 0) await yieldToLoop();
      }
      if (run.reached && this.events?.active) this.emitPush(msg, run);
      if (cut) this.dropped(msg, { reason: 'deadline', userIDs: n, undeliveredUsers: cut.users, undeliveredConns: cut.conns, waitedMs });
      return results;
    } finally {
      const at = this.running.indexOf(run);
      if (at >= 0) this.running.splice(at, 1);
      this.release();
    }
  }

  /** Queues a push that found no free slot; resolves with 'run' when it got one. */
  private waitForTurn(msg: sdkws.MsgData, userIDs: readonly string[], deadlineMs: number): Promise<'run' | PushDropReason> {
    if (Date.now() >= deadlineMs) return Promise.resolve('deadline');
    const bytes = pushBytes(msg, userIDs);
    if (this.waiting.size >= this.limits.queued || this.waitingBytes + bytes > this.limits.queuedBytes) return Promise.resolve('queue_full');
    this.stats.queued++;
    return new Promise((resolve) => {
      const w: Waiter = { resolve, bytes, timer: undefined };
      if (deadlineMs !== Infinity) {
        w.timer = setTimeout(() => {
          this.leave(w);
          resolve('deadline');
        }, deadlineMs - Date.now());
      }
      this.waiting.add(w);
      this.waitingBytes += bytes;
    });
  }

  private leave(w: Waiter): void {
    if (!this.waiting.delete(w)) return;
    this.waitingBytes -= w.bytes;
    clearTimeout(w.timer);
  }

  /** A push finished: its slot goes to the oldest waiting push, else back to the pool. */
  private release(): void {
    for (const next of this.waiting) {
      this.leave(next);
      next.resolve('run');
      return;
    }
    this.inFlight--;
  }

  /** The answer to a push that never ran: its users' connections here are each 1603. */
  private refuse(msg: sdkws.MsgData, userIDs: readonly string[], reason: PushDropReason, waitedMs: number): msggateway.SingleMsgToUserResults[] {
    const cut: Cut = { users: 0, conns: 0 };
    const results = userIDs.map((userID) => this.undelivered(userID, cut));
    this.dropped(msg, { reason, userIDs: userIDs.length, undeliveredUsers: cut.users, undeliveredConns: cut.conns, waitedMs });
    return results;
  }

  /** A user the push did not reach: 1603 for each of its connections here (none: not online here, as for any push). */
  private undelivered(userID: string, cut: Cut): msggateway.SingleMsgToUserResults {
    const live = this.users.getAll(userID);
    const resp = new Array<msggateway.SingleMsgToUserPlatform>(live.length);
    for (let j = 0; j < live.length; j++) resp[j] = { RecvPlatFormID: live[j]!.platformID, ResultCode: ErrCode.PushMsgErr, RecvID: '' };
    cut.users++;
    if (live.length > 0) {
      cut.conns += live.length;
      this.onResult?.(ErrCode.PushMsgErr, live.length);
    }
    return { userID, onlinePush: false, resp };
  }

  private dropped(msg: sdkws.MsgData, drop: PushDrop): void {
    this.stats.dropped++;
    this.onDrop?.(drop);
    if (this.events?.active) {
      this.events.emit({
        type: 'push-dropped',
        at: Date.now(),
        ...drop,
        msg: { sendID: msg.sendID, recvID: msg.recvID, groupID: msg.groupID, sessionType: msg.sessionType, contentType: msg.contentType, seq: msg.seq },
      });
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

/** Users a push gave up on and their connections here (for the drop report). */
interface Cut {
  users: number;
  conns: number;
}

/** When a push with this deadline must answer at the latest. */
function answerBy(deadline: number): number {
  const margin = Math.min(REPLY_MARGIN_MAX_MS, Math.max(REPLY_MARGIN_MIN_MS, (deadline - Date.now()) / 10));
  return deadline - margin;
}

/** What a waiting push holds in memory, roughly: its content and its user list. */
function pushBytes(msg: sdkws.MsgData, userIDs: readonly string[]): number {
  let bytes = 256 + (msg.content?.length ?? 0);
  for (const id of userIDs) bytes += id.length + 16;
  return bytes;
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
