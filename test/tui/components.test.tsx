import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../simulators/tui/components/App.js';
import { KeyBar, StatusBar } from '../../simulators/tui/components/Chrome.js';
import { ConnectionsPane, connColumns } from '../../simulators/tui/components/ConnectionsPane.js';
import { EventsPane } from '../../simulators/tui/components/EventsPane.js';
import { PresencePane } from '../../simulators/tui/components/PresencePane.js';
import { RatesPane } from '../../simulators/tui/components/RatesPane.js';
import { TuiStore } from '../../simulators/tui/store.js';
import { buildView, initialUi, type ViewContext } from '../../simulators/tui/view.js';
import { conn, recordedSession } from './fixtures.js';

const NOW = 1_010_000;

function viewOf(store: TuiStore, over: Partial<ViewContext> = {}, ui = initialUi()) {
  return buildView(store, ui, { cols: 150, rows: 40, now: NOW, mode: 'embedded', state: { kind: 'open' }, isSim: (c) => c.userID === 'u1', simClients: 1, eventsPerSec: 12, ...over });
}

function recorded(): TuiStore {
  const s = new TuiStore();
  for (const m of recordedSession()) s.apply(m);
  return s;
}

/** Every line of a frame fits the width it was given (nothing wraps and breaks the layout). */
function widest(frame: string): number {
  return Math.max(...frame.split('\n').map((l) => [...l.replace(/\x1b\[[0-9;]*m/g, '')].length));
}

describe('ConnectionsPane', () => {
  it('shows each connection with encoding, gzip, background, connID, remote address, queue and age', () => {
    const v = viewOf(recorded());
    const { lastFrame } = render(<ConnectionsPane {...v.conns} />);
    const f = lastFrame()!;
    expect(f).toContain('Connections');
    expect(f).toContain('2 users · 1-2 of 2');
    expect(f).toMatch(/›\*u1\s+IOS\s+gob\+gz\s+·\s+c0000000\s+127\.0\.0\.1:40001\s+12\s+10s/);
    expect(f).toMatch(/ u2\s+Android\s+gob\+gz\s+bg\s+c0000000\s+127\.0\.0\.1:40003\s+0\s+10s/);
    expect(widest(f)).toBeLessThanOrEqual(v.conns.width);
  });

  it('explains an empty list and an unmatched filter', () => {
    const store = new TuiStore();
    expect(render(<ConnectionsPane {...viewOf(store).conns} />).lastFrame()).toContain('press n to spawn');
    const ui = initialUi();
    ui.filter = 'zz';
    expect(render(<ConnectionsPane {...viewOf(recorded(), {}, ui).conns} />).lastFrame()).toContain('no user matches "zz"');
  });

  it('renders a window of 10,000 connections', () => {
    const store = new TuiStore();
    store.apply({ type: 'snapshot', at: 0, conns: Array.from({ length: 10_000 }, (_, i) => conn(i + 1)), total: 10_000, done: true });
    const ui = initialUi();
    ui.selectedIndex = 9_999;
    ui.selectedConnID = store.connRows()[9_999]!.conn.connID;
    const v = viewOf(store, {}, ui);
    const f = render(<ConnectionsPane {...v.conns} />).lastFrame()!;
    expect(f).toContain(`of 10000`);
    expect(f).toContain('›');
    expect(f).toContain('u10000');
    expect(f.split('\n').length).toBe(v.conns.height);
  });
});

describe('EventsPane', () => {
  it('shows pushes with result codes, kicks with the policy, disconnect reasons, fan-outs and RPC errors', () => {
    const v = viewOf(recorded());
    const f = render(<EventsPane {...v.events} />).lastFrame()!;
    expect(f).toContain('push');
    expect(f).toContain('u1→u2 seq 7: 2 user(s), ok×2 1604×1');
    expect(f).toContain('req-error');
    expect(f).toContain('1003 SendMsg errCode 1302');
    expect(f).toMatch(/kick\s+u2 Web conn c0000000: hub KickUserOffline \(policy 1/);
    expect(f).toMatch(/disconnect u2 Web conn c0000000: kicked/);
    expect(f).toContain('u2 now [Android], 2005 to 1 conn(s): u1@IOS');
    expect(f).toContain('rpc-error');
    expect(f).toContain('live');
    expect(widest(f)).toBeLessThanOrEqual(v.events.width);
  });

  it('says when it is scrolled back', () => {
    const store = new TuiStore();
    for (let i = 0; i < 50; i++) store.log(`line ${i}`);
    for (const m of recordedSession()) store.apply(m);
    const ui = initialUi();
    ui.eventsAnchor = store.newestSeq - 2;
    const f = render(<EventsPane {...viewOf(store, {}, ui).events} />).lastFrame()!;
    expect(f).toContain('paused · 2 newer (End)');
    expect(f).not.toContain('rpc-error');
  });
});

describe('PresencePane', () => {
  it('lists who watches the user and highlights a fresh fan-out', () => {
    const store = recorded();
    const ui = initialUi();
    ui.presenceUser = 'u2';
    const fresh = render(<PresencePane {...viewOf(store, { now: 1_003_000 }, ui).presence} />).lastFrame()!;
    expect(fresh).toContain('Presence: u2');
    expect(fresh).toContain('online here  Android (gob+gz, bg)');
    expect(fresh).toContain('[Android] told 1');
    expect(fresh).toContain('1 connection(s) (2005 subscribers)');
    expect(fresh).toMatch(/◆ u1 IOS conn c0000000 {2}told/);
    const later = render(<PresencePane {...viewOf(store, { now: 1_060_000 }, ui).presence} />).lastFrame()!;
    expect(later).toMatch(/· u1 IOS conn c0000000/);
    expect(later).not.toContain('◆');
  });

  it('follows the selection when nothing is pinned', () => {
    const f = render(<PresencePane {...viewOf(recorded()).presence} />).lastFrame()!;
    expect(f).toContain('Presence: u1');
    expect(f).toContain('nobody');
  });
});

describe('RatesPane', () => {
  it('draws sparklines with the current rate, and push results', () => {
    const store = recorded();
    const v = viewOf(store);
    const f = render(<RatesPane {...v.rates} />).lastFrame()!;
    expect(f).toMatch(/frames in\s+█\s+100\/s/);
    expect(f).toMatch(/frames out\s+█\s+400\/s/);
    expect(f).toMatch(/connections\s+██\s+2/);
    expect(f).toContain('push results: ok 40 (40/s)');
    expect(f).toContain('subscriptions 1');
  });
});

describe('App', () => {
  it('lays the whole screen out at the terminal size', () => {
    const store = recorded();
    const v = viewOf(store, { cols: 120, rows: 30 });
    const f = render(<App view={v} />).lastFrame()!;
    const lines = f.split('\n');
    expect(lines.length).toBe(29);
    expect(widest(f)).toBeLessThanOrEqual(120);
    expect(lines[0]).toContain('msggw tui │ embedded │ ws ws://127.0.0.1:10001/');
    expect(lines[0]).toContain('2 users · 2 conns · 1 sim · 12 ev/s');
    expect(f).toContain('Connections');
    expect(f).toContain('Events');
    expect(f).toContain('Presence: u1');
    expect(f).toContain('Rates');
    expect(lines.at(-1)).toContain('n spawn');
  });

  it('fits narrow terminals: columns drop instead of wrapping', () => {
    for (const [cols, rows] of [
      [100, 30],
      [80, 24],
      [60, 20],
    ] as const) {
      const f = render(<App view={viewOf(recorded(), { cols, rows })} />).lastFrame()!;
      expect(widest(f)).toBeLessThanOrEqual(cols);
      expect(f.split('\n').length).toBe(rows - 1);
    }
    const narrow = render(<ConnectionsPane {...viewOf(recorded(), { cols: 100, rows: 30 }).conns} />).lastFrame()!;
    expect(narrow).not.toContain('REMOTE');
    expect(narrow).toMatch(/›\*u1\s+IOS\s+gob\+gz\s+·\s+c0000000/);
  });

  it('shows the help instead of the panes, and a prompt', () => {
    const ui = initialUi();
    ui.help = true;
    ui.prompt = { kind: 'spawn', label: 'spawn', text: '10 plat=mix', hint: 'count ...', selected: true };
    const f = render(<App view={viewOf(recorded(), {}, ui)} />).lastFrame()!;
    expect(f).toContain('Keys');
    expect(f).toContain('kick a user on a platform via hub KickUserOffline');
    expect(f).toContain(' spawn  10 plat=mix');
    expect(f).not.toContain('Rates');
    expect(f).not.toContain('PLATFORM');
  });

  it('shows a refused attach in the header', () => {
    const f = render(<App view={viewOf(recorded(), { mode: 'attached', state: { kind: 'down', error: 'admin stream closed', retrying: true } })} />).lastFrame()!;
    expect(f.split('\n')[0]).toContain('admin stream down: admin stream closed (retrying)');
  });
});

describe('connColumns', () => {
  it('at 80x24 the header keeps the ports and the footer adapts to the width', () => {
    const store = recorded();
    store.apply({ type: 'hello', version: 1, at: 1, node: { ws: 'ws://127.0.0.1:10001/', hub: '127.0.0.1:10140', admin: '127.0.0.1:12141', multiLoginPolicy: 1, listenIP: '127.0.0.1' } });
    const f = render(<App view={viewOf(store, { cols: 80, rows: 24 })} />).lastFrame()!;
    const lines = f.split('\n');
    expect(widest(f)).toBeLessThanOrEqual(80);
    expect(lines[0]).toContain('ws :10001');
    expect(lines[0]).toContain('hub :10140');
    expect(lines[0]).toContain('admin :12141');
    expect(lines[0]).toMatch(/0 users · 0 conns|0u 0c/);
    const bar = lines.at(-1)!;
    expect(bar).toContain('? help');
    expect(bar).toContain('g seq');
    expect(bar).not.toContain('…');
    // Wide: every key with its full label.
    const wide = render(<KeyBar width={250} />).lastFrame()!;
    expect(wide).toContain('b background');
    expect(wide).toContain('h hub');
  });

  it('shows a selected prompt default inverted, and an event in full', () => {
    const store = recorded();
    const ui = initialUi();
    ui.prompt = { kind: 'spawn', label: 'spawn', text: '10 plat=mix', hint: 'count ...', selected: true };
    const f = render(<StatusBar width={120} prompt={ui.prompt} status={undefined} />).lastFrame()!;
    expect(f).toContain('typing replaces');
    store.log(`${'x'.repeat(150)}END`);
    ui.prompt = undefined;
    ui.detail = store.newestSeq;
    const d = render(<App view={viewOf(store, { cols: 80, rows: 24 }, ui)} />).lastFrame()!;
    expect(d).toContain(`Event #${store.newestSeq}`);
    expect(d).toContain('xEND');
  });

  it('never needs more than the inner width (down to tiny panes)', () => {
    for (let inner = 30; inner <= 200; inner++) {
      const c = connColumns(inner);
      const present = Object.values(c).filter((w) => w > 0);
      expect(2 + present.reduce((a, w) => a + w, 0) + present.length - 1).toBeLessThanOrEqual(Math.max(inner, 45));
    }
    expect(connColumns(120).remote).toBeGreaterThanOrEqual(21);
  });
});

describe('bars', () => {
  it('status and keys fit their line', () => {
    expect(render(<StatusBar width={60} prompt={undefined} status={{ text: 'spawned 3', level: 'info', at: 0 }} />).lastFrame()).toContain('✓ spawned 3');
    expect(render(<StatusBar width={60} prompt={undefined} status={{ text: 'boom', level: 'error', at: 0 }} />).lastFrame()).toContain('✗ boom');
    const keys = render(<KeyBar width={50} />).lastFrame()!;
    expect(keys.split('\n').length).toBe(1);
    expect(widest(keys)).toBeLessThanOrEqual(50);
  });
});
