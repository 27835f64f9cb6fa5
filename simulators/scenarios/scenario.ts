/** What a scenario is and what it gets to work with. */
import type { ReconnectPolicy, SimRun } from './engine.js';
import type { PaceTarget } from './checks.js';
import type { Target } from './target.js';
import type { Rng } from './units.js';
import type { RunNaming } from './shard.js';

/** Everything a running scenario can use. */
export interface ScenarioContext {
  readonly run: SimRun;
  readonly target: Target;
  /** The load window (`--duration`): how long the scenario sends, churns or holds. */
  readonly loadMs: number;
  /** Upper bound of the set-up before the load (opening connections, joining groups). */
  readonly setupTimeoutMs: number;
  /** Aborted at the run's hard cap or on Ctrl-C: every loop and wait must honour it. */
  readonly signal: AbortSignal;
  readonly rng: Rng;
  /** Marks the start / end of the load window (throughput is computed over it). */
  markLoadStart(): void;
  markLoadEnd(): void;
  /** Adds a line to the report's notes. */
  note(text: string): void;
  /** Adds a scenario-specific section to the report (`extra.<name>`). */
  section(name: string, value: unknown): void;
  /** Sets a scenario metric (e.g. `kicks.missing`, `presence.stale`). */
  metric(name: string, value: number | null): void;
  /** A signal that also aborts after `ms` (bounded set-up steps). */
  within(ms: number): AbortSignal;
  /** Progress text of the scenario (shown in the live line). */
  status(text: string): void;
  /**
   * Marks the start of a named phase (the previous one ends here); `null` ends the current one.
   * The report's `phases` (and the HTML charts' markers) come from these.
   */
  phase(name: string | null): void;
}

/** A runnable scenario (a built-in with its parameters, or a scenario file). */
export interface Scenario {
  readonly name: string;
  /** The parameters, as the report shows them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Whether messages are sent (push listeners, ledger and seq tracker on). */
  readonly trackMessages: boolean;
  /** Reconnect dropped clients (and catch up). */
  readonly reconnect?: ReconnectPolicy;
  /** Threshold expressions checked on every run unless `--no-default-checks` (see checks.ts). */
  readonly defaultChecks: readonly string[];
  /** The paces asked for, to warn when the run fell short (see checks.ts); called once the report's metrics are known. */
  paceTargets?(metrics: Readonly<Record<string, number | null>>): PaceTarget[];
  /** Runs set-up and load; must honour `ctx.signal` and stay within `ctx.loadMs` (plus its bounded set-up). */
  run(ctx: ScenarioContext): Promise<void>;
  /**
   * Every user ID the scenario logs in, given the run's prefix, so `--api` can register them and
   * fetch their tokens before the load. Absent: the scenario cannot run against a provisioned
   * OpenIM (it needs tokens it mints itself).
   */
  userIDs?(ids: RunNaming): string[];
  /** Platforms the scenario logs in on besides the run's platform mix (scenario file steps). */
  readonly extraPlatforms?: readonly number[];
}

/** User IDs of users 1..n, as SimRun.userID numbers them. */
export function numberedUsers(ids: RunNaming, n: number): string[] {
  return Array.from({ length: n }, (_, i) => ids.userID(i + 1));
}

/** Runs `fn` over `items` with at most `limit` at once; stops starting new ones when `signal` aborts. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<unknown>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (signal?.aborted) return;
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i]!, i).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
