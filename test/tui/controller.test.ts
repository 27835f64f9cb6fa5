import type { Key } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminSource } from '../../src/admin/admin-client.js';
import { parseSpawn, spawnOptions, TuiController } from '../../simulators/tui/controller.js';
import { TuiStore } from '../../simulators/tui/store.js';
import { NO_KEY } from '../../simulators/tui/prompt-input.js';
import { conn, recordedSession } from './fixtures.js';

const key = (over: Partial<Key> = {}): Key => ({ ...NO_KEY, ...over });

const source: AdminSource = {
  subscribe: () => () => undefined,
  command: async (c) => ({ type: 'result', id: 1, ok: c.cmd !== 'terminate', error: 'no connection' }),
  close: async () => undefined,
};

let ctl: TuiController | undefined;
afterEach(async () => {
  await ctl?.close();
  ctl = undefined;
});

function setup(): { store: TuiStore; ctl: TuiController; quit: { n: number } } {
  const store = new TuiStore();
  for (const m of recordedSession()) store.apply(m);
  for (let i = 10; i < 40; i++) store.apply({ type: 'snapshot', at: 0, conns: [conn(i)], total: 1, done: true });
  const quit = { n: 0 };
  ctl = new TuiController({ store, source, mode: 'embedded', secret: 'openIM123', onQuit: () => quit.n++ });
  ctl.cols = 120;
  ctl.rows = 30;
  return { store, ctl, quit };
}

describe('spawn specs', () => {
  it('parses counts, platform mixes, encodings and user spreads', () => {
    expect(parseSpawn('10')).toMatchObject({ count: 10, users: 10, enc: 'mix', gzip: 'mix', prefix: 'u', platforms: [5, 1, 2, 3] });
    expect(parseSpawn('6 plat=IOS,5 enc=js gzip=on user=bob users=2')).toMatchObject({ count: 6, platforms: [1, 5], enc: 'js', gzip: 'on', prefix: 'bob', users: 2 });
    expect(parseSpawn('0')).toContain('count');
    expect(parseSpawn('3 plat=Nokia')).toContain('unknown platform');
    expect(parseSpawn('3 color=red')).toContain('unknown option');
  });

  it('follows the SDKs in the mix: Web speaks JSON without gzip, the rest gob with gzip', () => {
    const spec = parseSpawn('4 users=2');
    if (typeof spec === 'string') throw new Error(spec);
    const o = [0, 1, 2, 3].map((i) => spawnOptions(spec, i, 7, 'ws://x/', 'openIM123'));
    expect(o.map((x) => [x.userID, x.platformID, x.sdkType, x.gzip])).toEqual([
      ['u7', 5, 'js', false],
      ['u8', 1, 'go', true],
      ['u7', 3, 'go', true],
      ['u8', 5, 'js', false],
    ]);
    expect(o[0]!.token.split('.').length).toBe(3);
  });
});

