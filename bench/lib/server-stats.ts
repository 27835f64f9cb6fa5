/** What every bench server process reports about itself. */
import { getHeapSpaceStatistics } from 'node:v8';

/** Process-level counters a server answers the `stats` command with. */
export interface ProcStats {
  /** Resident set size, bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory of Buffers and other C++ objects tied to JS objects. */
  external: number;
  /** CPU time used since the process started (user + system), µs. */
  cpuUs: number;
  /** Open WebSocket connections. */
  conns: number;
  /** V8 heap spaces: committed size and used bytes, by space name. */
  spaces: Record<string, { size: number; used: number }>;
}

/**
 * Current process counters. With `collect`, full GCs first (when exposed) and a pause for V8's
 * concurrent sweeper to return freed pages, so RSS reflects live data, not garbage.
 */
export async function procStats(conns: number, collect = false): Promise<ProcStats> {
  if (collect) {
    runGc();
    await new Promise((r) => setTimeout(r, 250));
    runGc();
    await new Promise((r) => setTimeout(r, 250));
  }
  const m = process.memoryUsage();
  const c = process.cpuUsage();
  const spaces: ProcStats['spaces'] = {};
  for (const sp of getHeapSpaceStatistics()) spaces[sp.space_name] = { size: sp.space_size, used: sp.space_used_size };
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, cpuUs: c.user + c.system, conns, spaces };
}

/**
 * Full GC when Node runs with --expose-gc, in V8's memory-reducing ("last resort") flavour,
 * which also compacts fragmented pages: what V8's own memory reducer converges to once a server
 * goes idle, so RSS reflects what the live connections hold rather than the garbage of the burst
 * that opened them; then a plain full GC, which also frees what finalizers released.
 */
export function runGc(): void {
  const g = (globalThis as { gc?: (o?: Record<string, string>) => void }).gc;
  if (!g) return;
  try {
    g({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } catch {
    // Older V8 without GC options: a plain full GC.
  }
  g();
}
