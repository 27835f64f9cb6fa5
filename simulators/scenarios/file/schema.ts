/**
 * Scenario files (YAML or JSON): phases of arriving virtual users, weighted flows of steps,
 * groups and variables. {@link loadScenarioFile} validates everything up front and reports
 * every problem with its path (`flows[1].steps[2].send.count: ...`), so a long run never dies
 * on a typo halfway.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { platformIdOf } from '../../../src/protocol/platforms.js';
import { parseDuration } from '../units.js';

/** A phase: for `duration`, either `arrivalRate` new virtual users per second (each runs one flow once) or `users` started at once (each repeats its flow until the phase ends). */
export interface Phase {
  name: string;
  durationMs: number;
  arrivalRate?: number;
  users?: number;
}

/** One step of a flow. Strings may hold `${variables}`. */
export type Step =
  | { kind: 'connect'; platformID?: number; sdkType?: 'go' | 'js'; background?: boolean }
  | { kind: 'send'; to?: string; group?: string; count: number; intervalMs: number; text?: string }
  | { kind: 'waitPush'; count: number; timeoutMs: number }
  | { kind: 'subscribe'; users: string[] }
  | { kind: 'sleep'; ms: number; jitterMs: number }
  | { kind: 'disconnect'; abrupt: boolean };

/** A weighted flow. */
export interface Flow {
  name: string;
  weight: number;
  steps: Step[];
}

/** A validated scenario file. */
export interface ScenarioFile {
  name: string;
  description: string;
  /** Size of the user pool: virtual user k is user number (k mod users) + 1. */
  users: number;
  /** Group name -> member user numbers (1-based). */
  groups: Record<string, number[]>;
  variables: Record<string, string>;
  phases: Phase[];
  flows: Flow[];
  /** Sum of the phase durations. */
  totalMs: number;
}

/** Every problem found in a scenario file, one per line as `path: what is wrong`. */
export class ScenarioFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid scenario file\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Variables every flow can use besides the file's own. */
export const BUILTIN_VARIABLES = ['user', 'peer', 'n', 'vu', 'prefix', 'flow', 'phase'] as const;

const STEP_KINDS = ['connect', 'send', 'waitPush', 'subscribe', 'sleep', 'disconnect'] as const;
const MAX_COUNT = 100_000;

/** Reads, parses and validates a scenario file (`.yaml`/`.yml` or `.json`). */
export function loadScenarioFile(path: string): ScenarioFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (paths are relative to the current directory)' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory, not a file' : (e as Error).message;
    throw new ScenarioFileError(path, [`cannot read: ${why}`]);
  }
  return parseScenarioText(text, path);
}

/** Parses and validates the text of a scenario file; `path` picks JSON or YAML by extension and names the file in errors. */
export function parseScenarioText(text: string, path: string): ScenarioFile {
  let raw: unknown;
  try {
    raw = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ScenarioFileError(path, [`not valid ${extname(path).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`]);
  }
  return validateScenario(raw, path);
}

