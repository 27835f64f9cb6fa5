/**
 * Each error is printed once, with what was tried and what to do, by the real binary: a sim
 * whose gateway is unreachable, a wrong secret, a bad scenario file, a failing check; serve with
 * Redis or etcd down; client and call against nothing. Counted over stdout and stderr together.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

/** How often `needle` occurs in `hay` (oclif wraps long lines: compared with the line breaks and margins removed). */
function count(hay: string, needle: string): number {
  const flat = hay.replace(/\n ›   /g, ' ').replace(/\s+/g, ' ');
  return flat.split(needle).length - 1;
}

const FREE = ['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--api-port', '0'];

describe('each error printed once', () => {
  let serve: ServeProcess;
  let dead: number;
  const dir = mkdtempSync(join(tmpdir(), 'msggw-errors-'));
  beforeAll(async () => {
    serve = await startServe(FREE, 60_000);
    dead = await freePort();
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sim against an unreachable gateway: ERROR, the cause and the fix once, no pace warning', async () => {
    const r = await runCli(['sim', 'chat', '--users', '2', '--duration', '1s', '--url', `ws://127.0.0.1:${dead}/`], 60_000);
    const all = r.stdout + r.stderr;
    expect(r.code, all).toBe(1);
    expect(r.stdout).toMatch(/, ERROR\n/);
    expect(count(all, `is a gateway listening at ws://127.0.0.1:${dead}/?`)).toBe(1);
    expect(count(all, 'error: chat needs at least 2 connected users, got 0: all 2 connection(s) failed (network ECONNREFUSED)')).toBe(1);
    expect(count(all, 'Error: scenario chat stopped')).toBe(1);
    expect(all).not.toMatch(/WARN/);
  }, 90_000);

  it('sim with a wrong secret: the 1503 advice once', async () => {
    const r = await runCli(['sim', 'chat', '--users', '2', '--duration', '1s', '--url', serve.addrs.ws!, '--secret', 'not-the-secret'], 60_000);
    const all = r.stdout + r.stderr;
    expect(r.code, all).toBe(1);
    expect(count(all, "Pass the gateway's --secret")).toBe(1);
    expect(count(all, 'Error: scenario chat stopped')).toBe(1);
    expect(all).not.toMatch(/WARN/);
  }, 90_000);

  it('sim run with a bad scenario file: every problem once, on stderr, exit 2, nothing run', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nusers: -1\nphases:\n  - { duration: 1x, arrivalRate: 2 }\nflows:\n  - name: f\n    steps: [ connect, { send: { too: u2 } } ]\n');
    const r = await runCli(['sim', 'run', file], 30_000);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    for (const p of ['phases[0].duration: expected a duration', 'users: must be at least 1, got -1', 'flows[0].steps[1].send.too: unknown key']) expect(count(r.stderr, p), p).toBe(1);
    expect(count(r.stderr, 'Error:')).toBe(1);
    const missing = await runCli(['sim', 'run', join(dir, 'nope.yaml')], 30_000);
    expect(missing.code).toBe(2);
    expect(count(missing.stderr, 'cannot read: no such file')).toBe(1);
    expect(missing.stderr).not.toContain('ENOENT');
  }, 60_000);

  it('a failing check: listed once in the summary, named once on stderr', async () => {
    const r = await runCli(['sim', 'chat', '--users', '2', '--rate', '20', '--duration', '1s', '--url', serve.addrs.ws!, '-q', '--threshold', 'lost<0'], 60_000);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(count(r.stdout, 'FAIL lost<0')).toBe(1);
    expect(count(r.stderr, 'lost<0')).toBe(1);
    expect(count(r.stdout + r.stderr, 'Error:')).toBe(1);
  }, 90_000);

  it('serve with Redis or etcd down: one coded error with the cause, no library text', async () => {
    const redis = await runCli(['serve', '--redis', `redis://127.0.0.1:${dead}`, ...FREE], 60_000);
    expect(redis.code).toBe(1);
    expect(count(redis.stdout + redis.stderr, 'ECONNREFUSED')).toBe(1);
    expect(count(redis.stderr, `Redis 127.0.0.1:${dead} (from --redis) is unreachable: connect ECONNREFUSED`)).toBe(1);
    const etcd = await runCli(['serve', '--discovery', `etcd://127.0.0.1:${dead}`, ...FREE], 60_000);
    expect(etcd.code).toBe(1);
    expect(count(etcd.stderr, `etcd 127.0.0.1:${dead} (from --discovery) is unreachable: connect ECONNREFUSED 127.0.0.1:${dead}`)).toBe(1);
    expect(etcd.stderr).not.toMatch(/UNAVAILABLE|Resolution note|Last error/);
  }, 120_000);

  it('client and call against nothing: what was tried and what to do, once', async () => {
    const c = await runCli(['client', '--user', 'u1', '--url', `ws://127.0.0.1:${dead}/`], 30_000);
    expect(c.code).toBe(1);
    expect(c.stdout).toBe(`handshake failed: connect ECONNREFUSED 127.0.0.1:${dead}\n  could not reach ws://127.0.0.1:${dead}/ (nothing listens there): is msggw serve (or the gateway) running? Its banner prints the websocket address; pass it with --url\n`);
    const s = await runCli(['client', '--user', 'u1', '--url', serve.addrs.ws!, '--secret', 'nope', '--json'], 30_000);
    expect(s.code).toBe(1);
    const ev = JSON.parse(s.stdout.trim()) as { event: string; errCode: number; hint: string };
    expect(ev).toMatchObject({ event: 'error', errCode: 1503 });
    expect(ev.hint).toMatch(/wrong secret\? Pass the gateway's --secret/);
    const call = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{}', '--addr', `127.0.0.1:${dead}`], 30_000);
    expect(call.code).toBe(1);
    expect(count(call.stderr, 'ECONNREFUSED')).toBe(1);
    expect(count(call.stderr, 'Error:')).toBe(1);
  }, 90_000);

  it('an unknown command: exit 2, the closest command once', async () => {
    const r = await runCli(['srve'], 30_000);
    expect(r.code).toBe(2);
    expect(count(r.stderr, 'unknown command srve: did you mean serve?')).toBe(1);
    expect(r.stderr).toContain('MSGGW_UNKNOWN_COMMAND');
  }, 30_000);
});
