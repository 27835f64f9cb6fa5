/** Where a bench run happened: date, machine, Node version, git commit. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** The header of results.json and RESULTS.md. */
export interface MachineInfo {
  date: string;
  cpuModel: string;
  cores: number;
  ramGiB: number;
  node: string;
  commit: string;
  /** Whether the working tree had uncommitted changes to tracked files. */
  dirty: boolean;
  pinned: boolean;
  ulimitNofile: string;
}

/** Collects {@link MachineInfo}; fields that cannot be read say `unknown`. */
export function machineInfo(pinned: boolean): MachineInfo {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) cpuModel = m[1].trim();
  } catch {
    // /proc is Linux-only; os.cpus() already gave a model.
  }
  return {
    date: new Date().toISOString(),
    cpuModel,
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    pinned,
    ulimitNofile: sh('ulimit -n'),
  };
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
