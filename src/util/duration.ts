/**
 * The one duration syntax of every command, flag and scenario file: `500ms`, `10s`, `1.5m`,
 * `2h`, compounds like `1m30s`, and a bare number, read as seconds as k6 does (`--duration 10`
 * is ten seconds, never ten milliseconds).
 */

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
const BARE = /^\d+(?:\.\d+)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** What a bad duration looks like to the user (thrown by {@link parseDuration}). */
export class DurationError extends Error {
  readonly code = 'MSGGW_BAD_DURATION';
  readonly suggestion = 'a number with a unit: 500ms, 10s, 2m, 1h or 1m30s (a bare number is seconds)';
}

/**
 * Milliseconds of `input`; `what` names the flag or field in the error. Numbers (a YAML `5`,
 * or a bare `"5"`) are seconds. Throws {@link DurationError} saying what was given.
 */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationError(`${what}: expected a non-negative duration, got ${input}`);
    return input * 1000;
  }
  const s = input.trim();
  if (BARE.test(s)) return Number(s) * 1000;
  let ms = 0;
  PART.lastIndex = 0;
  let at = 0;
  while (at < s.length) {
    PART.lastIndex = at;
    const m = PART.exec(s);
    if (m === null) break;
    ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
  }
  if (s.length === 0 || at !== s.length) throw new DurationError(`${what}: expected a duration like "500ms", "10s" or "2m" (a bare number is seconds), got "${input}"`);
  return ms;
}

/** Formats milliseconds for people: `850ms`, `12.3s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m${String(s).padStart(2, '0')}s`;
}
