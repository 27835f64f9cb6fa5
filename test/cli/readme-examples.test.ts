/**
 * The README's examples, kept honest. Every `msggw` command line of README.md (code blocks, and
 * whole examples in the prose) is parsed by the built CLI's own commands (dist/, as bin/run.js
 * loads them): the command exists and takes those flags and arguments with those values. The
 * quick ones then run for real through bin/run.js: against one `msggw serve` on free ports, the
 * only change being the addresses (`--url`, `--addr`, `--api`, all documented flags), or
 * in-process as written. A README line these runs name that is no longer there fails the test.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, type Command } from '@oclif/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, requireBuild, startServe, type ServeProcess } from '../helpers/cli.js';
import { readmeCommands, shellWords, type ReadmeCommand } from '../helpers/readme-commands.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const commands = readmeCommands(README);

/** Parses argv with the command's own flag and argument definitions; resolves with the error text, or undefined. */
async function parseError(config: Config, argv: string[]): Promise<string | undefined> {
  if (argv[0] === undefined) return 'no command';
  // Topics: `sim merge` is the command sim:merge (the longest id that exists wins).
  const sub = argv[1] !== undefined ? config.findCommand(`${argv[0]}:${argv[1]}`) : undefined;
  const id = sub ? `${argv[0]}:${argv[1]}` : argv[0];
  const rest = argv.slice(sub ? 2 : 1);
  const found = config.findCommand(id);
  if (!found) return `unknown command ${id}`;
  const C = await found.load();
  // The command's own parse (protected in oclif's types): its flags, base flags and arguments.
  const Concrete = C as unknown as new (argv: string[], config: Config) => { parse: (c: Command.Class, argv: string[]) => Promise<unknown> };
  const cmd = new Concrete(rest, config);
  const { explainCliError } = (await import(join(ROOT, 'dist/commands/support/parse-errors.js'))) as { explainCliError: (e: unknown) => unknown };
  try {
    await cmd.parse(C, rest);
    return undefined;
  } catch (e) {
    return ((explainCliError(e) as Error).message ?? String(e)).split('\n')[0];
  }
}

