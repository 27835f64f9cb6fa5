import { afterEach, describe, expect, it } from 'vitest';
import { TimerWheel } from '../../../simulators/client/index.js';

const wheels: TimerWheel[] = [];
function wheel(tickMs = 5, slots = 16): TimerWheel {
  const w = new TimerWheel({ tickMs, slots });
  wheels.push(w);
  return w;
}
afterEach(() => {
  for (const w of wheels.splice(0)) w.close();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('TimerWheel', () => {
  it('fires entries after their delay, in delay order, including beyond one round of slots', async () => {
    const w = wheel(5, 8);
    const t0 = Date.now();
    const fired: [string, number][] = [];
    const fire = (name: string) => fired.push([name, Date.now() - t0]);
    w.schedule(30, fire, 'b');
    w.schedule(10, fire, 'a');
    w.schedule(100, fire, 'c'); // 20 ticks: two and a half rounds of 8 slots
    expect(w.size).toBe(3);
    await sleep(160);
    expect(fired.map((f) => f[0])).toEqual(['a', 'b', 'c']);
    expect(fired[0]![1]).toBeGreaterThanOrEqual(9);
    expect(fired[1]![1]).toBeGreaterThanOrEqual(29);
    expect(fired[2]![1]).toBeGreaterThanOrEqual(99);
    expect(w.size).toBe(0);
  });

  it('cancel is O(1), idempotent and safe after firing', async () => {
    const w = wheel();
    let n = 0;
    const h = w.schedule(10, () => n++, undefined);
    const h2 = w.schedule(10, () => n++, undefined);
    h.cancel();
    h.cancel();
    expect(w.size).toBe(1);
    await sleep(40);
    expect(n).toBe(1);
    h2.cancel();
    expect(w.size).toBe(0);
  });

  it('an entry scheduled from a callback for a full round later does not fire in the same pass', async () => {
    const w = wheel(5, 8);
    const times: number[] = [];
    const t0 = Date.now();
    const again = (left: number) => {
      times.push(Date.now() - t0);
      if (left > 0) w.schedule(40, again, left - 1); // exactly one round of 8 slots
    };
    w.schedule(40, again, 2);
    await sleep(200);
    expect(times).toHaveLength(3);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(35);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(35);
  });

  it('handles 100,000 entries with one interval', async () => {
    const w = wheel(5, 1024);
    let n = 0;
    const inc = () => n++;
    for (let i = 0; i < 100_000; i++) w.schedule(5 + (i % 50), inc, undefined);
    await sleep(120);
    expect(n).toBe(100_000);
    expect(w.size).toBe(0);
  });

  it('close() cancels everything and refuses new entries', () => {
    const w = wheel();
    w.schedule(10, () => {
      throw new Error('must not fire');
    }, undefined);
    w.close();
    expect(w.size).toBe(0);
    expect(() => w.schedule(1, () => {}, undefined)).toThrow(/closed/);
  });
});
