import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../../src/metrics/fast-histogram.js';

const BOUNDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

describe('FastHistogram', () => {
  it('exposes exactly what prom-client\'s Histogram exposes for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastHistogram('x_seconds', 'Help text.', 'req_identifier', BOUNDS, ours);
    const ref = new Histogram({ name: 'x_seconds', help: 'Help text.', labelNames: ['req_identifier'], buckets: BOUNDS, registers: [theirs] });
    // Values on the bounds, between them, below the first and above the last; two labels.
    const values = [0, 0.0005, 0.0007, 0.001, 0.003, 0.005, 0.01, 0.2, 0.25, 3, 10, 11, 1e6];
    for (const [i, v] of values.entries()) {
      const label = i % 3 === 0 ? 'other' : '1003';
      fast.observe(label, v);
      ref.observe({ req_identifier: label }, v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // JSON too, by labels, value and series name (prom-client adds empty exemplar/sharedLabels fields).
    type V = { labels: object; sharedLabels?: object; value: number; metricName?: string };
    const plain = async (r: Registry) =>
      (await r.getMetricsAsJSON()).map((m) => ({ ...m, values: (m.values as V[]).map((v) => ({ labels: { ...v.sharedLabels, ...v.labels }, value: v.value, metricName: v.metricName })) }));
    expect(await plain(ours)).toEqual(await plain(theirs));
  });

  it('ignores non-finite values and forgets everything on reset', async () => {
    const reg = new Registry();
    const fast = new FastHistogram('y_seconds', 'h', 'l', [1], reg);
    fast.observe('a', Number.NaN);
    fast.observe('a', Number.POSITIVE_INFINITY);
    expect(await reg.metrics()).not.toContain('y_seconds_count');
    fast.observe('a', 0.5);
    expect(await reg.metrics()).toContain('y_seconds_count{l="a"} 1');
    reg.resetMetrics();
    expect(await reg.metrics()).not.toContain('y_seconds_count');
  });
});
