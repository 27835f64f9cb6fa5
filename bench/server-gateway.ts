/**
 * Bench server: one msggw node (gateway + hub, and unless configured otherwise the embedded
 * simulators) in its own process, driven over IPC by bench/run.ts.
 *
 * Commands: `start {config, gateway}` -> addresses; `stats {gc}` -> ProcStats + push counters;
 * `profileStart`, `profileStop {file}` (CPU profile of a window); `stop`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from '../src/config/config.js';
import { startHarness, type Harness } from '../harness/harness.js';
import { writeHeapSnapshot } from 'node:v8';
import { serveIpc } from './lib/ipc.js';
import { procStats, type ProcStats } from './lib/server-stats.js';
import type { PushStats } from '../src/hub/push.js';

/** Argument of the `start` command. */
export interface GatewayStartArg {
  config: DeepPartial<MsggwConfig>;
  /** Run the gateway (false = simulators only). Default true. */
  gateway?: boolean;
}

/** Answer of the `stats` command. */
export interface GatewayStats extends ProcStats {
  push: PushStats | null;
  /** Coalesced socket writes: frames and flushes (one writev each) since start. */
  writes: { frames: number; flushes: number };
  /** Connections closed as slow consumers since start. */
  slowClosed: number;
  /** Frames handed to sockets and not yet taken by the kernel, over all connections. */
  pendingFrames: number;
}

let node: Harness | undefined;
let slowClosed = 0;
let session: Session | undefined;

/** Posts one inspector command and resolves with its result. */
function post<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    session!.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

serveIpc({
  // Diagnostic: where per-connection memory goes (not used by run.ts).
  heapSnapshot: (arg) => writeHeapSnapshot((arg as { file: string }).file),
  start: async (arg) => {
    const a = arg as GatewayStartArg;
    const cfg = mergeConfig(defaultConfig(), { wsPort: 0, hubPort: 0, metricsEnable: false, ...a.config });
    node = await startHarness(cfg, { gateway: a.gateway !== false, log: (l) => process.stderr.write(`${l}\n`) });
    node.node?.view().events.on((e) => {
      if (e.type === 'disconnect' && e.reason === 'websocket write buffer full') slowClosed++;
    });
    return node.addresses;
  },
  stats: async (arg): Promise<GatewayStats> => {
    const collect = (arg as { gc?: boolean } | null)?.gc === true;
    let pendingFrames = 0;
    const view = node?.node?.view();
    if (view) for (const c of view.registry.allClients()) pendingFrames += c.queueDepth;
    return { ...(await procStats(view?.counts().conns ?? 0, collect)), push: view ? { ...view.pushStats() } : null, writes: view ? { ...view.writeStats() } : { frames: 0, flushes: 0 }, slowClosed, pendingFrames };
  },
  // CPU profile of a measured window only (the --cpu-prof flag would include connection setup).
  profileStart: async () => {
    session = new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 200 });
    await post('Profiler.start');
    return true;
  },
  profileStop: async (arg) => {
    const { profile } = await post<{ profile: unknown }>('Profiler.stop');
    session?.disconnect();
    session = undefined;
    const file = (arg as { file: string }).file;
    writeFileSync(file, JSON.stringify(profile));
    return file;
  },
  stop: async () => {
    await node?.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});

process.on('SIGTERM', () => {
  void (node?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
