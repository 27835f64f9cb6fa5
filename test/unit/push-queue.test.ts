/**
 * The hub's bounded push queue (src/hub/push.ts) with stand-in connections: at most
 * `concurrency` pushes deliver at once, later ones wait in FIFO order within a bound in count
 * and bytes, and a push refused (queue full) or out of time (deadline) answers 1603 for every
 * connection of the users it did not reach, is counted through onDrop and announced as a
 * `push-dropped` event. A push of more than 256 users yields to the event loop between slices,
 * which is what keeps its slot taken while the test queues more behind it.
 */
import { describe, expect, it } from 'vitest';
import type { Conn } from '../../src/gateway/conn.js';
import type { GatewayEvent } from '../../src/gateway/events.js';
import { Registry } from '../../src/gateway/registry.js';
import { PushDelivery, type PushDrop, type PushLimits } from '../../src/hub/push.js';
import { pb } from '../../src/protocol/pb.js';
import type { sdkws } from '../../src/protocol/pb-types.js';
import { Signal } from '../../src/util/signal.js';

/** Users in the order their connection was written to. */
type Log = string[];

class FakeConn {
  background = false;
  constructor(
    readonly userID: string,
    readonly platformID: number,
    private readonly log: Log,
    /** Busy time per write, ms: makes a push hold its slot for a known while. */
    private readonly busyMs = 0,
  ) {}
  readonly variant = 0;
  write(): boolean {
    if (this.busyMs > 0) {
      const until = performance.now() + this.busyMs;
      while (performance.now() < until);
    }
    this.log.push(this.userID);
    return true;
  }
}

/** A push terminal: a delivered frame is answered code 0 with onlinePush, as upstream. */
const ANDROID = 2;

function msg(seq: number): sdkws.MsgData {
  return pb.sdkws.MsgData.decode(pb.sdkws.MsgData.encode({ sendID: 's', groupID: 'g', sessionType: 3, contentType: 101, seq, content: Buffer.from('x') }));
}

function setup(users: number, limits: Partial<PushLimits>, busyMs = 0) {
  const map = new Registry();
  const log: Log = [];
  for (let u = 0; u < users; u++) map.add(new FakeConn(`u${u}`, ANDROID, log, busyMs) as unknown as Conn);
  const ids = Array.from({ length: users }, (_, u) => `u${u}`);
  const drops: PushDrop[] = [];
  const events = new Signal<GatewayEvent>();
  const seen: GatewayEvent[] = [];
  events.on((e) => seen.push(e));
  const results: Record<string, number> = {};
  const delivery = new PushDelivery(map, {
    limits,
    onDrop: (d) => drops.push(d),
    onResult: (code, n = 1) => (results[code] = (results[code] ?? 0) + n),
    events,
  });
  return { delivery, ids, log, drops, seen, results };
}

/** Every user answered 1603 on its one connection, and not reported online-pushed. */
function allRefused(r: { onlinePush: boolean; resp: { ResultCode: number; RecvPlatFormID: number }[] }[]): boolean {
  return r.every((x) => !x.onlinePush && x.resp.length === 1 && x.resp[0]!.ResultCode === 1603 && x.resp[0]!.RecvPlatFormID === ANDROID);
}

