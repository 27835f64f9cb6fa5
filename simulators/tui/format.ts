/** Small pure formatting helpers shared by the TUI's store, view and components. */
import { platformName } from '../../src/protocol/platforms.js';
import { codecKindOf, type SdkType } from '../../src/protocol/codecs.js';

/** A short platform label ("IOS", "Web", "p42" for unknown IDs). */
export function platLabel(id: number): string {
  return platformName(id) || `p${id}`;
}

/** Encoding label of a connection: gob/json, with "+gz" when gzipped. */
export function encLabel(sdkType: SdkType, gzip: boolean): string {
  return codecKindOf(sdkType) + (gzip ? '+gz' : '');
}

/** HH:MM:SS.mmm in local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A compact age: 5s, 3m07s, 2h05m, 3d04h. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d${pad2(h % 24)}h`;
}

/** Fits a string into exactly `w` columns: cut with an ellipsis, or padded. */
export function fit(s: string, w: number, align: 'left' | 'right' = 'left'): string {
  if (w <= 0) return '';
  if (s.length > w) return w === 1 ? s.slice(0, 1) : `${s.slice(0, w - 1)}…`;
  return align === 'left' ? s.padEnd(w) : s.padStart(w);
}

/** A rate with a unit suffix: 950, 1.2k, 34k, 1.5M. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  if (a < 1000) return a < 10 && a % 1 !== 0 ? n.toFixed(1) : String(Math.round(n));
  if (a < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (a < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

const BARS = '▁▂▃▄▅▆▇█';

/**
 * The last `width` values as a sparkline scaled to their own maximum (an all-zero series is a
 * flat baseline), left-padded with spaces while the history is shorter than the width.
 */
export function sparkline(values: readonly number[], width: number): string {
  if (width <= 0) return '';
  const tail = values.slice(-width);
  let max = 0;
  for (const v of tail) if (v > max) max = v;
  let out = ' '.repeat(width - tail.length);
  for (const v of tail) {
    const i = max <= 0 ? 0 : Math.min(BARS.length - 1, Math.round((v / max) * (BARS.length - 1)));
    out += BARS[i];
  }
  return out;
}

/**
 * A sparkline `rows` lines tall (top line first), eighth-block resolution: taller charts for
 * panes with room. With one row it equals {@link sparkline}.
 */
export function sparkRows(values: readonly number[], width: number, rows: number): string[] {
  if (rows <= 1) return [sparkline(values, width)];
  const tail = values.slice(-Math.max(0, width));
  let max = 0;
  for (const v of tail) if (v > max) max = v;
  const pad = Math.max(0, width - tail.length);
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const floor = (rows - 1 - r) * 8;
    let line = ' '.repeat(pad);
    for (const v of tail) {
      const eighths = max <= 0 ? 0 : Math.round((v / max) * rows * 8);
      const lvl = Math.min(8, eighths - floor);
      // The bottom line always shows at least the baseline, so a zero still reads as a sample.
      line += lvl >= 1 ? BARS[lvl - 1] : r === rows - 1 ? BARS[0] : ' ';
    }
    out.push(line);
  }
  return out;
}

/**
 * Orders user IDs the way people read them (u2 before u10) without allocating: compares the
 * text before the trailing digits, then the trailing numbers by value.
 */
export function naturalCompare(a: string, b: string): number {
  const ia = digitsFrom(a);
  const ib = digitsFrom(b);
  const n = Math.min(ia, ib);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  if (ia !== ib) return ia - ib;
  const la = a.length - ia;
  const lb = b.length - ib;
  if (la !== lb) return la - lb;
  for (let i = 0; i < la; i++) {
    const d = a.charCodeAt(ia + i) - b.charCodeAt(ib + i);
    if (d !== 0) return d;
  }
  return 0;
}

function digitsFrom(s: string): number {
  let i = s.length;
  while (i > 0) {
    const c = s.charCodeAt(i - 1);
    if (c < 48 || c > 57) break;
    i--;
  }
  return i;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
