/**
 * A sim that found failures must not PASS: every case of issue 14 item 2, the in-process
 * node's ports and admin token (item 8) and the wrong-secret hint (item 9), through the real
 * binary.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, requireBuild, runCli, startServe } from '../helpers/cli.js';
import type { SimReport } from '../../simulators/scenarios/index.js';

const msggw = (args: string[]) => runCli(args, 60_000);

describe('sim verdicts (child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-sim-verdicts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const report = (file: string): SimReport => JSON.parse(readFileSync(file, 'utf8')) as SimReport;

  it('multilogin expecting policy 4 against a policy-1 gateway FAILs on kicks.missing without any --threshold', async () => {
    const out = join(dir, 'ml.json');
    const r = await msggw(['sim', 'multilogin', '--users', '1', '--policy', '4', '--multi-login-policy', '1', '-q', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/, FAIL\n/);
    expect(r.stdout).toMatch(/FAIL kicks\.missing==0 \[default\] {2}\(actual [1-9]\d*\)/);
    expect(r.stderr).toMatch(/FAIL: \d+ checks? failed: .*kicks\.missing==0/);
    expect(r.stderr).toMatch(/--no-default-checks/);
    expect(report(out)).toMatchObject({ verdict: 'FAIL', passed: false });
  }, 90_000);

  it('a scenario file whose every waitPush times out FAILs on flows.failed and shows the per-flow and per-phase table', async () => {
    const file = join(dir, 'silent.yaml');
    writeFileSync(file, 'name: silent\nphases: [{ name: only, duration: 1s, users: 2 }]\nflows:\n  - name: waiter\n    steps: [connect, { waitPush: { count: 1, timeout: 300ms } }]\n');
    const r = await msggw(['sim', 'run', file, '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL flows\.failed==0 \[default\]/);
    expect(r.stdout).toMatch(/^flow +started +completed +failed +aborted +failures$/m);
    expect(r.stdout).toMatch(/^waiter +\d+ +0 +[1-9]\d* +\d+ +\d+x waitPush: 0 of 1 pushes within 300ms/m);
    expect(r.stdout).toMatch(/^phase +started/m);
    expect(r.stdout).toMatch(/^only +\d+ +0 +[1-9]/m);
  });

  it('--rate 0.5 --duration 1s sends nothing: FAIL on messages.sent>0, with a warning that the pace makes no message', async () => {
    const r = await msggw(['sim', 'chat', '--users', '2', '--rate', '0.5', '--duration', '1s', '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL messages\.sent>0 \[default\] {2}\(actual 0\)/);
    expect(r.stdout).toMatch(/^WARN --rate 0\.5\/s for this duration makes no whole message/m);
    // With the default checks off the same run passes, and still warns.
    const off = await msggw(['sim', 'chat', '--users', '2', '--rate', '0.5', '--duration', '1s', '-q', '--no-default-checks']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/, PASS\n/);
    expect(off.stdout).toMatch(/^WARN --rate 0\.5/m);
    expect(off.stdout).not.toMatch(/\[default\]/);
  });

  it('a ramp the run could not reach gets a warning line (k6 style)', async () => {
    // One handshake at a time cannot open 100000 connections per second.
    const r = await msggw(['sim', 'connect', '--users', '20', '--ramp', '100000', '--concurrency', '1', '--hold', '0s', '-q', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as SimReport;
    expect(rep.warnings).toContainEqual(expect.stringMatching(/^could not reach --ramp 100000\/s: reached [\d.]+\/s \(\d+%\)/));
    expect(rep.verdict).toBe('PASS');
  });

  it('Ctrl-C mid-run reports INCOMPLETE and exits 3; SIGTERM too', async () => {
    requireBuild();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      const p = spawn(process.execPath, [BIN, 'sim', 'chat', '--users', '4', '--rate', '10', '--duration', '30s'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const started = new Promise<void>((resolve) =>
        p.stderr.on('data', (d: Buffer) => {
          stderr += d.toString();
          if (stderr.includes('in-process gateway')) resolve();
        }),
      );
      const code = new Promise<number | null>((resolve) => p.on('exit', resolve));
      await started;
      await new Promise((r) => setTimeout(r, 1500));
      p.kill(sig);
      const killer = setTimeout(() => p.kill('SIGKILL'), 20_000);
      expect(await code, `${sig}: ${stderr}`).toBe(3);
      clearTimeout(killer);
      expect(stdout).toMatch(/, INCOMPLETE\n/);
      expect(stdout).toMatch(/^INCOMPLETE: the run was interrupted/m);
      expect(stderr).toMatch(/the run was interrupted: INCOMPLETE/);
    }
  }, 60_000);

  it('the in-process node takes free ports for everything and prints its admin token', async () => {
    const r = await msggw(['sim', 'connect', '--users', '2', '--hold', '0s']);
    expect(r.code).toBe(0);
    const m = /in-process gateway ws:\/\/127\.0\.0\.1:(\d+)\/ +hub 127\.0\.0\.1:(\d+) +admin ws:\/\/127\.0\.0\.1:(\d+)\/ token (\S+) +\(watch: msggw tui --attach 127\.0\.0\.1:\3 --admin-token \4\)/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [, ws, hub, admin] = m!.map(Number);
    for (const [port, wellKnown] of [[ws, 10001], [hub, 10140], [admin, 12141]] as const) expect(port).not.toBe(wellKnown);
  });

  it('against a gateway with another secret, handshakes fail with "wrong secret?"; serve\'s sim hint carries --secret', async () => {
    const serve = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--secret', 'not the default']);
    try {
      const r = await msggw(['sim', 'chat', '--users', '2', '--rate', '5', '--duration', '1s', '-q', '--url', serve.addrs.ws!, '--setup-timeout', '5s']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toMatch(/failed 2 \(errCode 1503 \(token refused: wrong secret\?\): 2\)/);
      expect(r.stdout).toMatch(/note: 2 handshakes refused with 1503 .*wrong secret\? Pass the gateway's --secret/);
      const ok = await msggw(['sim', 'chat', '--users', '2', '--rate', '5', '--duration', '1s', '-q', '--url', serve.addrs.ws!, '--secret', 'not the default']);
      expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    } finally {
      await serve.stop();
    }
    // The banner (no --json) shows the sim hint with the secret, quoted for the shell.
    const banner = await serveBanner(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--secret', 'not the default']);
    expect(banner).toMatch(/npx msggw sim chat --url ws:\/\/127\.0\.0\.1:\d+\/ --secret 'not the default'/);
    const plain = await serveBanner(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0']);
    expect(plain).toMatch(/npx msggw sim chat --url ws:\/\/127\.0\.0\.1:\d+\/\n/);
  }, 90_000);
});

/** Runs `msggw serve` (banner mode) until it printed "Ctrl-C stops everything", then stops it; returns stdout. */
function serveBanner(args: string[]): Promise<string> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`serve printed no banner; stderr: ${err}`));
    }, 20_000);
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ctrl-C stops everything')) p.kill('SIGTERM');
    });
    p.on('exit', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}
