import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { codecFor, parseSdkType } from '../../src/protocol/codecs.js';
import { gunzipFrame } from '../../src/protocol/gzip.js';
import type { Harness } from '../../harness/harness.js';
import { tokenFor } from '../../simulators/client/index.js';
import { chatScenario, connectScenario, fileTokens, groupScenario, parseThreshold, runSim, secretTokens } from '../../simulators/scenarios/index.js';
import { startNode } from '../helpers/gateway.js';

/**
 * A WebSocket proxy between the sim's clients and a real gateway that tampers with the 2001
 * pushes of one user's connection: drops its 2nd, sends its 4th twice, and swaps its 6th and
 * 7th. Everything else passes through untouched.
 */
class TamperingProxy {
  readonly wss: WebSocketServer;
  readonly tampered = { dropped: 0, duplicated: 0, swapped: 0 };

  constructor(
    private readonly upstream: string,
    private readonly victim: string,
  ) {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    this.wss.on('connection', (client, req) => this.bridge(client, req));
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/`;
  }

  private bridge(client: WebSocket, req: IncomingMessage): void {
    const q = new URL(req.url ?? '/', 'ws://x').searchParams;
    const gzip = q.get('compression') === 'gzip';
    const codec = codecFor(parseSdkType(q.get('sdkType') ?? '') ?? 'go', 'sdk');
    const isVictim = q.get('sendID') === this.victim;
    const up = new WebSocket(this.upstream.replace(/\/$/, '') + (req.url ?? '/'), { perMessageDeflate: false });
    const early: [RawData, boolean][] = [];
    client.on('message', (data, isBinary) => (up.readyState === WebSocket.OPEN ? up.send(data, { binary: isBinary }) : early.push([data, isBinary])));
    up.on('open', () => {
      for (const [d, b] of early.splice(0)) up.send(d, { binary: b });
    });
    let pushes = 0;
    let held: RawData | undefined;
    up.on('message', (data, isBinary) => {
      if (!isBinary || !isVictim || codec.decodeResp(gzip ? gunzipFrame(data as Buffer) : (data as Buffer)).reqIdentifier !== 2001) {
        client.send(data, { binary: isBinary });
        return;
      }
      pushes++;
      if (pushes === 2) {
        this.tampered.dropped++;
        return;
      }
      if (pushes === 4) {
        this.tampered.duplicated++;
        client.send(data, { binary: true });
      }
      if (pushes === 6) {
        held = data;
        return;
      }
      client.send(data, { binary: true });
      if (pushes === 7 && held !== undefined) {
        this.tampered.swapped++;
        client.send(held, { binary: true });
        held = undefined;
      }
    });
    const closeBoth = (): void => {
      if (client.readyState === WebSocket.OPEN) client.close();
      if (up.readyState === WebSocket.OPEN || up.readyState === WebSocket.CONNECTING) up.terminate();
    };
    client.on('close', closeBoth);
    up.on('close', closeBoth);
    client.on('error', closeBoth);
    up.on('error', closeBoth);
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

describe('integrity checker', () => {
  let node: Harness;
  let proxy: TamperingProxy;
  beforeAll(async () => {
    node = await startNode();
    proxy = new TamperingProxy(node.addresses.ws!, 'px_2');
    await new Promise<void>((r) => proxy.wss.once('listening', () => r()));
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
