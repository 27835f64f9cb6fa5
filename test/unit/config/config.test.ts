import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/config.js';
import { loadOpenIMConfigFolder } from '../../../src/config/openim-folder.js';
import { configFromFlags, type ServeFlagValues } from '../../../src/config/from-flags.js';

const base: ServeFlagValues = { listen: '127.0.0.1', simulators: true, gateway: true };


function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-cfg-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('config', () => {
  it('defaults follow upstream', () => {
    const d = defaultConfig();
    expect(d).toMatchObject({ wsPort: 10001, hubPort: 10140, websocketMaxConnNum: 100000, secret: 'openIM123', adminUserIDs: ['imAdmin'], multiLogin: { policy: 1, maxNumOneEnd: 30 } });
    expect(d.serviceNames.messageGateway).toBe('messagegateway-rpc-service');
  });

  it('reads the keys that apply from an OpenIM config folder', () => {
    const dir = folder({
      'share.yml': 'secret: s3cret\nimAdminUserID: [boss, ops]\nmultiLogin:\n  policy: 4\n  maxNumOneEnd: 5\n',
      'openim-msggateway.yml': 'rpc:\n  registerIP: 10.1.2.3\n  ports: [ 20140 ]\nprometheus:\n  enable: false\n  ports: [ 20141 ]\nlistenIP: 0.0.0.0\nlongConnSvr:\n  ports: [ 20001 ]\n  websocketMaxConnNum: 7\n  websocketMaxMsgLen: 1024\n  websocketTimeout: 3\n',
      'redis.yml': 'address: [ 127.0.0.1:16379 ]\nusername: \npassword: pw\ndb: 2\n',
      'discovery.yml': 'enable: etcd\netcd:\n  rootDirectory: im\n  address: [ 127.0.0.1:12379 ]\nrpcService:\n  messageGateway: gw-svc\n',
      'webhooks.yml': 'url: http://127.0.0.1:9/hooks\nafterUserOnline:\n  enable: true\n  timeout: 2\n',
    });
    const cfg = configFromFlags({ ...base, config: dir, listen: '0.0.0.0' });
    expect(cfg).toMatchObject({
      secret: 's3cret',
      adminUserIDs: ['boss', 'ops'],
      multiLogin: { policy: 4, maxNumOneEnd: 5 },
      registerIP: '10.1.2.3',
      hubPort: 20140,
      metricsEnable: false,
      metricsPort: 20141,
      wsPort: 20001,
      websocketMaxConnNum: 7,
      websocketTimeout: 3,
      redis: { mode: 'standalone', addrs: ['127.0.0.1:16379'], password: 'pw', db: 2 },
      discovery: { kind: 'etcd', etcdAddrs: ['127.0.0.1:12379'], rootDirectory: 'im' },
      webhooks: { url: 'http://127.0.0.1:9/hooks', afterUserOnline: { enable: true, timeout: 2 } },
    });
    expect(cfg.serviceNames.messageGateway).toBe('gw-svc');
    expect(cfg.serviceNames.auth).toBe('auth-rpc-service');
  });

  it('flags win over the folder', () => {
    const dir = folder({ 'share.yml': 'secret: fromfile\n' });
    expect(configFromFlags({ ...base, config: dir, secret: 'fromflag', port: 0 })).toMatchObject({ secret: 'fromflag', wsPort: 0 });
  });

  it('says what is wrong with bad input', () => {
    expect(() => loadOpenIMConfigFolder('/nonexistent/dir')).toThrow(/does not exist/);
    expect(() => loadOpenIMConfigFolder(folder({ 'share.yml': 'a: [unclosed\n' }))).toThrow(/share\.yml: not valid YAML/);
    expect(() => configFromFlags({ ...base, 'multi-login-policy': 3 })).toThrow(/use 0 \(no kicks\), 1 \(same platform kicks\), 4 \(same class kicks\) or 5 \(PC and other\)/);
    expect(() => configFromFlags({ ...base, group: ['nogroup'] })).toThrow(/groupID=u1,u2/);
    expect(() => configFromFlags({ ...base, discovery: 'zookeeper://x' })).toThrow(/standalone/);
    expect(configFromFlags({ ...base, group: ['team=a,b'], discovery: 'etcd://h1:1,h2:2' })).toMatchObject({ groups: { team: ['a', 'b'] }, discovery: { etcdAddrs: ['h1:1', 'h2:2'] } });
  });
});
