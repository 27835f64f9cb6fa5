/**
 * Before/after table of bench runs (`node dist/bench/compare.js --before a.json,b.json --after
 * c.json,d.json [--rows 'regex']`): each side's results.json files come from separate
 * `BENCH_ONLY=... npm run bench` runs, each with the raw baseline measured in the same run, so
 * the ratio to the baseline is what compares across runs on a shared, noisy machine. Runs of a
 * side are pooled (every repetition of every run) before taking the median.
 */
import { readFileSync } from 'node:fs';
import type { BenchResults, Row } from './lib/report.js';
import { round, spread, type Spread } from './lib/stats.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function load(list: string | undefined): BenchResults[] {
  return (list ?? '').split(',').filter(Boolean).map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchResults);
}

interface Pooled {
  gateway: Spread;
  baseline?: Spread;
}

function pool(runs: BenchResults[]): Map<string, { row: Row; pooled: Pooled }> {
  const by = new Map<string, { row: Row; g: number[]; b: number[] }>();
  for (const r of runs) {
    for (const row of r.rows) {
      const key = `${row.figure} | ${row.metric} (${row.unit})`;
      const e = by.get(key) ?? { row, g: [], b: [] };
      e.g.push(...row.gateway.runs);
      if (row.baseline) e.b.push(...row.baseline.runs);
      by.set(key, e);
    }
  }
  return new Map([...by].map(([k, e]) => [k, { row: e.row, pooled: { gateway: spread(e.g), ...(e.b.length ? { baseline: spread(e.b) } : {}) } }]));
}

const fmt = (x: number): string => (Number.isFinite(x) ? String(round(x)) : 'n/a');
const cell = (s: Spread | undefined): string => (s ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : '');
const ratio = (p: Pooled | undefined): string => (p?.baseline ? `${(p.gateway.median / p.baseline.median).toFixed(2)}x` : '');

const before = pool(load(arg('before')));
const after = pool(load(arg('after')));
const filter = arg('rows') ? new RegExp(arg('rows')!) : undefined;
const out = ['| metric | before: gateway | before: baseline | before ratio | after: gateway | after: baseline | after ratio |', '|---|---|---|---|---|---|---|'];
for (const key of new Set([...before.keys(), ...after.keys()])) {
  if (filter && !filter.test(key)) continue;
  const b = before.get(key)?.pooled;
  const a = after.get(key)?.pooled;
  out.push(`| ${key} | ${cell(b?.gateway)} | ${cell(b?.baseline)} | ${ratio(b)} | ${cell(a?.gateway)} | ${cell(a?.baseline)} | ${ratio(a)} |`);
}
process.stdout.write(`${out.join('\n')}\n`);
