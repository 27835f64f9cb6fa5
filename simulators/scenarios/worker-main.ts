/**
 * The entry point of one `msggw sim --workers` child process (forked by workers.ts). It waits
 * for its start message (the run's flags with its shard, the gateway URL, prefix and seed),
 * runs that shard like `msggw sim --shard i/n` would, streams its per-second samples to the
 * parent and sends its report, histograms included, when done.
 *
 * Ctrl-C reaches every process of the terminal's group: a worker ignores SIGINT and waits for
 * its parent's stop message, so the parent decides and every worker still reports. SIGTERM
 * stops the run early (an INCOMPLETE report); a lost parent stops it too.
 */
import { setMaxListeners } from 'node:events';
import { runSim } from './run.js';
import { simOptionsFromFlags, SimUsageError } from './cli.js';
import { ScenarioFileError } from './file/schema.js';
import type { FromWorker, ToWorker } from './worker-protocol.js';

const stop = new AbortController();
setMaxListeners(0, stop.signal);
const pending = new Map<number, (ok: boolean) => void>();
let nextId = 0;
let started = false;

const send = (m: FromWorker): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(m, undefined, {}, () => resolve());
  });

process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => stop.abort());
process.on('disconnect', () => {
  stop.abort();
  for (const done of pending.values()) done(false);
});

process.on('message', (raw: unknown) => {
  const m = raw as ToWorker;
  if (m.type === 'stop') stop.abort();
  else if (m.type === 'defined') {
    pending.get(m.id)?.(m.ok);
    pending.delete(m.id);
  } else if (m.type === 'start' && !started) {
    started = true;
    void run(m).then(
      () => process.disconnect?.(),
      async (e: unknown) => {
        await send({ type: 'failed', message: (e as Error).stack ?? String(e) });
        process.exitCode = 1;
        process.disconnect?.();
      },
    );
  }
});

async function run(m: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  let options;
  try {
    options = simOptionsFromFlags(m.scenario, m.file, m.values);
  } catch (e) {
    if (e instanceof SimUsageError || e instanceof ScenarioFileError) {
      await send({ type: 'failed', message: e.message });
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  if (options.target.kind !== 'external') throw new Error('a sim worker needs the gateway URL from its parent');
  const defineGroup = (groupID: string, members: readonly string[]): Promise<boolean> =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      void send({ type: 'define', id, groupID, members: [...members] });
    });
  const result = await runSim({
    ...options,
    target: { ...options.target, host: { policy: m.policy, defineGroup } },
    defaultChecks: m.defaultChecks,
    signal: stop.signal,
    onSample: (s) => void send({ type: 'sample', sample: s }),
  });
  await send({ type: 'report', report: result.report });
  // Everything the run opened is closed; a handle left over must not keep the worker alive.
  setTimeout(() => process.exit(0), 2000).unref();
}
