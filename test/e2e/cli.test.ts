import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyToken } from '../../simulators/services/jwt.js';
import type { Harness } from '../../harness/harness.js';
import { runCli, startServe } from '../helpers/cli.js';
import { connectOk, startNode } from '../helpers/gateway.js';

describe('the msggw CLI', () => {
  it('--help lists the commands and --version prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['serve', 'token', 'call', 'client']) expect(help.stdout).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'));
    const v = await runCli(['--version']);
    expect(v.stdout).toMatch(/^msggw\/\d+\.\d+\.\d+/);
  });

  it('token mints a token auth accepts, and refuses unknown platforms with a coded error', async () => {
    const r = await runCli(['token', '--user', 'u1', '--platform', '3', '--json']);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ userID: 'u1', platformID: 3, platform: 'Windows' });
    expect(verifyToken('openIM123', out.token)).toMatchObject({ UserID: 'u1', PlatformID: 3 });
    const bad = await runCli(['token', '--user', 'u1', '--platform', '42']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not an OpenIM platform ID');
  });

  it('serve --json starts every part and stops cleanly on SIGTERM', async () => {
    const s = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0']);
    expect(Object.keys(s.addrs)).toEqual(expect.arrayContaining(['auth', 'hub', 'metrics', 'msg', 'push', 'ready', 'user', 'ws', 'admin']));
    const metrics = await fetch(`http://${s.addrs.metrics}/metrics`).finally(() => undefined);
    await s.stop();
    expect(metrics.status).toBe(200);
    expect(s.proc.exitCode).toBe(0);
  });

  it('serve explains a port that is taken', async () => {
    const s = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0']);
    const port = new URL(s.addrs.ws!).port;
    const r = await runCli(['serve', '--port', port, '--hub-port', '0', '--metrics-port', '0']).finally(() => s.stop());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('EADDRINUSE');
    expect(r.stderr.replace(/\s+›\s+/g, ' ')).toContain('pick others with --port');
  });

  describe('client', () => {
    let node: Harness;
    beforeAll(async () => {
      node = await startNode();
    });
    afterAll(async () => {
      await node.close();
    });

    it('sends a message and prints its own push as JSON lines', async () => {
      const peer = await connectOk(node, { user: 'cli-peer', platform: 5 });
      const r = await runCli(['client', '--url', node.addresses.ws!, '--user', 'cli-me', '--platform', '1', '--sdk', 'go', '--gzip', '--send', 'cli-peer', '--text', 'hi', '--stay', '500ms', '--json']);
      expect(r.code).toBe(0);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['open', 'sent', 'push']));
      expect(events.find((e) => e.event === 'push')).toMatchObject({ conversationID: 'si_cli-me_cli-peer', content: '{"content":"hi"}' });
      await peer.waitFor((f) => f.reqIdentifier === 2001);
      peer.close();
    });

    it('reports a refused handshake and exits 1', async () => {
      const r = await runCli(['client', '--url', node.addresses.ws!, '--user', 'x', '--token', 'garbage', '--stay', '0s']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('handshake failed: 1503');
    });
  });
});
