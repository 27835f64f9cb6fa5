/**
 * `msggw sim --workers N`, `--shard i/n` and `msggw sim merge` with the real binary against a
 * real `msggw serve` on free ports: the merged report of two workers equals a one-process run's
 * totals with exact integrity, a killed worker makes the run INCOMPLETE (never PASS), and shard
 * reports from two "machines" merge into one whose counts add up and whose checks still catch
 * a loss (one shard runs through a proxy that drops, duplicates and swaps pushes).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimReport } from '../../simulators/scenarios/index.js';
import { BIN, requireBuild, runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';

const read = (file: string): SimReport => JSON.parse(readFileSync(file, 'utf8')) as SimReport;
/** oclif wraps error lines at the terminal width (" ›   " continuation lines): one line again. */
const flat = (s: string): string => s.replace(/\s*\n ›\s+/g, ' ');
const msggw = async (args: string[]) => {
  const r = await runCli(args, 90_000);
  return { ...r, stderr: flat(r.stderr) };
};

describe('sim --workers, --shard and sim merge (real processes)', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-sim-workers-'));
  let serve: ServeProcess;
  let url: string;
  let proxy: TamperingProxy;
  beforeAll(async () => {
    serve = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--api-port', '0', '--no-admin-stream'], 60_000);
    url = serve.addrs.ws!;
    // Shard 2/2 of 8 users drives users 5..8: the proxy tampers with user 5's pushes.
    proxy = await startTamperingProxy(url, 'mgl_5');
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('chat --workers 2 passes with exact integrity and the totals of a one-process run', async () => {
    const w2 = join(dir, 'w2.json');
    const w1 = join(dir, 'w1.json');
    const common = ['sim', 'chat', '--users', '8', '--rate', '40', '--duration', '2s', '--url', url, '-q'];
    const [two, one] = await Promise.all([msggw([...common, '--workers', '2', '--out', w2]), msggw([...common, '--out', w1])]);
    expect(two.stderr).toMatch(/2 workers against ws:\/\/127\.0\.0\.1:\d+\/: 1\/2 pid \d+, 2\/2 pid \d+/);
    expect(two.code, two.stderr).toBe(0);
    expect(one.code, one.stderr).toBe(0);
    expect(two.stdout).toMatch(/shards +2 of 2 merged: 1\/2 \(users 1\.\.4\) PASS, 2\/2 \(users 5\.\.8\) PASS/);
    const a = read(w2);
    const b = read(w1);
    expect(a.verdict).toBe('PASS');
    expect(a.shards).toMatchObject({ count: 2, indices: [1, 2], missing: [] });
    for (const r of [a, b]) {
      expect(r.connections.opened).toBe(8);
      expect(r.integrity).toMatchObject({ lost: 0, duplicates: 0, outOfOrder: 0, gaps: 0, unexpected: 0 });
      // Exact integrity: every message reached both ends of its pair, once.
      expect(r.messages.expectedDeliveries).toBe(2 * r.messages.sent);
      expect(r.messages.receivedByPush).toBe(r.messages.expectedDeliveries);
      expect(r.integrity.catchUps).toBe(8);
    }
    // The same load: 40/s for 2 s over all workers (the pacer may miss a last tick on a loaded machine).
    expect(a.messages.sent).toBeGreaterThanOrEqual(72);
    expect(a.messages.sent).toBeLessThanOrEqual(80);
    expect(Math.abs(a.messages.sent - b.messages.sent)).toBeLessThanOrEqual(8);
    expect(a.params).toEqual(b.params);
    // The percentiles come from the merged histograms: every delivery is in them.
    expect(a.latency.delivery!.count).toBe(a.messages.receivedByPush);
    expect(a.histograms.delivery!.count).toBe(a.messages.receivedByPush);
    expect(a.metrics['delivery.max']).toBe(a.latency.delivery!.max);
  });

  it('a worker killed mid-run makes the run INCOMPLETE (exit 3), naming it and its users', async () => {
    requireBuild();
    const out = join(dir, 'killed.json');
    const p = spawn(process.execPath, [BIN, 'sim', 'chat', '--users', '8', '--rate', '20', '--duration', '8s', '--url', url, '--workers', '2', '--out', out, '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    const pid = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no worker pids on stderr: ${stderr}`)), 60_000);
      p.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /2\/2 pid (\d+)/.exec(stderr);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
    });
    // Let it connect and send a while, then kill it without a chance to report.
    await new Promise((r) => setTimeout(r, 2500));
    process.kill(pid, 'SIGKILL');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    if (code === 'hung') p.kill('SIGKILL');
    expect(code, stderr).toBe(3);
    expect(flat(stderr)).toMatch(new RegExp(`INCOMPLETE: 1 of 2 shards did not report: worker 2/2 \\(pid ${pid}\\) was killed by SIGKILL before its report: its shard \\(users 5\\.\\.8\\) is missing`));
    expect(stdout).not.toMatch(/, PASS\n/);
    const r = read(out);
    expect(r.verdict).toBe('INCOMPLETE');
    expect(r.passed).toBe(false);
    expect(r.shards).toMatchObject({ count: 2, indices: [1], missing: [2] });
    expect(r.connections.opened).toBe(4);
  });

  it('--shard 1/2 and 2/2 merge into one report whose counts add up; a shard with a loss makes the merge FAIL', async () => {
    const s1 = join(dir, 's1.json');
    const s2 = join(dir, 's2.json');
    const bad2 = join(dir, 'bad2.json');
    const shard = (i: string, target: string, out: string, prefix: string) =>
      msggw(['sim', 'chat', '--users', '8', '--rate', '20', '--duration', '2s', '--url', target, '--prefix', prefix, '--shard', i, '--out', out, '-q']);
    const [r1, r2, rb] = await Promise.all([shard('1/2', url, s1, 'mg_'), shard('2/2', url, s2, 'mg_'), shard('2/2', proxy.url, bad2, 'mgl_')]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(r2.code, r2.stderr).toBe(0);
    expect(rb.code).toBe(1);
    expect(r1.stdout).toMatch(/shards +this report is shard 1\/2 \(users 1\.\.4\)/);
    const a = read(s1);
    const b = read(s2);
    expect(a.shards).toMatchObject({ count: 2, indices: [1], missing: [] });
    expect(b.params).toEqual(a.params);

    const html = join(dir, 'merged.html');
    const mergedFile = join(dir, 'merged.json');
    const other = join(dir, 'other.json');
    writeFileSync(other, JSON.stringify({ ...b, scenario: 'group' }));
    const plain = join(dir, 'plain.json');
    const { shards: _shards, ...unsharded } = a;
    writeFileSync(plain, JSON.stringify(unsharded));
    const [m, lossy, again, mixed, notShard, half] = await Promise.all([
      msggw(['sim', 'merge', s1, s2, '--out', mergedFile, '--html', html]),
      msggw(['sim', 'merge', s1, bad2, '--json']),
      msggw(['sim', 'merge', s1, s1]),
      msggw(['sim', 'merge', s1, other]),
      msggw(['sim', 'merge', plain, s2]),
      msggw(['sim', 'merge', s1]),
    ]);
    expect(m.code, m.stderr).toBe(0);
    expect(m.stdout).toMatch(/msggw sim chat against external .*PASS/);
    const merged = read(mergedFile);
    expect(merged.verdict).toBe('PASS');
    expect(merged.shards).toMatchObject({ count: 2, indices: [1, 2], missing: [] });
    expect(merged.connections.opened).toBe(a.connections.opened + b.connections.opened);
    expect(merged.connections.opened).toBe(8);
    expect(merged.messages.sent).toBe(a.messages.sent + b.messages.sent);
    expect(merged.messages.expectedDeliveries).toBe(a.messages.expectedDeliveries + b.messages.expectedDeliveries);
    expect(merged.messages.receivedByPush).toBe(a.messages.receivedByPush + b.messages.receivedByPush);
    expect(merged.metrics['deliveries.received']).toBe(merged.messages.receivedByPush);
    expect(merged.latency.delivery!.count).toBe(a.latency.delivery!.count + b.latency.delivery!.count);
    expect(merged.latency.delivery!.max).toBe(Math.max(a.latency.delivery!.max!, b.latency.delivery!.max!));
    expect(merged.latency.delivery!.min).toBe(Math.min(a.latency.delivery!.min!, b.latency.delivery!.min!));
    expect(merged.thresholds.map((t) => t.expr)).toEqual(a.thresholds.map((t) => t.expr));
    expect(readFileSync(html, 'utf8')).toMatch(/<html/i);

    // Shard 2 through the tampering proxy lost a push: the merged report fails on it.
    expect(lossy.code).toBe(1);
    const lr = JSON.parse(lossy.stdout) as SimReport;
    expect(lr.verdict).toBe('FAIL');
    expect(lr.integrity.lost).toBe(1);
    expect(lr.integrity.duplicates).toBe(1);
    expect(lr.thresholds).toContainEqual(expect.objectContaining({ expr: 'lost==0', ok: false, actual: 1 }));
    expect(lr.integrity.lostSamples).toEqual([expect.objectContaining({ shard: 2 })]);
    expect(lossy.stderr).toMatch(/FAIL: \d+ checks? failed: .*lost==0/);

    // Not shards of one run: usage errors (exit 2) that name the file.
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/shard 1\/2 is in both/);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/ran scenario "group"/);
    expect(notShard.code).toBe(2);
    expect(notShard.stderr).toMatch(/not a shard report: run each machine with --shard i\/n/);

    // One shard alone: INCOMPLETE (exit 3) with a warning.
    expect(half.code).toBe(3);
    expect(half.stdout).toMatch(/WARN shard 2\/2 missing/);
  });

  it('usage: --shard needs --url, a valid i/n and enough users; --workers a count', async () => {
    const [noUrl, bad, small, file, count] = await Promise.all([
      msggw(['sim', 'chat', '--shard', '1/2']),
      msggw(['sim', 'chat', '--shard', '3/2', '--url', url]),
      msggw(['sim', 'chat', '--users', '3', '--workers', '2', '--url', url]),
      msggw(['sim', 'run', 'fixtures/scenarios/chat-mix.yaml', '--workers', '2']),
      msggw(['sim', 'chat', '--workers', 'many']),
    ]);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/MSGGW_SIM_SHARD/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/i must be between 1 and 2/);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/--users 3 cannot be split into 2 shards of at least 2/);
    expect(file.code).toBe(2);
    expect(file.stderr).toMatch(/scenario files cannot be split/);
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(/MSGGW_WORKERS_FLAG/);
  });
});
