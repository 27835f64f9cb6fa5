/**
 * Message integrity tracking for simulated clients: per client and conversation, which seqs
 * arrived, so a run can tell duplicates, out-of-order deliveries and gaps apart, and fill gaps
 * the way the SDKs do (GetNewestSeq, then PullMsgBySeqList for what is missing).
 *
 * Memory stays small for long runs: per conversation a contiguous watermark (every seq up to
 * it arrived) plus a set holding only the seqs above a hole, which empties as holes fill.
 */
import type { sdkws } from '../../src/protocol/pb-types.js';
import type { CatchUpClient, SeqRangeInit } from './types.js';

/** Where a message came from: a 2001 push or a 1002 pull. */
export type SeqSource = 'push' | 'pull';

/**
 * What {@link SeqTracker.record} made of one message:
 * `new` in order (or a pull filling a hole), `duplicate` already seen, `out-of-order` a push
 * filling a hole below a later seq, `gap` a seq beyond the next expected one, `ignored` seq 0
 * (messages without a seq, e.g. typing notices, are not sequenced).
 */
export type SeqVerdict = 'new' | 'duplicate' | 'out-of-order' | 'gap' | 'ignored';

/** One irregularity, as kept in {@link SeqTracker.anomalies}. */
export interface SeqAnomaly {
  client: string;
  conversationID: string;
  kind: 'duplicate' | 'out-of-order' | 'gap';
  seq: number;
  source: SeqSource;
  /** The seq that was expected next when it arrived. */
  expected: number;
  /** Unix ms. */
  at: number;
}

/** A run of seqs a client has not received. */
export interface MissingRange {
  client: string;
  conversationID: string;
  begin: number;
  end: number;
}

/** Counters over every client of a tracker. */
export interface SeqTrackerStats {
  /** Distinct messages recorded. */
  received: number;
  pushed: number;
  pulled: number;
  /** Second copies, split by how the copy came. A pull overlapping a late push is normal; a pushed duplicate is not. */
  duplicatePushes: number;
  duplicatePulls: number;
  outOfOrder: number;
  /** Gap events, and the seqs missing when each was detected. */
  gaps: number;
  gapSeqs: number;
  /** Seqs that arrived after a later seq had (holes filled, by push or pull). */
  filled: number;
  catchUps: number;
}

/** Result of one {@link SeqTracker.catchUp}. */
export interface CatchUpResult {
  client: string;
  /** Conversations the server reported. */
  conversations: number;
  /** Ranges pulled, and the seqs they asked for. */
  ranges: number;
  requested: number;
  /** Messages the pulls delivered that the client did not have. */
  pulled: number;
  /** Seqs still missing afterwards (up to the server's max seqs). */
  stillMissing: number;
  durationMs: number;
}

/** Options of a {@link SeqTracker}. */
export interface SeqTrackerOptions {
  /**
   * Where a conversation starts before the client's first catch-up: `first-seen` (default)
   * treats seqs below the first one received as history from before tracking began; `zero`
   * expects every conversation to start at seq 1. After a client's first catch-up (which
   * snapshots the server's max seqs) conversations it has never seen are new, so start at 1.
   */
  baseline?: 'first-seen' | 'zero';
  /** How many anomalies to keep (the oldest are dropped); default 1000. */
  maxAnomalies?: number;
  /** Called for each anomaly as it happens. */
  onAnomaly?: (a: SeqAnomaly) => void;
  /** Longest range (in seqs) one SeqRange asks for; default 100. */
  pullChunk?: number;
  /** Most ranges in one PullMsgBySeqList request; default 50. */
  maxRangesPerRequest?: number;
}

interface ConvState {
  /** Every seq up to here was received (or is below the baseline). */
  contiguous: number;
  /** Highest seq received. */
  max: number;
  /** Seqs received above a hole (> contiguous + 1). */
  above: Set<number> | undefined;
  /** Highest seq the server reported in a catch-up. */
  serverMax: number;
}

/** See the module comment. */
export class SeqTracker {
  readonly stats: SeqTrackerStats = {
    received: 0,
    pushed: 0,
    pulled: 0,
    duplicatePushes: 0,
    duplicatePulls: 0,
    outOfOrder: 0,
    gaps: 0,
    gapSeqs: 0,
    filled: 0,
    catchUps: 0,
  };
  private readonly clients = new Map<string, Map<string, ConvState>>();
  /** Clients that have had a catch-up, i.e. a snapshot of the server's max seqs. */
  private readonly snapshotted = new Set<string>();
  private readonly recent: SeqAnomaly[] = [];
  private readonly baseline: 'first-seen' | 'zero';
  private readonly maxAnomalies: number;
  private readonly onAnomaly: ((a: SeqAnomaly) => void) | undefined;
  private readonly pullChunk: number;
  private readonly maxRanges: number;

