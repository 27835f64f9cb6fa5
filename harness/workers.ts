/**
 * `msggw serve --workers N`: N gateway processes (node:cluster workers) sharing the WebSocket port,
 * each a full gateway node (WebSocket server + hub) with its own hub port registered in discovery,
 * so the push service reaches every worker as it reaches several nodes. What they share is real:
 *
 * - Redis: `--redis` when given; else a `redis-server` this primary spawns on a free loopback port
 *   (when installed); else a clear error. Presence crosses workers there, as across nodes.
 * - Discovery: etcd when configured; else the primary's registry served to the workers over their
 *   IPC channel (src/discovery/ipc.ts), where a dead worker's hub is removed at once.
 * - The simulators (unless --no-simulators) run once, in the primary, and register there.
 *
 * Multi-login across workers goes through MultiTerminalLoginCheck between hubs, as across nodes.
 * A worker that dies is forked again with the same index and hub port; its clients reconnect
 * (the WebSocket port stays open in the other workers meanwhile).
 */
import { redisSettingsOf } from '../src/startup/backends.js';
import cluster, { type Worker } from 'node:cluster';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { MsggwConfig } from '../src/config/config.js';
import { DiscoveryHub, type IpcChannel } from '../src/discovery/ipc.js';
import { startHarness, type Harness, type HarnessAddresses } from './harness.js';

/** Parses `--workers`: a positive integer or `auto` (= cores). */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return Math.max(1, cpus().length);
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new WorkersError('MSGGW_WORKERS_FLAG', `--workers ${value}: expected a whole number from 1 to 256, or auto`, 'e.g. --workers 2, or --workers auto for one per core');
  return n;
}

/** A coded failure of the workers' set-up (the command turns it into a CLI error). */
export class WorkersError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly suggestion: string,
  ) {
    super(message);
  }
}

/** One worker as the primary reports it. */
export interface WorkerInfo {
  index: number;
  pid: number;
  addresses: HarnessAddresses;
  restarts: number;
}

/** What a worker gets in `msggw_worker_spec` (JSON). */
export interface WorkerSpec {
  index: number;
  cfg: MsggwConfig;
  /** Use the primary's registry over IPC (no etcd configured). */
  ipcDiscovery: boolean;
}

/** Messages a worker sends its primary. */
export type WorkerMessage = { msggwWorker: 'ready'; index: number; addresses: HarnessAddresses } | { msggwWorker: 'failed'; index: number; error: string };

