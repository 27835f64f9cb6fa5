/**
 * Child processes of the bench: every server and load runs in its own Node process, pinned to
 * a core with `taskset` when available, driven over IPC, and killed when the bench ends for any
 * reason (normal exit, error, Ctrl-C).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { IpcPeer } from './ipc.js';

const children = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Whether `taskset` (util-linux) can pin processes here (checked once). */
export const canPin: boolean = (() => {
  const r = spawnSync('taskset', ['-c', '0', 'true']);
  return !r.error && r.status === 0;
})();

/** One child Node process driven over IPC. */
export interface NodeChild {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly ipc: IpcPeer;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Options of {@link spawnNode}. */
export interface SpawnNodeOptions {
  /** Core to pin to (`taskset -c`); ignored when taskset is missing. */
  core?: number;
  /** Extra Node flags, e.g. `--expose-gc`, `--cpu-prof`. */
  nodeFlags?: string[];
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Label for its stderr lines. */
  label: string;
}

/** Starts `script` (a compiled bench module) in a new Node process with an IPC channel. */
export function spawnNode(script: string, o: SpawnNodeOptions): NodeChild {
  hookExit();
  const file = script.startsWith('/') ? script : fileURLToPath(new URL(`../${script}`, import.meta.url));
  const nodeArgs = [...(o.nodeFlags ?? []), file, ...(o.args ?? [])];
  const pinned = canPin && o.core !== undefined;
  const cmd = pinned ? 'taskset' : process.execPath;
  const argv = pinned ? ['-c', String(o.core), process.execPath, ...nodeArgs] : nodeArgs;
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...o.env } });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const prefix = (chunk: Buffer): string =>
    chunk
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => `  [${o.label}] ${l}\n`)
      .join('');
  proc.stdout?.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  proc.stderr?.on('data', (c: Buffer) => process.stderr.write(prefix(c)));
  const ipc = new IpcPeer(proc);
  return {
    proc,
    pid: proc.pid ?? 0,
    ipc,
    stop: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          resolve();
          return;
        }
        const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        proc.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

/** Starts a non-Node helper (redis-server, etcd) that is killed with the bench. */
export function spawnHelper(cmd: string, args: string[]): ChildProcess {
  hookExit();
  const proc = spawn(cmd, args, { stdio: 'ignore' });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Like {@link spawnHelper}, with stdout and stderr piped (e.g. a CLI that prints its addresses). */
export function spawnPiped(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  hookExit();
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

/** Whether a command exists on PATH. */
export function hasCommand(cmd: string, versionArg = '--version'): boolean {
  const r = spawnSync(cmd, [versionArg]);
  return !r.error && r.status === 0;
}

/** Resident set size of a process in bytes, from /proc (0 when unreadable). */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU time (user + system) a process has used, in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