  constructor(options: SeqTrackerOptions = {}) {
    this.baseline = options.baseline ?? 'first-seen';
    this.maxAnomalies = Math.max(0, options.maxAnomalies ?? 1000);
    this.onAnomaly = options.onAnomaly;
    this.pullChunk = Math.max(1, options.pullChunk ?? 100);
    this.maxRanges = Math.max(1, options.maxRangesPerRequest ?? 50);
  }

  /** Records one received message and classifies it. */
  record(client: string, conversationID: string, seq: number, source: SeqSource = 'push'): SeqVerdict {
    if (!Number.isSafeInteger(seq) || seq <= 0) return 'ignored';
    let st = this.convs(client).get(conversationID);
    if (st === undefined) {
      const base = this.baseline === 'zero' || this.snapshotted.has(client) ? 0 : seq - 1;
      st = { contiguous: base, max: base, above: undefined, serverMax: 0 };
      this.convs(client).set(conversationID, st);
    }
    const expected = st.contiguous + 1;
    if (seq < expected || st.above?.has(seq)) {
      if (source === 'push') this.stats.duplicatePushes++;
      else this.stats.duplicatePulls++;
      this.anomaly(client, conversationID, 'duplicate', seq, source, expected);
      return 'duplicate';
    }
    this.stats.received++;
    if (source === 'push') this.stats.pushed++;
    else this.stats.pulled++;
    let verdict: SeqVerdict = 'new';
    if (seq < st.max) {
      // Fills a hole below something already received.
      this.stats.filled++;
      if (source === 'push') {
        this.stats.outOfOrder++;
        this.anomaly(client, conversationID, 'out-of-order', seq, source, expected);
        verdict = 'out-of-order';
      }
    } else if (seq > st.max + 1) {
      this.stats.gaps++;
      this.stats.gapSeqs += seq - st.max - 1;
      this.anomaly(client, conversationID, 'gap', seq, source, st.max + 1);
      verdict = 'gap';
    }
    if (seq > st.max) st.max = seq;
    if (seq === expected) {
      st.contiguous = seq;
      absorb(st);
    } else {
      (st.above ??= new Set()).add(seq);
    }
    return verdict;
  }

  /** Declares every seq up to `seq` of a conversation received (history before tracking began). */
  setBaseline(client: string, conversationID: string, seq: number): void {
    const convs = this.convs(client);
    const st = convs.get(conversationID);
    if (st === undefined) {
      convs.set(conversationID, { contiguous: seq, max: seq, above: undefined, serverMax: 0 });
      return;
    }
    if (seq > st.contiguous) {
      st.contiguous = seq;
      if (seq > st.max) st.max = seq;
      absorb(st);
    }
  }

  /** Seqs not received, per conversation, up to the highest seq seen or reported by the server. */
  missing(client?: string): MissingRange[] {
    const out: MissingRange[] = [];
    for (const [label, convs] of this.clients) {
      if (client !== undefined && label !== client) continue;
      for (const [conversationID, st] of convs) {
        for (const [begin, end] of holes(st, Math.max(st.max, st.serverMax))) out.push({ client: label, conversationID, begin, end });
      }
    }
    return out;
  }

  /** Total number of missing seqs (see {@link missing}). */
  missingCount(client?: string): number {
    let n = 0;
    for (const r of this.missing(client)) n += r.end - r.begin + 1;
    return n;
  }

  /** The most recent anomalies, oldest first. */
  anomalies(): readonly SeqAnomaly[] {
    return this.recent;
  }

  /** Highest seq a client received in a conversation (0 when none). */
  maxSeq(client: string, conversationID: string): number {
    return this.clients.get(client)?.get(conversationID)?.max ?? 0;
  }

  /** Drops a client's state (e.g. when a pool recycles it). */
  forget(client: string): void {
    this.clients.delete(client);
    this.snapshotted.delete(client);
  }

