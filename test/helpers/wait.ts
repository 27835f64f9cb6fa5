/** Polls `check` until it stops throwing (vitest `expect` inside), or fails with its last error. */
export async function eventuallyPasses(check: () => void | Promise<void>, timeoutMs = 10_000, intervalMs = 25): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
