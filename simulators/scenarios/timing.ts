/** Abortable waits and the fixed-rate pacer every load loop uses (all bounded by count, time and a signal). */

/** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Options of {@link pace}. */
export interface PaceOptions {
  /** Target calls per second (> 0). */
  rate: number;
  /** Stop after this long. */
  durationMs: number;
  /** And after this many calls (default rate x duration). */
  maxCount?: number;
  signal?: AbortSignal;
  /** Scheduling granularity; default 10 ms. */
  tickMs?: number;
}

/**
 * Calls `fn(i)` at `rate` per second for `durationMs` (never more than `maxCount` times),
 * call i at i / rate s: each tick issues the calls due by then, so the average rate holds even
 * when the event loop is late. `fn` must not block; it starts async work and returns. Resolves with the count issued.
 */
export async function pace(o: PaceOptions, fn: (i: number) => void): Promise<number> {
  const tick = o.tickMs ?? 10;
  const max = o.maxCount ?? Math.floor((o.rate * o.durationMs) / 1000);
  const started = performance.now();
  let issued = 0;
  while (issued < max && !o.signal?.aborted) {
    const elapsed = performance.now() - started;
    if (elapsed >= o.durationMs) break;
    // Call i is due at i / rate s: the first at once, the last before the window ends.
    const due = Math.min(max, Math.floor((elapsed * o.rate) / 1000) + 1);
    while (issued < due) fn(issued++);
    await sleep(tick, o.signal);
  }
  return issued;
}

/** Polls `cond` every `everyMs` until it holds, `timeoutMs` passes or `signal` aborts; resolves whether it held. */
export async function waitUntil(cond: () => boolean, timeoutMs: number, signal?: AbortSignal, everyMs = 20): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (signal?.aborted || performance.now() >= deadline) return cond();
    await sleep(Math.min(everyMs, deadline - performance.now()), signal);
  }
}
