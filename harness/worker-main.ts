/**
 * Entry of one `msggw serve --workers N` worker process (forked by harness/workers.ts): a gateway
 * node (WebSocket server + hub, no simulators) from the spec in `msggw_worker_spec`, on the shared
 * WebSocket port and its own hub port, with the primary's registry over IPC unless etcd is
 * configured. Reports ready (or failed) to the primary; stops on its `shutdown` message or SIGTERM.
 */
import { IpcDiscovery } from '../src/discovery/ipc.js';
import { Harness } from './harness.js';
import type { WorkerMessage, WorkerSpec } from './workers.js';

const spec = JSON.parse(process.env.msggw_worker_spec ?? '{}') as WorkerSpec;
const send = (m: WorkerMessage): void => {
  process.send?.(m);
};
const log = (l: string): void => {
  process.stderr.write(`[msggw worker ${spec.index}] ${l}\n`);
};
const discovery = spec.ipcDiscovery ? new IpcDiscovery() : undefined;
const node = new Harness(spec.cfg, { gateway: true, simulators: false, ...(discovery ? { discovery } : {}), log });

let stopping: Promise<void> | undefined;
const stop = (): Promise<void> =>
  (stopping ??= (async () => {
    const t = setTimeout(() => process.exit(1), 7000);
    await node.close().catch(() => undefined);
    await discovery?.close();
    clearTimeout(t);
    process.exit(0);
  })());

process.on('message', (m: unknown) => {
  if ((m as { msggwWorker?: string } | null)?.msggwWorker === 'shutdown') void stop();
});
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => undefined); // the primary decides; Ctrl-C reaches the whole group
// The primary gone means nobody serves discovery or restarts us: stop.
process.on('disconnect', () => void stop());

node.start().then(
  (addresses) => send({ msggwWorker: 'ready', index: spec.index, addresses }),
  async (e: unknown) => {
    send({ msggwWorker: 'failed', index: spec.index, error: (e as Error).message });
    await node.close().catch(() => undefined);
    process.exit(1);
  },
);
