/**
 * Provisioning through the REST API, end to end with the built CLI: `msggw serve --strict-tokens`
 * (upstream's token rule, a stand-in for a real OpenIM) in its own process, and `sim`, `token`
 * and `client` with --api getting server-issued tokens. Offline-minted tokens are refused there.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../simulators/api/contract.js';
import { apiPost } from '../helpers/api.js';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';

// Every step spawns the CLI (a few seconds each on a busy machine): generous per-test bounds.
describe('sim, token and client --api against serve --strict-tokens', { timeout: 120_000 }, () => {
  let s: ServeProcess;
  let ws: string;
  let api: string;
  const tag = Math.random().toString(36).slice(2, 7);

  beforeAll(async () => {
    s = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--api-port', '0', '--strict-tokens']);
    ws = s.addrs.ws!;
    api = `http://${s.addrs.api}`;
  });
  afterAll(async () => {
    await s?.stop();
  });

  const report = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { metrics: Record<string, number | null>; run: { error: string | null } };

  it('sim chat --api: users registered, server-issued tokens, lost 0', async () => {
    const out = join(tmpdir(), `msggw-chat-${tag}.json`);
    const r = await runCli(['sim', 'chat', '--users', '6', '--rate', '20', '--duration', '2s', '--url', ws, '--api', api, '--secret', 'openIM123', '--prefix', `pc${tag}_`, '--out', out, '--threshold', 'lost==0'], 60_000);
    expect(r.stderr).toContain('provision: registered 6/6 users');
    expect(r.code, r.stderr).toBe(0);
    const m = report(out).metrics;
    expect(m.lost).toBe(0);
    expect(m['deliveries.expected']).toBeGreaterThan(0);
  });

  it('sim group --api: the group is created on the server, every member gets every message; a repeated run is fine', async () => {
    for (let i = 0; i < 2; i++) {
      const out = join(tmpdir(), `msggw-group-${tag}-${i}.json`);
      const r = await runCli(['sim', 'group', '--members', '6', '--senders', '2', '--rate', '10', '--duration', '1s', '--url', ws, '--api', api, '--secret', 'openIM123', '--prefix', `pg${tag}_`, '--out', out, '--threshold', 'lost==0'], 60_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`provision: group pg${tag}_g1: 6 members`);
      if (i === 1) expect(r.stderr).toContain('(6 existed)');
      expect(report(out).metrics.lost).toBe(0);
    }
  });

  it("sim run FILE --api: the file's groups: are created on the server with their members", async () => {
    const out = join(tmpdir(), `msggw-file-${tag}.json`);
    const file = fileURLToPath(new URL('../../fixtures/scenarios/chat-mix.yaml', import.meta.url));
    const r = await runCli(['sim', 'run', file, '--duration', '4s', '--url', ws, '--api', api, '--secret', 'openIM123', '--prefix', `pf${tag}_`, '--out', out, '--threshold', 'lost==0'], 90_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('provision: registered 40/40 users');
    expect(r.stderr).toContain(`provision: group pf${tag}_lobby: 20 members`);
    expect(report(out).metrics.lost).toBe(0);
  });

  it('offline-minted tokens are refused there (1507)', async () => {
    const out = join(tmpdir(), `msggw-minted-${tag}.json`);
    const r = await runCli(['sim', 'chat', '--users', '2', '--rate', '5', '--duration', '1s', '--url', ws, '--prefix', `pm${tag}_`, '--out', out, '-q'], 60_000);
    expect(r.stdout).toContain('errCode 1507');
    expect(report(out).metrics).toMatchObject({ 'connections.failed': 2, 'connections.opened': 0 });
  });

  it('a failed provisioning stops the run before any load, naming the endpoint, errCode and errMsg', async () => {
    const r = await runCli(['sim', 'chat', '--users', '2', '--url', ws, '--api', api, '--secret', 'not-the-secret'], 30_000);
    expect(r.code).toBe(1);
    const err = r.stderr.replace(/\s+›\s+/g, ' ');
    expect(err).toContain('/auth/get_admin_token');
    expect(err).toContain('errCode 1002');
    expect(err).toContain('no load was run');
    expect(err).toContain('MSGGW_SIM_PROVISION');
    const usage = await runCli(['sim', 'chat', '--api', api], 20_000);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('give its gateway with --url');
  });

  it('token --api returns a token the server issued (parse_token accepts it)', async () => {
    const r = await runCli(['token', '--user', `tk${tag}`, '--platform', '2', '--api', api, '--secret', 'openIM123', '--json'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    const { token } = JSON.parse(r.stdout) as { token: string };
    const parsed = await apiPost<{ userID: string; platformID: number }>(api, API_PATHS.auth.parseToken, { token });
    expect(parsed.reply).toMatchObject({ errCode: 0, data: { userID: `tk${tag}`, platformID: 2 } });
    const refused = await runCli(['token', '--user', 'x', '--api', 'http://127.0.0.1:1'], 20_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('MSGGW_API_CALL');
  });

  it('client --api logs in with a server-issued token and gets its own push', async () => {
    const r = await runCli(['client', '--user', `cl${tag}`, '--url', ws, '--api', api, '--secret', 'openIM123', '--send', `cl${tag}`, '--text', 'to myself', '--stay', '1s', '--json'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('to myself');
  });
});
