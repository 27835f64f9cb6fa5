import { freePort } from './ports.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway `redis-server` bound to loopback on a free port, in a temp dir of its own, with
 * AOF on (appendfsync everysec): what msggw's simulators require of a real Redis. Pass
 * `{ aof: false }` for a server without persistence (a restart comes back empty).
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Kills the server (SIGKILL: an abrupt loss, as a crash) and waits for it to exit; removes its dir. */
  stop(): Promise<void>;
  /** Sends `signal` and waits for the exit (SIGTERM: Redis saves and exits; SIGKILL: a crash). The data dir stays. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Starts it again on the same port (killing it first if running); resolves once PING answers.
   * `wipe` deletes its data first: it comes back empty, as a Redis that lost its disk.
   */
  restart(opts?: { wipe?: boolean }): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A crashed or interrupted test run must not leave servers behind.
  process.on('exit', () => {
    for (const p of running) p.kill('SIGKILL');
  });
}

/** Throws with the install command when `redis-server` is not on PATH (tests that need it fail rather than skip). */
export function requireRedisServer(env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server is not installed (needed by the real-Redis integration tests): run `apt-get install redis-server` ' +
        `(or your platform's equivalent). Cause: ${r.error?.message ?? r.stderr}`,
    );
  }
}

export { freePort } from './ports.js';

/** Sends one inline PING and resolves true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

async function waitForPing(port: number, proc: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited early (${proc.exitCode ?? proc.signalCode}): ${log()}`);
    }
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms: ${log()}`);
}

/**
 * Spawns `redis-server --port P --dir <tmp> --save '' --appendonly yes|no` on a free loopback
 * port and waits until it answers PING. Call `stop()` when done (an exit hook kills leftovers).
 */
export async function startRedisServer(opts: { aof?: boolean } = {}): Promise<RedisServer> {
  requireRedisServer();
  installExitHook();
  const port = await freePort();
  const aof = opts.aof ?? true;
  let dir = mkdtempSync(join(tmpdir(), 'msggw-redis-'));
  let proc: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', aof ? 'yes' : 'no', '--appendfsync', 'everysec'];
    const p = spawn('redis-server', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc = p;
    running.add(p);
    p.stdout?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-4000)));
    p.stderr?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-4000)));
    p.once('exit', () => running.delete(p));
    await waitForPing(port, p, () => output);
  };

  const kill = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    await exited;
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    stop: async () => {
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async (o = {}) => {
      await kill('SIGKILL');
      if (o.wipe) {
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), 'msggw-redis-'));
      }
      await launch();
    },
  };
}
