import { describe, expect, it } from 'vitest';
import {
  chatScenario,
  connectScenario,
  expectedKicks,
  fileScenario,
  groupScenario,
  LOGIN_SEQUENCE,
  metricDoc,
  multiloginScenario,
  parseScenarioText,
  presenceScenario,
  reconnectScenario,
} from '../../simulators/scenarios/index.js';
import { simSmall } from './helpers.js';

/** Sum of the kicks the sim's policy model predicts for one user's login sequence. */
function modelKicks(policy: number): number {
  let live: number[] = [];
  let n = 0;
  for (const p of LOGIN_SEQUENCE) {
    const k = expectedKicks(policy, live, p);
    n += k.filter(Boolean).length;
    live = live.filter((_, i) => !k[i]);
    live.push(p);
  }
  return n;
}

describe('built-in scenarios against an in-process gateway', () => {
  it('connect: opens, holds and closes every connection; counts add up', async () => {
    const { report, failed } = await simSmall(connectScenario({ users: 30, rampPerSec: 0, holdMs: 300 }), {
      loadMs: 5000,
      thresholds: ['connections.failed==0', 'connections.opened==30', 'handshake.p99<0.001ms'],
    });
    expect(report.connections).toMatchObject({ opened: 30, failed: 0, closed: 30, dropped: 0, peak: 30 });
    expect(report.connections.closedByReason).toEqual({ client: 30 });
    expect(report.latency.handshake!.count).toBe(30);
    expect(report.timeline.length).toBeGreaterThanOrEqual(1);
    // The impossible one fails, the others pass.
    expect(failed.map((f) => f.expr)).toEqual(['handshake.p99<0.001ms']);
    expect(report.passed).toBe(false);
    for (const k of Object.keys(report.metrics)) expect(metricDoc(k), k).toBeDefined();
  });

  it('chat: every message reaches both ends exactly once, in order', async () => {
    const { report, failed } = await simSmall(chatScenario({ users: 6, rate: 40, durationMs: 1000 }), {
      loadMs: 1000,
      thresholds: ['lost==0', 'duplicates==0', 'outOfOrder==0', 'gaps==0', 'delivery.p99<5s', 'throughput.sent>10000'],
    });
    const m = report.metrics;
    // The pacer never exceeds the rate; a loaded machine may send fewer (the run then warns):
    // every check below is relative to what was actually sent.
    expect(m['messages.sent']).toBeGreaterThan(0);
    expect(m['messages.sent']).toBeLessThanOrEqual(40);
    if (m['messages.sent']! < 36) expect(report.warnings.join('\n')).toMatch(/could not reach --rate 40/);
    expect(m['messages.failed']).toBe(0);
    // Single chat: the peer and the sender's own connection each get a copy.
    expect(m['deliveries.expected']).toBe(2 * m['messages.sent']!);
    expect(m['deliveries.received']).toBe(m['deliveries.expected']);
    expect(report.latency.delivery!.count).toBe(m['deliveries.received']);
    expect(report.latency['rtt.1003']!.count).toBe(m['messages.sent']);
    expect(m.lost).toBe(0);
    expect(failed.map((f) => f.expr)).toEqual(['throughput.sent>10000']);
    for (const k of Object.keys(report.metrics)) expect(metricDoc(k), k).toBeDefined();
  });

  it('group: fan-out to every member online', async () => {
    const { report, failed } = await simSmall(groupScenario({ members: 8, senders: 2, rate: 20, durationMs: 1000, join: 'auto' }), {
      loadMs: 1000,
      thresholds: ['lost==0', 'duplicates==0', 'gaps==0'],
    });
    const m = report.metrics;
    expect(m['messages.sent']).toBeGreaterThan(0);
    expect(m['messages.sent']).toBeLessThanOrEqual(20);
    expect(m['deliveries.expected']).toBe(8 * m['messages.sent']!);
    expect(m['deliveries.received']).toBe(m['deliveries.expected']);
    expect(failed).toEqual([]);
    expect(report.extra.group).toMatchObject({ members: 8, online: 8, senders: 2, defined: 'by the sim' });
  });

  it('group: without the group defined and without first-send joins, members are missed and thresholds catch it', async () => {
    const { report, failed } = await simSmall(groupScenario({ members: 4, senders: 1, rate: 10, durationMs: 600, join: 'none' }), {
      loadMs: 600,
      drainMs: 500,
      thresholds: ['lost==0'],
    });
    // Only the sender joined (first use): the other three members never get a push.
    expect(report.metrics.lost).toBeGreaterThan(0);
    expect(failed.map((f) => f.expr)).toEqual(['lost==0']);
  });

  it('presence: subscribers converge on churning users; latencies are measured', async () => {
    const { report, failed } = await simSmall(presenceScenario({ subscribers: 2, watched: 4, churn: 5, durationMs: 1200, settleMs: 3000 }), {
      loadMs: 1200,
      gateway: { presence: { mergeIntervalMs: 30 } },
      thresholds: ['presence.stale==0', 'presence.p99<3s'],
    });
    expect(failed).toEqual([]);
    expect(report.metrics['presence.notifications']).toBeGreaterThan(0);
    expect(report.latency.presence!.count).toBeGreaterThan(0);
    expect((report.extra.presence as { flips: number }).flips).toBeGreaterThanOrEqual(5);
  });

  it.each([0, 1, 4, 5])('multilogin: policy %i kicks exactly what the policy says', async (policy) => {
    const { report, failed } = await simSmall(multiloginScenario({ users: 2, policy, durationMs: 20_000, kickTimeoutMs: 2000 }), {
      loadMs: 20_000,
      gateway: { multiLogin: { policy } },
      thresholds: ['kicks.missing==0', 'kicks.unexpected==0'],
    });
    expect(failed).toEqual([]);
    expect(report.metrics['kicks.expected']).toBe(2 * modelKicks(policy));
    expect(report.metrics['kicks.observed']).toBe(report.metrics['kicks.expected']);
    if (policy !== 0) expect(report.connections.closedByReason.kicked).toBe(report.metrics['kicks.observed']);
  });

  it('multilogin: asserting the wrong policy fails the checks', async () => {
    const { report, failed } = await simSmall(multiloginScenario({ users: 1, policy: 1, durationMs: 20_000, kickTimeoutMs: 300 }), {
      loadMs: 20_000,
      gateway: { multiLogin: { policy: 4 } },
      thresholds: ['kicks.missing==0', 'kicks.unexpected==0'],
    });
    expect(failed.length).toBeGreaterThan(0);
    expect(report.notes.join()).toMatch(/runs policy 4 but --policy 1/);
  });

  it('reconnect: dropped clients come back, catch up, and nothing is lost', async () => {
    const { report, failed } = await simSmall(reconnectScenario({ users: 6, rate: 40, durationMs: 2000, drops: 4, backoffMs: 50 }), {
      loadMs: 2000,
      thresholds: ['lost==0', 'gaps==0', 'duplicates==0', 'reconnects==4', 'catchup.failures==0'],
    });
    expect(failed).toEqual([]);
    expect(report.extra.reconnect).toEqual({ drops: 4 });
    expect(report.connections.closedByReason['dropped by sim']).toBe(4);
    expect(report.connections.dropped).toBe(0);
    // 6 initial syncs + one catch-up per reconnect (one cut short by a later drop is redone after it).
    expect(report.integrity.catchUps + report.integrity.catchUpsInterrupted).toBe(10);
    expect(report.integrity.catchUpFailures).toBe(0);
    expect(report.messages.receivedByPush + report.messages.receivedByPull).toBe(report.messages.expectedDeliveries);
    expect(report.latency['reconnect.handshake']!.count).toBe(4);
  });

  it('run: a scenario file with phases, weighted flows, groups and variables', async () => {
    const doc = parseScenarioText(
      `
users: 10
groups: { room: 6 }
variables: { hello: hi }
phases:
  - { name: arrive, duration: 1s, arrivalRate: 6 }
  - { name: steady, duration: 1s, users: 4 }
flows:
  - name: pair
    weight: 2
    steps:
      - connect: { platform: web }
      - send: { to: "\${peer}", count: 2, interval: 50ms, text: "\${hello} \${n}" }
      - waitPush: { count: 2, timeout: 3s }
      - disconnect
  - name: room
    weight: 1
    steps:
      - connect: {}
      - subscribe: { users: ["\${peer}"] }
      - send: { group: room }
      - sleep: 200ms
      - disconnect: { abrupt: true }
`,
      'inline.yaml',
    );
    const { report, failed } = await simSmall(fileScenario(doc, 'inline.yaml'), { loadMs: doc.totalMs + 3000, thresholds: ['flows.failed==0', 'lost==0', 'duplicates==0', 'outOfOrder==0'] });
    expect(failed).toEqual([]);
    const flows = report.extra.flows as { vus: number; byFlow: Record<string, { started: number; completed: number }> };
    expect(flows.vus).toBeGreaterThanOrEqual(6 + 4);
    expect(report.metrics['flows.started']).toBe(flows.vus);
    expect(report.metrics['flows.completed']).toBe(flows.vus);
    expect(flows.byFlow.pair!.started + flows.byFlow.room!.started).toBe(flows.vus);
    expect(report.metrics['messages.sent']).toBeGreaterThan(0);
  });
});
