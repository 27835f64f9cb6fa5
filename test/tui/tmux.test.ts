/**
 * The TUI in a real terminal: tmux runs `msggw tui` (the built CLI) in a detached session of a
 * fixed size, keys go in with send-keys, and the screen comes back with capture-pane.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOCKET = `msggw-tui-test-${process.pid}`;
const SESSION = 'tui';
const COLS = 160;
const ROWS = 45;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8' } });
}

function screen(): string {
  try {
    return tmux('capture-pane', '-p', '-t', SESSION);
  } catch {
    return '';
  }
}

/** Polls the screen until `pred` holds; fails with the last screen after `ms`. */
async function waitFor(what: string, pred: (s: string) => boolean, ms = 15_000): Promise<string> {
  const until = Date.now() + ms;
  let s = '';
  while (Date.now() < until) {
    s = screen();
    if (pred(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
}

/** Sends keys one tmux call at a time, the way a person types them. */
async function keys(...ks: string[]): Promise<void> {
  for (const k of ks) {
    tmux('send-keys', '-t', SESSION, k);
    await new Promise((r) => setTimeout(r, 60));
  }
}

async function typeText(text: string): Promise<void> {
  tmux('send-keys', '-t', SESSION, '-l', text);
  await new Promise((r) => setTimeout(r, 60));
}

afterAll(() => {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
});

describe('msggw tui in tmux', () => {
  it('spawns clients, sends a message and kicks a user, all visible on screen', async () => {
    if (spawnSync('tmux', ['-V']).status !== 0) {
      throw new Error('tmux is not installed: apt-get update && apt-get install -y tmux');
    }
    if (!existsSync(join(ROOT, 'dist', 'commands', 'tui.js'))) {
      throw new Error('dist/ is missing the tui command: run npm run build (npm test does it in pretest)');
    }
    const cmd = 'node bin/run.js tui --port 0 --hub-port 0 --metrics-port 0 --admin-port 0 --merge-interval 100ms';
    tmux('new-session', '-d', '-s', SESSION, '-x', String(COLS), '-y', String(ROWS), '-c', ROOT, '-e', 'LANG=C.UTF-8', `${cmd}; echo TUI-EXITED $?; sleep 30`);

    const up = await waitFor('the TUI to start', (s) => s.includes('msggw tui │ embedded') && s.includes('press n to spawn'), 30_000);
    expect(up).toContain('Connections');
    expect(up).toContain('Events');
    expect(up).toContain('Rates');

    // n: spawn three Web clients (u1..u3).
    await keys('n');
    await waitFor('the spawn prompt', (s) => s.includes(' spawn  10 plat=mix'));
    await keys('C-u');
    await typeText('3 plat=Web');
    await keys('Enter');
    const spawned = await waitFor('three connections', (s) => s.includes('spawned 3 client(s): 3 open, 0 failed') && /\*u3\s+Web\s+json/.test(s));
    expect(spawned).toMatch(/›\*u1\s+Web\s+json\s+·\s+[0-9a-f]{8} 127\.0\.0\.1:\d+\s+0\s+\d+s/);
    expect(spawned).toMatch(/connect\s+u2 Web json conn [0-9a-f]{8} from 127\.0\.0\.1:\d+/);
    expect(spawned).toContain('3 users · 3 conns · 3 sim');

    // m: u1 (selected) sends "hello from u1" to u2; the push shows who got it and the result codes.
    await keys('m');
    await waitFor('the message prompt', (s) => s.includes('message from u1@Web') && s.includes('u2 hello from u1'));
    await keys('Enter');
    // The push and the reply's note arrive in either order: wait for the screen to show both.
    const pushed = await waitFor('the push and the reply', (s) => /push\s+u1→u2 seq 1: 2 user\(s\), ok×2/.test(s) && /sent 1003 u1→u2: serverMsgID [0-9a-f]{8}/.test(s));
    expect(pushed).toMatch(/sent 1003 u1→u2: serverMsgID [0-9a-f]{8}/);

    // k: kick u1 on Web through the hub (prefilled with the selected connection).
    await keys('k');
    await waitFor('the kick prompt', (s) => s.includes('kick (hub)') && s.includes('u1 5'));
    await keys('Enter');
    const kicked = await waitFor(
      'the kick',
      (s) => /kick\s+u1 Web conn [0-9a-f]{8}: hub KickUserOffline \(policy 1/.test(s) && /disconnect u1 Web conn [0-9a-f]{8}: kicked/.test(s) && s.includes('2 users · 2 conns'),
    );
    expect(kicked).toContain('2 users · 2 conns');
    expect(kicked).not.toMatch(/\*u1\s+Web/);

    await keys('q');
    await waitFor('the TUI to exit', (s) => s.includes('TUI-EXITED 0'), 15_000);
  }, 90_000);
});
