/**
 * One convention per thing across commands (issue 14 items 3, 7, 10 and the address rough
 * edges): flags read from every built command, and the real binary's answers to the mistakes
 * people make.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireBuild, runCli } from '../helpers/cli.js';
import type { SimReport } from '../../simulators/scenarios/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** oclif wraps error lines at the terminal width (" ›   " continuation lines): one line again. */
const flat = (s: string): string => s.replace(/\s*\n ›\s+/g, ' ');

/** Runs the binary; stderr comes back unwrapped. */
async function cli(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runCli(args, timeoutMs);
  return { ...r, stderr: flat(r.stderr) };
}

interface FlagDef {
  char?: string;
  type: 'boolean' | 'option';
  default?: unknown;
}

async function commandFlags(): Promise<Map<string, Record<string, FlagDef>>> {
  requireBuild();
  const dir = join(ROOT, 'dist/commands');
  const out = new Map<string, Record<string, FlagDef>>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.js'))) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: { flags?: Record<string, FlagDef> } };
    out.set(f.replace(/\.js$/, ''), mod.default.flags ?? {});
  }
  return out;
}

describe('CLI conventions', { timeout: 120_000 }, () => {
  it('a short flag means one long flag in every command; --json is a boolean everywhere; --sdk has one default', async () => {
    const all = await commandFlags();
    expect(all.size).toBeGreaterThanOrEqual(6);
    const byChar = new Map<string, Set<string>>();
    const sdkDefaults = new Set<unknown>();
    for (const [cmd, flags] of all) {
      for (const [name, def] of Object.entries(flags)) {
        if (def.char) (byChar.get(def.char) ?? byChar.set(def.char, new Set()).get(def.char)!).add(name);
        if (name === 'json') expect(def.type, `${cmd} --json`).toBe('boolean');
        if (name === 'sdk') sdkDefaults.add(def.default);
      }
      // A service address never hides under a bare service name (sim chat --user 5 was the user-service address).
      for (const svc of ['auth', 'user', 'msg', 'push']) {
        if (flags[`${svc}-addr`] !== undefined) expect(flags[svc], `${cmd} --${svc}`).toBeUndefined();
      }
    }
    for (const [char, names] of byChar) expect([...names], `-${char}`).toHaveLength(1);
    expect(byChar.get('p')).toEqual(new Set(['port']));
    expect(byChar.get('u')).toEqual(new Set(['user']));
    expect([...sdkDefaults]).toEqual(['go']);
  });

  it('an unknown flag names the closest known flags in a few lines, exit 2, without the whole help', async () => {
    const r = await cli(['sim', 'chat', '--user', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown flag --user: did you mean --users, --user-addr\b/);
    expect(r.stderr).toMatch(/see msggw sim --help/);
    expect(r.stderr).toMatch(/MSGGW_UNKNOWN_FLAG/);
    expect(r.stderr).not.toMatch(/USAGE|FLAGS/);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    const t = await cli(['token', '--usr', 'u1']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown flag --usr: did you mean --user\?/);
    expect(t.stderr).toMatch(/see msggw token --help/);
  });

  it('durations: a bare number is seconds everywhere; a bad one is a coded usage error naming the flag', async () => {
    const r = await cli(['sim', 'connect', '--users', '1', '--hold', '1', '--json', '-q'], 40_000);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as SimReport).params).toMatchObject({ holdMs: 1000 });
    for (const args of [
      ['client', '--user', 'u1', '--stay', 'soon'],
      ['call', 'msgGateway.GetUsersOnlineStatus', '{}', '--timeout', 'soon'],
      ['sim', 'chat', '--duration', 'soon'],
      ['serve', '--merge-interval', 'soon'],
    ]) {
      const bad = await cli(args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.stderr).toMatch(/--(stay|timeout|duration|merge-interval): expected a duration like "500ms", "10s" or "2m" \(a bare number is seconds\), got "soon"/);
      expect(bad.stderr).toMatch(/MSGGW_BAD_DURATION/);
      expect(bad.stderr).not.toMatch(/Parsing --/);
    }
  });

  it('call --timeout takes 2s like every other duration; an unreachable service is a sentence, not OPENIM_14', async () => {
    // Nothing listens there: the call fails on the connection, not on the flag.
    const r = await cli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["u1"]}', '-a', '127.0.0.1:1', '--timeout', '2s']);
    expect(r.code).toBe(1);
    // A gRPC status is not an OpenIM code: no "OPENIM_14", a sentence instead.
    expect(r.stderr).not.toMatch(/OPENIM_14|Resolution note/);
    expect(r.stderr).toMatch(/could not reach 127\.0\.0\.1:1: no gRPC connection \(ECONNREFUSED\)/);
    expect(r.stderr).toMatch(/MSGGW_CALL_UNREACHABLE/);
  });

  it('platforms: IDs or names in any case, one answer everywhere; output uses upstream names', async () => {
    for (const p of ['ios', 'IOS', 'Ios', '1']) {
      const r = await cli(['token', '--user', 'u1', '--platform', p, '--json']);
      expect(r.code, p).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ platformID: 1, platform: 'IOS' });
    }
    const bad = await cli(['token', '--user', 'u1', '--platform', 'nokia']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--platform "nokia" is not an OpenIM platform name/);
    expect(bad.stderr).toMatch(/MSGGW_BAD_PLATFORM/);
    const twelve = await cli(['client', '--user', 'u1', '--platform', '12']);
    expect(twelve.code).toBe(2);
    expect(twelve.stderr).toMatch(/--platform 12 is not an OpenIM platform ID \(1-11\)/);
  });

  it('addresses: host without port, a URL where host:port is wanted, host:port where a URL is wanted', async () => {
    const a = await cli(['call', 'msgGateway.GetUsersOnlineStatus', '{}', '-a', 'localhost']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--addr localhost: no port given \(gRPC would dial localhost:443\)/);
    expect(a.stderr).toMatch(/localhost:10140/);
    const s = await cli(['serve', '--user-addr', 'http://10.0.0.1:10110']);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/--user-addr http:\/\/10\.0\.0\.1:10110: expected host:port, not a URL/);
    const c = await cli(['client', '--user', 'u1', '--url', '127.0.0.1:20001']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--url 127\.0\.0\.1:20001: not a URL \(no ws:\/\/ in front\)/);
    expect(c.stderr).toMatch(/--url ws:\/\/127\.0\.0\.1:20001\//);
    expect(c.stderr).not.toMatch(/Invalid URL/);
  });

  it('token refuses an empty user, and its help shows isBackground and cites a README section that exists', async () => {
    const r = await cli(['token', '--user', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MSGGW_TOKEN_USER/);
    const h = await cli(['token', '--help']);
    expect(h.stdout).toMatch(/isBackground=false/);
    const cited = /README section "([^"]+)"/.exec(h.stdout.replace(/\s+/g, ' '));
    expect(cited).not.toBeNull();
    const headings = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').filter((l) => l.startsWith('#'));
    expect(headings.some((l) => l.replace(/[#`]/g, '').trim() === cited![1])).toBe(true);
  });
});
