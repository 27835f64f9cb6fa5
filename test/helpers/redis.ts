import { freePort } from './ports.js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway `redis-server` bound to loopback on a free port, in a temp dir of its own, with
 * AOF on (appendfsync everysec): what msggw's simulators require of a real Redis. Pass
 * `{ aof: false }` for a server without persistence (a restart comes back empty), and
 * `{ fsync: 'always' }` where a test SIGKILLs Redis and counts on every acknowledged write
 * surviving: with everysec Redis postpones its AOF write while the previous fsync is still
 * running (up to 2 s on a busy disk) and replies meanwhile, so a crash then loses writes it
 * acknowledged.
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
export async function startRedisServer(opts: { aof?: boolean; fsync?: 'everysec' | 'always' } = {}): Promise<RedisServer> {
  requireRedisServer();
  installExitHook();
  const port = await freePort();
  const aof = opts.aof ?? true;
  const fsync = opts.fsync ?? 'everysec';
  let dir = mkdtempSync(join(tmpdir(), 'msggw-redis-'));
  let proc: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', aof ? 'yes' : 'no', '--appendfsync', fsync];
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

/** Spawns one redis-server with extra arguments on `port` and waits for PING; returns its stop(). */
async function spawnRedis(bin: string, args: string[], port: number): Promise<{ proc: ChildProcess; stop: () => Promise<void> }> {
  installExitHook();
  let output = '';
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(p);
  p.stdout?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-4000)));
  p.stderr?.on('data', (d: Buffer) => (output = (output + d.toString('utf8')).slice(-4000)));
  p.once('exit', () => running.delete(p));
  await waitForPing(port, p, () => output);
  const stop = async (): Promise<void> => {
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await exited;
  };
  return { proc: p, stop };
}

/** Distinct free ports (a cluster node needs a client port and a bus port). */
async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

/** Throws with the install command when a Redis tool (redis-cli, redis-sentinel) is missing. */
function requireTool(bin: string, pkg: string): void {
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${bin} is not installed (needed by the Redis cluster/sentinel tests): run \`apt-get install ${pkg}\`. Cause: ${r.error?.message ?? r.stderr}`);
  }
}

/** A throwaway 3-master Redis Cluster on free loopback ports. */
export interface RedisCluster {
  /** `127.0.0.1:<port>` of each master. */
  readonly addrs: string[];
  stop(): Promise<void>;
}

/**
 * Spawns three `redis-server --cluster-enabled yes` (explicit bus ports, so nothing depends on
 * port+10000 being free), joins them with `redis-cli --cluster create` and waits for
 * cluster_state:ok on every node.
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  requireRedisServer();
  requireTool('redis-cli', 'redis-tools');
  const dir = mkdtempSync(join(tmpdir(), 'msggw-redis-cluster-'));
  const ports = await freePorts(6);
  const nodes: { stop: () => Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const n of nodes) await n.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = ports[i]!;
      nodes.push(
        await spawnRedis(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, '--appenddirname', `aof-${port}`, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(ports[i + 3]), '--cluster-node-timeout', '2000'],
          port,
        ),
      );
    }
    const addrs = ports.slice(0, 3).map((p) => `127.0.0.1:${p}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 20_000 });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const deadline = Date.now() + 10_000;
    for (const a of addrs) {
      const [host, port] = a.split(':');
      for (;;) {
        const info = spawnSync('redis-cli', ['-h', host!, '-p', port!, 'cluster', 'info'], { encoding: 'utf8' }).stdout;
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${a} not ok within 10 s: ${info}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    return { addrs, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A throwaway master + replica watched by sentinels, on free loopback ports. */
export interface RedisSentinelSetup {
  readonly masterName: string;
  /** `127.0.0.1:<port>` of each sentinel. */
  readonly sentinels: string[];
  /** Port of the server that is master right now (asks a sentinel). */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER and wait until the sentinels name the other server as master. */
  failover(): Promise<void>;
  stop(): Promise<void>;
}

function cli(port: number, ...args: string[]): string {
  return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 }).stdout.trim();
}

/**
 * Spawns a master, one replica of it and `sentinelCount` sentinels (quorum 1) monitoring it as
 * `mymaster`, and waits until a sentinel knows the replica, so that a forced failover can run.
 */
export async function startRedisSentinel(sentinelCount = 1): Promise<RedisSentinelSetup> {
  requireRedisServer();
  requireTool('redis-cli', 'redis-tools');
  requireTool('redis-sentinel', 'redis-sentinel');
  const dir = mkdtempSync(join(tmpdir(), 'msggw-redis-sentinel-'));
  const [masterPort, replicaPort, ...sentinelPorts] = await freePorts(2 + sentinelCount);
  const procs: { stop: () => Promise<void> }[] = [];
  const stop = async (): Promise<void> => {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  // AOF on, as the simulators require of a real Redis (each server its own AOF directory).
  const base = (port: number) => ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir, '--appenddirname', `aof-${port}`];
  const masterName = 'mymaster';
  try {
    procs.push(await spawnRedis('redis-server', ['--port', String(masterPort), ...base(masterPort!)], masterPort!));
    procs.push(await spawnRedis('redis-server', ['--port', String(replicaPort), ...base(replicaPort!), '--replicaof', '127.0.0.1', String(masterPort)], replicaPort!));
    for (const sp of sentinelPorts) {
      const conf = join(dir, `sentinel-${sp}.conf`);
      writeFileSync(
        conf,
        [
          `port ${sp}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`,
          `sentinel down-after-milliseconds ${masterName} 1000`,
          `sentinel failover-timeout ${masterName} 3000`,
          '',
        ].join('\n'),
      );
      procs.push(await spawnRedis('redis-sentinel', [conf], sp!));
    }
    const s0 = sentinelPorts[0]!;
    const deadline = Date.now() + 15_000;
    // A failover needs a replica the sentinel has seen and that is in sync.
    while (!(cli(s0, 'sentinel', 'replicas', masterName).includes(String(replicaPort)) && cli(replicaPort!, 'info', 'replication').includes('master_link_status:up'))) {
      if (Date.now() > deadline) throw new Error(`sentinel did not discover the replica within 15 s: ${cli(s0, 'sentinel', 'replicas', masterName)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const masterNow = async (): Promise<number> => Number(cli(s0, 'sentinel', 'get-master-addr-by-name', masterName).split('\n')[1]);
    return {
      masterName,
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`),
      masterPort: masterNow,
      failover: async () => {
        const before = await masterNow();
        const r = cli(s0, 'sentinel', 'failover', masterName);
        if (r !== 'OK') throw new Error(`SENTINEL FAILOVER: ${r}`);
        const until = Date.now() + 15_000;
        while ((await masterNow()) === before || !cli(await masterNow(), 'info', 'replication').includes('role:master')) {
          if (Date.now() > until) throw new Error('failover did not complete within 15 s');
          await new Promise((r2) => setTimeout(r2, 100));
        }
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
