import type { WebhookResult } from './webhooks.js';
import { WebhookCommand } from './webhooks.js';

/** How {@link webhookFailureReporter} reports. */
export interface WebhookFailureReporterOptions {
  /** The node's log. */
  log: (line: string) => void;
  /** Counts one failure of a callback (the metric); `callback` is upstream's command name. */
  count?: (callback: string) => void;
  /** At most one log line per callback per this many ms; the ones held back are summed into the next. Default 10 s. */
  intervalMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

/**
 * The webhooks' `onResult`: every failed POST is counted, and logged rate-limited per callback
 * (a dead endpoint fails on every connect; the log must not become one line per connect). The
 * first failure of a callback is logged at once; later ones at most once per interval, with
 * how many were held back since the previous line.
 */
export function webhookFailureReporter(o: WebhookFailureReporterOptions): (r: WebhookResult) => void {
  const intervalMs = o.intervalMs ?? 10_000;
  const now = o.now ?? Date.now;
  const state = new Map<string, { lastAt: number; held: number }>();
  return (r) => {
    if (r.ok) return;
    const callback = WebhookCommand[r.hook];
    o.count?.(callback);
    const s = state.get(callback);
    const t = now();
    if (s !== undefined && t - s.lastAt < intervalMs) {
      s.held++;
      return;
    }
    const why = r.timedOut ? 'timed out' : r.status !== 0 ? `answered HTTP ${r.status}` : `failed: ${r.error ?? 'no response'}`;
    const more = s !== undefined && s.held > 0 ? ` (${s.held} more failure(s) of this callback since the last report)` : '';
    o.log(`webhook ${callback} POST ${r.url} ${why}${more}; check webhooks.url and that the receiver is up (at most one line per ${Math.round(intervalMs / 1000)} s per callback)`);
    state.set(callback, { lastAt: t, held: 0 });
  };
}
