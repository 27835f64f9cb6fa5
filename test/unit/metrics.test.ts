import { Registry, register as globalRegistry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/gateway/events.js';
import { GatewayMetrics } from '../../src/metrics/metrics.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { Signal } from '../../src/util/signal.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text exposition format: samples plus each family's TYPE. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value;
}

const base = { at: 0, userID: 'u1', platformID: 5, connID: 'c' };

describe('GatewayMetrics over /metrics', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('exposes gauges, counters and the histogram fed by gateway events and direct calls', async () => {
    const registry = new Registry();
    const metrics = new GatewayMetrics(registry);
    const events = new Signal<GatewayEvent>();

    // The gauges are the gateway's own counts; here a tiny user map kept from the same events.
    const conns = new Map<string, string>();
    const detach = metrics.attachGateway(events, () => ({ users: new Set(conns.values()).size, conns: conns.size }));
    events.on((e) => {
      if (e.type === 'connect') conns.set(e.connID, e.userID);
      if (e.type === 'disconnect') conns.delete(e.connID);
    });

    const connect = (connID: string, userID: string): GatewayEvent => ({
      type: 'connect', ...base, userID, connID, remoteAddr: '127.0.0.1:1', sdkType: 'go', gzip: false,
    });
    events.emit(connect('c1', 'alice'));
    events.emit(connect('c2', 'alice'));
    events.emit(connect('c3', 'bob'));
    events.emit({ type: 'disconnect', ...base, connID: 'c3', userID: 'bob', reason: 'websocket write buffer full', detail: '256 frames queued' });
    events.emit({ type: 'kick', ...base, policy: 1, cause: 'remote-login' });
    events.emit({ type: 'handshake-fail', at: 0, code: 1507, message: 'TokenNotExist', detail: '', remoteAddr: '127.0.0.1:2' });
    events.emit({ type: 'handshake-fail', at: 0, code: 1507, message: 'TokenNotExist', detail: '', remoteAddr: '127.0.0.1:3' });
    events.emit({ type: 'request', at: 0, userID: 'alice', connID: 'c1', reqIdentifier: 1003, errCode: 0, ms: 3 });
    events.emit({ type: 'request', at: 0, userID: 'alice', connID: 'c1', reqIdentifier: 1003, errCode: 0, ms: 40 });
    // Push events are not counted: countPushResult is the only feed of push results.
    events.emit({ type: 'push', at: 0, userIDs: 2, delivered: 2, codes: { '0': 2 } });

    metrics.countFrameIn(1003);
    metrics.countFrameIn(1003);
    metrics.countFrameIn(424242); // unknown identifiers share one series
    metrics.countFrameOut(3);
    metrics.countPushResult(0, 4);
    metrics.countPushResult(1603);

    const observe = metrics.rpcObserver('messagegateway-rpc-service');
    const path = '/openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg';
    observe({ name: 'SuperGroupOnlineBatchPushOneMsg', path, code: 0, ms: 1 });
    observe({ name: 'SuperGroupOnlineBatchPushOneMsg', path, code: 0, ms: 1 });
    observe({ name: 'SuperGroupOnlineBatchPushOneMsg', path, code: 1001, ms: 1 });
    metrics.rpcObserver()({ name: 'ParseToken', path: '/openim.auth.Auth/parseToken', code: 1507, ms: 2 });

    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(registry.contentType);
    const { samples, types } = parseExposition(await res.text());

    expect(types.get('online_user_num')).toBe('gauge');
    expect(value(samples, 'online_user_num')).toBe(1);
    expect(value(samples, 'msggw_connections')).toBe(2);

    expect(types.get('rpc_count')).toBe('counter');
    expect(samples.some((s) => s.name === 'rpc_count_total')).toBe(false);
    expect(value(samples, 'rpc_count', { name: 'messagegateway-rpc-service', path, code: '0' })).toBe(2);
    expect(value(samples, 'rpc_count', { name: 'messagegateway-rpc-service', path, code: '1001' })).toBe(1);
    expect(value(samples, 'rpc_count', { name: 'ParseToken', path: '/openim.auth.Auth/parseToken', code: '1507' })).toBe(1);

    expect(value(samples, 'msggw_disconnects_total', { reason: 'websocket write buffer full' })).toBe(1);
    expect(value(samples, 'msggw_kicks_total', { cause: 'remote-login' })).toBe(1);
    expect(value(samples, 'msggw_handshake_failures_total', { code: '1507' })).toBe(2);
    expect(value(samples, 'msggw_frames_in_total', { req_identifier: '1003' })).toBe(2);
    expect(value(samples, 'msggw_frames_in_total', { req_identifier: 'other' })).toBe(1);
    expect(value(samples, 'msggw_frames_out_total')).toBe(3);
    expect(value(samples, 'msggw_push_results_total', { code: '0' })).toBe(4);
    expect(value(samples, 'msggw_push_results_total', { code: '1603' })).toBe(1);

    expect(types.get('msggw_request_duration_seconds')).toBe('histogram');
    expect(value(samples, 'msggw_request_duration_seconds_count', { req_identifier: '1003' })).toBe(2);
    expect(value(samples, 'msggw_request_duration_seconds_sum', { req_identifier: '1003' })).toBeCloseTo(0.043, 6);
    expect(value(samples, 'msggw_request_duration_seconds_bucket', { req_identifier: '1003', le: '0.005' })).toBe(1);
    expect(value(samples, 'msggw_request_duration_seconds_bucket', { req_identifier: '1003', le: '+Inf' })).toBe(2);

    // Default process/runtime collectors are in the same registry.
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);

    // After detaching, events no longer count and the gauges read zero.
    detach();
    events.emit({ type: 'kick', ...base, policy: 1, cause: 'remote-login' });
    const after = parseExposition(await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text()).samples;
    expect(value(after, 'msggw_kicks_total', { cause: 'remote-login' })).toBe(1);
    expect(value(after, 'msggw_connections')).toBe(0);
  });

  it('answers 404 off /metrics, never touches the global registry, and closes idempotently', async () => {
    const registry = new Registry();
    const before = (await globalRegistry.getMetricsAsJSON()).length;
    new GatewayMetrics(registry, { defaultMetrics: false });
    expect((await globalRegistry.getMetricsAsJSON()).length).toBe(before);

    server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: 'POST' })).status).toBe(404);
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics?x=1`)).text();
    expect(text).toContain('# TYPE online_user_num gauge');
    expect(text).not.toContain('process_cpu_user_seconds_total');

    // Two GatewayMetrics on separate registries do not clash (two nodes in one process).
    new GatewayMetrics(new Registry(), { defaultMetrics: false });

    await server.close();
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/metrics`)).rejects.toThrow();
  });
});
