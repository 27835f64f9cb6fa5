import { runCli } from '../helpers/cli.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { metricDoc, REPORT_SCHEMA_VERSION, type SimReport } from '../../simulators/scenarios/index.js';

/** Runs `msggw <args>` as a child process (the built CLI; `npm test` builds it in pretest). */
const msggw = (args: string[]) => runCli(args, 40_000);

describe('msggw sim (child process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-sim-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs chat against its own in-process gateway, writes the JSON report and exits 0', async () => {
    const out = join(dir, 'out.json');
    const r = await msggw(['sim', 'chat', '--users', '10', '--rate', '50', '--duration', '2s', '--out', out, '--threshold', 'lost==0']);
    expect(r.stderr).not.toMatch(/Error|Warning/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/msggw sim chat against in-process ws:\/\/127\.0\.0\.1:\d+\/.*PASS/);
    expect(r.stdout).toMatch(/ok {3}lost==0/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
    expect(report.schemaVersion).toBe(REPORT_SCHEMA_VERSION);
    expect(report.scenario).toBe('chat');
    expect(report.passed).toBe(true);
    expect(report.params).toMatchObject({ users: 10, rate: 50, durationMs: 2000 });
    expect(report.metrics['messages.sent']).toBeGreaterThanOrEqual(95);
    expect(report.metrics['messages.sent']).toBeLessThanOrEqual(100);
    expect(report.metrics['deliveries.received']).toBe(2 * report.metrics['messages.sent']!);
    expect(report.metrics.lost).toBe(0);
    // The user's lost==0 replaces the default one; the other default checks run too.
    expect(report.thresholds).toContainEqual(expect.objectContaining({ expr: 'lost==0', ok: true, actual: 0 }));
    expect(report.thresholds.filter((t) => t.metric === 'lost')).toHaveLength(1);
    expect(report.thresholds).toContainEqual(expect.objectContaining({ expr: 'duplicates==0', source: 'default', ok: true }));
    expect(report.verdict).toBe('PASS');
    expect(r.stderr).toContain(`wrote ${out}`);
    expect(report.timeline.length).toBeGreaterThanOrEqual(2);
    for (const k of Object.keys(report.metrics)) expect(metricDoc(k), k).toBeDefined();
    // stderr is not a TTY here: periodic plain lines only, no control characters.
    expect(r.stderr).not.toContain('\x1b');
  });

  it('exits 1 and lists the failed check when a threshold cannot hold', async () => {
    const r = await msggw(['sim', 'chat', '--users', '4', '--rate', '20', '--duration', '1s', '-q', '--threshold', 'lost==0', '--threshold', 'delivery.p99<0.001ms']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL delivery\.p99<0\.001ms/);
    // The summary lists every check; stderr says once which failed.
    expect(r.stderr).toMatch(/FAIL: 1 check failed: delivery\.p99<0\.001ms\n/);
    expect(r.stderr.match(/delivery\.p99<0\.001ms/g)).toHaveLength(1);
  });

  it('exits 2 on usage errors, naming the problem', async () => {
    const bad = await msggw(['sim', 'chat', '--threshold', 'latency<5ms']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown metric "latency"/);
    const file = join(dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'phases: [{duration: soon, users: 1}]\nflows: [{steps: [connect]}]\n');
    const r = await msggw(['sim', 'run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/phases\[0\]\.duration: expected a duration/);
  });
});
