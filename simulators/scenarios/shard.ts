/**
 * Splitting a run's users into shards (`msggw sim --shard i/n`, and the workers of
 * `sim --workers N`, which are shards of one machine). The split is deterministic and keeps
 * whatever integrity is checked on together: chat pairs stay in one shard, and a shard's groups
 * and presence subscribers only involve its own users, so every shard's ledger is exact and the
 * merged figures are plain sums.
 *
 * Numbered users keep their global numbers (shard 2 of a 20-user chat drives users 11..20, the
 * same IDs as an unsharded run), so tokens files and provisioned users fit; named things
 * (groups, presence's watched and subscriber users) get a shard tag in their ID instead.
 */

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** A malformed `--shard` or a run too small to split. */
export class ShardError extends Error {}

/** Most shards a run may be split into. */
export const MAX_SHARDS = 1024;

/** Parses `i/n` (1 <= i <= n). */
export function parseShard(s: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(s);
  if (m === null) throw new ShardError(`--shard ${s}: expected i/n, e.g. 1/2 (this process runs the first of two shards)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new ShardError(`--shard ${s}: n must be between 1 and ${MAX_SHARDS}`);
  if (index < 1 || index > count) throw new ShardError(`--shard ${s}: i must be between 1 and ${count}`);
  return { index, count };
}

/** `i/n`. */
export function shardLabel(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/**
 * Worker k (1-based) of `workers` inside shard `outer` of a machine is one shard of
 * `outer.count * workers`: every machine running the same --workers gives one consistent split.
 */
export function subShard(outer: Shard, workers: number, k: number): Shard {
  return { index: (outer.index - 1) * workers + k, count: outer.count * workers };
}

/**
 * The users of a shard: a contiguous range of user numbers (offset + 1 .. offset + size), cut
 * at multiples of `unit` so that pairs stay together; the last shard takes the remainder.
 */
export function shardRange(total: number, s: Shard, unit = 1): { offset: number; size: number } {
  const blocks = Math.floor(total / unit);
  const from = Math.floor((blocks * (s.index - 1)) / s.count) * unit;
  const to = s.index === s.count ? total : Math.floor((blocks * s.index) / s.count) * unit;
  return { offset: from, size: to - from };
}

/** This shard's part of an integer quantity (the parts of all shards add up to `total`). */
export function shardCount(total: number, s: Shard): number {
  return Math.floor((total * s.index) / s.count) - Math.floor((total * (s.index - 1)) / s.count);
}

/** How a run names its users and groups: `prefix` + global user number, `prefix` + shard tag + name. */
export class RunNaming {
  constructor(
    readonly prefix: string,
    /** Added to the scenario's user numbers (1..size) to give the global ones. */
    readonly userOffset = 0,
    /** Put between the prefix and a group's (or named user's) name: `s2_` in shard 2, '' unsharded. */
    readonly tag = '',
  ) {}

  /** The naming of shard `s` whose numbered users start after `userOffset`. */
  static forShard(prefix: string, s: Shard | undefined, userOffset: number): RunNaming {
    return s === undefined || s.count === 1 ? new RunNaming(prefix, userOffset) : new RunNaming(prefix, userOffset, `s${s.index}_`);
  }

  /** The user ID of user number n (1-based within the shard). */
  userID(n: number): string {
    return `${this.prefix}${n + this.userOffset}`;
  }

  /** A group (or named user) ID. */
  groupID(name: string): string {
    return `${this.prefix}${this.tag}${name}`;
  }
}

/** What a run that drives one shard needs to know (built from the flags in cli.ts). */
export interface ShardPlan {
  shard: Shard;
  /** The shard's numbered users are userOffset + 1 .. userOffset + size. */
  userOffset: number;
  /** Those users' global numbers, for the report; null for scenarios with named users only (presence). */
  users: { first: number; last: number } | null;
  /** The parameters of the whole run: the scenario's own are this shard's part of them. */
  runParams: Record<string, unknown>;
}