/** Validates a parsed document; throws {@link ScenarioFileError} listing every problem. */
export function validateScenario(raw: unknown, file = 'scenario'): ScenarioFile {
  const v = new Validator();
  const doc = v.object(raw, '(top level)');
  if (doc === undefined) throw new ScenarioFileError(file, v.problems);
  v.onlyKeys(doc, '', ['name', 'description', 'users', 'groups', 'variables', 'phases', 'flows']);
  const name = v.optString(doc.name, 'name') ?? 'scenario';
  const description = v.optString(doc.description, 'description') ?? '';

  const variables: Record<string, string> = {};
  if (doc.variables !== undefined) {
    const vars = v.object(doc.variables, 'variables');
    for (const [k, val] of Object.entries(vars ?? {})) {
      if (!/^[A-Za-z_]\w*$/.test(k)) v.fail(`variables.${k}`, 'a variable name must be letters, digits and _');
      else if ((BUILTIN_VARIABLES as readonly string[]).includes(k)) v.fail(`variables.${k}`, `"${k}" is built in and cannot be redefined`);
      else if (typeof val !== 'string' && typeof val !== 'number') v.fail(`variables.${k}`, `expected a string or number, got ${typeOf(val)}`);
      else variables[k] = String(val);
    }
  }

  const phases: Phase[] = [];
  const rawPhases = v.array(doc.phases, 'phases', true);
  rawPhases?.forEach((rp, i) => {
    const path = `phases[${i}]`;
    const o = v.object(rp, path);
    if (o === undefined) return;
    v.onlyKeys(o, path, ['name', 'duration', 'arrivalRate', 'users']);
    const durationMs = v.duration(o.duration, `${path}.duration`, true);
    const arrivalRate = o.arrivalRate === undefined ? undefined : v.number(o.arrivalRate, `${path}.arrivalRate`, { min: 0.001, max: 10_000 });
    const users = o.users === undefined ? undefined : v.int(o.users, `${path}.users`, { min: 1, max: MAX_COUNT });
    if (o.arrivalRate === undefined && o.users === undefined) v.fail(path, 'needs either arrivalRate (virtual users per second) or users (a fixed number)');
    if (o.arrivalRate !== undefined && o.users !== undefined) v.fail(path, 'give arrivalRate or users, not both');
    if (durationMs !== undefined && durationMs <= 0) v.fail(`${path}.duration`, 'must be more than 0');
    phases.push({ name: v.optString(o.name, `${path}.name`) ?? `phase ${i + 1}`, durationMs: durationMs ?? 0, arrivalRate, users });
  });
  if (rawPhases !== undefined && rawPhases.length === 0) v.fail('phases', 'needs at least one phase');

  let estimatedVUs = 0;
  for (const p of phases) estimatedVUs += p.users ?? Math.ceil(((p.arrivalRate ?? 0) * p.durationMs) / 1000);
  const users = doc.users === undefined ? Math.max(2, estimatedVUs) : (v.int(doc.users, 'users', { min: 1, max: 1_000_000 }) ?? 1);

  const groups: Record<string, number[]> = {};
  if (doc.groups !== undefined) {
    const gs = v.object(doc.groups, 'groups');
    for (const [g, spec] of Object.entries(gs ?? {})) {
      const path = `groups.${g}`;
      if (!/^[\w-]+$/.test(g)) v.fail(path, 'a group name must be letters, digits, _ and -');
      if (typeof spec === 'number') {
        const n = v.int(spec, path, { min: 1, max: users });
        if (n !== undefined) groups[g] = Array.from({ length: n }, (_, i) => i + 1);
      } else if (Array.isArray(spec)) {
        const members: number[] = [];
        spec.forEach((m, i) => {
          const n = v.int(m, `${path}[${i}]`, { min: 1, max: users });
          if (n !== undefined) members.push(n);
        });
        if (members.length === 0) v.fail(path, 'needs at least one member');
        groups[g] = members;
      } else {
        v.fail(path, `expected a member count (users 1..N) or a list of user numbers, got ${typeOf(spec)}`);
      }
    }
  }

  const known = new Set<string>([...BUILTIN_VARIABLES, ...Object.keys(variables)]);
  const flows: Flow[] = [];
  const rawFlows = v.array(doc.flows, 'flows', true);
  rawFlows?.forEach((rf, i) => {
    const path = `flows[${i}]`;
    const o = v.object(rf, path);
    if (o === undefined) return;
    v.onlyKeys(o, path, ['name', 'weight', 'steps']);
    const weight = o.weight === undefined ? 1 : (v.number(o.weight, `${path}.weight`, { min: 0.000001 }) ?? 1);
    const steps: Step[] = [];
    const rawSteps = v.array(o.steps, `${path}.steps`, true);
    rawSteps?.forEach((rs, j) => {
      const s = parseStep(v, rs, `${path}.steps[${j}]`, known, groups);
      if (s !== undefined) steps.push(s);
    });
    if (rawSteps !== undefined && rawSteps.length === 0) v.fail(`${path}.steps`, 'needs at least one step');
    flows.push({ name: v.optString(o.name, `${path}.name`) ?? `flow ${i + 1}`, weight, steps });
  });
  if (rawFlows !== undefined && rawFlows.length === 0) v.fail('flows', 'needs at least one flow');

  if (v.problems.length > 0) throw new ScenarioFileError(file, v.problems);
  return { name, description, users, groups, variables, phases, flows, totalMs: phases.reduce((s, p) => s + p.durationMs, 0) };
}