describe('PushDelivery: the bounded push queue', () => {
  it('past the concurrency bound pushes wait their turn in order; past the queue bound they are refused at once, 1603, counted and announced', async () => {
    const { delivery, ids, drops, seen, results } = setup(1000, { concurrency: 1, queued: 2 });
    const a = delivery.push(msg(1), ids, 'op');
    // a did its first slice and waits for the loop: the only slot is taken.
    const b = delivery.push(msg(2), ids, 'op');
    const c = delivery.push(msg(3), ids, 'op');
    expect(delivery.queueDepth).toBe(2);
    const d = await delivery.push(msg(4), ids, 'op');
    expect(allRefused(d)).toBe(true);
    expect(drops).toEqual([{ reason: 'queue_full', userIDs: 1000, undeliveredUsers: 1000, undeliveredConns: 1000, waitedMs: 0 }]);
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    for (const r of [ra, rb, rc]) expect(r.every((x) => x.onlinePush && x.resp.length === 1 && x.resp[0]!.ResultCode === 0)).toBe(true);
    expect(delivery.stats).toMatchObject({ pushes: 3, queued: 2, dropped: 1, deliveries: 3000 });
    expect(results).toEqual({ '0': 3000, '1603': 1000 });
    const dropped = seen.filter((e) => e.type === 'push-dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ type: 'push-dropped', reason: 'queue_full', userIDs: 1000, undeliveredConns: 1000, msg: { seq: 4, groupID: 'g' } });
    // Waiting pushes ran one after another in arrival order: push events come out 1, 2, 3.
    const pushed = seen.filter((e): e is Extract<GatewayEvent, { type: 'push' }> => e.type === 'push');
    expect(pushed.map((e) => e.msg?.seq)).toEqual([1, 2, 3]);
    expect(delivery.queueDepth).toBe(0);
  });

  it('a push whose bytes do not fit the queue is refused even when the count would', async () => {
    const { delivery, ids, drops } = setup(600, { concurrency: 1, queued: 100, queuedBytes: 4096 });
    const a = delivery.push(msg(1), ids, 'op');
    const small = delivery.push(msg(2), ids.slice(0, 3), 'op');
    const big = await delivery.push(msg(3), ids, 'op');
    expect(allRefused(big)).toBe(true);
    expect(drops.map((d) => d.reason)).toEqual(['queue_full']);
    const [, rs] = await Promise.all([a, small]);
    expect(rs.map((x) => x.onlinePush)).toEqual([true, true, true]);
  });

  it('a waiting push answers shortly before its deadline: 1603 for everyone, reason deadline, with how long it waited', async () => {
    // 600 users x 2 ms per write: the first push holds the only slot for about 1.2 s, at least
    // 0.6 s of it after its first 256-user slice (which may run before the next push is queued).
    const { delivery, ids, drops, log } = setup(600, { concurrency: 1, queued: 10 }, 2);
    const a = delivery.push(msg(1), ids, 'op');
    const late = await delivery.push(msg(2), ids.slice(0, 50), 'op', new Date(Date.now() + 150));
    expect(allRefused(late)).toBe(true);
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: 'deadline', userIDs: 50, undeliveredUsers: 50, undeliveredConns: 50 });
    // It waited for its turn until the deadline less the reply margin (50 ms here), not a moment less.
    expect(drops[0]!.waitedMs).toBeGreaterThanOrEqual(95);
    await a;
    // Nothing of the refused push was written afterwards.
    expect(log).toHaveLength(600);
    expect(delivery.queueDepth).toBe(0);
  });

  it('a push that is out of time while delivering answers the users it did not reach 1603 and counts one drop', async () => {
    const { delivery, ids, drops } = setup(600, { concurrency: 4 }, 1);
    // Each 256-user slice takes about 256 ms; the deadline (less the reply margin) passes during the first.
    const r = await delivery.push(msg(1), ids, 'op', new Date(Date.now() + 150));
    const reached = r.filter((x) => x.resp.length === 1 && x.resp[0]!.ResultCode === 0).length;
    const refused = r.filter((x) => x.resp.length === 1 && x.resp[0]!.ResultCode === 1603).length;
    expect(reached).toBe(256);
    expect(refused).toBe(344);
    expect(drops).toEqual([{ reason: 'deadline', userIDs: 600, undeliveredUsers: 344, undeliveredConns: 344, waitedMs: 0 }]);
  });

  it('offline users of a refused push stay empty (not online here), connected ones get 1603', async () => {
    const { delivery, ids } = setup(300, { concurrency: 1, queued: 0 });
    const a = delivery.push(msg(1), ids, 'op');
    const r = await delivery.push(msg(2), ['u1', 'nobody'], 'op');
    expect(r).toEqual([
      { userID: 'u1', onlinePush: false, resp: [{ RecvPlatFormID: ANDROID, ResultCode: 1603, RecvID: '' }] },
      { userID: 'nobody', onlinePush: false, resp: [] },
    ]);
    await a;
  });
});
