/**
 * Parsing of the human units the sim accepts on flags and in scenario files: weighted mixes
 * (`android:40,ios:30,web:20`); durations are the CLI-wide parser in src/util/duration.ts.
 */
export { formatDuration, parseDuration } from '../../src/util/duration.js';

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