function parseStep(v: Validator, raw: unknown, path: string, known: Set<string>, groups: Record<string, number[]>): Step | undefined {
  if (typeof raw === 'string' && (STEP_KINDS as readonly string[]).includes(raw)) raw = { [raw]: {} };
  const o = v.object(raw, path);
  if (o === undefined) return undefined;
  const keys = Object.keys(o);
  if (keys.length !== 1 || !(STEP_KINDS as readonly string[]).includes(keys[0]!)) {
    v.fail(path, `a step is an object with exactly one of ${STEP_KINDS.join(', ')}; got ${keys.length === 0 ? 'nothing' : keys.map((k) => `"${k}"`).join(', ')}`);
    return undefined;
  }
  const kind = keys[0] as (typeof STEP_KINDS)[number];
  const p = `${path}.${kind}`;
  const body = o[kind];
  const args = body === null || body === undefined ? {} : kind === 'sleep' && (typeof body === 'string' || typeof body === 'number') ? { duration: body } : v.object(body, p);
  if (args === undefined) return undefined;
  const tpl = (val: unknown, at: string): string | undefined => {
    const s = v.optString(val, at);
    if (s !== undefined) for (const ref of templateRefs(s)) if (!known.has(ref)) v.fail(at, `unknown variable \${${ref}} (known: ${[...known].join(', ')})`);
    return s;
  };
  switch (kind) {
    case 'connect': {
      v.onlyKeys(args, p, ['platform', 'sdk', 'background']);
      let platformID: number | undefined;
      if (args.platform !== undefined) {
        platformID = typeof args.platform === 'number' || typeof args.platform === 'string' ? platformIdOf(args.platform) : 0;
        if (platformID === 0) {
          v.fail(`${p}.platform`, `unknown platform ${JSON.stringify(args.platform)} (1 IOS .. 11 HarmonyOS, by number or name)`);
          platformID = undefined;
        }
      }
      let sdkType: 'go' | 'js' | undefined;
      if (args.sdk !== undefined) {
        if (args.sdk === 'go' || args.sdk === 'js') sdkType = args.sdk;
        else v.fail(`${p}.sdk`, `expected "go" or "js", got ${JSON.stringify(args.sdk)}`);
      }
      const background = args.background === undefined ? undefined : v.bool(args.background, `${p}.background`);
      return { kind, platformID, sdkType, background };
    }
    case 'send': {
      v.onlyKeys(args, p, ['to', 'group', 'count', 'interval', 'text']);
      const to = tpl(args.to, `${p}.to`);
      const group = v.optString(args.group, `${p}.group`);
      if (to !== undefined && group !== undefined) v.fail(p, 'give "to" (a user) or "group", not both');
      if (group !== undefined && groups[group] === undefined) v.fail(`${p}.group`, `unknown group "${group}" (define it under groups:)`);
      const count = args.count === undefined ? 1 : (v.int(args.count, `${p}.count`, { min: 1, max: MAX_COUNT }) ?? 1);
      const intervalMs = args.interval === undefined ? 0 : (v.duration(args.interval, `${p}.interval`) ?? 0);
      const text = tpl(args.text, `${p}.text`);
      return { kind, to: group === undefined ? (to ?? '${peer}') : undefined, group, count, intervalMs, text };
    }
    case 'waitPush': {
      v.onlyKeys(args, p, ['count', 'timeout']);
      const count = args.count === undefined ? 1 : (v.int(args.count, `${p}.count`, { min: 1, max: MAX_COUNT }) ?? 1);
      const timeoutMs = args.timeout === undefined ? 5000 : (v.duration(args.timeout, `${p}.timeout`) ?? 5000);
      return { kind, count, timeoutMs };
    }
    case 'subscribe': {
      v.onlyKeys(args, p, ['users']);
      const list = typeof args.users === 'string' ? [args.users] : v.array(args.users, `${p}.users`, true);
      const users: string[] = [];
      list?.forEach((u, i) => {
        const s = tpl(u, `${p}.users[${i}]`);
        if (s !== undefined) users.push(s);
      });
      if (list !== undefined && users.length === 0) v.fail(`${p}.users`, 'needs at least one user');
      return { kind, users };
    }
    case 'sleep': {
      v.onlyKeys(args, p, ['duration', 'jitter']);
      const ms = v.duration(args.duration, `${p}.duration`, true) ?? 0;
      const jitterMs = args.jitter === undefined ? 0 : (v.duration(args.jitter, `${p}.jitter`) ?? 0);
      return { kind, ms, jitterMs };
    }
    case 'disconnect': {
      v.onlyKeys(args, p, ['abrupt']);
      return { kind, abrupt: args.abrupt === undefined ? false : (v.bool(args.abrupt, `${p}.abrupt`) ?? false) };
    }
  }
}

