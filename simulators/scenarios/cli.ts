/**
 * From `msggw sim` flags to run options: every value parsed and checked here, with errors
 * that say which flag and what to write instead, so the command itself stays a thin shell.
 */
import { configFromFlags, type ServeFlagValues } from '../../src/config/from-flags.js';
import { describePolicies, knownPolicies } from '../../src/gateway/multi-login.js';
import { platformIdOf } from '../../src/protocol/platforms.js';
import {
  chatScenario,
  connectScenario,
  groupScenario,
  multiloginScenario,
  presenceScenario,
  reconnectScenario,
  SCENARIO_NAMES,
  type GroupJoin,
  type ScenarioName,
} from './builtins/index.js';
import { loadScenarioFile, ScenarioFileError } from './file/schema.js';
import { fileScenario } from './file/runner.js';
import type { SimOptions } from './run.js';
import type { Scenario } from './scenario.js';
import type { TargetSpec } from './target.js';
import { parseThreshold, ThresholdError } from './thresholds.js';
import { fileTokens, secretTokens, TokenFileError } from './tokens.js';
import { parseMix, type Weighted } from './units.js';
import { parseShard, shardCount, shardLabel, shardRange, ShardError, type Shard, type ShardPlan } from './shard.js';

/** The `msggw sim` flags this module reads (serve flags included, for the in-process gateway). */
export interface SimFlagValues extends Omit<ServeFlagValues, 'gateway' | 'api' | 'api-port'> {
  users?: number;
  members?: number;
  senders?: number;
  rate?: number;
  /** Durations are milliseconds (parsed by the flags). */
  duration?: number;
  hold?: number;
  ramp?: number;
  concurrency: number;
  platforms?: string;
  sdk: string;
  subscribers?: number;
  watched?: number;
  churn?: number;
  settle?: number;
  policy?: number;
  drops?: number;
  backoff?: number;
  join: string;
  url?: string;
  tokens?: string;
  /** OpenIM REST API to provision the run on (users, tokens, groups). */
  api?: string;
  /** With --api: an admin token instead of asking for one with --secret (in-process: the admin stream's token). */
  'admin-token'?: string;
  'admin-user'?: string;
  'gateway-metrics'?: string;
  prefix?: string;
  seed?: number;
  /** `i/n`: run only shard i of n of the users (shard.ts). */
  shard?: string;
  threshold?: string[];
  drain: number;
  'setup-timeout': number;
  'request-timeout': number;
  'loss-grace': number;
}

/** A usage problem: exit code 2, with a suggestion. */
export class SimUsageError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

