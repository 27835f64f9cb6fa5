import { describe, expect, it } from 'vitest';
import { TuiStore } from '../../simulators/tui/store.js';
import { buildView, initialUi, type ViewContext } from '../../simulators/tui/view.js';
import { conn, connectOf, recordedSession, totals } from './fixtures.js';

const ctx = (over: Partial<ViewContext> = {}): ViewContext => ({
  cols: 160,
  rows: 45,
  now: 1_010_000,
  mode: 'embedded',
  state: { kind: 'open' },
  isSim: () => false,
  simClients: 0,
  eventsPerSec: 0,
  ...over,
});

describe('TuiStore with a recorded session', () => {
  const store = new TuiStore();
  for (const m of recordedSession()) store.apply(m);

  it('keeps the connections grouped by user, by platform', () => {
    expect(store.synced).toBe(true);
    expect(store.connCount).toBe(2);
    expect(store.users()).toEqual(['u1', 'u2']);
    const rows = store.connRows();
    expect(rows.map((r) => [r.conn.userID, r.conn.platformID, r.first])).toEqual([
      ['u1', 1, true],
      ['u2', 2, true],
    ]);
    expect(store.connRows('U2').map((r) => r.conn.userID)).toEqual(['u2']);
  });

  it('lists events, hides successful requests, keeps request errors', () => {
    const kinds = store.eventsEndingAt(100).map((r) => r.ev.type);
    expect(kinds).toEqual(['push', 'request', 'kick', 'disconnect', 'presence', 'rpc']);
    expect(store.received).toBe(9);
  });

  it('tracks subscriptions and the last presence change', () => {
    expect(store.watchersOf('u2').map((c) => c.userID)).toEqual(['u1']);
    expect(store.lastPresence('u2')).toMatchObject({ platformIDs: [2], told: 1 });
  });

  it('turns cumulative counters into per-second rates and applies queue depths', () => {
    expect(store.series('framesIn')).toEqual([100]);
    expect(store.series('framesOut')).toEqual([400]);
    expect(store.series('pushes')).toEqual([50]);
    expect(store.series('handshakes')).toEqual([2]);
    expect(store.series('conns')).toEqual([2, 2]);
    expect(store.pushCodesPerSec).toEqual({ '0': 40 });
    expect(store.connsOf('u1')[0]!.queue).toBe(12);
  });

  it('forgets the connections on a new hello (the snapshot follows)', () => {
    const s = new TuiStore();
    for (const m of recordedSession()) s.apply(m);
    s.apply({ type: 'hello', version: 1, at: 2_000_000, node: { multiLoginPolicy: 1, listenIP: '127.0.0.1' } });
    expect(s.connCount).toBe(0);
    expect(s.synced).toBe(false);
    expect(s.watchersOf('u2')).toEqual([]);
  });

  it('lists a kick before the disconnect it caused (the order the gateway reports them in)', () => {
    const s = new TuiStore();
    s.apply({ type: 'kick', at: 1, userID: 'u1', platformID: 5, connID: 'c1', policy: 1, cause: 'hub' });
    s.apply({ type: 'disconnect', at: 2, userID: 'u1', platformID: 5, connID: 'c1', reason: 'kicked', detail: '' });
    expect(s.eventsEndingAt(10).map((r) => [r.seq, r.ev.type])).toEqual([
      [1, 'kick'],
      [2, 'disconnect'],
    ]);
  });

  it('shows successful requests once verbose', () => {
    const s = new TuiStore();
    s.verbose = true;
    s.apply({ type: 'request', at: 1, userID: 'u1', connID: 'c', reqIdentifier: 1001, errCode: 0, ms: 1 });
    expect(s.eventCount).toBe(1);
  });
});

