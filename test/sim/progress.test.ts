import { describe, expect, it } from 'vitest';
import { Progress, SimMetrics } from '../../simulators/scenarios/index.js';
import { PROGRESS_WIDTH } from '../../simulators/scenarios/progress.js';

function lines(setup: (m: SimMetrics) => void, scenario: string, status: string, after?: (m: SimMetrics) => void): string[] {
  const m = new SimMetrics();
  setup(m);
  // A second's worth of traffic on top of the totals, as in a long run.
  m.sample();
  m.counters.sent += 500;
  m.counters.received += 1000;
  after?.(m);
  const out: string[] = [];
  const p = new Progress({ isTTY: false, write: (s) => out.push(s.replace(/\n$/, '')), plainEverySec: 1 }, scenario, m);
  p.setStatus(status);
  p.update(m.sample());
  return out;
}

describe('progress line', () => {
  it('a big run keeps its status and the main figures within 80 columns (rss and reconnects go first)', () => {
    const [l] = lines(
      (m) => Object.assign(m.counters, { open: 10000, sent: 99999, received: 199998, reconnects: 120 }),
      'reconnect',
      'sending',
      (m) => {
        for (let i = 0; i < 50; i++) m.latency('delivery', 1234.5);
      },
    );
    expect(l!.length).toBeLessThanOrEqual(PROGRESS_WIDTH);
    expect(l).toMatch(/^\[reconnect \d+s sending\] open 10000 sent 100\.5k 500\/s recv 201\.0k p99 1\.2s( reconn 120)? err 0( \d+MB)?$/);
  });

  it('extreme counters and a long status are cut to fit, never wrapped', () => {
    const [l] = lines(
      (m) => Object.assign(m.counters, { open: 123456, connFailed: 98765, sent: 12345678, received: 87654321, duplicates: 4321, reconnects: 54321 }),
      'run chat-mix-with-a-long-name',
      'phase steady-state-with-a-very-long-name (finishing flows)',
    );
    expect(l!.length).toBeLessThanOrEqual(PROGRESS_WIDTH);
    expect(l).toMatch(/^\[run chat-mix-with-a-long-name \d+s phase steady-state-with…\] open 123\.5k fail 9/);
  });
});
