/**
 * A TUI in a real terminal for tests: tmux runs `msggw tui` (the built CLI) in a detached
 * session of a fixed size, keys go in with send-keys, and the screen comes back with capture-pane.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** One tmux server (own socket) with one session running the TUI. */
export class TmuxTui {
  private readonly socket = `msggw-tui-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly session = 'tui';

  /** Fails loudly when tmux or the build is missing. */
  static requireTools(): void {
    if (spawnSync('tmux', ['-V']).status !== 0) throw new Error('tmux is not installed: apt-get update && apt-get install -y tmux');
    if (!existsSync(join(ROOT, 'dist', 'commands', 'tui.js'))) throw new Error('dist/ is missing the tui command: run npm run build (npm test does it in pretest)');
  }

  /** Starts `msggw tui <args>` in a cols x rows terminal; the shell prints TUI-EXITED <code> after it. */
  start(args: string, cols: number, rows: number): void {
    TmuxTui.requireTools();
    const cmd = `node bin/run.js tui ${args}`;
    this.tmux('new-session', '-d', '-s', this.session, '-x', String(cols), '-y', String(rows), '-c', ROOT, '-e', 'LANG=C.UTF-8', `${cmd}; echo TUI-EXITED $?; sleep 30`);
  }

  screen(): string {
    try {
      return this.tmux('capture-pane', '-p', '-t', this.session);
    } catch {
      return '';
    }
  }

  /** Polls the screen until `pred` holds; fails with the last screen after `ms`. */
  async waitFor(what: string, pred: (s: string) => boolean, ms = 15_000): Promise<string> {
    const until = Date.now() + ms;
    let s = '';
    while (Date.now() < until) {
      s = this.screen();
      if (pred(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; the screen was:\n${s}`);
  }

  /** Sends keys one tmux call at a time, the way a person types them. */
  async keys(...ks: string[]): Promise<void> {
    for (const k of ks) {
      this.tmux('send-keys', '-t', this.session, k);
      await new Promise((r) => setTimeout(r, 60));
    }
  }

  /** Sends several keys and strings in ONE send-keys call (they arrive as one chunk, like a paste). */
  async burst(...ks: string[]): Promise<void> {
    this.tmux('send-keys', '-t', this.session, ...ks);
    await new Promise((r) => setTimeout(r, 60));
  }

  /** Types a string literally, in one call. */
  async type(text: string): Promise<void> {
    this.tmux('send-keys', '-t', this.session, '-l', text);
    await new Promise((r) => setTimeout(r, 60));
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8', env: { ...process.env, LANG: 'C.UTF-8' } });
  }
}
