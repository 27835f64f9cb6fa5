import type { AdminMessage, ConnInfo, CounterTotals } from '../../src/admin/schema.js';

/** A connection as the admin stream would describe it. */
export function conn(i: number, over: Partial<ConnInfo> = {}): ConnInfo {
  return {
    connID: `c${String(i).padStart(31, '0')}`,
    userID: `u${i}`,
    platformID: 5,
    sdkType: 'js',
    gzip: false,
    background: false,
    remoteAddr: `127.0.0.1:${40000 + (i % 20000)}`,
    queue: 0,
    connectedAt: 1_000_000,
    subs: [],
    ...over,
  };
}

/** The connect event for a connection. */
export function connectOf(c: ConnInfo, at = c.connectedAt): AdminMessage {
  return { type: 'connect', at, userID: c.userID, platformID: c.platformID, connID: c.connID, remoteAddr: c.remoteAddr, sdkType: c.sdkType, gzip: c.gzip, background: c.background };
}

/** Cumulative totals for a counters message. */
export function totals(over: Partial<CounterTotals> = {}): CounterTotals {
  return { framesIn: 0, framesOut: 0, pushes: 0, pushResults: {}, handshakes: 0, handshakeFailures: 0, kicks: 0, disconnects: 0, ...over };
}

/** A recorded session: hello, a snapshot of two users, then a message, a subscription, a kick. */
export function recordedSession(): AdminMessage[] {
  const a = conn(1, { userID: 'u1', platformID: 1, sdkType: 'go', gzip: true });
  const b = conn(2, { userID: 'u2', platformID: 5 });
  const c = conn(3, { userID: 'u2', platformID: 2, sdkType: 'go', gzip: true, background: true });
  return [
    { type: 'hello', version: 1, at: 1_000_000, node: { ws: 'ws://127.0.0.1:10001/', hub: '127.0.0.1:10140', multiLoginPolicy: 1, listenIP: '127.0.0.1' } },
    { type: 'snapshot', at: 1_000_000, conns: [a, b], total: 3, done: false },
    { type: 'snapshot', at: 1_000_000, conns: [c], total: 3, done: true },
    { type: 'request', at: 1_001_000, userID: 'u1', connID: a.connID, reqIdentifier: 1003, errCode: 0, ms: 2.5 },
    {
      type: 'push',
      at: 1_001_001,
      userIDs: 2,
      delivered: 2,
      codes: { '0': 2, '1604': 1 },
      reached: ['u1', 'u2'],
      msg: { sendID: 'u1', recvID: 'u2', groupID: '', sessionType: 1, contentType: 101, seq: 7 },
    },
    { type: 'request', at: 1_001_500, userID: 'u1', connID: a.connID, reqIdentifier: 2005, errCode: 0, ms: 1 },
    { type: 'conn-update', at: 1_001_500, connID: a.connID, userID: 'u1', background: false, subs: ['u2'] },
    { type: 'request', at: 1_001_600, userID: 'u2', connID: b.connID, reqIdentifier: 1003, errCode: 1302, ms: 3 },
    { type: 'kick', at: 1_002_000, userID: 'u2', platformID: 5, connID: b.connID, policy: 1, cause: 'hub' },
    { type: 'disconnect', at: 1_002_001, userID: 'u2', platformID: 5, connID: b.connID, reason: 'kicked', detail: 'kicked by another login' },
    { type: 'presence', at: 1_002_500, userID: 'u2', platformIDs: [2], subscribers: 1, watchers: [{ userID: 'u1', platformID: 1, connID: a.connID }] },
    { type: 'rpc', at: 1_003_000, name: 'getUserStatus', path: '/openim.user.user/getUserStatus', code: 14, ms: 5003 },
    { type: 'counters', at: 1_003_000, users: 2, conns: 2, subscriptions: 1, totals: totals({ framesIn: 10, framesOut: 20, pushes: 1, handshakes: 3 }), queues: [] },
    { type: 'counters', at: 1_004_000, users: 2, conns: 2, subscriptions: 1, totals: totals({ framesIn: 110, framesOut: 420, pushes: 51, handshakes: 5, pushResults: { '0': 40 } }), queues: [[a.connID, 12]] },
  ];
}
