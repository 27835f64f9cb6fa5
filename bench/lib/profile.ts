/** Reads a `node --cpu-prof` profile and names the functions with the most self time. */
import { readFileSync } from 'node:fs';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One hot function. */
export interface HotFunction {
  fn: string;
  /** File (relative to the project or node_modules/...) and line. */
  url: string;
  selfPct: number;
}

/** The `top` functions by self time, idle time excluded. */
export function hotFunctions(file: string, top = 12): HotFunction[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, CpuProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<string, { fn: string; url: string; us: number }>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    if (!n) continue;
    const dt = p.timeDeltas[i] ?? 0;
    const cf = n.callFrame;
    // The inspector's native `dispatch` runs our own Profiler.start; its one sample carries the time
    // until sampling began, which would otherwise top every table.
    if (cf.functionName === '(idle)' || (cf.functionName === 'dispatch' && cf.url === '')) continue;
    total += dt;
    const url = shortUrl(cf.url);
    const key = `${cf.functionName}@${url}:${cf.lineNumber}`;
    const e = self.get(key) ?? { fn: cf.functionName || '(anonymous)', url: url ? `${url}:${cf.lineNumber + 1}` : '', us: 0 };
    e.us += dt;
    self.set(key, e);
  }
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ fn: e.fn, url: e.url, selfPct: total ? (e.us / total) * 100 : 0 }));
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm);
  const d = url.indexOf('/dist/');
  if (d >= 0) return url.slice(d + 6);
  return url.replace(/^file:\/\//, '');
}

interface FullNode extends CpuProfileNode {
  children?: number[];
}

/**
 * Share of the samples (idle excluded) per component: a sample counts for the first rule, in
 * order, that any frame of its stack matches (by URL substring, or `(gc)` for the collector).
 * Async continuations start new stacks, so a component's share is the work it did itself and
 * what it called synchronously.
 */
export function componentSplit(file: string, rules: readonly [string, readonly string[]][]): { component: string; pct: number }[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile & { nodes: FullNode[] };
  const parent = new Map<number, number>();
  const byId = new Map<number, FullNode>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const memo = new Map<number, string>();
  const classify = (id: number): string => {
    const hit = memo.get(id);
    if (hit) return hit;
    const urls: string[] = [];
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur)!.callFrame;
      urls.push(cf.functionName === '(garbage collector)' ? '(gc)' : cf.url);
    }
    const name = rules.find(([, pats]) => urls.some((u) => pats.some((pat) => u.includes(pat))))?.[0] ?? 'other';
    memo.set(id, name);
    return name;
  };
  const us = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const c = classify(n.id);
    us.set(c, (us.get(c) ?? 0) + dt);
  }
  return [...us].sort((a, b) => b[1] - a[1]).map(([component, v]) => ({ component, pct: total ? (v / total) * 100 : 0 }));
}
