/**
 * The TUI's request and hub actions at 80x24, through tmux send-keys (see tmux-session.ts):
 * one user with two clients on the same platform (and an iOS peer) (the actions must pick the selected one),
 * GetNewestSeq, both pulls (1002 by range, 1005 by seqs), the hub menu, whole strings and control keys in one chunk, an event
 * shown in full, and counters that stay consistent after a logout and a kick.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TmuxTui } from './tmux-session.js';

const t = new TmuxTui();
afterAll(() => t.kill());

describe('msggw tui actions at 80x24', () => {
  it('drives every request and hub action on the selected client', async () => {
    t.start('--port 0 --hub-port 0 --metrics-port 0 --admin-port 0 --merge-interval 100ms', 80, 24);
    const up = await t.waitFor('the TUI to start', (s) => s.includes('no connections yet'), 30_000);
    // The header keeps the ports at 80 columns.
    expect(up.split('\n')[0]).toMatch(/ws :\d+ │ hub :\d+ │ admin :\d+/);
    expect(up).toMatch(/^ \? help .* g seq/m);

    // Two clients of u1, both on Web, then v1.
    await t.keys('n');
    await t.waitFor('the spawn prompt', (s) => s.includes(' spawn  10 plat=mix'));
    await t.burst('2 plat=Web users=1', 'Enter');
    await t.waitFor('two u1 clients', (s) => s.includes('spawned 2 client(s): 2 open'));
    await t.keys('n');
    await t.burst('1 plat=IOS user=v', 'Enter');
    await t.waitFor('v1', (s) => s.includes('spawned 1 client(s): 1 open') && /\*v1\s+IOS/.test(s));

    // Select u1's second connection: the actions must use that client, not the first.
    await t.keys('Down');
    const sel = await t.waitFor('the second u1 row selected', (s) => /›\*\s+Web\s+json\s+·\s+[0-9a-f]{8}/.test(s));
    const b = /›\*\s+Web\s+json\s+·\s+([0-9a-f]{8})/.exec(sel)![1]!;
    await t.keys('m');
    await t.waitFor('the message prompt', (s) => s.includes(`message from u1@Web conn ${b}`) && s.includes('v1 hello from u1'));
    await t.keys('Enter');
    await t.waitFor('the reply', (s) => /sent 1003 u1→v1: serverMsgID [0-9a-f]{8}/.test(s));

    // g: GetNewestSeq; r: pull prefilled with the newest range.
    await t.keys('g');
    await t.waitFor('the seqs', (s) => s.includes(`1001 GetNewestSeq u1@Web conn ${b}: 1 conversation(s): si_u1_v1 1`));
    await t.keys('r');
    await t.waitFor('the pull prompt', (s) => s.includes('si_u1_v1 1-1'));
    await t.keys('Enter');
    await t.waitFor('the pull', (s) => s.includes(`1002 PullMsgBySeqList u1@Web conn ${b} si_u1_v1 1-1: 1 message(s)`));
    // R: the other pull, 1005 (GetSeqMessage), by a range or by a list of seqs typed over the default.
    await t.keys('R');
    await t.waitFor('the 1005 prompt', (s) => s.includes(`pull by seqs (1005) for u1@Web conn ${b}`) && s.includes('si_u1_v1 1-1'));
    await t.keys('Enter');
    await t.waitFor('the 1005 pull', (s) => s.includes(`1005 PullMsg u1@Web conn ${b} si_u1_v1 1-1: 1 message(s)`));
    await t.keys('R');
    await t.waitFor('the 1005 prompt again', (s) => s.includes('pull by seqs (1005)'));
    await t.type('si_u1_v1 1,7');
    await t.keys('Enter');
    await t.waitFor('the 1005 seq list', (s) => s.includes(`1005 PullMsg u1@Web conn ${b} si_u1_v1 1,7: 1 message(s)`));
    // The pulled message, decoded with its seq, one above the summary (shown in full: 80 columns cut it).
    await t.keys('Tab', 'Up', 'e');
    const pulled = await t.waitFor('the pulled message in full', (s) => s.includes('Event #'));
    expect(pulled.replace(/\s*│\s*/g, ' ')).toMatch(/1005 si_u1_v1 seq 1 from u1: hello from u1/);
    await t.keys('Escape', 'End', 'Tab');

    // Hub menu: online status of u1; the prompt's default is replaced by a chunk with Ctrl-U in it.
    await t.keys('h');
    await t.waitFor('the hub menu', (s) => s.includes('o online status'));
    await t.keys('o');
    await t.waitFor('the online prompt', (s) => s.includes('GetUsersOnlineStatus of'));
    await t.burst('zz', 'C-u', 'u1', 'Enter');
    await t.waitFor('the online status', (s) => s.includes('GetUsersOnlineStatus: 1 of 1 online'));
    // e: an event in full: the per-user line, one above the summary (Tab to Events, ↑ scrolls back).
    await t.keys('Tab', 'Up', 'e');
    const detail = await t.waitFor('the event in full', (s) => s.includes('Event #'));
    expect(detail.replace(/\s*│\s*/g, ' ')).toMatch(/GetUsersOnlineStatus u1: online, 2 conn\(s\):\s+Web\s+conn\s+[0-9a-f]{8}\s+·\s+Web\s+conn\s+[0-9a-f]{8}/);
    expect(detail).toContain(b);
    await t.keys('Escape', 'End', 'Tab');

    // Hub menu: push a text; typing replaces the selected default.
    await t.keys('h', 't');
    await t.waitFor('the push prompt', (s) => s.includes('u1 hello from the hub'));
    await t.type('v1 ping from the hub');
    await t.keys('Enter');
    await t.waitFor('the push result', (s) => s.includes('SuperGroupOnlineBatchPushOneMsg → 1 user(s): onlinePush 1, ok×1') && /push\s+imAdmin→group/.test(s));

    // l: log the selected client (conn b) out; counters follow.
    await t.keys('l');
    await t.waitFor('the logout', (s) => s.includes(`u1@Web conn ${b} logged out (2003)`) && /2u 2c 2sim|2 users · 2 conns · 2 sim/.test(s));

    // MultiTerminalLoginCheck for u1 on Web: policy 1 kicks the Web connection left here.
    await t.keys('h', 'c');
    await t.waitFor('the check prompt', (s) => s.includes('MultiTerminalLoginCheck'));
    await t.burst('C-u', 'u1 5', 'Enter');
    await t.waitFor('the kick', (s) => s.includes('MultiTerminalLoginCheck u1 Web: done') && /1u 1c 1sim|1 users · 1 conns · 1 sim/.test(s));

    await t.keys('q');
    await t.waitFor('the TUI to exit', (s) => s.includes('TUI-EXITED 0'), 15_000);
  }, 120_000);
});
