/**
 * Parsing of the human units the sim accepts on flags and in scenario files: durations
 * (`500ms`, `10s`, `2m`, `1h`; a bare number is milliseconds) and weighted mixes
 * (`android:40,ios:30,web:20`).
 */

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a duration like `250ms`, `10s`, `1.5m`; a bare number is ms. Throws with what was wrong. */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`${what}: expected a non-negative duration, got ${input}`);
    return input;
  }
  const m = DURATION.exec(input.trim());
  if (m === null) throw new Error(`${what}: expected a duration like "500ms", "10s" or "2m", got "${input}"`);
  return Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
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

/** One entry of a weighted mix. */
export interface Weighted<T> {
  value: T;
  weight: number;
}

/**
 * Parses `a:3,b:1` (weights default to 1) mapping each name through `resolve`, which throws
 * or returns undefined for unknown names.
 */
export function parseMix<T>(input: string, resolve: (name: string) => T | undefined, what: string): Weighted<T>[] {
  const out: Weighted<T>[] = [];
  for (const part of input.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, w] = part.split(':').map((s) => s.trim());
    const value = resolve(name!);
    if (value === undefined) throw new Error(`${what}: unknown entry "${name}" in "${input}"`);
    const weight = w === undefined ? 1 : Number(w);
    if (!Number.isFinite(weight) || weight <= 0) throw new Error(`${what}: weight of "${name}" must be a positive number, got "${w}"`);
    out.push({ value, weight });
  }
  if (out.length === 0) throw new Error(`${what}: empty mix "${input}"`);
  return out;
}

/**
 * Deterministic spread of a mix over indices: index i gets the entry whose cumulative share
 * covers (i + 0.5) / n of a cycle, so 100 users of `a:40,b:60` get exactly 40 and 60.
 */
export function pickByIndex<T>(mix: readonly Weighted<T>[], i: number): T {
  const total = mix.reduce((s, e) => s + e.weight, 0);
  // A cycle of 100 slots spreads small weights evenly over consecutive users.
  const x = (((i * 61) % 100) + 0.5) / 100;
  let acc = 0;
  for (const e of mix) {
    acc += e.weight / total;
    if (x < acc) return e.value;
  }
  return mix[mix.length - 1]!.value;
}

/** A small seeded PRNG (mulberry32): runs with the same --seed make the same choices. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A weighted random entry. */
  weighted<T>(mix: readonly Weighted<T>[]): T {
    const total = mix.reduce((s, e) => s + e.weight, 0);
    let x = this.next() * total;
    for (const e of mix) {
      x -= e.weight;
      if (x < 0) return e.value;
    }
    return mix[mix.length - 1]!.value;
  }
}
