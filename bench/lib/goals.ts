/**
 * The goal table of issue 16, computed from a run's rows: one line per goal with the run's median
 * ("now"), the goal, whether it is met, and for a miss the section of bench/analysis.md that
 * explains it with a profile. Written at the top of RESULTS.md by {@link goalTable}.
 */
import { ratio, type Row } from './report.js';
import { round } from './stats.js';

/** Which row a goal reads: its figure and a distinctive part of its metric text. */
interface RowRef {
  figure: string;
  metric: string;
}

interface Check {
  row: RowRef;
  /** `ratio`: gateway median / baseline median; `abs`: the gateway median itself. */
  on: 'ratio' | 'abs';
  op: '>=' | '<=' | '<';
  value: number;
  /** How "now" reads, e.g. `${v}x echo`. */
  say: (v: number, r: Row) => string;
}

export interface Goal {
  /** As the issue's table names it. */
  goal: string;
  /** The goal, in the issue's words. */
  target: string;
  checks: Check[];
  /** Heading of the section of bench/analysis.md that explains a miss. */
  analysis: string;
}

const n = (x: number): string => {
  const v = round(x);
  return Math.abs(v) >= 10_000 ? v.toLocaleString('en-US') : String(v);
};
const x2 = (v: number): string => `${v.toFixed(2)}x`;

export const GOALS: Goal[] = [
  {
    goal: '2004 round trip, gob+gzip',
    target: '>= 0.7x echo; p99 at 8k/s within 3x the baseline\'s',
    checks: [
      { row: { figure: '3 gateway round trips', metric: 'throughput, gob+gzip' }, on: 'ratio', op: '>=', value: 0.7, say: (v, r) => `${x2(v)} echo (${n(r.gateway.median)}/s)` },
      { row: { figure: '3 gateway round trips', metric: 'p99 at 8000/s, gob+gzip' }, on: 'ratio', op: '<=', value: 3, say: (v, r) => `p99 at 8k/s ${x2(v)} the baseline's (${n(r.gateway.median)} ms)` },
    ],
    analysis: '2004 round trip, gob+gzip',
  },
  {
    goal: '2004 round trip, JSON',
    target: '>= 0.9x echo',
    checks: [{ row: { figure: '3 gateway round trips', metric: 'throughput, JSON' }, on: 'ratio', op: '>=', value: 0.9, say: (v, r) => `${x2(v)} echo (${n(r.gateway.median)}/s)` }],
    analysis: '2004 round trip, JSON',
  },
  {
    goal: 'handshakes/s, with the auth call',
    target: '>= 0.5x raw ws',
    checks: [{ row: { figure: '1 idle connections', metric: 'handshakes/s' }, on: 'ratio', op: '>=', value: 0.5, say: (v, r) => `${x2(v)} raw ws (${n(r.gateway.median)}/s)` }],
    analysis: 'Handshakes',
  },
  {
    goal: '1001 GetNewestSeq through the msg simulator',
    target: '>= 8k/s; p99 at 1k/s < 5 ms',
    checks: [
      { row: { figure: '4 full round trips', metric: '1001 GetNewestSeq throughput' }, on: 'abs', op: '>=', value: 8000, say: (v) => `${n(v)}/s` },
      { row: { figure: '4 full round trips', metric: '1001 p99 at 1000/s' }, on: 'abs', op: '<', value: 5, say: (v) => `p99 at 1k/s ${n(v)} ms` },
    ],
    analysis: '1001 GetNewestSeq',
  },
  {
    goal: 'e2e single chat, server CPU per message (gateway + simulators)',
    target: '<= 300 µs',
    checks: [{ row: { figure: '5 e2e single chat', metric: 'server CPU per chat message' }, on: 'abs', op: '<=', value: 300, say: (v) => `${n(v)} µs` }],
    analysis: 'e2e single chat',
  },
  {
    goal: 'e2e single chat, 10k online, delivery p99',
    target: '< 20 ms at 2k msg/s; < 50 ms at 5k msg/s',
    checks: [
      { row: { figure: '5 e2e single chat', metric: 'delivery p99 at 2k msg/s' }, on: 'abs', op: '<', value: 20, say: (v) => `${n(v)} ms at 2k msg/s` },
      { row: { figure: '5 e2e single chat', metric: 'delivery p99 at 5k msg/s' }, on: 'abs', op: '<', value: 50, say: (v) => `${n(v)} ms at 5k msg/s` },
    ],
    analysis: 'e2e single chat',
  },
  {
    goal: 'idle RSS per connection',
    target: '<= 7 KB',
    checks: [{ row: { figure: '1 idle connections', metric: 'server RSS per idle connection, marginal' }, on: 'abs', op: '<=', value: 7, say: (v, r) => `${n(v)} KB (raw ws ${r.baseline ? n(r.baseline.median) : 'n/a'})` }],
    analysis: 'Idle RSS per connection',
  },
  {
    goal: 'push fan-out deliveries/s vs the coalescing baseline',
    target: '>= 0.8x of a baseline allowed the same coalescing',
    checks: [
      { row: { figure: '2 push fan-out', metric: 'deliveries/s to 10k online (wall clock), gob+gzip, vs the coalescing baseline' }, on: 'ratio', op: '>=', value: 0.8, say: (v) => `${x2(v)} wall clock` },
      { row: { figure: '2 push fan-out', metric: 'deliveries per server CPU-second, gob+gzip, vs the coalescing baseline' }, on: 'ratio', op: '>=', value: 0.8, say: (v) => `${x2(v)} per server CPU-second` },
    ],
    analysis: 'Push fan-out',
  },
  {
    goal: 'in-process `sim connect --users 10000` time to open',
    target: '<= 8 s',
    checks: [{ row: { figure: '10 connect storm', metric: 'time to open' }, on: 'abs', op: '<=', value: 8, say: (v) => `${n(v)} s` }],
    analysis: 'In-process connect storm',
  },
];

