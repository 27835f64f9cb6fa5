/** The messages between `msggw sim --workers` and its worker processes (JSON over the IPC channel). */
import type { SimFlagValues } from './cli.js';
import type { SimReport } from './report.js';
import type { RunSample } from './run.js';

/** Parent to worker. */
export type ToWorker =
  /** Run this shard: the flags of the whole run with `shard`, `url`, `prefix` and `seed` set. */
  | { type: 'start'; scenario: string; file: string | undefined; values: SimFlagValues; policy: number | undefined; defaultChecks: boolean }
  /** Stop early (Ctrl-C, SIGTERM at the parent): the worker still reports. */
  | { type: 'stop' }
  /** The answer to a `define`. */
  | { type: 'defined'; id: number; ok: boolean };

/** Worker to parent. */
export type FromWorker =
  | { type: 'sample'; sample: RunSample }
  /** Define a group on the gateway the parent hosts (group scenario, in-process target). */
  | { type: 'define'; id: number; groupID: string; members: string[] }
  | { type: 'report'; report: SimReport }
  /** The worker could not run (bad flags for its shard, a crash); no report follows. */
  | { type: 'failed'; message: string };