describe('README examples: every msggw command line parses', () => {
  it('finds the examples', () => {
    // Enough to mean the extraction works (the README has dozens); each section's first example is there.
    expect(commands.filter((c) => c.where === 'block').length).toBeGreaterThan(35);
    for (const first of ['msggw serve', 'msggw token --user u1 --platform web', 'msggw call --list', 'msggw client --user u2', 'msggw sim chat', 'msggw tui']) {
      expect(commands.map((c) => c.text)).toContain(first);
    }
  });

  it('each names a command and flags it has, with values it accepts', async () => {
    requireBuild();
    const config = await Config.load(ROOT);
    // The check can fail: a typo'd flag, an unknown command, a bad value.
    expect(await parseError(config, ['sim', 'chat', '--user', '5'])).toMatch(/unknown flag --user: did you mean --users/);
    expect(await parseError(config, ['nope'])).toBe('unknown command nope');
    // The command list the unknown-command error offers is oclif's.
    const { COMMANDS } = (await import(join(ROOT, 'dist/commands/support/parse-errors.js'))) as { COMMANDS: readonly string[] };
    expect([...COMMANDS].sort()).toEqual(config.commands.map((c) => c.id.replaceAll(':', ' ')).sort());
    expect(await parseError(config, ['client', '--user', 'u1', '--stay', 'soon'])).toMatch(/stay/);
    const failures: string[] = [];
    for (const c of commands) {
      const why = await parseError(config, c.argv);
      if (why !== undefined) failures.push(`README.md:${c.line} ${c.text}\n    ${why}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
  }, 60_000);
});

/** A README line run for real: its argv with the addresses adapted. */
interface Run {
  /** The README line (after `msggw`, comment dropped) exactly. */
  example: string;
  /** What stdout (or stderr with `stderr: true`) must show. */
  expect: RegExp[];
  stdin?: string;
  /** A command that stays until Ctrl-C: SIGINT once this appears on stdout. */
  interruptAfter?: RegExp;
  /** Runs in-process as written (no address to adapt); `tmp`: in a temporary working directory (it writes files). */
  inProcess?: boolean;
  tmp?: boolean;
  exit?: number;
  timeoutMs?: number;
}

const RUNS: Run[] = [
  { example: 'msggw token --user u1 --platform web', expect: [/^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/] },
  { example: 'msggw token --user u1 --platform ios --json', expect: [/"userID":"u1","platformID":1,"platform":"IOS"/] },
  { example: 'msggw token --user u1 --api http://127.0.0.1:10002 --secret openIM123', expect: [/^eyJ/] },
  { example: 'msggw client --user u1 --send u2 --api http://127.0.0.1:10002 --secret openIM123', expect: [/^connected as u1/m, /^sent {2}serverMsgID=\w+/m] },
  { example: 'msggw call --list', expect: [/KickUserOffline\(platformID: int32, kickUserIDList: repeated string\)/] },
  { example: `msggw call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}'`, expect: [/"successResult"/] },
  { example: `msggw call msgGateway.KickUserOffline '{"platformID":5,"kickUserIDList":["u1"]}'`, expect: [/^\{\}$/m] },
  { example: 'msggw call auth.parseToken "{\\"token\\":\\"$(npx msggw token --user u1)\\"}" --addr 127.0.0.1:36051', expect: [/"userID": "u1"/, /"platformID": 5/] },
  { example: 'msggw call describe msgGateway.KickUserOffline', expect: [/request openim\.msggateway\.KickUserOfflineReq/, /"kickUserIDList"/] },
  { example: 'msggw client --user u2', expect: [/^connected as u2 on platform 5/m], interruptAfter: /^connected as u2/m },
  { example: 'msggw client --user u1 --platform ios --sdk go --gzip --send u2 --text hello --stay 1s', expect: [/^connected as u1 on platform 1 \(go\+gzip\)/m, /^push {2}si_u1_u2 seq=\d+ from=u1: hello$/m, /^sent /m] },
  { example: 'msggw client --user a --subscribe b', expect: [/^presence b offline \(current\)$/m], interruptAfter: /^watching b/m },
  { example: 'msggw client --user u1 --seq --pull si_u1_u2:1-20', expect: [/^seq {3}\d+ conversation\(s\)/m, /^ {2}si_u1_u2 {2}max \d+/m, /^pull {2}\d+ message\(s\)/m, /^ {2}seq 1 from u1 \[101\]: /m] },
  { example: `msggw client --user u1 --raw '{"reqIdentifier":1001,"data":{"userID":"u1"}}' --frames`, expect: [/^> 1001 GetNewestSeq /m, /^< 1001 GetNewestSeq .*errCode=0/m] },
  { example: 'msggw client --user u1 --send u2 --interactive', stdin: 'hello\n/pull si_u1_u2 1-5\n', expect: [/^sent {2}serverMsgID=/m, /^pull {2}\d+ message\(s\) \(1002 PullMsgBySeqList/m] },
  // The presence walk-through (the serve of this file runs with --merge-interval 50ms, as its terminal 1).
  { example: 'msggw client --user alice --subscribe bob', expect: [/^presence bob offline \(current\)$/m, /^presence bob online on Android$/m, /^presence bob offline$/m], interruptAfter: /^presence bob online on Android$[\s\S]*^presence bob offline$/m, timeoutMs: 40_000 },
  { example: `msggw sim chat --users 10 --rate 50 --duration 2s --out out.json --threshold 'delivery.p99<500ms'`, inProcess: true, tmp: true, expect: [/^wrote out\.json$/m], exit: -1, timeoutMs: 90_000 },
  { example: 'msggw sim run fixtures/scenarios/chat-mix.yaml', inProcess: true, expect: [/^msggw sim run chat-mix against in-process .*PASS$/m, /^phase +started/m], timeoutMs: 90_000 },
];

/** The argv of a README line with the addresses of this file's serve put in. */
function adapt(argv: string[], s: ServeProcess): string[] {
  const out = [...argv];
  const set = (flag: string, value: string): void => {
    const i = out.indexOf(flag);
    if (i >= 0) out[i + 1] = value;
    else out.push(flag, value);
  };
  const a = s.addrs;
  if (out.includes('--api')) set('--api', `http://${a.api}`);
  if (out[0] === 'client' || (out[0] === 'sim' && out.includes('--url'))) set('--url', a.ws!);
  if (out[0] === 'call' && out[1] !== 'describe' && !out.includes('--list')) set('--addr', out[1]!.startsWith('auth.') ? a.auth! : a.hub!);
  return out;
}

/** Replaces `$(npx msggw ...)` in the words by that command's output, as the shell would. */
async function substitute(argv: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const w of argv) {
    let word = w;
    for (const m of w.matchAll(/\$\(npx msggw ([^)]*)\)/g)) {
      const r = await runBin(shellWords(m[1]!)!, {});
      expect(r.code, `$(${m[1]}): ${r.stderr}`).toBe(0);
      word = word.replace(m[0], r.stdout.trim());
    }
    out.push(word);
  }
  return out;
}

function runBin(argv: string[], o: { stdin?: string; cwd?: string; interruptAfter?: RegExp; timeoutMs?: number; onStdout?: (stdout: string) => void }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...argv], { cwd: o.cwd ?? ROOT, stdio: [o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (o.stdin !== undefined) {
      // Lines typed one after the other, then the end of the input (Ctrl-D).
      const lines = o.stdin.split(/(?<=\n)/);
      let k = 0;
      const next = (): void => {
        if (k < lines.length) {
          p.stdin!.write(lines[k++]);
          setTimeout(next, 300);
        } else p.stdin!.end();
      };
      setTimeout(next, 300);
    }
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    p.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      o.onStdout?.(stdout);
      if (o.interruptAfter && !interrupted && o.interruptAfter.test(stdout)) {
        interrupted = true;
        p.kill('SIGINT');
      }
    });
    p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`msggw ${argv.join(' ')} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 30_000);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README examples: the quick ones run', () => {
  let serve: ServeProcess;
  const dir = mkdtempSync(join(tmpdir(), 'msggw-readme-'));
  beforeAll(async () => {
    // README: `npx msggw serve --merge-interval 50ms` (terminal 1 of the presence walk-through), on free ports.
    serve = await startServe(['--merge-interval', '50ms', '--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--api-port', '0'], 60_000);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names README lines that exist', () => {
    const texts = new Set(commands.map((c) => c.text));
    expect(texts).toContain('msggw serve --merge-interval 50ms');
    expect(texts).toContain('msggw client --user bob --platform android --stay 2s');
    const missing = RUNS.filter((r) => !texts.has(r.example)).map((r) => r.example);
    expect(missing, 'README lines this test runs are gone (update RUNS)').toEqual([]);
  });

  for (const run of RUNS) {
    it(run.example, async () => {
      const c = commands.find((x) => x.text === run.example) as ReadmeCommand;
      expect(c, 'the README line').toBeDefined();
      const argv = await substitute(run.inProcess ? c.argv : adapt(c.argv, serve));
      let side: Promise<unknown> | undefined;
      // The presence walk-through's terminal 3: bob comes and goes once alice watches him.
      const bob = commands.find((x) => x.text === 'msggw client --user bob --platform android --stay 2s');
      const onStdout = run.example.includes('--subscribe bob')
        ? (out: string) => {
            if (side === undefined && /^watching bob/m.test(out)) side = runBin(adapt(bob!.argv, serve), {});
          }
        : undefined;
      const r = await runBin(argv, { stdin: run.stdin, cwd: run.tmp ? dir : ROOT, interruptAfter: run.interruptAfter, timeoutMs: run.timeoutMs, onStdout });
      await side;
      const why = `msggw ${argv.join(' ')}\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
      if (run.exit === -1) expect([0, 1], why).toContain(r.code);
      else expect(r.code, why).toBe(run.exit ?? 0);
      for (const re of run.expect) expect(r.stdout + (re.source.startsWith('^wrote') ? r.stderr : ''), why).toMatch(re);
      if (run.example.includes('--out out.json')) {
        // The threshold is an example (latency depends on the machine); the default checks must hold.
        const report = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { thresholds: { source: string; ok: boolean; expr: string }[] };
        expect(report.thresholds.filter((t) => t.source === 'default' && !t.ok), why).toEqual([]);
        expect(existsSync(join(dir, 'out.json'))).toBe(true);
      }
    }, (run.timeoutMs ?? 30_000) + 15_000);
  }
});
