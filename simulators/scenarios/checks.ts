/**
 * What every run checks without being asked: the built-in checks of a scenario (no loss, no
 * duplicates, seq order, no gaps, the kicks the policy calls for and no others, converged
 * presence, flows that finished, and some traffic at all when traffic was asked for), and the
 * warnings when the run could not reach the pace asked for (k6's "could not reach the rate").
 *
 * Default checks are thresholds like the user's, marked `source: 'default'`; a user threshold
 * on the same metric replaces the default one (`--threshold 'lost<=5'` relaxes `lost==0`), and
 * `--no-default-checks` drops them all.
 */
import type { Scenario } from './scenario.js';
import { parseThreshold, type Threshold } from './thresholds.js';

/** Message integrity: what every scenario that tracks messages must hold. */
export const INTEGRITY_CHECKS = ['lost==0', 'duplicates==0', 'outOfOrder==0', 'gaps==0'] as const;

/** A scenario that was asked to send: integrity, and some messages at all. */
export const MESSAGE_CHECKS = ['messages.sent>0', ...INTEGRITY_CHECKS] as const;

/** The default checks of a scenario, parsed; `user` thresholds replace the ones on their metric. */
export function defaultChecks(scenario: Scenario, user: readonly Threshold[]): Threshold[] {
  const taken = new Set(user.map((t) => t.metric));
  return scenario.defaultChecks.map((expr) => ({ ...parseThreshold(expr), source: 'default' as const })).filter((t) => !taken.has(t.metric));
}

/** A pace asked for (a rate or a ramp) and what the run reached. */
export interface PaceTarget {
  /** What was asked, as the flag says it: `--rate 500`. */
  what: string;
  /** Per second. */
  asked: number;
  /** Per second, measured (null when nothing was measured). */
  reached: number | null;
  /** Whole units the run could have produced at `asked` (a 0.5/s rate over 1 s is 0). */
  possible?: number;
}

/** Warning lines for targets reached at under 90 %, or that could not produce anything. */
export function paceWarnings(targets: readonly PaceTarget[]): string[] {
  const out: string[] = [];
  for (const t of targets) {
    if (t.possible !== undefined && t.possible < 1) {
      out.push(`${t.what}/s for this duration makes no whole message or connection: raise the rate or the duration`);
      continue;
    }
    if (t.reached === null) {
      out.push(`${t.what}/s asked, nothing was measured`);
      continue;
    }
    if (t.reached < t.asked * 0.9) out.push(`could not reach ${t.what}/s: reached ${round1(t.reached)}/s (${Math.round((t.reached / t.asked) * 100)}%); the sim or the gateway is the bottleneck`);
  }
  return out;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
