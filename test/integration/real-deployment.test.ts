import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { mintToken } from '../../simulators/services/jwt.js';
import { connectURLRaw, RawClient } from '../helpers/gateway.js';
import { runCli, startServe, type ServeProcess } from '../helpers/cli.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { freePort, startRedisServer, type RedisServer } from '../helpers/redis.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'openim-config');

/** A temp copy of upstream's config folder of `version`, pointed at this test's etcd and Redis. */
function upstreamFolder(version: 'v3.8.3' | 'main', etcd: string, redisPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), `msggw-deploy-${version}-`));
  cpSync(join(FIXTURES, version), dir, { recursive: true });
  const edit = (file: string, fn: (t: string) => string) => writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  edit('discovery.yml', (t) => t.replace(/address: \[ ?localhost:12379 ?\]/, `address: [ ${etcd} ]`));
  edit('redis.yml', (t) => t.replace(/address: \[ ?localhost:16379 ?\]/, `address: [ 127.0.0.1:${redisPort} ]`).replace('password: openIM123', 'password:'));
  return dir;
}

/** oclif wraps error text across lines prefixed with ›; join them back for matching. */
const flat = (stderr: string): string => stderr.replace(/\s+›\s+/g, ' ');

async function keys(etcd: EtcdServer, prefix = 'openim/'): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: etcd.endpoint });
  try {
    return await client.getAll().prefix(prefix).strings();
  } finally {
    client.close();
  }
}

/**
 * msggw next to a real OpenIM: it finds services under whichever names the config folder's
 * version uses, never registers its simulators into a deployment unless asked, refuses to when a
 * name is taken, writes upstream's prometheus_discovery key, and says which file and key named a
 * backend that is down.
 */
