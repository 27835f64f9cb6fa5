import { describe, expect, it } from 'vitest';
import { pb } from '../../../src/protocol/pb.js';
import { SeqTracker, type CatchUpClient, type SeqAnomaly } from '../../../simulators/client/index.js';

const conv = 'si_a_b';

describe('SeqTracker.record', () => {
  it('classifies in-order, duplicate, gap and out-of-order deliveries', () => {
    const seen: SeqAnomaly[] = [];
    const t = new SeqTracker({ baseline: 'zero', onAnomaly: (a) => seen.push(a) });
    expect(t.record('c', conv, 1)).toBe('new');
    expect(t.record('c', conv, 2)).toBe('new');
    expect(t.record('c', conv, 2)).toBe('duplicate');
    expect(t.record('c', conv, 5)).toBe('gap');
    expect(t.missing('c')).toEqual([{ client: 'c', conversationID: conv, begin: 3, end: 4 }]);
    expect(t.record('c', conv, 4)).toBe('out-of-order');
    expect(t.record('c', conv, 4)).toBe('duplicate');
    expect(t.record('c', conv, 3, 'pull')).toBe('new');
    expect(t.missing('c')).toEqual([]);
    expect(t.record('c', conv, 0)).toBe('ignored');
    expect(t.stats).toMatchObject({ received: 5, pushed: 4, pulled: 1, duplicatePushes: 2, duplicatePulls: 0, outOfOrder: 1, gaps: 1, gapSeqs: 2, filled: 2 });
    expect(seen.map((a) => [a.kind, a.seq, a.expected])).toEqual([
      ['duplicate', 2, 3],
      ['gap', 5, 3],
      ['out-of-order', 4, 3],
      ['duplicate', 4, 3],
    ]);
  });

  it('first-seen baseline: earlier seqs are history, not a gap; zero baseline expects seq 1', () => {
    const lenient = new SeqTracker();
    expect(lenient.record('c', conv, 40)).toBe('new');
    expect(lenient.missingCount()).toBe(0);
    const strict = new SeqTracker({ baseline: 'zero' });
    expect(strict.record('c', conv, 3)).toBe('gap');
    expect(strict.missingCount()).toBe(2);
  });

  it('keeps state per client and conversation', () => {
    const t = new SeqTracker({ baseline: 'zero' });
    t.record('c1', conv, 1);
    t.record('c2', conv, 1);
    t.record('c1', 'sg_g1', 1);
    expect(t.stats.duplicatePushes).toBe(0);
    t.record('c1', conv, 3);
    expect(t.missing('c2')).toEqual([]);
    expect(t.missing()).toEqual([{ client: 'c1', conversationID: conv, begin: 2, end: 2 }]);
    t.forget('c1');
    expect(t.missing()).toEqual([]);
  });

  it('setBaseline moves the watermark over history', () => {
    const t = new SeqTracker({ baseline: 'zero' });
    t.record('c', conv, 8);
    t.setBaseline('c', conv, 7);
    expect(t.missingCount()).toBe(0);
    expect(t.record('c', conv, 9)).toBe('new');
  });

  it('bounds the anomaly list', () => {
    const t = new SeqTracker({ maxAnomalies: 3 });
    t.record('c', conv, 1);
    for (let i = 0; i < 10; i++) t.record('c', conv, 1);
    expect(t.anomalies()).toHaveLength(3);
    expect(t.stats.duplicatePushes).toBe(10);
  });
});

