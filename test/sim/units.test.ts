import { describe, expect, it } from 'vitest';
import {
  evaluateThresholds,
  Histogram,
  metricDoc,
  parseDuration,
  parseMix,
  parseScenarioText,
  parseThreshold,
  parseTokens,
  pickByIndex,
  ScenarioFileError,
  LATENCY_FAMILIES,
  SCALAR_METRICS,
  SentLedger,
  ThresholdError,
  loadScenarioFile,
} from '../../simulators/scenarios/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

describe('Histogram', () => {
  it('keeps percentiles within 1 % of the exact ones, and count/min/max/mean exact', () => {
    const h = new Histogram();
    const values: number[] = [];
    let x = 7;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 48271) % 2147483647;
      const v = ((x % 1_000_000) / 1000) ** 1.5; // 0 .. ~31600 ms, skewed
      values.push(v);
      h.record(v);
    }
    values.sort((a, b) => a - b);
    const exact = (q: number) => values[Math.ceil(q * values.length) - 1]!;
    const s = h.stats();
    expect(s.count).toBe(20_000);
    expect(s.min).toBeCloseTo(values[0]!, 2);
    expect(s.max).toBeCloseTo(values[values.length - 1]!, 2);
    expect(s.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 0);
    for (const q of [0.5, 0.9, 0.99, 0.999]) {
      const got = h.percentile(q)!;
      expect(Math.abs(got - exact(q)) / exact(q)).toBeLessThan(0.01);
    }
  });

  it('is exact for small values, merges, resets, and reports null when empty', () => {
    const a = new Histogram();
    expect(a.stats().p99).toBeNull();
    a.record(0.05);
    a.record(0.1);
    const b = new Histogram();
    b.record(0.12);
    a.merge(b);
    expect(a.stats()).toMatchObject({ count: 3, min: 0.05, max: 0.12, p50: 0.1 });
    a.record(-1);
    a.record(Number.NaN);
    expect(a.count).toBe(3);
    a.reset();
    expect(a.count).toBe(0);
  });
});

describe('thresholds', () => {
  it('parses metric, operator, value and unit (s -> ms)', () => {
    expect(parseThreshold('delivery.p99<50ms')).toMatchObject({ metric: 'delivery.p99', op: '<', value: 50 });
    expect(parseThreshold('handshake.p999 <= 2s')).toMatchObject({ op: '<=', value: 2000 });
    expect(parseThreshold('lost==0')).toMatchObject({ metric: 'lost', op: '==', value: 0 });
    expect(parseThreshold('rtt.1003.max!=0')).toMatchObject({ metric: 'rtt.1003.max', op: '!=' });
    expect(parseThreshold('throughput.delivered>=900')).toMatchObject({ op: '>=', value: 900 });
  });

  it('rejects bad syntax, unknown metrics and units on non-time metrics, saying what is wrong', () => {
    expect(() => parseThreshold('lost = 0')).toThrow(ThresholdError);
    expect(() => parseThreshold('latency.p99<5')).toThrow(/unknown metric "latency.p99"/);
    expect(() => parseThreshold('lost<5ms')).toThrow(/not a time/);
    expect(() => parseThreshold('delivery.p42<5')).toThrow(/unknown metric/);
  });

  it('evaluates each operator and fails a check without data', () => {
    const m = { lost: 0, 'delivery.p99': 12.5, 'presence.stale': null };
    const r = evaluateThresholds(['lost==0', 'lost!=0', 'delivery.p99<10ms', 'delivery.p99<=12.5', 'delivery.p99>12', 'delivery.p99>=13', 'presence.stale==0', 'handshake.p50<1s'].map(parseThreshold), m);
    expect(r.map((x) => x.ok)).toEqual([true, false, false, true, true, false, false, false]);
    expect(r[6]!.reason).toMatch(/no data/);
    expect(r[2]!.reason).toMatch(/was 12.5, wanted < 10/);
  });

  it('documents the metric families', () => {
    expect(metricDoc('rtt.1001.p50')?.unit).toBe('ms');
    expect(metricDoc('delivery.count')?.unit).toBe('count');
    expect(metricDoc('nope')).toBeUndefined();
  });
});

describe('units, mixes and tokens', () => {
  it('parses durations and rejects garbage', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('40')).toBe(40_000);
    expect(parseDuration(2)).toBe(2000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(() => parseDuration('10x')).toThrow(/a bare number is seconds/);
    expect(() => parseDuration('ten seconds', '--duration')).toThrow(/--duration/);
  });

  it('spreads a weighted mix exactly over indices', () => {
    const mix = parseMix('a:40,b:60', (n) => n, 'mix');
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 100; i++) counts[pickByIndex(mix, i)]!++;
    expect(counts).toEqual({ a: 40, b: 60 });
    expect(() => parseMix('a:0', (n) => n, '--x')).toThrow(/positive/);
    expect(() => parseMix('zz', () => undefined, '--platforms')).toThrow(/unknown entry "zz"/);
  });

  it('reads tokens files in JSON and line form', () => {
    expect(parseTokens('{"u1:5":"t1","u2:2":"t2"}').get('u2:2')).toBe('t2');
    expect(parseTokens('# comment\nu1 5 t1\n\nu2 1 t2\n').get('u2:1')).toBe('t2');
    expect(() => parseTokens('u1 five t1', 'f.txt')).toThrow(/f.txt:1: expected "userID platformID token"/);
    expect(() => parseTokens('{"u1":"t"}', 'f.json')).toThrow(/userID:platformID/);
  });
});