describe('pointed at a real deployment (real etcd and redis-server)', () => {
  let etcd: EtcdServer;
  let redis: RedisServer;
  const started: ServeProcess[] = [];

  beforeAll(async () => {
    etcd = await startEtcd();
    redis = await startRedisServer();
  }, 60_000);

  afterAll(async () => {
    for (const s of started.reverse()) await s.stop();
    await redis?.stop();
    await etcd?.destroy();
  });

  it('refuses to register a simulator under a name a real instance holds, naming service and key', async () => {
    const client = new Etcd3({ hosts: etcd.endpoint });
    const lease = client.lease(30);
    await lease.put('openim/auth-rpc-service/10.9.8.7:10200').value(JSON.stringify({ Addr: '10.9.8.7:10200', Metadata: null }));
    try {
      const r = await runCli(['serve', '--json', '--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--discovery', `etcd://${etcd.endpoint}`, '--simulators']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('MSGGW_SIMULATOR_CONFLICT');
      expect(flat(r.stderr)).toContain('refusing to register the auth simulator as "auth-rpc-service": openim/auth-rpc-service/10.9.8.7:10200 is already registered');
      // Nothing of ours was left behind: only the real instance is registered.
      expect(Object.keys(await keys(etcd))).toEqual(['openim/auth-rpc-service/10.9.8.7:10200']);
    } finally {
      await lease.revoke();
      client.close();
    }
  }, 30_000);

  it('with etcd and no --simulators, registers only the gateway', async () => {
    const gw = await startServe(['--port', '0', '--hub-port', '0', '--metrics-port', '0', '--admin-port', '0', '--discovery', `etcd://${etcd.endpoint}`, '--redis', redis.url]);
    try {
      expect(gw.addrs.auth).toBeUndefined();
      expect(Object.keys(await keys(etcd))).toEqual([`openim/messagegateway-rpc-service/${gw.addrs.hub}`]);
    } finally {
      await gw.stop();
    }
  }, 30_000);

  it('v3.8.3 folder: finds the services under share.yml rpcRegisterName and registers as messageGateway', async () => {
    // The "real" OpenIM services of a v3.8.x deployment: simulators registered under the v3.8 names.
    const services = await startServe(['--no-gateway', '--simulators', '--service-names', 'v3.8', '--discovery', `etcd://${etcd.endpoint}`, '--redis', redis.url, '--admin-port', '0']);
    started.push(services);
    const gw = await startServe(['-c', upstreamFolder('v3.8.3', etcd.endpoint, redis.port), '--listen', '127.0.0.1', '--port', '0', '--admin-port', '0']);
    started.push(gw);
    const all = await keys(etcd);
    expect(Object.keys(all)).toEqual(expect.arrayContaining([`openim/auth/${services.addrs.auth}`, `openim/messageGateway/${gw.addrs.hub}`]));
    expect(Object.keys(all).filter((k) => k.includes('-rpc-service'))).toEqual([]);
    // autoSetPorts: the metrics port is free-picked and published where OpenIM's Prometheus looks.
    const metricsPort = Number(gw.addrs.metrics!.split(':').pop());
    expect(JSON.parse(all['openim/prometheus_discovery/messageGateway/0']!)).toEqual({ target: `127.0.0.1:${metricsPort}`, labels: { namespace: 'default' } });
    // The handshake reaches the auth service registered as "auth".
    const token = mintToken('openIM123', 'u38', 5, 1);
    const c = await connectURLRaw(`${gw.addrs.ws}?sendID=u38&platformID=5&operationID=op&isBackground=false&sdkType=js&token=${token}`, { user: 'u38', platform: 5, sdkType: 'js' });
    expect(c).toBeInstanceOf(RawClient);
    // msggw call finds the gateway under the v3.8 name too.
    const call = await runCli(['call', 'msgGateway.GetUsersOnlineStatus', '{"userIDs":["u38"]}', '--discovery', `etcd://${etcd.endpoint}`, '--service-names', 'v3.8', '--json']);
    expect(call.code).toBe(0);
    expect(JSON.parse(call.stdout)).toMatchObject({ successResult: [{ userID: 'u38', status: 1 }] });
    (c as RawClient).close();
    await gw.stop();
    await services.stop();
  }, 60_000);

  it('main folder: uses discovery.yml rpcService names and prometheus_discovery/<rpc-service>/<index>', async () => {
    const gw = await startServe(['-c', upstreamFolder('main', etcd.endpoint, redis.port), '--listen', '127.0.0.1', '--port', '0', '--admin-port', '0']);
    started.push(gw);
    const all = await keys(etcd);
    expect(Object.keys(all)).toContain(`openim/messagegateway-rpc-service/${gw.addrs.hub}`);
    expect(JSON.parse(all['openim/prometheus_discovery/messagegateway-rpc-service/0']!)).toMatchObject({ target: `127.0.0.1:${gw.addrs.metrics!.split(':').pop()}` });
    await gw.stop();
    expect(Object.keys(await keys(etcd, 'openim/prometheus_discovery/'))).toEqual([]);
  }, 30_000);

  it('a backend from the folder that is down is named by file and key', async () => {
    const dead = await freePort();
    const etcdDown = upstreamFolder('main', `127.0.0.1:${dead}`, redis.port);
    const r = await runCli(['serve', '-c', etcdDown, '--listen', '127.0.0.1', '--port', '0', '--admin-port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('MSGGW_BACKEND_UNREACHABLE');
    expect(flat(r.stderr)).toContain(`etcd 127.0.0.1:${dead} (from discovery.yml etcd.address) is unreachable`);
    expect(r.stderr).not.toMatch(/circuit breaker/i);
    const redisDown = upstreamFolder('main', etcd.endpoint, dead);
    const r2 = await runCli(['serve', '-c', redisDown, '--listen', '127.0.0.1', '--port', '0', '--admin-port', '0']);
    expect(r2.code).toBe(1);
    expect(flat(r2.stderr)).toContain(`Redis 127.0.0.1:${dead} (from redis.yml address (redisMode: standalone)) is unreachable`);
  }, 40_000);
});