/** A catch-up client answering from an in-memory store (maxSeq per conversation). */
function storeClient(label: string, store: Record<string, number>, minSeqs: Record<string, number> = {}): CatchUpClient & { pulls: { conversationID: string; begin: number; end: number }[][] } {
  const pulls: { conversationID: string; begin: number; end: number }[][] = [];
  const resp = { resp: { reqIdentifier: 0, msgIncr: '', operationID: '', errCode: 0, errMsg: '', data: null }, rttMs: 0 };
  return {
    label,
    pulls,
    async getNewestSeq() {
      return { ...resp, data: pb.sdkws.GetMaxSeqResp.create({ maxSeqs: store, minSeqs }) };
    },
    async pullBySeqList(ranges) {
      pulls.push(ranges.map(({ conversationID, begin, end }) => ({ conversationID, begin, end })));
      const msgs: Record<string, { Msgs: { seq: number }[] }> = {};
      // As upstream's msg service answers: one entry per conversation, the last range wins.
      for (const r of ranges) {
        const list: { seq: number }[] = [];
        for (let s = r.begin; s <= Math.min(r.end, store[r.conversationID] ?? 0); s++) list.push({ seq: s });
        msgs[r.conversationID] = { Msgs: list };
      }
      return { ...resp, data: pb.sdkws.PullMessageBySeqsResp.create({ msgs }) };
    },
  };
}

describe('SeqTracker.catchUp', () => {
  it('first catch-up snapshots unseen conversations; later ones pull new conversations from 1', async () => {
    const t = new SeqTracker();
    const store = { [conv]: 10 };
    const c = storeClient('c', store);
    const r1 = await t.catchUp(c);
    expect(r1).toMatchObject({ conversations: 1, ranges: 0, requested: 0, pulled: 0, stillMissing: 0 });
    store[conv] = 12;
    (store as Record<string, number>)['sg_g1'] = 3;
    const r2 = await t.catchUp(c);
    expect(r2).toMatchObject({ conversations: 2, ranges: 2, requested: 5, pulled: 5, stillMissing: 0 });
    expect(c.pulls[0]).toEqual([
      { conversationID: conv, begin: 11, end: 12 },
      { conversationID: 'sg_g1', begin: 1, end: 3 },
    ]);
  });

  it('splits long ranges and batches ranges per request, one range per conversation in each', async () => {
    const t = new SeqTracker({ baseline: 'zero', pullChunk: 10, maxRangesPerRequest: 2 });
    const c = storeClient('c', { [conv]: 25, sg_g1: 3 });
    t.record('c', conv, 1);
    const r = await t.catchUp(c);
    expect(r).toMatchObject({ ranges: 4, requested: 27, pulled: 27, stillMissing: 0 });
    expect(c.pulls.map((p) => p.map((x) => [x.conversationID, x.begin, x.end]))).toEqual([
      [
        [conv, 2, 11],
        ['sg_g1', 1, 3],
      ],
      [[conv, 12, 21]],
      [[conv, 22, 25]],
    ]);
  });

  it('pulls two holes of one conversation in separate requests (a reply holds one range per conversation)', async () => {
    const t = new SeqTracker({ baseline: 'zero' });
    const c = storeClient('c', { [conv]: 8 });
    for (const s of [2, 3, 4]) t.record('c', conv, s);
    const r = await t.catchUp(c);
    expect(c.pulls).toEqual([[{ conversationID: conv, begin: 1, end: 1 }], [{ conversationID: conv, begin: 5, end: 8 }]]);
    expect(r).toMatchObject({ pulled: 5, stillMissing: 0 });
  });

  it('skips seqs below the server min seq (deleted history) and reports what a pull did not deliver', async () => {
    const t = new SeqTracker({ baseline: 'zero' });
    const c = storeClient('c', { [conv]: 6 }, { [conv]: 4 });
    t.record('c', conv, 1);
    const r = await t.catchUp(c);
    expect(c.pulls[0]).toEqual([{ conversationID: conv, begin: 4, end: 6 }]);
    expect(r.stillMissing).toBe(0);

    const lossy: CatchUpClient = { ...storeClient('d', { [conv]: 5 }), label: 'd', pullBySeqList: async () => ({ data: pb.sdkws.PullMessageBySeqsResp.create({}), rttMs: 0, resp: { reqIdentifier: 0, msgIncr: '', operationID: '', errCode: 0, errMsg: '', data: null } }) };
    t.record('d', conv, 1);
    expect((await t.catchUp(lossy)).stillMissing).toBe(4);
  });
});
