import { describe, expect, it } from 'vitest';
import { Subscriptions, type Subscriber } from '../../src/gateway/subscriptions.js';
import type { OnlineLookup } from '../../src/presence/online-cache.js';
import type { SharedFrame } from '../../src/gateway/frames.js';
import { codecFor } from '../../src/protocol/codecs.js';
import { gunzipFrame } from '../../src/protocol/gzip.js';
import { pb } from '../../src/protocol/pb.js';

/** Stand-in for a Connection with just what Subscriptions uses; it keeps the payloads it was handed. */
class FakeClient implements Subscriber {
  readonly subscriptions = new Set<string>();
  closed = false;
  readonly frames: Buffer[] = [];
  /** When false, write refuses (as a connection just closed as a slow consumer). */
  accept = true;

  constructor(
    readonly variant: number,
    readonly name = '',
  ) {}

  write(frame: SharedFrame): boolean {
    if (this.closed || !this.accept) return false;
    this.frames.push(frame.payload);
    return true;
  }

  /** The envelope of a frame, decoded as this connection's variant (codec, gzip) says. */
  decode(frame: Buffer) {
    const raw = this.variant & 1 ? gunzipFrame(frame) : frame;
    const resp = codecFor(this.variant >= 2 ? 'js' : 'go', 'server').decodeResp(raw);
    return { ...resp, tips: pb.sdkws.SubUserOnlineStatusTips.decode(resp.data ?? new Uint8Array()) };
  }
}

/** Distinct payloads handed out: one per encode. */
function encodes(clients: FakeClient[]): number {
  return new Set(clients.flatMap((c) => c.frames)).size;
}

/** A lookup answering from a fixed table and recording what it was asked. */
function lookup(table: Record<string, number[]>) {
  const asked: string[][] = [];
  const l: OnlineLookup = {
    getMany: async (ids) => {
      asked.push([...ids]);
      return new Map(ids.map((id) => [id, table[id] ?? []]));
    },
  };
  return { l, asked };
}

const req2005 = (subscribeUserID: string[], unsubscribeUserID: string[] = []) =>
  pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID, unsubscribeUserID });

describe('Subscriptions bookkeeping', () => {
  it('keeps userID -> clients and client.subscriptions in step', () => {
    const subs = new Subscriptions<FakeClient>();
    const c1 = new FakeClient(0);
    const c2 = new FakeClient(1);
    expect(subs.subscribe(c1, ['a', 'b', 'a'])).toEqual(['a', 'b']);
    expect(subs.subscribe(c2, ['b', 'c'])).toEqual(['b', 'c']);
    expect(subs.subscribe(c1, ['b'])).toEqual([]);
    expect([...c1.subscriptions]).toEqual(['a', 'b']);
    expect([...subs.subscribers('b')]).toEqual([c1, c2]);
    expect(subs.userCount).toBe(3);
    expect(subs.subscriptionCount).toBe(4);

    expect(subs.unsubscribe(c1, ['a', 'zzz'])).toEqual(['a']);
    expect(subs.subscribers('a').size).toBe(0);
    expect(subs.userCount).toBe(2);
    expect(subs.subscriptionCount).toBe(3);
    expect([...c1.subscriptions]).toEqual(['b']);

    subs.removeClient(c2);
    expect(c2.subscriptions.size).toBe(0);
    expect([...subs.subscribers('b')]).toEqual([c1]);
    expect(subs.subscribers('c').size).toBe(0);
    expect(subs.userCount).toBe(1);
    expect(subs.subscriptionCount).toBe(1);

    subs.removeClient(c1);
    subs.removeClient(c1);
    expect(subs.userCount).toBe(0);
    expect(subs.subscriptionCount).toBe(0);
  });

  it('does not register a closed connection (its removeClient already ran)', () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(0);
    c.closed = true;
    expect(subs.subscribe(c, ['a'])).toEqual([]);
    expect(subs.userCount).toBe(0);
    expect(c.subscriptions.size).toBe(0);
  });
});

