import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadOpenIMConfigFolder } from '../../../src/config/openim-folder.js';
import { loadServeConfig, type ServeFlagValues } from '../../../src/config/from-flags.js';
import { parseServiceNames, RPC_SERVICE_NAMES } from '../../../src/config/service-names.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'openim-config');
const flags: ServeFlagValues = { gateway: true };

/** A temp copy of one upstream version's config folder, with optional edits (file -> text transform). */
function upstream(version: 'v3.8.3' | 'main', edit: Record<string, (text: string) => string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `msggw-upstream-${version}-`));
  cpSync(join(FIXTURES, version), dir, { recursive: true });
  for (const [file, fn] of Object.entries(edit)) writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-cfg-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('upstream config folders', () => {
  it('v3.8.3: service names from share.yml rpcRegisterName, redis clusterMode, imAdminUserID, fixed ports', () => {
    const { config: cfg, serviceNameLayout, warnings } = loadServeConfig({ ...flags, config: upstream('v3.8.3') });
    expect(serviceNameLayout).toBe('share.yml rpcRegisterName');
    expect(cfg.serviceNames).toEqual({ auth: 'auth', user: 'user', msg: 'msg', push: 'push', messageGateway: 'messageGateway' });
    expect(cfg.redis).toEqual({ mode: 'standalone', addrs: ['localhost:16379'], password: 'openIM123', db: 0, maxRetry: 10, poolSize: 100 });
    expect(cfg.discovery).toMatchObject({ kind: 'etcd', etcdAddrs: ['localhost:12379'], rootDirectory: 'openim' });
    expect(cfg).toMatchObject({ listenIP: '0.0.0.0', wsPort: 10001, adminUserIDs: ['imAdmin'], secret: 'openIM123', autoSetPorts: true, hubPort: 0, metricsPort: 0 });
    // A real deployment: the simulators stay off unless asked for.
    expect(cfg.simulators).toBe(false);
    // The only warning: upstream's listenIP 0.0.0.0 puts the hub on the network too (as upstream does), and serve says what that exposes.
    expect(warnings).toEqual([expect.stringMatching(/^the hub gRPC server listens on 0\.0\.0\.0/)]);
    expect(cfg.hubListenIP).toBe('0.0.0.0');
  });

  it('main: service names from discovery.yml rpcService, redisMode, imAdminUser.userIDs', () => {
    const { config: cfg, serviceNameLayout } = loadServeConfig({ ...flags, config: upstream('main') });
    expect(serviceNameLayout).toBe('discovery.yml rpcService');
    expect(cfg.serviceNames).toEqual(RPC_SERVICE_NAMES);
    expect(cfg.redis).toMatchObject({ mode: 'standalone', addrs: ['localhost:16379'], password: 'openIM123', db: 0, maxRetry: 10 });
    expect(cfg.redis?.username).toBeUndefined();
    expect(cfg).toMatchObject({ listenIP: '0.0.0.0', adminUserIDs: ['imAdmin'], autoSetPorts: true, simulators: false });
  });

  it('main with redisMode sentinel and cluster; v3.8.3 clusterMode and several addresses', () => {
    const sentinel = loadServeConfig({ ...flags, config: upstream('main', { 'redis.yml': (t) => t.replace('redisMode: "standalone"', 'redisMode: "sentinel"').replace('username:', 'username: app') }) }).config;
    expect(sentinel.redis).toMatchObject({ mode: 'sentinel', username: 'app', sentinel: { masterName: 'redis-master', addrs: ['127.0.0.1:26379', '127.0.0.1:26380', '127.0.0.1:26381'] } });
    const cluster = loadServeConfig({ ...flags, config: upstream('main', { 'redis.yml': (t) => t.replace('redisMode: "standalone"', 'redisMode: "cluster"') }) }).config;
    expect(cluster.redis?.mode).toBe('cluster');
    const v38 = loadServeConfig({ ...flags, config: upstream('v3.8.3', { 'redis.yml': (t) => t.replace('clusterMode: false', 'clusterMode: true') }) }).config;
    expect(v38.redis?.mode).toBe('cluster');
    const several = loadServeConfig({ ...flags, config: upstream('v3.8.3', { 'redis.yml': (t) => t.replace('[ localhost:16379 ]', '[ a:1, b:2, c:3 ]') }) }).config;
    expect(several.redis).toMatchObject({ mode: 'cluster', addrs: ['a:1', 'b:2', 'c:3'] });
    // Username-only ACL auth: a user and no password.
    const userOnly = loadServeConfig({ ...flags, config: upstream('main', { 'redis.yml': (t) => t.replace('username:', 'username: bob').replace('password: openIM123', 'password:') }) }).config;
    expect(userOnly.redis).toMatchObject({ username: 'bob' });
    expect(userOnly.redis?.password).toBeUndefined();
    expect(() => loadServeConfig({ ...flags, config: upstream('main', { 'redis.yml': (t) => t.replace('redisMode: "standalone"', 'redisMode: "ring"') }) })).toThrow(/redis\.yml redisMode: "ring"/);
  });

  it('--service-names overrides either layout', () => {
    const v38 = upstream('v3.8.3');
    expect(loadServeConfig({ ...flags, config: v38, 'service-names': 'rpc-service' }).config.serviceNames).toEqual(RPC_SERVICE_NAMES);
    const mixed = loadServeConfig({ ...flags, config: upstream('main'), 'service-names': 'v3.8,msg=my-msg' });
    expect(mixed.serviceNameLayout).toBe('--service-names');
    expect(mixed.config.serviceNames).toMatchObject({ auth: 'auth', msg: 'my-msg', messageGateway: 'messageGateway' });
    expect(() => parseServiceNames('gateway=x', RPC_SERVICE_NAMES)).toThrow(/messageGateway/);
  });

  it('-i picks ports[i] when autoSetPorts is off, and says when the list is too short', () => {
    const fixed = (t: string) => t.replace('autoSetPorts: true', 'autoSetPorts: false');
    const dir = upstream('v3.8.3', { 'openim-msggateway.yml': (t) => fixed(t).replace('ports: [ 10001 ]', 'ports: [ 10001, 10002, 10003 ]') });
    expect(loadServeConfig({ ...flags, config: dir, index: 2 }).config).toMatchObject({ hubPort: 10142, metricsPort: 12142, wsPort: 10003, autoSetPorts: false, instanceIndex: 2 });
    expect(() => loadServeConfig({ ...flags, config: upstream('v3.8.3', { 'openim-msggateway.yml': fixed }), index: 1 })).toThrow(/longConnSvr\.ports: has 1 port, but instance index 1 \(-i\) needs at least 2/);
    expect(() => loadServeConfig({ ...flags, index: 1 })).toThrow(/pass -c/);
  });
});

