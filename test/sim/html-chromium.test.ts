import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chatScenario, presenceScenario, renderHtml } from '../../simulators/scenarios/index.js';
import type { SimReport } from '../../simulators/scenarios/index.js';
import { runCli } from '../helpers/cli.js';
import { simSmall } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Runs headless Chromium on a file and returns the DOM after its scripts ran; killed after `timeoutMs`. */
function dumpDom(file: string, profile: string, timeoutMs = 45_000): Promise<string> {
  if (CHROMIUM === undefined) {
    throw new Error('chromium is not installed; the HTML report test needs it: apt-get update && apt-get install -y chromium');
  }
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    `--user-data-dir=${profile}`,
    '--virtual-time-budget=5000',
    '--dump-dom',
    pathToFileURL(file).href,
  ];
  return new Promise((resolve, reject) => {
    const p = spawn(CHROMIUM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`chromium did not finish within ${timeoutMs} ms; stderr: ${err.slice(-2000)}`));
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on('exit', (code) => {
      clearTimeout(t);
      if (out.includes('</html>')) resolve(out);
      else reject(new Error(`chromium exited ${code} without a DOM; stderr: ${err.slice(-2000)}`));
    });
  });
}

describe('HTML report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-sim-html-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('draws its charts in headless Chromium (non-empty SVG paths after the scripts ran)', async () => {
    const { report } = await simSmall(chatScenario({ users: 4, rate: 40, durationMs: 2200 }), { loadMs: 2200, thresholds: ['lost==0'] });
    expect(report.timeline.length).toBeGreaterThanOrEqual(2);
    const html = renderHtml(report);
    // Self-contained: no external script, style, image or font.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).not.toMatch(/url\(\s*['"]?https?:/i);
    const file = join(dir, 'report.html');
    writeFileSync(file, html);

    const dom = await dumpDom(file, join(dir, 'profile'));
    expect(dom).toContain('data-charts="drawn"');
    for (const id of ['chart-throughput', 'chart-latency', 'chart-connections', 'chart-memory']) {
      const svg = new RegExp(`<svg[^>]*id="${id}"[^>]*>([\\s\\S]*?)</svg>`).exec(dom);
      expect(svg, id).not.toBeNull();
      expect(svg![0], id).toContain('data-drawn="1"');
      const paths = [...svg![1]!.matchAll(/<path [^>]*d="([^"]+)"/g)].map((m) => m[1]!);
      expect(paths.length, id).toBeGreaterThan(0);
      for (const d of paths) expect(d, id).toMatch(/^M[\d.]+ [\d.]+ L[\d.]+ [\d.]+/);
    }
    // The delivery percentiles chart has its four series.
    const latency = /<svg[^>]*id="chart-latency"[\s\S]*?<\/svg>/.exec(dom)![0];
    for (const s of ['p50', 'p90', 'p99', 'max']) expect(latency).toContain(`data-series="${s}"`);
    expect(dom).toContain('Latency percentiles per second: delivery');
    // p99 is drawn after (above) max, so it stays visible where they coincide.
    expect(latency.indexOf('data-series="max"')).toBeLessThan(latency.indexOf('data-series="p99"'));
    // Hover values and the warm-up marker.
    expect(latency).toMatch(/<circle [^>]*class="point"[^>]*><title>p99 at \d+s: [\d.]+ ms<\/title>/);
    expect(latency).toContain('class="warmup"');
    // The chart follows the element's width (not a fixed 720 wide viewBox).
    expect(latency).toMatch(/viewBox="0 0 \d+ 280"/);
    // Units in the thresholds table.
    expect(html).toContain('<th>unit</th>');
    expect(html).toMatch(/<code>lost==0<\/code><\/td><td>0<\/td><td>count<\/td>/);
  }, 60_000);

  it('a presence run (nothing sent) gets no sent/delivered lines', async () => {
    const { report } = await simSmall(presenceScenario({ subscribers: 2, watched: 2, churn: 2, durationMs: 1200, settleMs: 2000 }), {
      loadMs: 1200,
      gateway: { presence: { mergeIntervalMs: 30 } },
    });
    const file = join(dir, 'presence.html');
    writeFileSync(file, renderHtml(report));
    const dom = await dumpDom(file, join(dir, 'profile-presence'));
    expect(dom).toContain('data-charts="drawn"');
    const tput = /<svg[^>]*id="chart-throughput"[\s\S]*?<\/svg>/.exec(dom)![0];
    expect(tput).not.toContain('data-series="sent"');
    expect(tput).not.toContain('data-series="delivered"');
    expect(dom).toContain('Latency percentiles per second: presence');
  }, 60_000);

  it('a scenario file records its phases (report.phases) and every chart marks them, labelled (msggw sim run)', async () => {
    const scen = join(dir, 'phased.yaml');
    writeFileSync(
      scen,
      [
        'name: phased',
        'users: 6',
        'phases:',
        '  - { name: warm-up, duration: 1200ms, arrivalRate: 3 }',
        '  - { name: steady, duration: 1500ms, users: 3 }',
        '  - { name: cool-down, duration: 1s, arrivalRate: 2 }',
        'flows:',
        '  - name: chatter',
        '    steps:',
        '      - connect: {}',
        '      - send: { to: "${peer}", count: 2, interval: 100ms }',
        '      - sleep: 200ms',
        '      - disconnect: {}',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'phased.json');
    const htmlFile = join(dir, 'phased.html');
    const r = await runCli(['sim', 'run', scen, '-q', '--out', out, '--html', htmlFile, '--threshold', 'lost<=1000'], 60_000);
    expect(r.stderr).toContain(`wrote ${htmlFile}`);
    const report = JSON.parse(readFileSync(out, 'utf8')) as SimReport;
    expect(report.phases.map((p) => p.name)).toEqual(['warm-up', 'steady', 'cool-down']);
    // In order, on the timeline's clock, each ending where the next starts.
    for (const [k, p] of report.phases.entries()) {
      expect(p.endS, p.name).toBeGreaterThan(p.startS);
      if (k > 0) expect(p.startS).toBeCloseTo(report.phases[k - 1]!.endS, 1);
    }
    expect(report.phases[1]!.endS - report.phases[1]!.startS).toBeGreaterThan(1.2);
    expect(report.phases[0]!.startS).toBeLessThan(report.timeline.at(-1)!.t);

    const dom = await dumpDom(htmlFile, join(dir, 'profile-phased'));
    expect(dom).toContain('data-charts="drawn"');
    for (const id of ['chart-throughput', 'chart-latency', 'chart-connections']) {
      const svg = new RegExp(`<svg[^>]*id="${id}"[\\s\\S]*?</svg>`).exec(dom)![0];
      for (const name of ['warm-up', 'steady', 'cool-down']) {
        expect(svg, `${id} ${name}`).toMatch(new RegExp(`<g class="phase" data-phase="${name}"><title>phase ${name}: [\\d.]+s to [\\d.]+s</title><line [^>]*stroke-dasharray="4 3"`));
        expect(svg, `${id} ${name}`).toMatch(new RegExp(`<text [^>]*class="phase-label"[^>]*>${name}</text>`));
      }
      // The last phase's end is marked too, and the markers sit in order along the x axis.
      expect(svg).toContain('class="phase-end"');
      const xs = [...svg.matchAll(/<g class="phase" data-phase="[^"]+"><title>[^<]*<\/title><line x1="([\d.]+)"/g)].map((m) => Number(m[1]));
      expect(xs).toHaveLength(3);
      expect(xs[0]!).toBeLessThan(xs[1]!);
      expect(xs[1]!).toBeLessThan(xs[2]!);
    }
  }, 90_000);
});
