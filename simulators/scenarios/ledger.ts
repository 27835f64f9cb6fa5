/**
 * The sent-ledger: for every message the sim sends, which connections must receive it, and
 * which did (by push, or by a catch-up pull after a reconnect). Together with the client's
 * SeqTracker (per-conversation seq order and gaps) it is the run's integrity checker:
 * lost = expected and never received, duplicates = a second push of the same message on the
 * same connection, unexpected = a push on a connection that was not expecting it.
 *
 * Compact on purpose (a group fan-out registers members x messages expectations): per message
 * a sorted Int32Array of connection ids and a Uint8Array of receipt counts.
 */

/** How a push or pull was classified. */
export type Receipt = 'first' | 'duplicate' | 'unexpected' | 'foreign' | 'pulled' | 'overlap';

interface Entry {
  readonly sentAt: number;
  readonly recipients: Int32Array;
  readonly counts: Uint8Array;
  remaining: number;
  /** Receipt was by pull (for `deliveries.pulled`). */
  pulledMask: Uint8Array | undefined;
}

/** What {@link SentLedger.finalize} reports. */
export interface LedgerTotals {
  messages: number;
  expected: number;
  receivedByPush: number;
  receivedByPull: number;
  lost: number;
  /** Expected deliveries not received, excused because the connection ended right after the send. */
  excused: number;
  duplicates: number;
  unexpected: number;
  /** The first few lost deliveries, for the report. */
  lostSamples: { clientMsgID: string; conn: number }[];
}

/**
 * Decides whether a missing delivery is excused: the connection ended (closed by the sim,
 * kicked, or dropped without reconnecting) before the message could reasonably arrive.
 */
export type ExcusePredicate = (conn: number, sentAt: number) => boolean;

/** See the module comment. */
export class SentLedger {
  private readonly entries = new Map<string, Entry>();
  private readonly incomplete = new Set<Entry>();
  private expected = 0;
  private duplicates = 0;
  private unexpected = 0;
  private byPush = 0;
  private byPull = 0;

  /** Messages registered. */
  get size(): number {
    return this.entries.size;
  }

  /** Registers a message about to be sent and the connections (ids, any order) it must reach. */
  register(clientMsgID: string, sentAt: number, recipients: Int32Array): void {
    const sorted = recipients.slice().sort();
    const e: Entry = { sentAt, recipients: sorted, counts: new Uint8Array(sorted.length), remaining: sorted.length, pulledMask: undefined };
    this.entries.set(clientMsgID, e);
    this.expected += sorted.length;
    if (e.remaining > 0) this.incomplete.add(e);
  }

  /** Forgets a message whose send failed: nobody is owed it. */
  cancel(clientMsgID: string): void {
    const e = this.entries.get(clientMsgID);
    if (e === undefined) return;
    this.expected -= e.recipients.length;
    for (let i = 0; i < e.counts.length; i++) {
      if (e.counts[i]! > 0) {
        if (e.pulledMask?.[i]) this.byPull--;
        else this.byPush--;
      }
    }
    this.incomplete.delete(e);
    this.entries.delete(clientMsgID);
  }

  /** When the message was sent (performance.now()), if it is ours. */
  sentAt(clientMsgID: string): number | undefined {
    return this.entries.get(clientMsgID)?.sentAt;
  }

  /** Classifies a pushed message received on connection `conn`. */
  onPush(conn: number, clientMsgID: string): Receipt {
    const e = this.entries.get(clientMsgID);
    if (e === undefined) return 'foreign';
    const i = indexOf(e.recipients, conn);
    if (i < 0) {
      this.unexpected++;
      return 'unexpected';
    }
    const n = e.counts[i]!;
    if (n < 255) e.counts[i] = n + 1;
    if (n > 0) {
      // A pull may have delivered it first (a push racing a catch-up): that is not a duplicate push.
      if (e.pulledMask?.[i] && n === 1) {
        e.pulledMask[i] = 2;
        return 'overlap';
      }
      this.duplicates++;
      return 'duplicate';
    }
    this.byPush++;
    this.received(e);
    return 'first';
  }

  /** Classifies a message received by a catch-up pull on connection `conn`. */
  onPull(conn: number, clientMsgID: string): Receipt {
    const e = this.entries.get(clientMsgID);
    if (e === undefined) return 'foreign';
    const i = indexOf(e.recipients, conn);
    if (i < 0 || e.counts[i]! > 0) return 'overlap';
    e.counts[i] = 1;
    (e.pulledMask ??= new Uint8Array(e.recipients.length))[i] = 1;
    this.byPull++;
    this.received(e);
    return 'pulled';
  }

  /** Expected deliveries still missing and not excused (what a drain waits for). */
  outstanding(excused: ExcusePredicate): number {
    let n = 0;
    for (const e of this.incomplete) {
      for (let i = 0; i < e.counts.length; i++) if (e.counts[i] === 0 && !excused(e.recipients[i]!, e.sentAt)) n++;
    }
    return n;
  }

  /** Running totals (cheap; for progress lines). */
  totals(): { expected: number; byPush: number; byPull: number; duplicates: number; unexpected: number } {
    return { expected: this.expected, byPush: this.byPush, byPull: this.byPull, duplicates: this.duplicates, unexpected: this.unexpected };
  }

  /** Final counts; whatever is still missing and not excused is lost. */
  finalize(excused: ExcusePredicate, sampleLimit = 20): LedgerTotals {
    let lost = 0;
    let excusedN = 0;
    const lostSamples: LedgerTotals['lostSamples'] = [];
    for (const [id, e] of this.entries) {
      if (!this.incomplete.has(e)) continue;
      for (let i = 0; i < e.counts.length; i++) {
        if (e.counts[i] !== 0) continue;
        if (excused(e.recipients[i]!, e.sentAt)) excusedN++;
        else {
          lost++;
          if (lostSamples.length < sampleLimit) lostSamples.push({ clientMsgID: id, conn: e.recipients[i]! });
        }
      }
    }
    return {
      messages: this.entries.size,
      expected: this.expected - excusedN,
      receivedByPush: this.byPush,
      receivedByPull: this.byPull,
      lost,
      excused: excusedN,
      duplicates: this.duplicates,
      unexpected: this.unexpected,
      lostSamples,
    };
  }

  private received(e: Entry): void {
    if (--e.remaining === 0) this.incomplete.delete(e);
  }
}

function indexOf(sorted: Int32Array, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = sorted[mid]!;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