  /**
   * What an SDK does after (re)connecting: GetNewestSeq, then PullMsgBySeqList for every
   * missing range, feeding the pulled messages back into the tracker. A client's first
   * catch-up also snapshots the server's max seqs (see {@link SeqTrackerOptions.baseline}).
   * Rejects when a request fails or answers with a non-zero errCode.
   */
  async catchUp(client: CatchUpClient): Promise<CatchUpResult> {
    const started = performance.now();
    const label = client.label;
    const { data: seqs } = await client.getNewestSeq();
    const convs = this.convs(label);
    const firstSnapshot = !this.snapshotted.has(label);
    const ranges: SeqRangeInit[] = [];
    let requested = 0;
    const conversationIDs = Object.keys(seqs.maxSeqs);
    for (const conversationID of conversationIDs) {
      const maxSeq = seqs.maxSeqs[conversationID] ?? 0;
      const minSeq = seqs.minSeqs[conversationID] ?? 0;
      let st = convs.get(conversationID);
      if (st === undefined) {
        // Before the first snapshot an unseen conversation is history; after it, it is new.
        const base = firstSnapshot && this.baseline === 'first-seen' ? maxSeq : 0;
        st = { contiguous: base, max: base, above: undefined, serverMax: 0 };
        convs.set(conversationID, st);
      }
      if (maxSeq > st.serverMax) st.serverMax = maxSeq;
      // Seqs below the server's min seq were deleted and cannot be pulled.
      if (minSeq > 1 && st.contiguous < minSeq - 1) {
        st.contiguous = minSeq - 1;
        if (st.max < st.contiguous) st.max = st.contiguous;
        absorb(st);
      }
      for (const [begin, end] of holes(st, maxSeq)) {
        for (let b = begin; b <= end; b += this.pullChunk) {
          const e = Math.min(end, b + this.pullChunk - 1);
          ranges.push({ conversationID, begin: b, end: e, num: e - b + 1 });
          requested += e - b + 1;
        }
      }
    }
    this.snapshotted.add(label);
    let pulled = 0;
    for (const batch of pullBatches(ranges, this.maxRanges)) {
      const { data } = await client.pullBySeqList(batch);
      pulled += this.recordPulled(label, data.msgs) + this.recordPulled(label, data.notificationMsgs);
    }
    this.stats.catchUps++;
    return {
      client: label,
      conversations: conversationIDs.length,
      ranges: ranges.length,
      requested,
      pulled,
      stillMissing: this.missingCount(label),
      durationMs: performance.now() - started,
    };
  }

  private recordPulled(client: string, byConv: { [conversationID: string]: sdkws.PullMsgs }): number {
    let n = 0;
    for (const conversationID of Object.keys(byConv)) {
      for (const m of byConv[conversationID]!.Msgs) {
        const v = this.record(client, conversationID, m.seq, 'pull');
        if (v !== 'duplicate' && v !== 'ignored') n++;
      }
    }
    return n;
  }

  private convs(client: string): Map<string, ConvState> {
    let m = this.clients.get(client);
    if (m === undefined) {
      m = new Map();
      this.clients.set(client, m);
    }
    return m;
  }

  private anomaly(client: string, conversationID: string, kind: SeqAnomaly['kind'], seq: number, source: SeqSource, expected: number): void {
    if (this.maxAnomalies === 0 && this.onAnomaly === undefined) return;
    const a: SeqAnomaly = { client, conversationID, kind, seq, source, expected, at: Date.now() };
    if (this.maxAnomalies > 0) {
      if (this.recent.length >= this.maxAnomalies) this.recent.shift();
      this.recent.push(a);
    }
    this.onAnomaly?.(a);
  }
}

/**
 * Splits ranges into PullMsgBySeqList requests of at most `max` ranges with at most one range
 * per conversation: the reply is a map by conversation, and upstream's msg service keeps only
 * the last range of a conversation when a request holds several (the SDK never sends that).
 */
export function pullBatches(ranges: readonly SeqRangeInit[], max: number): SeqRangeInit[][] {
  const out: SeqRangeInit[][] = [];
  let rest = ranges;
  while (rest.length > 0) {
    const seen = new Set<string>();
    const batch: SeqRangeInit[] = [];
    const later: SeqRangeInit[] = [];
    for (const r of rest) {
      if (batch.length < max && !seen.has(r.conversationID)) {
        seen.add(r.conversationID);
        batch.push(r);
      } else later.push(r);
    }
    out.push(batch);
    rest = later;
  }
  return out;
}

/** Moves the watermark over seqs now contiguous with it. */
function absorb(st: ConvState): void {
  const above = st.above;
  if (above === undefined) return;
  while (above.has(st.contiguous + 1)) above.delete(++st.contiguous);
  // Drop what the watermark overtook (a baseline can jump past received seqs).
  if (above.size > 0) for (const s of above) if (s <= st.contiguous) above.delete(s);
  if (above.size === 0) st.above = undefined;
}

/** The missing [begin, end] runs of a conversation up to `upTo`, ascending. */
function holes(st: ConvState, upTo: number): [number, number][] {
  const out: [number, number][] = [];
  let next = st.contiguous + 1;
  if (next > upTo) return out;
  const present = st.above === undefined ? [] : [...st.above].filter((s) => s <= upTo).sort((a, b) => a - b);
  for (const s of present) {
    if (s > next) out.push([next, s - 1]);
    next = s + 1;
  }
  if (next <= upTo) out.push([next, upTo]);
  return out;
}