/** The `${name}` references in a template string. */
export function templateRefs(s: string): string[] {
  return [...s.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
}

/** Replaces `${name}` with its value (validated files only reference known names). */
export function expand(s: string, vars: Readonly<Record<string, string>>): string {
  return s.replace(/\$\{([^}]*)\}/g, (_, k: string) => vars[k] ?? '');
}


function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Collects problems instead of throwing at the first one. */
class Validator {
  readonly problems: string[] = [];

  fail(path: string, what: string): void {
    this.problems.push(`${path}: ${what}`);
  }

  object(v: unknown, path: string): Record<string, unknown> | undefined {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    this.fail(path, `expected an object (key: value), got ${typeOf(v)}`);
    return undefined;
  }

  array(v: unknown, path: string, required = false): unknown[] | undefined {
    if (v === undefined) {
      if (required) this.fail(path, 'is required (a list)');
      return undefined;
    }
    if (Array.isArray(v)) return v;
    this.fail(path, `expected a list, got ${typeOf(v)}`);
    return undefined;
  }

  onlyKeys(o: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(path ? `${path}.${k}` : k, `unknown key (allowed: ${allowed.join(', ')})`);
  }

  optString(v: unknown, path: string): string | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    this.fail(path, `expected a string, got ${typeOf(v)}`);
    return undefined;
  }

  bool(v: unknown, path: string): boolean | undefined {
    if (typeof v === 'boolean') return v;
    this.fail(path, `expected true or false, got ${typeOf(v)}`);
    return undefined;
  }

  number(v: unknown, path: string, range: { min?: number; max?: number } = {}): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.fail(path, `expected a number, got ${typeOf(v)}`);
      return undefined;
    }
    if (range.min !== undefined && v < range.min) this.fail(path, `must be at least ${range.min}, got ${v}`);
    else if (range.max !== undefined && v > range.max) this.fail(path, `must be at most ${range.max}, got ${v}`);
    else return v;
    return undefined;
  }

  int(v: unknown, path: string, range: { min?: number; max?: number } = {}): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.fail(path, `expected a whole number, got ${typeOf(v)}`);
      return undefined;
    }
    return this.number(v, path, range);
  }

  duration(v: unknown, path: string, required = false): number | undefined {
    if (v === undefined) {
      if (required) this.fail(path, 'is required (a duration like "10s" or "500ms")');
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.fail(path, `expected a duration like "10s" or "500ms", got ${typeOf(v)}`);
      return undefined;
    }
    try {
      return parseDuration(v, path);
    } catch {
      this.fail(path, `expected a duration like "10s", "500ms" or "2m", got ${JSON.stringify(v)}`);
      return undefined;
    }
  }
}