describe('SentLedger', () => {
  it('counts first copies, duplicates, unexpected and foreign pushes, pulls and losses', () => {
    const l = new SentLedger();
    l.register('m1', 0, Int32Array.from([3, 1]));
    l.register('m2', 0, Int32Array.from([1]));
    expect(l.onPush(1, 'm1')).toBe('first');
    expect(l.onPush(1, 'm1')).toBe('duplicate');
    expect(l.onPush(2, 'm1')).toBe('unexpected');
    expect(l.onPush(1, 'zz')).toBe('foreign');
    expect(l.onPull(3, 'm1')).toBe('pulled');
    expect(l.onPush(3, 'm1')).toBe('overlap');
    expect(l.outstanding(() => false)).toBe(1);
    const t = l.finalize(() => false);
    expect(t).toMatchObject({ messages: 2, expected: 3, receivedByPush: 1, receivedByPull: 1, lost: 1, duplicates: 1, unexpected: 1 });
    expect(l.finalize(() => true)).toMatchObject({ lost: 0, excused: 1 });
  });
});

describe('scenario files', () => {
  const fixtures = fileURLToPath(new URL('../../fixtures/scenarios/', import.meta.url));

  it('every fixture validates', () => {
    const files = readdirSync(fixtures).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) expect(() => loadScenarioFile(fixtures + f), f).not.toThrow();
  });

  it('reports every problem with its path', () => {
    const text = `
phases:
  - duration: ten
    arrivalRate: 2
  - duration: 1s
flows:
  - name: a
    weight: -1
    steps:
      - connect: { platform: fridge }
      - send: { to: "\${nobody}", count: 0 }
      - send: { group: nope }
      - waitPush: { timeout: soon }
      - teleport: {}
      - sleep: 1s
extra: 1
`;
    let err: ScenarioFileError | undefined;
    try {
      parseScenarioText(text, 'bad.yaml');
    } catch (e) {
      err = e as ScenarioFileError;
    }
    expect(err).toBeInstanceOf(ScenarioFileError);
    const p = err!.problems.join('\n');
    expect(p).toMatch(/^extra: unknown key/m);
    expect(p).toMatch(/phases\[0\]\.duration: expected a duration/);
    expect(p).toMatch(/phases\[1\]: needs either arrivalRate/);
    expect(p).toMatch(/flows\[0\]\.weight: must be at least/);
    expect(p).toMatch(/flows\[0\]\.steps\[0\]\.connect\.platform: unknown platform "fridge"/);
    expect(p).toMatch(/flows\[0\]\.steps\[1\]\.send\.to: unknown variable \$\{nobody\}/);
    expect(p).toMatch(/flows\[0\]\.steps\[1\]\.send\.count: must be at least 1/);
    expect(p).toMatch(/flows\[0\]\.steps\[2\]\.send\.group: unknown group "nope"/);
    expect(p).toMatch(/flows\[0\]\.steps\[3\]\.waitPush\.timeout: expected a duration/);
    expect(p).toMatch(/flows\[0\]\.steps\[4\]: a step is an object with exactly one of/);
    expect(err!.message).toMatch(/^bad.yaml: invalid scenario file/);
  });

  it('names YAML syntax errors and accepts the short forms', () => {
    expect(() => parseScenarioText('phases: [', 'x.yaml')).toThrow(/x.yaml[\s\S]*not valid YAML/);
    expect(() => parseScenarioText('{"phases": }', 'x.json')).toThrow(/not valid JSON/);
    const doc = parseScenarioText('phases: [{duration: 2s, users: 3}]\nflows: [{steps: [connect, {sleep: 100ms}, disconnect]}]', 'ok.yaml');
    expect(doc.flows[0]!.steps.map((s) => s.kind)).toEqual(['connect', 'sleep', 'disconnect']);
    expect(doc.users).toBe(3);
    expect(doc.totalMs).toBe(2000);
  });
});

describe('documentation', () => {
  it('the README section lists every metric of the catalog', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    for (const m of SCALAR_METRICS) expect(doc, m.name).toContain(`| \`${m.name}\` | ${m.unit} | ${m.description} |`);
    for (const f of LATENCY_FAMILIES) expect(doc, f.name).toContain(`| \`${f.name}.{`);
  });
});
