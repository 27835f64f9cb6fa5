/** The pure parts of sharding: the split of the users, histograms that merge exactly, and how report figures merge. */
import { describe, expect, it } from 'vitest';
import {
  buildReport,
  Histogram,
  HistogramDecodeError,
  mergeReports,
  MergeError,
  parseShard,
  parseThreshold,
  peerOf,
  RunNaming,
  ShardError,
  shardCount,
  shardRange,
  SimMetrics,
  simOptionsFromFlags,
  subShard,
  withThresholds,
  type SimFlagValues,
  type SimReport,
} from '../../simulators/scenarios/index.js';

describe('shards', () => {
  it('every user is in exactly one shard, chat pairs never straddle two, counts add up', () => {
    for (const total of [2, 3, 7, 8, 20, 101]) {
      for (const count of [1, 2, 3, 4]) {
        if (total < 2 * count) continue;
        const owner = new Array<number>(total + 1).fill(0);
        let drops = 0;
        for (let index = 1; index <= count; index++) {
          const { offset, size } = shardRange(total, { index, count }, 2);
          expect(size).toBeGreaterThanOrEqual(2);
          for (let n = offset + 1; n <= offset + size; n++) {
            expect(owner[n]).toBe(0);
            owner[n] = index;
          }
          // Inside a shard, each user's peer (by the shard's own numbering) is in the same shard.
          for (let k = 1; k <= size; k++) expect(owner[offset + peerOf(k, size)]).toBe(index);
          drops += shardCount(total, { index, count });
        }
        expect(owner.slice(1).every((o) => o > 0)).toBe(true);
        expect(drops).toBe(total);
      }
    }
  });

  it('parses i/n, refuses the rest; workers of a machine shard are shards of n x workers', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1', 'a/b', '1/0']) expect(() => parseShard(bad)).toThrow(ShardError);
    expect([1, 2].map((k) => subShard({ index: 2, count: 2 }, 2, k))).toEqual([
      { index: 3, count: 4 },
      { index: 4, count: 4 },
    ]);
  });

  it('numbered users keep their global numbers; groups and named users get the shard tag', () => {
    const n = RunNaming.forShard('p_', { index: 2, count: 2 }, 10);
    expect(n.userID(1)).toBe('p_11');
    expect(n.groupID('g1')).toBe('p_s2_g1');
    expect(RunNaming.forShard('p_', undefined, 0).groupID('g1')).toBe('p_g1');
  });

  it('a shard runs its part of the users and the rate, and reports the whole run', () => {
    const flags = { concurrency: 256, sdk: 'go', join: 'auto', drain: 1000, 'setup-timeout': 1000, 'request-timeout': 1000, 'loss-grace': 1000, url: 'ws://127.0.0.1:1/' } as SimFlagValues;
    const o = simOptionsFromFlags('chat', undefined, { ...flags, users: 10, rate: 40, shard: '2/2' });
    expect(o.scenario.params).toMatchObject({ users: 6, rate: 24 });
    expect(o.shard).toMatchObject({ userOffset: 4, users: { first: 5, last: 10 }, runParams: { users: 10, rate: 40 } });
    const g = simOptionsFromFlags('group', undefined, { ...flags, members: 9, senders: 3, rate: 30, shard: '1/3' });
    expect(g.scenario.params).toMatchObject({ members: 3, senders: 1, rate: 10 });
  });
});

describe('histograms in reports', () => {
  it('encode/decode round-trips, and merging decoded parts equals recording everything in one', () => {
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 5000; i++) {
      const v = (i % 97) * 1.7 + (i % 5 === 0 ? 800 : 0);
      (i % 3 === 0 ? a : b).record(v);
      all.record(v);
    }
    const merged = Histogram.decode(JSON.parse(JSON.stringify(a.encode())));
    merged.merge(Histogram.decode(JSON.parse(JSON.stringify(b.encode()))));
    expect(merged.stats()).toEqual(all.stats());
    expect(Histogram.decode(new Histogram().encode()).stats().count).toBe(0);
  });

  it('refuses a malformed encoding with a clear error', () => {
    const e = new Histogram();
    e.record(5);
    const enc = e.encode();
    expect(() => Histogram.decode({ ...enc, layout: 'hdr' })).toThrow(HistogramDecodeError);
    expect(() => Histogram.decode({ ...enc, count: 2 })).toThrow(/buckets hold 1 values, count says 2/);
    expect(() => Histogram.decode({ ...enc, buckets: [999_999, 1] })).toThrow(/bad bucket pair/);
  });
});

