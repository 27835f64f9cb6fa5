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
    const parts = [`[sim ${this.scenario}] ${p.t.toFixed(0)}s`, `open ${c.open}`];
    if (c.connFailed > 0) parts.push(`failed ${c.connFailed}`);
    if (c.sent > 0) parts.push(`sent ${c.sent} (${p.sent}/s)`, `recv ${c.received} (${p.delivered}/s)`);
    if (p.delivery) parts.push(`delivery p99 ${p.delivery.p99.toFixed(1)}ms`);
    else if (p.handshake) parts.push(`handshake p99 ${p.handshake.p99.toFixed(1)}ms`);
    if (c.duplicates > 0) parts.push(`dup ${c.duplicates}`);
    if (c.reconnects > 0) parts.push(`reconnects ${c.reconnects}`);
    parts.push(`errors ${this.metrics.errorTotal()}`, `rss ${p.rssMB.toFixed(0)}MB`);
    if (this.status) parts.push(`| ${this.status}`);
    return parts.join('  ');
  }
}
