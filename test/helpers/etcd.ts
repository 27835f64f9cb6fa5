import { freePort } from './ports.js';
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'the integration tests need a real etcd server binary on PATH (or in $ETCD_BIN). ' +
  'Install it with: apt-get install etcd-server (Debian/Ubuntu; provides /usr/bin/etcd), ' +
  'or download a release from https://github.com/etcd-io/etcd/releases.';

// If the test worker dies without running its hooks, etcd must not outlive it.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** The etcd binary to run: $ETCD_BIN, else `etcd` on PATH. Throws (never skips) with how to install it. */
export function findEtcdBinary(): string {
  const candidates = process.env.ETCD_BIN
    ? [process.env.ETCD_BIN]
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'etcd'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not this one
    }
  }
  const where = process.env.CI ? 'CI: ' : '';
  throw new Error(`${where}etcd binary not found: ${INSTALL_HINT}`);
}

/** A port nothing listens on right now (bind port 0, read it back, release it). */
export { freePort } from './ports.js';

/** A throwaway single-node etcd on free loopback ports. */
export interface EtcdServer {
  /** `127.0.0.1:<clientPort>`, what EtcdDiscovery takes as a host. */
  readonly endpoint: string;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  /** Stops the process (SIGTERM, then SIGKILL); the data dir stays for a restart. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data dir; resolves once healthy. */
  start(): Promise<void>;
  /** Deletes everything etcd stored (only while stopped): the next start() is an empty etcd, as after losing its disk. */
  wipe(): void;
  /** Stops it and removes the data dir. Idempotent. */
  destroy(): Promise<void>;
  /** The last lines etcd printed, for failure messages. */
  output(): string;
}

/** Spawns etcd and waits until /health says so. Throws with install instructions when etcd is missing. */
export async function startEtcd(): Promise<EtcdServer> {
  const bin = findEtcdBinary();
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'msggw-etcd-'));
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  let proc: ChildProcess | undefined;
  let log = '';
  let destroyed = false;

  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once('exit', () => r()));

  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p) return;
    const done = exited(p).then(() => void live.delete(p));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(timer);
  };

  const start = async () => {
    if (proc) return;
    const args = [
      '--name', 'default',
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `default=${peerUrl}`,
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    live.add(p);
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-8000);
    };
    p.stdout?.on('data', keep);
    p.stderr?.on('data', keep);
    let spawnError: Error | undefined;
    p.once('error', (e) => (spawnError = e));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (spawnError) throw new Error(`could not start ${bin}: ${spawnError.message}. ${INSTALL_HINT}`);
      if (p.exitCode !== null || p.signalCode !== null) {
        proc = undefined;
        throw new Error(`etcd exited (${p.exitCode ?? p.signalCode}) while starting:\n${log}`);
      }
      try {
        const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`etcd did not become healthy within 20 s:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  await start();
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    clientPort,
    peerPort,
    dataDir,
    stop,
    start,
    output: () => log,
    wipe: () => {
      if (proc) throw new Error('stop etcd before wiping its data');
      rmSync(join(dataDir, 'member'), { recursive: true, force: true });
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
