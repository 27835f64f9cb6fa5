import { Args, Command, Flags } from '@oclif/core';
import { startSimTarget } from '../harness/sim-target.js';
import { parseWorkers, type WorkersError } from '../harness/workers.js';
import { describePolicies } from '../src/gateway/multi-login.js';
import { serveFlags } from './support/serve-flags.js';
import { fail, failWith } from './support/errors.js';
import { failStart } from './support/start-failure.js';
import { DEFAULT_SDK, durationFlag, wsUrlFlag } from './support/flags.js';
import { emitReport } from './support/sim-verdict.js';
import { provisionSuggestion } from '../simulators/provision/index.js';
import { ProvisionError } from '../simulators/provision/run.js';
import {
  runSim,
  runWorkers,
  SCENARIO_NAMES,
  ScenarioFileError,
  simOptionsFromFlags,
  SimUsageError,
  TargetStartError,
  type SimFlagValues,
  type Target,
} from '../simulators/scenarios/index.js';

// Every gateway flag except --no-gateway: the in-process gateway is the point of the default target.
// And without the REST API flags: the sim's own --api names an OpenIM to provision, not one to serve.
const { gateway: _gateway, api: _api, 'api-port': _apiPort, ...gatewayFlags } = serveFlags;

export default class Sim extends Command {
  static override summary = 'Simulated OpenIM clients: load and scenario tests with reports that can fail CI.';
  static override description = `Runs a built-in scenario (connect, chat, group, presence, multilogin, reconnect) or a scenario
file (run FILE) against an in-process gateway started on free ports (the default) or an external one
(--url). Measures handshakes, request round trips, end-to-end delivery latency and throughput, and
checks integrity: every message reaches every online recipient connection exactly once, in seq order,
with no gap after a reconnect's catch-up. Prints a live progress line on stderr and a summary at the
end. Built-in checks per scenario (no loss, duplicates, disorder or gaps; the kicks the policy calls
for; converged presence; finished flows; some traffic) fail the run unless --no-default-checks;
--threshold adds checks. --json prints the report on stdout, --out/--html write it to files.
--workers N spreads the users over N processes (pairs and groups stay within one) and merges their histograms and integrity ledgers into one report; --shard i/n runs one part of the users on each of several load machines, and \`msggw sim merge\` joins their --out files (see msggw sim merge --help).
Exit codes: 0 PASS, 1 FAIL or ERROR, 2 usage, 3 INCOMPLETE (interrupted by Ctrl-C or SIGTERM, or a
worker or shard missing).`;
  static override examples = [
    '<%= config.bin %> sim chat --users 200 --rate 500 --duration 20s',
    "<%= config.bin %> sim chat --users 10 --rate 50 --duration 2s --out out.json --threshold 'delivery.p99<500ms'",
    '<%= config.bin %> sim chat --users 4 --rate 20 --duration 5 --json > report.json     # a bare duration is seconds',
    '<%= config.bin %> sim connect --users 10000 --ramp 2000 --hold 10s --url ws://127.0.0.1:10001/',
    '<%= config.bin %> sim group --members 200 --senders 5 --rate 20 --duration 10s --html group.html',
    '<%= config.bin %> sim presence --subscribers 20 --watched 50 --churn 10 --merge-interval 100ms',
    '<%= config.bin %> sim multilogin --users 5 --policy 4',
    "<%= config.bin %> sim chat --url ws://openim:10001/ --api http://openim:10002 --secret openIM123 --prefix load1_ --threshold 'delivery.p99<1s'",
    "<%= config.bin %> sim reconnect --users 40 --rate 100 --drops 20 --threshold 'reconnects>=20'",
    '<%= config.bin %> sim run fixtures/scenarios/chat-mix.yaml --html report.html',
    '<%= config.bin %> sim chat --users 2000 --rate 4000 --duration 30s --workers auto --url ws://127.0.0.1:10001/   # one process per core',
    '<%= config.bin %> sim chat --users 200 --rate 400 --workers 2 --html chat.html       # workers against one in-process gateway',
    '<%= config.bin %> sim chat --users 20000 --rate 8000 --url ws://gw:10001/ --prefix load1_ --seed 7 --shard 1/2 --out shard1.json   # machine A',
    '<%= config.bin %> sim chat --users 20000 --rate 8000 --url ws://gw:10001/ --prefix load1_ --seed 7 --shard 2/2 --out shard2.json   # machine B',
    '<%= config.bin %> sim merge shard1.json shard2.json --html load.html',
  ];
  static override args = {
    scenario: Args.string({ description: `scenario: ${SCENARIO_NAMES.join(', ')}`, required: true, options: [...SCENARIO_NAMES] }),
    file: Args.string({ description: 'scenario file (YAML or JSON) for "run"' }),
  };
  static override flags = {
    users: Flags.integer({ summary: 'Users (connect 100, chat/reconnect 20, multilogin 5; group: same as --members).', helpGroup: 'SIZE' }),
    members: Flags.integer({ summary: 'group: group members, all online (default 50).', helpGroup: 'SIZE' }),
    senders: Flags.integer({ summary: 'group: members that send (default 5).', helpGroup: 'SIZE' }),
    subscribers: Flags.integer({ summary: 'presence: subscriber connections (default 5).', helpGroup: 'SIZE' }),
    watched: Flags.integer({ summary: 'presence: watched users that churn (default 10).', helpGroup: 'SIZE' }),
    rate: Flags.string({ summary: 'chat/group/reconnect: messages per second over all senders (50, 20, 50).', helpGroup: 'PACE' }),
    duration: durationFlag({ summary: 'Load window: sending/churn time (default 10s); connect: caps ramp + hold; run: caps the phases.', helpGroup: 'PACE' }),
    hold: durationFlag({ summary: 'connect: hold every connection this long once open (default 5s).', helpGroup: 'PACE' }),
    ramp: Flags.string({ summary: 'New connections per second when opening (default: as fast as --concurrency allows).', helpGroup: 'PACE' }),
    concurrency: Flags.integer({ summary: 'Handshakes in flight at once.', default: 256, helpGroup: 'PACE' }),
    churn: Flags.string({ summary: 'presence: on/offline flips per second (default 5).', helpGroup: 'PACE' }),
    settle: durationFlag({ summary: 'presence: time subscribers get to converge after the churn (default 5s).', helpGroup: 'PACE' }),
    drops: Flags.integer({ summary: 'reconnect: abrupt drops over the window (default: --users).', helpGroup: 'PACE' }),
    backoff: durationFlag({ summary: 'reconnect: first reconnect delay, doubling per failed attempt (default 100ms).', helpGroup: 'PACE' }),
    policy: Flags.integer({ summary: `multilogin: the target's multi-login policy to assert, ${describePolicies()}; default 1. In-process it also configures the gateway.`, helpGroup: 'SIZE' }),
    join: Flags.string({ summary: 'group: how members join: auto (in-process: defined by the sim; external: first-send), first-send, none (serve --group).', default: 'auto', helpGroup: 'SIZE' }),
    platforms: Flags.string({ summary: 'Platform mix, names (any case) or IDs with weights (default android:40,ios:30,web:20,windows:10).', helpGroup: 'CLIENTS' }),
    sdk: Flags.string({ summary: 'Client flavour: go (gob + gzip), js (JSON), mix, or weights go:3,js:1.', default: DEFAULT_SDK, helpGroup: 'CLIENTS' }),
    prefix: Flags.string({ summary: 'Prefix of user and group IDs (default sim<random>_): users are <prefix>1..N.', helpGroup: 'CLIENTS' }),
    seed: Flags.integer({ summary: 'Random seed (choices of senders, flows, churn) for a repeatable run.', helpGroup: 'CLIENTS' }),
    url: wsUrlFlag({ summary: 'External gateway WebSocket URL (ws://host:port/); default: start one in-process on free ports.', helpGroup: 'TARGET' }),
    tokens: Flags.string({ summary: 'Tokens file instead of minting with --secret: JSON {"user:platform":"token"} or lines "user platform token".', helpGroup: 'TARGET' }),
    api: Flags.string({
      summary: "Provision a real OpenIM through its REST API before the load (admin token from --secret or --admin-token, users registered, server-issued tokens, groups created); needs --url.",
      helpGroup: 'TARGET',
    }),
    'admin-user': Flags.string({ summary: 'With --api: the admin user --secret asks a token for (share.yml imAdminUserID).', default: 'imAdmin', helpGroup: 'TARGET' }),
    'gateway-metrics': Flags.string({ summary: "External gateway's Prometheus URL (http://host:port/metrics), sampled for its RSS.", helpGroup: 'TARGET' }),
    json: Flags.boolean({ summary: 'Print the JSON report (schemaVersion 1) on stdout instead of the summary (progress stays on stderr).', helpGroup: 'REPORT' }),
    out: Flags.string({ char: 'o', summary: 'Write the JSON report (schemaVersion 1) to FILE.', helpValue: '<file>', helpGroup: 'REPORT' }),
    html: Flags.string({ summary: 'Write a self-contained HTML report with charts to FILE.', helpValue: '<file>', helpGroup: 'REPORT' }),
    threshold: Flags.string({ char: 't', summary: "Check, e.g. 'delivery.p99<500ms' or 'lost<=5' (repeatable; replaces the default check on its metric); a failed check exits 1.", multiple: true, multipleNonGreedy: true, helpGroup: 'REPORT' }),
    quiet: Flags.boolean({ char: 'q', summary: 'No progress output on stderr.', helpGroup: 'REPORT' }),
    'default-checks': Flags.boolean({ summary: "The scenario's built-in checks (lost==0, kicks.missing==0, ...; see README). --no-default-checks drops them.", default: true, allowNo: true, helpGroup: 'REPORT' }),
    drain: durationFlag({ summary: 'After the load, wait for outstanding deliveries, reconnects and catch-ups; give up after this long without progress (and at 12x in all).', default: 5000, defaultHelp: async () => '5s', helpGroup: 'PACE' }),
    'setup-timeout': durationFlag({ summary: 'Bound of the set-up (connecting, joining) before the load.', default: 60_000, defaultHelp: async () => '60s', helpGroup: 'PACE' }),
    'request-timeout': durationFlag({ summary: 'Per-request timeout.', default: 10_000, defaultHelp: async () => '10s', helpGroup: 'PACE' }),
    'loss-grace': durationFlag({ summary: 'A delivery is not owed to a connection that ended within this long after the send.', default: 1000, defaultHelp: async () => '1s', helpGroup: 'PACE' }),
    workers: Flags.string({
      summary: 'Processes to spread the users over (auto = one per core); pairs and groups stay within one. Their histograms and ledgers merge into one report. Without --url the gateway runs in this process and the workers load it.',
      helpGroup: 'CLIENTS',
    }),
    shard: Flags.string({
      summary: 'Run only shard i of n of the users (e.g. 1/2 on one load machine, 2/2 on another; needs --url; same split as --workers); join the --out files with msggw sim merge.',
      helpValue: '<i/n>',
      helpGroup: 'CLIENTS',
    }),
    ...gatewayFlags,
    'admin-token': Flags.string({ summary: "With --api: an OpenIM admin token to provision with instead of --secret. In-process: the admin stream's token.", helpGroup: 'TARGET' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Sim);
    const num = (v: string | undefined, flag: string): number | undefined => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) fail(this, 'MSGGW_SIM_FLAG', `--${flag} ${v}: expected a non-negative number`);
      return n;
    };
    let options;
    const values: SimFlagValues = { ...flags, rate: num(flags.rate, 'rate'), ramp: num(flags.ramp, 'ramp'), churn: num(flags.churn, 'churn') };
    try {
      options = simOptionsFromFlags(args.scenario, args.file, values);
    } catch (e) {
      if (e instanceof SimUsageError) failWith(this, e.code, e.message, e.suggestion);
      if (e instanceof ScenarioFileError) fail(this, 'MSGGW_SIM_FILE', e.message);
      throw e;
    }
    let workers = 1;
    if (flags.workers !== undefined) {
      try {
        workers = parseWorkers(flags.workers);
      } catch (e) {
        const we = e as WorkersError;
        failWith(this, we.code, we.message, we.suggestion);
      }
    }
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let result;
    const progress = flags.quiet ? undefined : { isTTY: process.stderr.isTTY === true, write: (s: string) => process.stderr.write(s) };
    const onTarget = (t: Target): void => {
      if (!flags.quiet && t.kind === 'in-process') this.logToStderr(inProcessBanner(t));
    };
    try {
      if (workers > 1) {
        result = await runWorkers({
          workers,
          scenario: args.scenario,
          file: args.file,
          values,
          options,
          defaultChecks: flags['default-checks'],
          inProcess: startSimTarget,
          signal: stop.signal,
          progress,
          onTarget,
          // Worker pids and what workers write on stderr, on their own lines.
          log: (line) => {
            if (progress?.isTTY) process.stderr.write('\r\x1b[2K');
            this.logToStderr(line);
          },
        });
      } else {
        result = await runSim({ ...options, inProcess: startSimTarget, defaultChecks: flags['default-checks'], signal: stop.signal, progress, onTarget });
      }
    } catch (e) {
      if (e instanceof SimUsageError) failWith(this, e.code, e.message, e.suggestion);
      if (e instanceof TargetStartError) failStart(this, e, 'could not start the in-process gateway', 'leave --port/--hub-port/--metrics-port/--admin-port unset for free ports');
      if (e instanceof ProvisionError) {
        // Nothing was loaded: say which call failed and what the server answered.
        fail(this, 'MSGGW_SIM_PROVISION', `${e.message}; no load was run`, e.call ? [provisionSuggestion(e.call, flags.api ?? '')] : []);
      }
      throw e;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    const { report, failed } = result;
    emitReport(this, report, failed, flags);
  }
}

/** The stderr line when the sim starts its own node: where it listens, and the admin stream's token for `msggw tui --attach`. */
function inProcessBanner(t: Target): string {
  const a = t.admin;
  const admin = a ? `  admin ws://${a.address}/ token ${a.token}  (watch: msggw tui --attach ${a.address} --admin-token ${a.token})` : '';
  return `in-process gateway ${t.url}  hub ${t.hub ?? '-'}${admin}`;
}