describe('Subscriptions.handle2005', () => {
  it('unsubscribes, subscribes, and replies with the platforms of every requested user in request order', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(2);
    subs.subscribe(c, ['old', 'kept']);
    const { l, asked } = lookup({ u1: [1, 5], kept: [3], u2: [] });
    const reply = await subs.handle2005(c, req2005(['u1', 'kept', 'u2'], ['old']), l);
    expect([...c.subscriptions].sort()).toEqual(['kept', 'u1', 'u2']);
    expect(subs.subscribers('old').size).toBe(0);
    expect(pb.sdkws.SubUserOnlineStatusTips.decode(reply)).toEqual({
      subscribers: [
        { userID: 'u1', onlinePlatformIDs: [1, 5] },
        // Already watched: upstream lists it again with its current platforms.
        { userID: 'kept', onlinePlatformIDs: [3] },
        { userID: 'u2', onlinePlatformIDs: [] },
      ],
    });
    expect(asked).toEqual([['u1', 'kept', 'u2']]);
  });

  it('a user in both lists ends up subscribed; an unsubscribe-only request replies with empty tips and no lookup', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(0);
    const { l, asked } = lookup({ x: [2] });
    await subs.handle2005(c, req2005(['x'], ['x']), l);
    expect(subs.subscribers('x').has(c)).toBe(true);
    const reply = await subs.handle2005(c, req2005([], ['x']), l);
    expect(reply.length).toBe(0);
    expect(pb.sdkws.SubUserOnlineStatusTips.decode(reply)).toEqual({ subscribers: [] });
    expect(subs.subscribers('x').size).toBe(0);
    expect(asked).toHaveLength(1);
    expect((await subs.handle2005(c, null, l)).length).toBe(0);
  });

  it('rejects undecodable data; keeps the subscription when the lookup fails (as upstream)', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(0);
    const { l } = lookup({});
    await expect(subs.handle2005(c, Buffer.from([0x0a, 0xff, 0x01]), l)).rejects.toThrow();
    const failing: OnlineLookup = { getMany: async () => Promise.reject(new Error('user service down')) };
    await expect(subs.handle2005(c, req2005(['y']), failing)).rejects.toThrow('user service down');
    expect(subs.subscribers('y').has(c)).toBe(true);
  });
});

describe('Subscriptions.notify', () => {
  it('builds one payload, encodes once per variant, and reaches every open subscriber', () => {
    const subs = new Subscriptions<FakeClient>();
    const clients = [0, 0, 1, 2, 2, 2, 3, 1, 0].map((v, i) => new FakeClient(v, `c${i}`));
    for (const c of clients) subs.subscribe(c, ['target']);
    const closed = new FakeClient(3, 'closed');
    subs.subscribe(closed, ['target']);
    closed.closed = true;
    const other = new FakeClient(0, 'other');
    subs.subscribe(other, ['someone-else']);

    expect(subs.notify('target', [1, 7])).toBe(clients.length);
    expect(encodes([...clients, closed])).toBe(4);
    expect(closed.frames).toHaveLength(0);
    expect(other.frames).toHaveLength(0);
    const firstOfVariant = new Map<number, Buffer>();
    for (const c of clients) {
      expect(c.frames).toHaveLength(1);
      const f = c.decode(c.frames[0]!);
      expect(f.reqIdentifier).toBe(2005);
      expect(f.operationID).toBe('');
      expect(f.msgIncr).toBe('');
      expect(f.tips).toEqual({ subscribers: [{ userID: 'target', onlinePlatformIDs: [1, 7] }] });
      // Same variant -> the very same Buffer.
      const shared = firstOfVariant.get(c.variant);
      if (shared) expect(c.frames[0]).toBe(shared);
      else firstOfVariant.set(c.variant, c.frames[0]!);
    }
  });

  it('returns 0 without encoding when nobody watches, and does not count refused frames', () => {
    const subs = new Subscriptions<FakeClient>();
    expect(subs.notify('nobody', [1])).toBe(0);
    const a = new FakeClient(0);
    const b = new FakeClient(0);
    b.accept = false;
    subs.subscribe(a, ['u']);
    subs.subscribe(b, ['u']);
    expect(subs.notify('u', [])).toBe(1);
    expect(a.decode(a.frames[0]!).tips).toEqual({ subscribers: [{ userID: 'u', onlinePlatformIDs: [] }] });
  });

  it('tolerates a subscriber removed while the notification is being delivered', () => {
    const subs = new Subscriptions<FakeClient>();
    const a = new FakeClient(0);
    const b = new FakeClient(0);
    subs.subscribe(a, ['u']);
    subs.subscribe(b, ['u']);
    // A slow consumer closes on send and is unregistered synchronously, as Client does.
    a.write = () => {
      a.closed = true;
      subs.removeClient(a);
      return false;
    };
    expect(subs.notify('u', [5])).toBe(1);
    expect(b.frames).toHaveLength(1);
    expect([...subs.subscribers('u')]).toEqual([b]);
  });
});