function find(rows: readonly Row[], ref: RowRef): Row | undefined {
  return rows.find((r) => r.figure === ref.figure && r.metric.includes(ref.metric));
}

/** One goal's line: now, met, and the analysis pointer for a miss. */
export function evaluate(goal: Goal, rows: readonly Row[]): { now: string; met: boolean | undefined } {
  const parts: string[] = [];
  let failed = false;
  let missing = false;
  for (const c of goal.checks) {
    const r = find(rows, c.row);
    const v = r ? (c.on === 'ratio' ? ratio(r) : r.gateway.median) : undefined;
    if (r === undefined || v === undefined || !Number.isFinite(v)) {
      parts.push(`fig${c.row.figure.split(' ')[0]} "${c.row.metric}" not in this run`);
      missing = true;
      continue;
    }
    parts.push(c.say(v, r));
    const ok = c.op === '>=' ? v >= c.value : c.op === '<=' ? v <= c.value : v < c.value;
    if (!ok) failed = true;
  }
  // A measured miss is a miss even when another part of the goal was not measured.
  return { now: parts.join('; '), met: failed ? false : missing ? undefined : true };
}

/** The markdown goal table. */
export function goalTable(rows: readonly Row[]): string[] {
  const out = ['## Goals (issue 16)', '', '"now" is the median of this run (ratios: gateway median / baseline median of the same run). A miss names the section of bench/analysis.md (below, under "Analysis") that explains it with a profile.', ''];
  out.push('| goal | now | target | met | why not (bench/analysis.md) |', '|---|---|---|---|---|');
  for (const g of GOALS) {
    const e = evaluate(g, rows);
    const met = e.met === undefined ? 'not measured' : e.met ? 'yes' : '**no**';
    out.push(`| ${g.goal} | ${e.now} | ${g.target} | ${met} | ${e.met === true ? '' : `§ ${g.analysis}`} |`);
  }
  return out;
}
