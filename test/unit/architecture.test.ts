/**
 * The dependency rules of docs/architecture.md, checked on the real import graph: every
 * `import`/`export ... from`/`import()` of our own files in src/, simulators/, harness/,
 * commands/, bench/ and test/ is read and each rule below fails on a wrong arrow.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCANNED = ['src', 'simulators', 'harness', 'commands', 'bench', 'test'];

interface Edge {
  /** Importing file, repo-relative (e.g. `src/node.ts`). */
  from: string;
  /** Imported file, repo-relative, with the `.ts`/`.tsx` it has on disk. */
  to: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Our own files an import specifier points at (relative specifiers only; packages are not ours). */
function resolveSpecifier(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec).replace(/\.js$/, '');
  for (const ext of ['.ts', '.tsx']) {
    try {
      if (statSync(base + ext).isFile()) return relative(ROOT, base + ext);
    } catch {
      // try the next extension
    }
  }
  return relative(ROOT, base);
}

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importGraph(): Edge[] {
  const edges: Edge[] = [];
  for (const top of SCANNED) {
    for (const file of sourceFiles(join(ROOT, top))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec) continue;
        const to = resolveSpecifier(file, spec);
        if (to) edges.push({ from: relative(ROOT, file), to });
      }
    }
  }
  return edges;
}

const edges = importGraph();
const under = (path: string, dir: string) => path === dir || path.startsWith(`${dir}/`);
const show = (list: Edge[]) => list.map((e) => `${e.from} -> ${e.to}`);

/**
 * Gateway modules hub/, admin/ and metrics/ may import: the events, the registry's interface,
 * the connection interface, and frames encoded once per variant for many connections. Anything
 * else there is the gateway's inside.
 */
const GATEWAY_SURFACE = ['src/gateway/events.ts', 'src/gateway/registry.ts', 'src/gateway/conn.ts', 'src/gateway/frames.ts'];

/**
 * Arrows into the gateway's inside that still exist while the hub is moved onto the registry's
 * interface. Each entry must still occur (the test says when one can go): tighten by deleting.
 */
const KNOWN_GATEWAY_REACH_INS: string[] = [];

describe('architecture: import rules', () => {
  it('reads a real graph', () => {
    // A broken reader would make every rule pass vacuously.
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: 'harness/harness.ts', to: 'src/node.ts' });
    expect(edges).toContainEqual({ from: 'harness/harness.ts', to: 'simulators/services/stack.ts' });
  });

  it('every import of ours resolves to a file', () => {
    const missing = edges.filter((e) => !/\.tsx?$/.test(e.to));
    expect(show(missing)).toEqual([]);
  });

  it('src/protocol imports nothing of ours outside itself', () => {
    expect(show(edges.filter((e) => under(e.from, 'src/protocol') && !under(e.to, 'src/protocol')))).toEqual([]);
  });

  it('src/ never imports simulators/, harness/ or commands/', () => {
    const bad = edges.filter((e) => under(e.from, 'src') && ['simulators', 'harness', 'commands', 'bench'].some((d) => under(e.to, d)));
    expect(show(bad)).toEqual([]);
  });

  it('simulators/ never import commands/ or harness/', () => {
    const bad = edges.filter((e) => under(e.from, 'simulators') && ['harness', 'commands', 'bench'].some((d) => under(e.to, d)));
    expect(show(bad)).toEqual([]);
  });

  it('harness/ never imports commands/', () => {
    expect(show(edges.filter((e) => under(e.from, 'harness') && under(e.to, 'commands')))).toEqual([]);
  });

  it('only harness/ composes a node with the simulators (commands, bench and tests go through it)', () => {
    const composing = ['src/node.ts', 'simulators/services/stack.ts'];
    const bad = edges.filter((e) => composing.includes(e.to) && !under(e.from, 'harness'));
    expect(show(bad)).toEqual([]);
  });

  it('hub/, admin/ and metrics/ see connections only through the registry and the events', () => {
    const reachIns = edges.filter(
      (e) => ['src/hub', 'src/admin', 'src/metrics'].some((d) => under(e.from, d)) && under(e.to, 'src/gateway') && !GATEWAY_SURFACE.includes(e.to),
    );
    const found = show(reachIns);
    expect(found.filter((f) => !KNOWN_GATEWAY_REACH_INS.includes(f))).toEqual([]);
    // A known reach-in that is gone must leave the list, so the rule only ever tightens.
    expect(KNOWN_GATEWAY_REACH_INS.filter((k) => !found.includes(k))).toEqual([]);
  });
});