describe('TuiStore at scale', () => {
  it('holds 10,000 connections and renders only a window of them', () => {
    const store = new TuiStore({ events: 1000 });
    store.apply({ type: 'hello', version: 1, at: 0, node: { multiLoginPolicy: 1, listenIP: '127.0.0.1' } });
    const snap = Array.from({ length: 5000 }, (_, i) => conn(i + 1));
    store.apply({ type: 'snapshot', at: 0, conns: snap, total: 5000, done: true });
    for (let i = 5001; i <= 10_000; i++) store.apply(connectOf(conn(i, { platformID: 1 + (i % 3) })));
    expect(store.connCount).toBe(10_000);
    expect(store.userCount).toBe(10_000);
    expect(store.users().slice(0, 3)).toEqual(['u1', 'u2', 'u3']);
    expect(store.users()[9]).toBe('u10');
    // 5000 connect events went into a 1000-slot ring.
    expect(store.eventCount).toBe(1000);
    expect(store.evicted).toBe(4000);

    const ui = initialUi();
    const view = buildView(store, ui, ctx());
    expect(view.conns.total).toBe(10_000);
    expect(view.conns.rows.length).toBeLessThanOrEqual(view.layout.topH);
    expect(view.events.rows.length).toBeLessThanOrEqual(view.layout.topH);
    expect(view.events.rows.at(-1)!.seq).toBe(store.newestSeq);

    // The selection stays on its connection while others come and go.
    ui.selectedIndex = 500;
    ui.selectedConnID = store.connRows()[500]!.conn.connID;
    const selected = ui.selectedConnID;
    store.apply({ type: 'disconnect', at: 1, userID: 'u1', platformID: 5, connID: conn(1).connID, reason: 'peer closed', detail: '' });
    const v2 = buildView(store, ui, ctx());
    expect(ui.selectedConnID).toBe(selected);
    expect(ui.selectedIndex).toBe(499);
    expect(v2.conns.rows[v2.conns.selected]!.conn.connID).toBe(selected);
  });

  it('stays bounded through a burst of 1,000 events per second', () => {
    const store = new TuiStore({ events: 300, rateSamples: 60, presenceUsers: 100 });
    for (let i = 0; i < 50; i++) store.apply(connectOf(conn(i)));
    for (let sec = 0; sec < 120; sec++) {
      for (let j = 0; j < 1000; j++) {
        const n = sec * 1000 + j;
        if (j % 4 === 0) store.apply({ type: 'presence', at: n, userID: `p${n}`, platformIDs: [5], subscribers: 0 });
        else if (j % 4 === 1) store.apply({ type: 'push', at: n, userIDs: 1, delivered: 1, codes: { '0': 1 } });
        else store.apply({ type: 'request', at: n, userID: 'u1', connID: 'x', reqIdentifier: 1003, errCode: j % 4 === 2 ? 0 : 1302, ms: 1 });
      }
      store.apply({ type: 'counters', at: sec * 1000, users: 50, conns: 50, subscriptions: 0, totals: totals({ framesIn: sec * 1000 }), queues: [] });
    }
    expect(store.eventCount).toBe(300);
    expect(store.received).toBe(120_000 + 50);
    expect(store.presenceCount).toBe(100);
    expect(store.series('framesIn').length).toBe(60);
    expect(store.series('framesIn').at(-1)).toBe(1000);
    expect(store.eventsEndingAt(20).length).toBe(20);
    expect(store.eventsEndingAt(20, store.oldestSeq - 5).length).toBe(0);
    const recent = store.findRecent((e) => e.type === 'push', 5);
    expect(recent.length).toBe(5);
    expect(recent[0]!.seq).toBeGreaterThan(recent[4]!.seq);
  });

  it('keeps a scrolled-back event window put while events arrive', () => {
    const store = new TuiStore({ events: 500 });
    for (let i = 0; i < 100; i++) store.apply({ type: 'push', at: i, userIDs: 1, delivered: 1, codes: {} });
    const ui = initialUi();
    ui.eventsAnchor = 50;
    const before = buildView(store, ui, ctx()).events;
    for (let i = 0; i < 100; i++) store.apply({ type: 'push', at: 100 + i, userIDs: 1, delivered: 1, codes: {} });
    const after = buildView(store, ui, ctx()).events;
    expect(after.rows.map((r) => r.seq)).toEqual(before.rows.map((r) => r.seq));
    expect(after.following).toBe(false);
    expect(after.newer).toBe(150);
  });
});