/** A shard report as a run builds it, from hand-set metrics. */
function shardReport(index: number, count: number, fill: (m: SimMetrics) => void, lost = 0): SimReport {
  const m = new SimMetrics();
  fill(m);
  const r = buildReport({
    scenario: 'chat',
    params: { users: 2 },
    target: { kind: 'external', url: 'ws://x/' },
    prefix: 'p_',
    seed: 1,
    metrics: m,
    ledger: { messages: m.counters.sent, expected: m.counters.expected, receivedByPush: m.counters.received, receivedByPull: 0, lost, excused: 0, duplicates: 0, unexpected: 0, lostSamples: [] },
    tracker: { outOfOrder: 0, gapEvents: 0, missing: [], missingCount: 0, anomalies: [] },
    timeToOpenMs: 100 * index,
    loadStart: null,
    loadEnd: null,
    aborted: false,
    interrupted: false,
    error: null,
    scenarioMetrics: {},
    extra: { connect: { opened: 2, timeToOpenMs: 100 * index } },
    notes: [],
    phases: [],
    shard: { shard: { index, count }, userOffset: (index - 1) * 2, users: { first: (index - 1) * 2 + 1, last: index * 2 }, runParams: { users: 2 * count } },
  });
  return withThresholds(r, []);
}

describe('mergeReports', () => {
  const fill = (k: number) => (m: SimMetrics) => {
    m.counters.connOpened = 2;
    m.counters.sent = 10 * k;
    m.counters.expected = 20 * k;
    m.counters.received = 20 * k;
    for (let i = 1; i <= 20 * k; i++) m.latency('delivery', i * k);
  };

  it('adds counts, keeps the longest times, takes percentiles from the merged histograms and checks again', () => {
    const a = shardReport(1, 2, fill(1));
    const b = shardReport(2, 2, fill(2), 1);
    const { report, failed } = mergeReports([{ report: a, source: 'a' }, { report: b, source: 'b' }], { thresholds: ['lost==0', 'messages.sent>0'].map(parseThreshold) });
    expect(report.metrics['messages.sent']).toBe(30);
    expect(report.metrics['connections.opened']).toBe(4);
    expect(report.metrics['time.open']).toBe(200);
    expect(report.metrics.lost).toBe(1);
    const all = new Histogram();
    for (let i = 1; i <= 20; i++) all.record(i);
    for (let i = 1; i <= 40; i++) all.record(i * 2);
    expect(report.latency.delivery).toEqual(all.stats());
    expect(report.metrics['delivery.p99']).toBe(Math.round(all.percentile(0.99)! * 1000) / 1000);
    expect(report.extra).toEqual({ connect: { opened: 4, timeToOpenMs: 200 } });
    expect(report.params).toEqual({ users: 4 });
    expect(report.verdict).toBe('FAIL');
    expect(failed.map((f) => f.expr)).toEqual(['lost==0']);
    expect(report.shards).toMatchObject({ count: 2, indices: [1, 2], missing: [] });
  });

  it('refuses shards of different runs; a missing shard makes it INCOMPLETE', () => {
    const a = shardReport(1, 2, fill(1));
    expect(() => mergeReports([{ report: a, source: 'a' }, { report: a, source: 'b' }])).toThrow(/shard 1\/2 is in both a and b/);
    expect(() => mergeReports([{ report: a, source: 'a' }, { report: shardReport(2, 3, fill(1)), source: 'c' }])).toThrow(MergeError);
    const half = mergeReports([{ report: a, source: 'a' }]);
    expect(half.report.verdict).toBe('INCOMPLETE');
    expect(half.report.warnings).toContain('shard 2/2 missing: the figures cover 1 of 2 shards');
    // A machine's own workers (--shard 1/2 --workers 1 holds shard 1 of 2): the other machine's shard is not missing.
    const mine = mergeReports([{ report: a, source: 'a' }], { expected: [1] });
    expect(mine.report.verdict).toBe('PASS');
    expect(mine.report.shards).toMatchObject({ indices: [1], missing: [] });
  });
});