describe('config precedence and validation', () => {
  it('only a flag given on the command line overrides -c', () => {
    const dir = upstream('main');
    expect(loadServeConfig({ ...flags, config: dir }).config.listenIP).toBe('0.0.0.0');
    const over = loadServeConfig({ ...flags, config: dir, listen: '127.0.0.1', simulators: true, redis: 'redis+cluster://h1:1,h2:2' }).config;
    expect(over).toMatchObject({ listenIP: '127.0.0.1', simulators: true, redisUrl: 'redis+cluster://h1:1,h2:2' });
    expect(over.origins?.listenIP).toBe('--listen');
  });

  it('values from -c get the same validation as flags, naming file and key', () => {
    const dir = upstream('main', { 'share.yml': (t) => t.replace('policy: 1', 'policy: 9') });
    expect(() => loadServeConfig({ ...flags, config: dir })).toThrow(/share\.yml multiLogin\.policy: multi-login policy 9 is unknown: use 0 \(no kicks\), 1 \(same platform kicks\), 4 \(same class kicks\) or 5 \(PC and other\)/);
    expect(() => loadServeConfig({ ...flags, 'multi-login-policy': 9 })).toThrow(/--multi-login-policy: multi-login policy 9 is unknown/);
    const badPort = upstream('main', { 'openim-msggateway.yml': (t) => t.replace('ports: [ 10001 ]', 'ports: [ 99999 ]') });
    expect(() => loadServeConfig({ ...flags, config: badPort })).toThrow(/openim-msggateway\.yml longConnSvr\.ports\[0\]: expected a port 0-65535, got 99999/);
    const badType = upstream('main', { 'openim-msggateway.yml': (t) => t.replace('websocketMaxConnNum: 100000', 'websocketMaxConnNum: lots') });
    expect(() => loadServeConfig({ ...flags, config: badType })).toThrow(/longConnSvr\.websocketMaxConnNum: expected a whole number, got "lots"/);
  });

  it('-c must be a folder holding OpenIM files', () => {
    const dir = upstream('main');
    expect(() => loadOpenIMConfigFolder(join(dir, 'share.yml'))).toThrow(/is a file: pass the folder/);
    expect(() => loadOpenIMConfigFolder(folder({}))).toThrow(/has none of share\.yml/);
    expect(() => loadOpenIMConfigFolder(folder({ 'config.yaml': 'envs:\n  discovery: zookeeper\n' }))).toThrow(/single-file layout of OpenIM before v3\.7/);
  });

  it('an old-format share.yml (env: zookeeper, no secret) gets warnings naming the key', () => {
    const { warnings } = loadServeConfig({ ...flags, config: folder({ 'share.yml': 'env: zookeeper\nrpcRegisterName:\n  msg: msg\n' }) });
    expect(warnings).toEqual([expect.stringMatching(/^share\.yml has no `secret`/), expect.stringMatching(/^share\.yml env: zookeeper is the v3\.7 discovery switch/)]);
  });
});