/** Builds the run options; throws {@link SimUsageError} (or ScenarioFileError) on bad input. */
export function simOptionsFromFlags(scenarioName: string, file: string | undefined, f: SimFlagValues): Omit<SimOptions, 'progress' | 'signal'> {
  if (!(SCENARIO_NAMES as readonly string[]).includes(scenarioName)) {
    throw new SimUsageError(`unknown scenario "${scenarioName}"`, 'MSGGW_SIM_SCENARIO', `one of: ${SCENARIO_NAMES.join(', ')} (run takes a file: msggw sim run fixtures/scenarios/chat-mix.yaml)`);
  }
  const name = scenarioName as ScenarioName;
  const positive = (v: number | undefined, flag: string, min = 1): number | undefined => {
    if (v !== undefined && !(v >= min)) throw new SimUsageError(`--${flag} must be at least ${min}, got ${v}`, 'MSGGW_SIM_FLAG');
    return v;
  };
  const durationMs = f.duration;
  const setupTimeoutMs = f['setup-timeout'];

  let shard: Shard | undefined;
  if (f.shard !== undefined) {
    try {
      shard = parseShard(f.shard);
    } catch (e) {
      throw new SimUsageError((e as ShardError).message, 'MSGGW_SIM_SHARD', 'e.g. --shard 1/2 on one load machine and --shard 2/2 on the other, then msggw sim merge');
    }
    if (f.url === undefined) throw new SimUsageError('--shard splits the users of one gateway over several load machines: give that gateway with --url', 'MSGGW_SIM_SHARD', 'e.g. --url ws://gateway:10001/ --shard 1/2 --prefix load1_ --out shard1.json');
  }
  // This shard's part of the users: a range of user numbers (pairs kept together) or a count.
  let userOffset = 0;
  let userRange: ShardPlan['users'] = null;
  const cut = (total: number, unit: number, min: number, flag: string): number => {
    if (shard === undefined) return total;
    const r = shardRange(total, shard, unit);
    if (r.size < min) throw tooSmall(flag, total, min, shard);
    userOffset = r.offset;
    userRange = { first: r.offset + 1, last: r.offset + r.size };
    return r.size;
  };
  const part = (total: number, min: number, flag: string): number => {
    if (shard === undefined) return total;
    const n = shardCount(total, shard);
    if (n < min) throw tooSmall(flag, total, min, shard);
    return n;
  };

  let scenario: Scenario;
  // The whole run's scenario when this process runs a shard (the report shows its parameters).
  let whole: Scenario | undefined;
  let loadMs: number;
  switch (name) {
    case 'connect': {
      const total = positive(f.users, 'users') ?? 100;
      const ramp = f.ramp ?? 0;
      const holdMs = f.hold ?? 5000;
      const users = cut(total, 1, 1, 'users');
      scenario = connectScenario({ users, rampPerSec: (ramp * users) / total, holdMs, durationMs });
      whole = connectScenario({ users: total, rampPerSec: ramp, holdMs, durationMs });
      loadMs = durationMs ?? holdMs + (ramp > 0 ? (total * 1000) / ramp : 0) + setupTimeoutMs;
      break;
    }
    case 'chat':
    case 'reconnect': {
      const total = positive(f.users, 'users', 2) ?? 20;
      const rate = positive(f.rate, 'rate', 0.001) ?? 50;
      loadMs = durationMs ?? 10_000;
      const drops = f.drops ?? total;
      const make = (users: number, r: number, d: number): Scenario =>
        name === 'chat' ? chatScenario({ users, rate: r, durationMs: loadMs }) : reconnectScenario({ users, rate: r, durationMs: loadMs, drops: d, backoffMs: f.backoff ?? 100 });
      // Pairs (u1-u2, u3-u4, ...) stay in one shard.
      const users = cut(total, 2, 2, 'users');
      scenario = make(users, (rate * users) / total, part(drops, 0, 'drops'));
      whole = make(total, rate, drops);
      break;
    }
    case 'group': {
      if (f.users !== undefined && f.members !== undefined && f.users !== f.members) throw new SimUsageError('--users and --members mean the same for group: give one', 'MSGGW_SIM_FLAG');
      const total = positive(f.members ?? f.users, 'members', 2) ?? 50;
      if (!['auto', 'first-send', 'none'].includes(f.join)) throw new SimUsageError(`--join ${f.join}: use auto, first-send or none`, 'MSGGW_SIM_FLAG');
      loadMs = durationMs ?? 10_000;
      const allSenders = positive(f.senders, 'senders') ?? Math.min(5, total);
      const rate = positive(f.rate, 'rate', 0.001) ?? 20;
      const join = f.join as GroupJoin;
      // A group's fan-out is checked exactly only inside one process: each shard drives its own group of its members.
      const members = cut(total, 1, 2, 'members');
      const senders = part(allSenders, 1, 'senders');
      scenario = groupScenario({ members, senders: Math.min(senders, members), rate: (rate * senders) / allSenders, durationMs: loadMs, join });
      whole = groupScenario({ members: total, senders: allSenders, rate, durationMs: loadMs, join });
      break;
    }
    case 'presence': {
      loadMs = durationMs ?? 10_000;
      const subscribers = positive(f.subscribers, 'subscribers') ?? 5;
      const watched = positive(f.watched, 'watched') ?? 10;
      const churn = positive(f.churn, 'churn', 0.001) ?? 5;
      const settleMs = f.settle ?? 5000;
      const w = part(watched, 1, 'watched');
      scenario = presenceScenario({ subscribers: part(subscribers, 1, 'subscribers'), watched: w, churn: (churn * w) / watched, durationMs: loadMs, settleMs });
      whole = presenceScenario({ subscribers, watched, churn, durationMs: loadMs, settleMs });
      break;
    }
    case 'multilogin': {
      const policy = f.policy ?? 1;
      if (!knownPolicies.includes(policy)) throw new SimUsageError(`--policy ${policy} is not an OpenIM multi-login policy`, 'MSGGW_SIM_FLAG', `use ${describePolicies()}`);
      if (f.tokens !== undefined) throw new SimUsageError('multilogin mints a fresh token per login: it cannot use --tokens', 'MSGGW_SIM_FLAG', "drop --tokens and pass the gateway's --secret");
      loadMs = durationMs ?? 30_000;
      const total = positive(f.users, 'users') ?? 5;
      scenario = multiloginScenario({ users: cut(total, 1, 1, 'users'), policy, durationMs: loadMs, kickTimeoutMs: 3000 });
      whole = multiloginScenario({ users: total, policy, durationMs: loadMs, kickTimeoutMs: 3000 });
      break;
    }
    case 'run': {
      if (file === undefined) throw new SimUsageError('sim run needs a scenario file', 'MSGGW_SIM_FILE', 'msggw sim run fixtures/scenarios/chat-mix.yaml');
      if (shard !== undefined) throw new SimUsageError('scenario files cannot be split into shards or workers yet (their flows may message any user)', 'MSGGW_SIM_SHARD', 'run the file in one process, or use a built-in scenario (chat, group, ...) with --shard/--workers');
      const doc = loadScenarioFile(file);
      loadMs = durationMs ?? doc.totalMs + 5000;
      scenario = fileScenario(doc, file);
      break;
    }
  }
  const shardPlan: ShardPlan | undefined = shard && whole ? { shard, userOffset, users: userRange, runParams: { ...whole.params } } : undefined;
  if (name !== 'run' && file !== undefined) throw new SimUsageError(`unexpected argument "${file}": only "sim run" takes a file`, 'MSGGW_SIM_FILE');

  let target: TargetSpec;
  if (f.url !== undefined) {
    target = { kind: 'external', url: f.url, metricsUrl: f['gateway-metrics'] };
  } else {
    let config;
    try {
      // The in-process node uses the serve flags; ports default to "any free one" so nothing clashes.
      config = configFromFlags({
        ...f,
        gateway: true,
        // The in-process target needs no REST API (and must not take port 10002).
        api: false,
        port: f.port ?? 0,
        'hub-port': f['hub-port'] ?? 0,
        'metrics-port': f['metrics-port'] ?? 0,
        // Not the well-known 12141 either: a sim next to a running serve must not take its admin port.
        'admin-port': f['admin-port'] ?? 0,
        'multi-login-policy': f['multi-login-policy'] ?? (name === 'multilogin' ? (f.policy ?? 1) : undefined),
      });
    } catch (e) {
      throw new SimUsageError((e as Error).message, 'MSGGW_BAD_CONFIG');
    }
    target = { kind: 'in-process', config };
  }

  let provision: SimOptions['provision'];
  if (f.api !== undefined) {
    if (!/^https?:\/\//.test(f.api)) throw new SimUsageError(`--api ${f.api}: expected http://host:port`, 'MSGGW_SIM_FLAG', 'e.g. --api http://127.0.0.1:10002');
    if (f.url === undefined) throw new SimUsageError('--api provisions an external OpenIM: give its gateway with --url too', 'MSGGW_SIM_FLAG', 'e.g. --url ws://127.0.0.1:10001/ --api http://127.0.0.1:10002 --secret openIM123');
    if (f.tokens !== undefined) throw new SimUsageError('--api fetches server-issued tokens: it cannot be combined with --tokens', 'MSGGW_SIM_FLAG');
    if (name === 'multilogin') throw new SimUsageError('multilogin mints a fresh token per login: it cannot run on server-issued tokens (--api)', 'MSGGW_SIM_FLAG', 'run it against msggw serve with --secret');
    provision = {
      api: f.api,
      ...(f['admin-token'] ? { adminToken: f['admin-token'] } : { secret: f.secret ?? 'openIM123' }),
      adminUserID: f['admin-user'] ?? 'imAdmin',
    };
  }

  let tokens;
  try {
    tokens = f.tokens !== undefined ? fileTokens(f.tokens) : secretTokens(f.secret ?? 'openIM123');
  } catch (e) {
    if (e instanceof TokenFileError) throw new SimUsageError(e.message, 'MSGGW_SIM_TOKENS', 'JSON {"user:platform":"token"} or lines "user platform token"');
    throw e;
  }

  const thresholds = (f.threshold ?? []).map((t) => {
    try {
      return parseThreshold(t);
    } catch (e) {
      if (e instanceof ThresholdError) throw new SimUsageError(e.message, 'MSGGW_SIM_THRESHOLD');
      throw e;
    }
  });

  return {
    scenario,
    target,
    tokens,
    ...(provision ? { provision } : {}),
    loadMs,
    prefix: f.prefix,
    seed: f.seed,
    platforms: f.platforms === undefined ? undefined : parsePlatforms(f.platforms),
    sdk: parseSdk(f.sdk),
    concurrency: positive(f.concurrency, 'concurrency'),
    rampPerSec: name === 'connect' ? (f.ramp ?? 0) : (f.ramp ?? 0),
    requestTimeoutMs: f['request-timeout'],
    setupTimeoutMs,
    drainMs: f.drain,
    lossGraceMs: f['loss-grace'],
    thresholds,
    ...(shardPlan ? { shard: shardPlan } : {}),
  };
}

function tooSmall(flag: string, total: number, min: number, shard: Shard): SimUsageError {
  return new SimUsageError(
    `--${flag} ${total} cannot be split into ${shard.count} shards of at least ${min} (shard ${shardLabel(shard)} would get fewer)`,
    'MSGGW_SIM_SHARD',
    `raise --${flag} to at least ${min * shard.count}, or use fewer shards or workers`,
  );
}

/** `android:40,ios:30,web:20` or `2:40,1:30,5:20` -> weighted platform IDs. */
export function parsePlatforms(s: string): Weighted<number>[] {
  try {
    return parseMix(
      s,
      (name) => platformIdOf(name) || undefined,
      '--platforms',
    );
  } catch (e) {
    throw new SimUsageError((e as Error).message, 'MSGGW_SIM_FLAG', 'e.g. --platforms android:40,ios:30,web:20,windows:10 (names or IDs 1..11)');
  }
}

/** `go`, `js`, `mix` (half each) or `go:3,js:1`. */
export function parseSdk(s: string): Weighted<'go' | 'js'>[] {
  if (s === 'mix') s = 'go:1,js:1';
  try {
    return parseMix(s, (name) => (name === 'go' || name === 'js' ? name : undefined), '--sdk');
  } catch (e) {
    throw new SimUsageError((e as Error).message, 'MSGGW_SIM_FLAG', 'use go, js, mix or go:3,js:1');
  }
}


export { ScenarioFileError };
