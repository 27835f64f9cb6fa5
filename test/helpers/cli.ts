import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** The built CLI entry; `npm test` builds first (pretest). */
export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/commands/serve.js', import.meta.url));

export function requireBuild(): void {
  if (!existsSync(DIST)) throw new Error('the CLI is not built: run `npm run build` (npm test does it in pretest)');
}

/** Runs `msggw <args>` to completion; `input` is written to its stdin (then closed). */
export function runCli(args: string[], timeoutMs = 20_000, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) p.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`msggw ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A long-running `msggw serve --json` child; resolves once it printed its addresses. */
export interface ServeProcess {
  proc: ChildProcess;
  addrs: { ws?: string; hub?: string; metrics?: string; auth?: string; user?: string; msg?: string; push?: string; api?: string };
  stop(): Promise<void>;
  stderr(): string;
}

export function startServe(args: string[], timeoutMs = 20_000): Promise<ServeProcess> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, 'serve', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const t = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`serve did not start in time; stderr: ${err}`));
    }, timeoutMs);
    process.once('exit', () => proc.kill('SIGKILL'));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(t);
      const addrs = JSON.parse(line) as ServeProcess['addrs'];
      resolve({
        proc,
        addrs,
        stderr: () => err,
        stop: () =>
          new Promise<void>((r) => {
            if (proc.exitCode !== null) return r();
            const kill = setTimeout(() => proc.kill('SIGKILL'), 8000);
            proc.once('exit', () => {
              clearTimeout(kill);
              r();
            });
            proc.kill('SIGTERM');
          }),
      });
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`serve exited with ${code}: ${err}`));
    });
  });
}
