/**
 * Pins the fan-out optimisations of PushDelivery (src/hub/push.ts) with stand-in connections:
 * one encode per (codec, gzip) variant per push, and pushes to the same users running in step
 * (a later push joins an earlier one where it is) without changing what each user gets, in
 * which order, or what the hub answers. No sockets, no timing.
 */
import { describe, expect, it } from 'vitest';
import type { Conn } from '../../src/gateway/conn.js';
import type { SharedFrame } from '../../src/gateway/frames.js';
import { codecFor } from '../../src/protocol/codecs.js';
import { Registry } from '../../src/gateway/registry.js';
import { PushDelivery } from '../../src/hub/push.js';
import { gunzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';
import type { sdkws } from '../../src/protocol/pb-types.js';

/** What every fake connection sent, in global order: (connection, seq of the pushed message). */
type SendLog = { user: string; seq: number }[];

/** Stand-in for a Connection with what PushDelivery uses; it decodes each frame it is handed. */
class FakeConn {
  readonly frames: number[] = [];
  /** Distinct frame objects handed to this connection. */
  readonly handed = new Set<SharedFrame>();
  background = false;
  accept = true;

  constructor(
    readonly userID: string,
    readonly platformID: number,
    readonly variant: number,
    private readonly log: SendLog,
  ) {}

  write(frame: SharedFrame): boolean {
    if (!this.accept) return false;
    this.handed.add(frame);
    const raw = this.variant & 1 ? gunzipFrame(frame.payload) : frame.payload;
    const resp = codecFor(this.variant >= 2 ? 'js' : 'go', 'server').decodeResp(raw);
    const seq = Object.values(pb.sdkws.PushMessages.decode(resp.data ?? new Uint8Array()).msgs)[0]!.Msgs[0]!.seq;
    this.frames.push(seq);
    this.log.push({ user: this.userID, seq });
    return true;
  }
}

function setup(users: number, perUser = 1) {
  const map = new Registry();
  const log: SendLog = [];
  const conns: FakeConn[] = [];
  for (let u = 0; u < users; u++) {
    for (let k = 0; k < perUser; k++) {
      const c = new FakeConn(`u${u}`, 2 + k, (u + k) % 4, log);
      conns.push(c);
      map.add(c as unknown as Conn);
    }
  }
  const ids = Array.from({ length: users }, (_, u) => `u${u}`);
  return { map, log, conns, ids, delivery: new PushDelivery(map) };
}

function msg(seq: number): sdkws.MsgData {
  return pb.sdkws.MsgData.decode(pb.sdkws.MsgData.encode({ sendID: 's', groupID: 'g', sessionType: 3, contentType: 101, seq, content: Buffer.from('x') }));
}

describe('PushDelivery: one encode per variant', () => {
  it('encodes at most once per (codec, gzip) variant however many connections a push reaches', async () => {
    const { delivery, conns, ids } = setup(1000, 2);
    await delivery.push(msg(1), ids, 'op');
    expect(delivery.stats.encodes).toBe(4);
    expect(delivery.stats.deliveries).toBe(2000);
    expect(new Set(conns.flatMap((c) => [...c.handed])).size).toBe(4);
    await delivery.push(msg(2), ids.slice(0, 1), 'op');
    // u0's two connections are variants 0 and 1.
    expect(delivery.stats.encodes).toBe(6);
  });
});

describe('PushDelivery: pushes to the same users run in step', () => {
  it('a push arriving while another to the same users is under way joins it, and every user still gets both in order', async () => {
    const { delivery, conns, ids, log } = setup(2000);
    const first = delivery.push(msg(1), ids, 'op');
    // The first push has done its first slice synchronously and waits for the loop; the second joins it.
    const second = delivery.push(msg(2), [...ids], 'op');
    const [r1, r2] = await Promise.all([first, second]);
    expect(delivery.stats.joined).toBe(1);
    for (const c of conns) expect(c.frames).toEqual([1, 2]);
    // Answers keep the request's order whatever order users were visited in.
    expect(r1.map((r) => r.userID)).toEqual(ids);
    expect(r2.map((r) => r.userID)).toEqual(ids);
    expect(r2.every((r) => r.onlinePush && r.resp.length === 1 && r.resp[0]!.ResultCode === 0)).toBe(true);
    // The second push started where the first was (not at user 0) and then went through users
    // in the same order right behind it: push 2 reaches a user in the same slice as push 1.
    const firstOf2 = log.find((e) => e.seq === 2)!;
    expect(firstOf2.user).not.toBe('u0');
    const at = ids.indexOf(firstOf2.user);
    const pos1 = new Map(log.filter((e) => e.seq === 1).map((e, i) => [e.user, i]));
    const pos2 = new Map(log.filter((e) => e.seq === 2).map((e, i) => [e.user, i]));
    // Users from the join point on get push 2 at the same distance behind push 1, slice by slice.
    expect(pos2.get(ids[at]!)).toBe(0);
    expect(pos1.get(ids[at + 300]!)! - pos1.get(ids[at]!)!).toBe(pos2.get(ids[at + 300]!)! - pos2.get(ids[at]!)!);
  });

  it('three pushes in a row all run in step; different user lists never join', async () => {
    const { delivery, conns, ids } = setup(1500);
    const a = delivery.push(msg(1), ids, 'op');
    const b = delivery.push(msg(2), [...ids], 'op');
    const c = delivery.push(msg(3), [...ids], 'op');
    const other = delivery.push(msg(4), [...ids].reverse(), 'op');
    await Promise.all([a, b, c, other]);
    expect(delivery.stats.joined).toBe(2);
    // The reversed list is another push (no order between unrelated pushes, as before and upstream).
    for (const conn of conns) expect(conn.frames.filter((s) => s !== 4)).toEqual([1, 2, 3]);
    for (const conn of conns) expect(conn.frames).toHaveLength(4);
  });

  it('small pushes do not look for a leader', async () => {
    const { delivery, ids } = setup(100);
    await Promise.all([delivery.push(msg(1), ids, 'op'), delivery.push(msg(2), ids, 'op')]);
    expect(delivery.stats.joined).toBe(0);
  });
});

describe('PushDelivery: results as upstream reports them', () => {
  it('reports 1603 for a refused write and 1604 for an iOS connection in background', async () => {
    const { map, delivery, log } = setup(0);
    const android = new FakeConn('x', 2, 0, log);
    const refused = new FakeConn('x', 3, 0, log);
    refused.accept = false;
    const ios = new FakeConn('y', 1, 0, log);
    ios.background = true;
    for (const c of [android, refused, ios]) map.add(c as unknown as Conn);
    const [x, y, z] = await delivery.push(msg(1), ['x', 'y', 'z'], 'op');
    expect(x!.onlinePush).toBe(true);
    expect(x!.resp).toEqual([
      { RecvPlatFormID: 2, ResultCode: 0, RecvID: '' },
      { RecvPlatFormID: 3, ResultCode: 1603, RecvID: '' },
    ]);
    expect(y!.resp).toEqual([{ RecvPlatFormID: 1, ResultCode: 1604, RecvID: '' }]);
    expect(y!.onlinePush).toBe(false);
    expect(z).toEqual({ userID: 'z', onlinePush: false, resp: [] });
    expect(delivery.stats).toMatchObject({ deliveries: 1, failed: 1, iosBackground: 1 });
  });

  it('answers users not reached before the deadline 1603 per connection (never an empty success)', async () => {
    const { delivery, conns, ids } = setup(600);
    const r = await delivery.push(msg(1), ids, 'op', new Date(Date.now() - 1));
    expect(r).toHaveLength(600);
    expect(r.every((x) => !x.onlinePush && x.resp.length === 1 && x.resp[0]!.ResultCode === 1603)).toBe(true);
    expect(conns.every((c) => c.frames.length === 0)).toBe(true);
    expect(delivery.stats.dropped).toBe(1);
  });
});
