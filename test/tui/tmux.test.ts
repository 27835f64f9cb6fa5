/** The TUI in a real terminal (see tmux-session.ts): what a person sees and types. */
import { afterAll, describe, expect, it } from 'vitest';
import { TmuxTui } from './tmux-session.js';

const ARGS = '--port 0 --hub-port 0 --metrics-port 0 --admin-port 0 --merge-interval 100ms';
const sessions: TmuxTui[] = [];
afterAll(() => {
  for (const t of sessions) t.kill();
});

describe('msggw tui in tmux', () => {
  it('spawns clients, sends a message and kicks a user, all visible on screen', async () => {
    const t = new TmuxTui();
    sessions.push(t);
    t.start(ARGS, 160, 45);

    const up = await t.waitFor('the TUI to start', (s) => s.includes('msggw tui │ embedded') && s.includes('press n to spawn'), 30_000);
    expect(up).toContain('Connections');
    expect(up).toContain('Events');
    expect(up).toContain('Rates');

    // n: spawn three Web clients (u1..u3); the default is selected, so typing replaces it.
    await t.keys('n');
    await t.waitFor('the spawn prompt', (s) => s.includes(' spawn  10 plat=mix'));
    await t.type('3 plat=Web');
    await t.keys('Enter');
    const spawned = await t.waitFor('three connections', (s) => s.includes('spawned 3 client(s): 3 open, 0 failed') && /\*u3\s+Web\s+json/.test(s));
    expect(spawned).toMatch(/›\*u1\s+Web\s+json\s+·\s+[0-9a-f]{8} 127\.0\.0\.1:\d+\s+0\s+\d+s/);
    expect(spawned).toMatch(/connect\s+u2 Web json conn [0-9a-f]{8} from 127\.0\.0\.1:\d+/);
    expect(spawned).toContain('3 users · 3 conns · 3 sim');

    // m: u1 (selected) sends "hello from u1" to u2; the push shows who got it and the result codes.
    await t.keys('m');
    await t.waitFor('the message prompt', (s) => s.includes('message from u1@Web') && s.includes('u2 hello from u1'));
    await t.keys('Enter');
    // The push and the reply's note arrive in either order: wait for the screen to show both.
    const pushed = await t.waitFor('the push and the reply', (s) => /push\s+u1→u2 seq 1: 2 user\(s\), ok×2/.test(s) && /sent 1003 u1→u2: serverMsgID [0-9a-f]{8}/.test(s));
    expect(pushed).toMatch(/sent 1003 u1→u2: serverMsgID [0-9a-f]{8}/);

    // k: kick u1 on Web through the hub (prefilled with the selected connection).
    await t.keys('k');
    await t.waitFor('the kick prompt', (s) => s.includes('kick (hub)') && s.includes('u1 5'));
    await t.keys('Enter');
    const kicked = await t.waitFor(
      'the kick',
      (s) => /kick\s+u1 Web conn [0-9a-f]{8}: hub KickUserOffline \(policy 1/.test(s) && /disconnect u1 Web conn [0-9a-f]{8}: kicked/.test(s) && s.includes('2 users · 2 conns · 2 sim'),
    );
    // The sim count follows the connections that are still open (waited for above).
    expect(kicked).not.toMatch(/\*u1\s+Web/);

    await t.keys('q');
    await t.waitFor('the TUI to exit', (s) => s.includes('TUI-EXITED 0'), 15_000);
  }, 90_000);
});