const freePort = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    // exclusive: in a cluster primary this must not become a shared handle
    s.listen({ port: 0, host, exclusive: true }, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

const hasRedisServer = (): boolean => {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
};

/**
 * Spawns `redis-server` on a free loopback port and waits until it answers. With AOF (the msg
 * simulator requires it: acknowledged messages survive a Redis crash) in a temporary directory,
 * removed when it stops.
 */
async function spawnRedis(log?: (l: string) => void): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort('127.0.0.1');
  const dir = mkdtempSync(join(tmpdir(), 'msggw-workers-redis-'));
  // Its own process group: Ctrl-C (or a signal to the group) must not stop it before the workers
  // have closed their connections to it; the primary stops it last, and on any exit of its own.
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', dir], { stdio: 'ignore', detached: true });
  const killOnExit = (): void => void proc.kill('SIGTERM');
  process.once('exit', killOnExit);
  proc.once('exit', () => {
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      c.disconnect();
      break;
    } catch {
      c.disconnect();
      if (proc.exitCode !== null || Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new WorkersError('MSGGW_WORKERS_REDIS', `the redis-server msggw started on port ${port} did not answer`, 'pass --redis redis://host:port of a running Redis');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  log?.(`started redis-server for the workers at ${url}`);
  return { url, proc };
}

/** The running workers and what they share. */
export class WorkerCluster {
  readonly workers = new Map<number, WorkerInfo>();
  private readonly detach = new Map<Worker, () => Promise<void>>();
  private stopping = false;
  private closed: Promise<void> | undefined;

  constructor(
    readonly cfg: MsggwConfig,
    readonly count: number,
    private readonly specs: WorkerSpec[],
    private readonly hub: DiscoveryHub | undefined,
    private readonly stack: Harness | undefined,
    private readonly redis: ChildProcess | undefined,
    private readonly log?: (l: string) => void,
  ) {}

  /** The WebSocket address all workers share, and the simulators' addresses (when run here). */
  get addresses(): HarnessAddresses {
    const first = this.workers.get(0)?.addresses ?? {};
    return { ...(this.stack?.addresses ?? {}), ...(first.ws ? { ws: first.ws } : {}) };
  }

  /** Forks worker `index` and resolves when it reports ready (rejects when it fails or exits first). */
  fork(index: number, restarts = 0): Promise<WorkerInfo> {
    const spec = this.specs[index]!;
    const w = cluster.fork({ msggw_worker_spec: JSON.stringify(spec) });
    if (this.hub) this.detach.set(w, this.hub.attach(w as unknown as IpcChannel));
    return new Promise((resolve, reject) => {
      let ready = false;
      w.on('message', (m: WorkerMessage) => {
        if (m?.msggwWorker === 'ready') {
          ready = true;
          const info: WorkerInfo = { index, pid: w.process.pid ?? 0, addresses: m.addresses, restarts };
          this.workers.set(index, info);
          resolve(info);
        } else if (m?.msggwWorker === 'failed') {
          reject(new Error(`worker ${index}: ${m.error}`));
        }
      });
      w.once('exit', (code, signal) => {
        void this.detach.get(w)?.();
        this.detach.delete(w);
        if (!ready) {
          reject(new Error(`worker ${index} exited (${signal ?? code}) before it was ready`));
          return;
        }
        this.workers.delete(index);
        if (this.stopping) return;
        this.log?.(`worker ${index} (pid ${w.process.pid}) exited (${signal ?? code}): starting it again`);
        setTimeout(() => {
          if (this.stopping) return;
          this.fork(index, restarts + 1).then(
            (info) => this.log?.(`worker ${index} is back (pid ${info.pid})`),
            (e: unknown) => this.log?.(`worker ${index} did not come back: ${(e as Error).message}`),
          );
        }, 300).unref();
      });
    });
  }

  /** Stops the workers (each closes its node), then the simulators, the registry and the spawned Redis. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      const all = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
      await Promise.all(
        all.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              const t = setTimeout(() => {
                w.process.kill('SIGKILL');
                resolve();
              }, 8000);
              w.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              try {
                w.send({ msggwWorker: 'shutdown' });
              } catch {
                w.process.kill('SIGTERM');
              }
            }),
        ),
      );
      for (const d of this.detach.values()) await d();
      await this.stack?.close();
      await this.hub?.close();
      this.redis?.kill('SIGTERM');
    })();
    return this.closed;
  }
}

/**
 * Starts the shared parts and N workers; resolves once every worker is ready.
 * @throws WorkersError when no Redis can be had, or a worker fails to start.
 */
export async function startWorkers(cfg: MsggwConfig, count: number, opts: { log?: (l: string) => void } = {}): Promise<WorkerCluster> {
  let redisProc: ChildProcess | undefined;
  let base = cfg;
  // A Redis from --redis or from redis.yml (-c) is shared as it is; only with neither is one spawned.
  if (!redisSettingsOf(base)) {
    if (!hasRedisServer()) {
      throw new WorkersError(
        'MSGGW_WORKERS_REDIS',
        `serve --workers ${count} needs a Redis all workers share (presence and tokens cross workers there), and none was given`,
        'pass --redis redis://host:port, or install redis-server (e.g. apt-get install redis-server) and msggw starts one for the workers',
      );
    }
    const r = await spawnRedis(opts.log);
    redisProc = r.proc;
    base = { ...base, redisUrl: r.url };
  }
  const ipc = base.discovery.kind !== 'etcd';
  const hub = ipc ? new DiscoveryHub() : undefined;
  let stack: Harness | undefined;
  try {
    // The simulators run once, here; the workers find them in discovery.
    if (base.simulators) stack = await startHarness(base, { gateway: false, simulators: true, ...(hub ? { discovery: hub.registry } : {}), log: opts.log });
    const specs: WorkerSpec[] = [];
    for (let i = 0; i < count; i++) {
      // Every port but the WebSocket one is the worker's own: a port the workers asked for alike
      // (0 included) would become one shared, round-robin handle in node:cluster.
      const own = async (port: number): Promise<number> => (port === 0 ? freePort(base.listenIP) : port + i);
      const hubPort = await own(base.hubPort);
      const metricsPort = base.metricsEnable ? await own(base.metricsPort) : base.metricsPort;
      const adminPort = base.admin.enable ? await freePort(base.listenIP) : 0;
      specs.push({
        index: i,
        ipcDiscovery: ipc,
        cfg: { ...base, simulators: false, hubPort, metricsPort, admin: { ...base.admin, port: adminPort } },
      });
    }
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), args: [], silent: false });
    const wc = new WorkerCluster(base, count, specs, hub, stack, redisProc, opts.log);
    try {
      await Promise.all(specs.map((s) => wc.fork(s.index)));
    } catch (e) {
      await wc.close();
      throw new WorkersError('MSGGW_START_FAILED', (e as Error).message, 'see the worker log lines above; leave --port/--hub-port unset for free ports');
    }
    return wc;
  } catch (e) {
    if (!(e instanceof WorkersError)) {
      await stack?.close();
      await hub?.close();
      redisProc?.kill('SIGTERM');
    }
    throw e;
  }
}
