/**
 * The live progress line on stderr: rewritten in place every second on a terminal, or a
 * plain line every few seconds when stderr is a file or a CI log (no control characters).
 */
import type { SimMetrics, TimelinePoint } from './metrics.js';

/** Where progress goes. */
export interface ProgressSink {
  /** Rewrite one line in place (a terminal) or print periodic plain lines. */
  isTTY: boolean;
  write(text: string): void;
  /** Seconds between plain lines when not a TTY; default 5. */
  plainEverySec?: number;
}

/** Formats and emits progress from the per-second samples. */
export class Progress {
  private samples = 0;
  private status = '';
  private wroteInPlace = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly scenario: string,
    private readonly metrics: SimMetrics,
  ) {}

  /** The scenario's current activity (shown at the end of the line). */
  setStatus(text: string): void {
    this.status = text;
  }

  /** Called with each per-second sample. */
  update(p: TimelinePoint): void {
    this.samples++;
    const line = this.line(p);
    if (this.sink.isTTY) {
      this.sink.write(`\r\x1b[2K${line}`);
      this.wroteInPlace = true;
    } else if (this.samples % (this.sink.plainEverySec ?? 5) === 0) {
      this.sink.write(`${line}\n`);
    }
  }

  /** Ends the in-place line so the summary starts on a fresh one. */
  stop(): void {
    if (this.wroteInPlace) this.sink.write('\r\x1b[2K');
    this.wroteInPlace = false;
  }

  private line(p: TimelinePoint): string {
    const c = this.metrics.counters;
    // The scenario's status up front, then the figures; when the line is too long for 80
    // columns the least telling parts go first (rank 2, then 1), and a cut is the last resort.
    const status = this.status.length > 24 ? `${this.status.slice(0, 23)}…` : this.status;
    const parts: [string, number][] = [[`[${this.scenario} ${p.t.toFixed(0)}s${status ? ` ${status}` : ''}]`, 0], [`open ${count(c.open)}`, 0]];
    if (c.connFailed > 0) parts.push([`fail ${count(c.connFailed)}`, 0]);
    if (c.sent > 0) parts.push([`sent ${count(c.sent)} ${p.sent}/s`, 0], [`recv ${count(c.received)}`, 0]);
    if (p.delivery) parts.push([`p99 ${fmtMs(p.delivery.p99)}`, 0]);
    else if (p.handshake) parts.push([`hs p99 ${fmtMs(p.handshake.p99)}`, 1]);
    if (c.duplicates > 0) parts.push([`dup ${count(c.duplicates)}`, 0]);
    if (c.reconnects > 0) parts.push([`reconn ${count(c.reconnects)}`, 1]);
    parts.push([`err ${count(this.metrics.errorTotal())}`, 0], [`${p.rssMB.toFixed(0)}MB`, 2]);
    let kept = parts;
    for (const rank of [2, 1]) {
      if (kept.map(([t]) => t).join(' ').length <= PROGRESS_WIDTH) break;
      kept = kept.filter(([, r]) => r < rank);
    }
    const line = kept.map(([t]) => t).join(' ');
    return line.length <= PROGRESS_WIDTH ? line : `${line.slice(0, PROGRESS_WIDTH - 1)}…`;
  }
}

/** Counts up to 99999 as they are, then 123.4k / 12.3M. */
function count(n: number): string {
  if (n < 100_000) return String(n);
  return n < 10_000_000 ? `${(n / 1000).toFixed(1)}k` : `${(n / 1_000_000).toFixed(1)}M`;
}

/** Columns the progress line may take (one less than 80, so a terminal never wraps it). */
export const PROGRESS_WIDTH = 79;

function fmtMs(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)}s` : v >= 100 ? `${v.toFixed(0)}ms` : `${v.toFixed(1)}ms`;
}

