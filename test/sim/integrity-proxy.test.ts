import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../harness/harness.js';
import { tokenFor } from '../../simulators/client/index.js';
import { chatScenario, connectScenario, fileTokens, groupScenario, parseThreshold, runSim, secretTokens } from '../../simulators/scenarios/index.js';
import { startNode } from '../helpers/gateway.js';
import { startTamperingProxy, type TamperingProxy } from '../helpers/tampering-proxy.js';

describe('integrity checker', () => {
  let node: Harness;
  let proxy: TamperingProxy;
  beforeAll(async () => {
    node = await startNode();
    proxy = await startTamperingProxy(node.addresses.ws!, 'px_2');
  });
  afterAll(async () => {
    await proxy.close();
    await node.close();
  });

  it('catches a dropped, a duplicated and two swapped pushes', async () => {
    const { report, failed } = await runSim({
      scenario: chatScenario({ users: 2, rate: 20, durationMs: 1000 }),
      target: { kind: 'external', url: proxy.url },
      tokens: secretTokens(node.cfg.secret),
      prefix: 'px_',
      loadMs: 1000,
      drainMs: 1000,
      seed: 1,
      thresholds: ['lost==0', 'duplicates==0', 'outOfOrder==0', 'gaps==0'].map(parseThreshold),
    });
    expect(proxy.tampered).toEqual({ dropped: 1, duplicated: 1, swapped: 1 });
    expect(report.integrity).toMatchObject({ lost: 1, duplicates: 1, outOfOrder: 1, gaps: 1 });
    expect(report.integrity.lostSamples).toHaveLength(1);
    expect(report.integrity.missing).toEqual([expect.objectContaining({ conversationID: 'si_px_1_px_2', begin: expect.any(Number) })]);
    expect(report.integrity.anomalies.map((a) => a.kind)).toEqual(expect.arrayContaining(['gap', 'duplicate', 'out-of-order']));
    // Every delivery but the dropped one arrived; the other user saw everything.
    expect(report.messages.receivedByPush).toBe(report.messages.expectedDeliveries - 1);
    expect(failed.map((f) => f.metric).sort()).toEqual(['duplicates', 'gaps', 'lost', 'outOfOrder']);
    expect(report.passed).toBe(false);
  });

  it('passes the same checks through an honest path', async () => {
    const { report, failed } = await runSim({
      scenario: chatScenario({ users: 2, rate: 20, durationMs: 500 }),
      target: { kind: 'external', url: node.addresses.ws! },
      tokens: secretTokens(node.cfg.secret),
      loadMs: 500,
      drainMs: 1000,
      thresholds: ['lost==0', 'duplicates==0', 'outOfOrder==0', 'gaps==0'].map(parseThreshold),
    });
    expect(failed).toEqual([]);
    expect(report.passed).toBe(true);
    expect(report.target.kind).toBe('external');
  });
});

describe('external gateway', () => {
  let node: Harness;
  beforeAll(async () => {
    node = await startNode();
  });
  afterAll(async () => {
    await node.close();
  });

  it('group: members join by first send when the sim cannot define the group', async () => {
    const { report, failed } = await runSim({
      scenario: groupScenario({ members: 5, senders: 2, rate: 10, durationMs: 600, join: 'auto' }),
      target: { kind: 'external', url: node.addresses.ws! },
      tokens: secretTokens(node.cfg.secret),
      loadMs: 600,
      drainMs: 1000,
      thresholds: ['lost==0', 'gaps==0', 'outOfOrder==0'].map(parseThreshold),
    });
    expect(failed).toEqual([]);
    expect(report.notes.join()).toMatch(/joined by first send \(5 join messages/);
    expect(report.metrics['deliveries.expected']).toBe(5 * report.metrics['messages.sent']!);
  });

  it('reads tokens from a file, and names a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'msggw-sim-tokens-'));
    try {
      const file = join(dir, 'tokens.txt');
      writeFileSync(file, ['tk_1', 'tk_2'].map((u) => `${u} 5 ${tokenFor(u, 5, { secret: node.cfg.secret })}`).join('\n'));
      const base = { target: { kind: 'external' as const, url: node.addresses.ws! }, tokens: fileTokens(file), prefix: 'tk_', loadMs: 2000, platforms: [{ value: 5, weight: 1 }] };
      const ok = await runSim({ ...base, scenario: connectScenario({ users: 2, rampPerSec: 0, holdMs: 100 }) });
      expect(ok.report.connections).toMatchObject({ opened: 2, failed: 0 });
      const missing = await runSim({ ...base, scenario: connectScenario({ users: 3, rampPerSec: 0, holdMs: 100 }) });
      expect(missing.report.run.error).toMatch(/no token for tk_3:5/);
      expect(missing.report.passed).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