describe('TuiController keys', () => {
  it('moves the selection and scrolls the events pane', () => {
    const { ctl, store } = setup();
    ctl.view();
    expect(ctl.ui.selectedIndex).toBe(0);
    ctl.onKey('', key({ downArrow: true }));
    ctl.onKey('', key({ downArrow: true }));
    expect(ctl.view().conns.rows[ctl.view().conns.selected]!.conn.userID).toBe('u10');
    ctl.onKey('', key({ end: true }));
    expect(ctl.ui.selectedConnID).toBe(store.connRows().at(-1)!.conn.connID);
    ctl.onKey('', key({ tab: true }));
    expect(ctl.ui.focus).toBe('events');
    for (let i = 0; i < 40; i++) store.log(`l${i}`);
    ctl.onKey('', key({ pageUp: true }));
    expect(ctl.ui.eventsAnchor).toBeDefined();
    expect(ctl.view().events.following).toBe(false);
    ctl.onKey('', key({ end: true }));
    expect(ctl.ui.eventsAnchor).toBeUndefined();
  });

  it('filters live while typing, Esc restores, a pasted chunk with Enter works', () => {
    const { ctl } = setup();
    ctl.onKey('/', key());
    expect(ctl.ui.prompt?.kind).toBe('filter');
    ctl.onKey('u', key());
    ctl.onKey('1', key());
    expect(ctl.view().conns.total).toBe(1 + 10);
    ctl.onKey('', key({ escape: true }));
    expect(ctl.ui.filter).toBe('');
    ctl.onKey('/u2\r', key());
    expect(ctl.ui.prompt).toBeUndefined();
    expect(ctl.ui.filter).toBe('u2');
    expect(ctl.view().conns.rows.map((r) => r.conn.userID)).toEqual(['u2', 'u20', 'u21', 'u22', 'u23', 'u24', 'u25', 'u26', 'u27', 'u28', 'u29']);
  });

  it('opens prefilled prompts and refuses actions on connections it does not own', () => {
    const { ctl } = setup();
    ctl.view();
    ctl.onKey('n', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'spawn', text: '10 plat=mix enc=mix gzip=mix' });
    ctl.onKey('', key({ ctrl: true }));
    ctl.onKey('u', key({ ctrl: true }));
    expect(ctl.ui.prompt!.text).toBe('');
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('k', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'kick', text: 'u1 1' });
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('m', key());
    expect(ctl.ui.prompt).toBeUndefined();
    expect(ctl.ui.status).toMatchObject({ level: 'error' });
    expect(ctl.ui.status!.text).toContain('not one of this TUI');
    ctl.onKey('?', key());
    expect(ctl.view().help).toBe(true);
    ctl.onKey('', key({ escape: true }));
    expect(ctl.view().help).toBe(false);
  });

  it('prompts open with the default selected: typing replaces it, Enter takes it, control keys work anywhere in a chunk', () => {
    const { ctl } = setup();
    ctl.view();
    ctl.onKey('p', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'presence', text: 'u1', selected: true });
    // Typing replaces the selection instead of appending (the old "u2u2 u3").
    ctl.onKey('u2 u3', key());
    expect(ctl.ui.prompt).toMatchObject({ text: 'u2 u3', selected: false });
    // Ctrl-U and Backspace inside one chunk (a paste, tmux send-keys of a whole string).
    ctl.onKey('xx\x15u7\x7f8', key());
    expect(ctl.ui.prompt!.text).toBe('u8');
    ctl.onKey('\x17u9\r', key());
    expect(ctl.ui.prompt).toBeUndefined();
    expect(ctl.view().presence.userID).toBe('u9');
    // Enter takes a selected default as it is; → keeps it for editing.
    ctl.onKey('k', key());
    ctl.onKey('', key({ rightArrow: true }));
    ctl.onKey('x', key());
    expect(ctl.ui.prompt!.text).toBe('u1 1x');
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('/', key());
    expect(ctl.ui.prompt).toMatchObject({ text: '', selected: false });
  });

  it('opens the hub menu, and shows an event in full', () => {
    const { ctl, store } = setup();
    ctl.view();
    ctl.onKey('h', key());
    expect(ctl.ui.hubMenu).toBe(true);
    expect(ctl.ui.status!.text).toContain('o online status');
    ctl.onKey('o', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'online', text: 'u1', selected: true });
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('h', key());
    ctl.onKey('t', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'push', text: 'u1 hello from the hub' });
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('h', key());
    ctl.onKey('c', key());
    expect(ctl.ui.prompt).toMatchObject({ kind: 'mlcheck', text: 'u1 1' });
    ctl.onKey('', key({ escape: true }));
    ctl.onKey('h', key());
    ctl.onKey('', key({ escape: true }));
    expect(ctl.ui.hubMenu).toBe(false);
    expect(ctl.ui.prompt).toBeUndefined();

    store.log('a very long line '.repeat(20));
    ctl.onKey('e', key());
    const d = ctl.view().detail!;
    expect(d.seq).toBe(store.newestSeq);
    expect(d.ev).toMatchObject({ type: 'log' });
    ctl.onKey('', key({ escape: true }));
    expect(ctl.view().detail).toBeUndefined();
    ctl.onKey('', key({ tab: true }));
    ctl.onKey('', key({ return: true }));
    expect(ctl.view().detail).toBeDefined();
  });

  it('pins presence to a user and quits on q and Ctrl-C', () => {
    const { ctl, quit } = setup();
    ctl.onKey('p', key());
    ctl.onKey('', key({ ctrl: true }));
    ctl.onKey('u', key({ ctrl: true }));
    ctl.onKey('u2\r', key());
    expect(ctl.view().presence.userID).toBe('u2');
    ctl.onKey('q', key());
    ctl.onKey('c', key({ ctrl: true }));
    expect(quit.n).toBe(2);
  });

  it('reports a failed drop of a connection the gateway no longer has', async () => {
    const { ctl } = setup();
    ctl.view();
    ctl.onKey('x', key());
    await new Promise((r) => setTimeout(r, 10));
    expect(ctl.ui.status).toMatchObject({ level: 'error', text: 'drop: no connection' });
  });
});