describe('Subscriptions at scale (bounded work, no timing asserts)', () => {
  it('5,000 subscribers x 1 user', () => {
    const subs = new Subscriptions<FakeClient>();
    const clients = Array.from({ length: 5000 }, (_, i) => new FakeClient(i % 4));
    for (const c of clients) subs.subscribe(c, ['star']);
    expect(subs.subscribers('star').size).toBe(5000);
    expect(subs.notify('star', [1, 2, 3])).toBe(5000);
    expect(encodes(clients)).toBe(4);
    for (let i = 0; i < 2500; i++) subs.removeClient(clients[i]!);
    expect(subs.notify('star', [])).toBe(2500);
    for (const c of clients) subs.removeClient(c);
    expect(subs.userCount).toBe(0);
    expect(subs.subscriptionCount).toBe(0);
  });

  it('1 subscriber x 5,000 users', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(3);
    const ids = Array.from({ length: 5000 }, (_, i) => `user_${i}`);
    const { l } = lookup({ user_42: [9] });
    const reply = pb.sdkws.SubUserOnlineStatusTips.decode(await subs.handle2005(c, req2005(ids), l));
    expect(reply.subscribers).toHaveLength(5000);
    expect(reply.subscribers[42]).toEqual({ userID: 'user_42', onlinePlatformIDs: [9] });
    expect(subs.subscriptionCount).toBe(5000);
    let told = 0;
    for (const id of ids) told += subs.notify(id, [1]);
    expect(told).toBe(5000);
    expect(c.frames).toHaveLength(5000);
    await subs.handle2005(c, req2005([], ids.slice(0, 4000)), l);
    expect(subs.subscriptionCount).toBe(1000);
    subs.removeClient(c);
    expect(subs.userCount).toBe(0);
  });
});

describe('Subscriptions.retell (after a Redis resync)', () => {
  it('looks every watched user up in batches and tells each one, once per user', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c1 = new FakeClient(0);
    const c2 = new FakeClient(2);
    subs.subscribe(c1, ['a', 'b', 'c']);
    subs.subscribe(c2, ['b']);
    const { l, asked } = lookup({ a: [1], b: [2, 5] });
    const told: Array<[string, number[]]> = [];
    const n = await subs.retell(l, (u, p) => told.push([u, p]), 2);
    expect(n).toBe(3);
    expect(asked).toEqual([['a', 'b'], ['c']]);
    expect(told).toEqual([['a', [1]], ['b', [2, 5]], ['c', []]]);
  });

  it('skips users whose watchers were all last told the current list, and re-tells the rest', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c1 = new FakeClient(0);
    const c2 = new FakeClient(0);
    // a: told [1] by a push; b: replied [] to one watcher; c: replied [2] then [] to two watchers (unknown).
    await subs.handle2005(c1, req2005(['a', 'b', 'c']), lookup({ c: [2] }).l);
    subs.notify('a', [1]);
    await subs.handle2005(c2, req2005(['c']), lookup({}).l);
    const told: Array<[string, number[]]> = [];
    const n = await subs.retell(lookup({ a: [1], c: [] }).l, (u, p) => told.push([u, p]));
    expect(told).toEqual([['c', []]]);
    expect(n).toBe(1);
    // A changed list is re-told even when known.
    const again: string[] = [];
    await subs.retell(lookup({ a: [1, 5] }).l, (u) => again.push(u));
    expect(again).toEqual(['a', 'c']);
  });

  it('forgets what a user was told once nobody watches it', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(0);
    subs.subscribe(c, ['a']);
    subs.notify('a', [1]);
    subs.removeClient(c);
    subs.subscribe(c, ['a']);
    const told: string[] = [];
    await subs.retell(lookup({ a: [1] }).l, (u) => told.push(u));
    expect(told).toEqual(['a']);
  });

  it('skips users nobody watches any more by the time their lookup answers', async () => {
    const subs = new Subscriptions<FakeClient>();
    const c = new FakeClient(0);
    subs.subscribe(c, ['a', 'b']);
    const slow: OnlineLookup = {
      getMany: async (ids) => {
        subs.unsubscribe(c, ['b']);
        return new Map(ids.map((id) => [id, [1]]));
      },
    };
    const told: string[] = [];
    expect(await subs.retell(slow, (u) => told.push(u))).toBe(1);
    expect(told).toEqual(['a']);
  });
});
