import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import type { Discovery } from '../../src/discovery/discovery.js';
import { EtcdDiscovery } from '../../src/discovery/etcd.js';
import { createDiscovery, parseDiscoveryFlag } from '../../src/discovery/index.js';
import { detectRegisterIP } from '../../src/discovery/register-ip.js';
import { StandaloneDiscovery } from '../../src/discovery/standalone.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { eventuallyPasses } from '../helpers/wait.js';

const eventually = eventuallyPasses;

let serial = 0;
/** A service name no other test uses, so backends that share state (etcd) need no cleanup between tests. */
const uniqueService = () => `svc-${process.pid}-${Date.now().toString(36)}-${serial++}`;

/**
 * The contract every Discovery backend must meet. `create` makes a fresh instance; instances are
 * closed after each test.
 */
function discoveryContract(label: string, create: () => Discovery): void {
  describe(`Discovery contract: ${label}`, () => {
    const made: Discovery[] = [];
    const make = () => {
      const d = create();
      made.push(d);
      return d;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((d) => d.close()));
    });

    it('register makes the address resolvable', async () => {
      const d = make();
      const svc = uniqueService();
      expect(await d.resolve(svc)).toEqual([]);
      await d.register(svc, '10.0.0.1:10140');
      expect(await d.resolve(svc)).toEqual(['10.0.0.1:10140']);
      expect(await d.resolve(`${svc}-other`)).toEqual([]);
    });

    it('watch reports the initial list, then additions and removals', async () => {
      const d = make();
      const svc = uniqueService();
      const seen: string[][] = [];
      const unwatch = d.watch(svc, (addrs) => seen.push([...addrs].sort()));
      await eventually(() => expect(seen[0]).toEqual([]));

      const unregister = await d.register(svc, '10.0.0.1:1');
      await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.1:1']));
      await unregister();
      await eventually(() => expect(seen.at(-1)).toEqual([]));

      unwatch();
      const calls = seen.length;
      await d.register(svc, '10.0.0.1:2');
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.length).toBe(calls);
    });

    it('holds two registrations of one service', async () => {
      const d = make();
      const svc = uniqueService();
      const seen: string[][] = [];
      d.watch(svc, (addrs) => seen.push([...addrs].sort()));
      const offA = await d.register(svc, '10.0.0.1:1');
      await d.register(svc, '10.0.0.2:1');
      expect((await d.resolve(svc)).sort()).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
      await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.1:1', '10.0.0.2:1']));
      await offA();
      expect(await d.resolve(svc)).toEqual(['10.0.0.2:1']);
      await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.2:1']));
    });

    it('unregister removes only that address and is idempotent', async () => {
      const d = make();
      const svc = uniqueService();
      const other = uniqueService();
      const off = await d.register(svc, '10.0.0.1:1');
      await d.register(other, '10.0.0.1:1');
      await off();
      await off();
      expect(await d.resolve(svc)).toEqual([]);
      expect(await d.resolve(other)).toEqual(['10.0.0.1:1']);
    });

    it('close is idempotent and refuses later registrations', async () => {
      const d = make();
      const svc = uniqueService();
      const off = await d.register(svc, '10.0.0.1:1');
      d.watch(svc, () => undefined);
      await Promise.all([d.close(), d.close()]);
      await d.close();
      await off();
      await expect(d.register(svc, '10.0.0.1:2')).rejects.toThrow(/closed/);
    });
  });
}

discoveryContract('standalone', () => new StandaloneDiscovery());

describe('etcd backend', () => {
  let etcd: EtcdServer | undefined;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.destroy();
  });
  // Short leases keep the suite fast; the contract does not depend on the TTL.
  discoveryContract('etcd', () => new EtcdDiscovery({ hosts: [etcd!.endpoint], leaseTTL: 2 }));
});

describe('createDiscovery / parseDiscoveryFlag', () => {
  it('parses standalone and etcd URLs into the config shape', () => {
    expect(parseDiscoveryFlag('standalone')).toEqual({ kind: 'standalone', etcdAddrs: [], rootDirectory: 'openim' });
    expect(parseDiscoveryFlag('etcd://127.0.0.1:2379')).toEqual({ kind: 'etcd', etcdAddrs: ['127.0.0.1:2379'], rootDirectory: 'openim' });
    expect(parseDiscoveryFlag('etcd://a:2379,b:22379')).toEqual({ kind: 'etcd', etcdAddrs: ['a:2379', 'b:22379'], rootDirectory: 'openim' });
    expect(parseDiscoveryFlag('etcd://root:p%40ss@etcd.local:2379/myim/')).toEqual({
      kind: 'etcd',
      etcdAddrs: ['etcd.local:2379'],
      rootDirectory: 'myim',
      username: 'root',
      password: 'p@ss',
    });
    expect(parseDiscoveryFlag('etcd://[::1]:2379', 'x').etcdAddrs).toEqual(['[::1]:2379']);
  });

  it('rejects malformed values', () => {
    for (const bad of ['', 'etcd', 'etcd://', 'etcd://host', 'etcd://host:0', 'etcd://host:70000', 'zk://a:1', 'etcd://a:1,b']) {
      expect(() => parseDiscoveryFlag(bad), bad).toThrow();
    }
  });

  it('builds the backend the config names', async () => {
    const standalone = createDiscovery(defaultConfig().discovery);
    expect(standalone.kind).toBe('standalone');
    await standalone.close();
    const etcd = createDiscovery(parseDiscoveryFlag('etcd://127.0.0.1:1'));
    expect(etcd).toBeInstanceOf(EtcdDiscovery);
    expect((etcd as EtcdDiscovery).rootDirectory).toBe('openim');
    await etcd.close();
    expect(() => createDiscovery({ kind: 'etcd', etcdAddrs: [], rootDirectory: 'openim' })).toThrow(/etcd address/);
  });
});

describe('detectRegisterIP', () => {
  const ifaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '255.0.0.0', mac: '00:00:00:00:00:00', cidr: '127.0.0.1/8' }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false, netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', cidr: 'fe80::1/64', scopeid: 2 },
      { address: '10.1.2.3', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '02:00:00:00:00:01', cidr: '10.1.2.3/24' },
    ],
  } as const;
  const asIfaces = (x: object) => x as Parameters<typeof detectRegisterIP>[2];

  it('prefers the configured IP', () => {
    expect(detectRegisterIP('192.168.9.9', '0.0.0.0', asIfaces(ifaces))).toBe('192.168.9.9');
  });
  it('uses a specific listen IP, since the servers are reachable only there', () => {
    expect(detectRegisterIP('', '127.0.0.1', asIfaces(ifaces))).toBe('127.0.0.1');
    expect(detectRegisterIP('', '10.9.9.9', asIfaces(ifaces))).toBe('10.9.9.9');
  });
  it('takes the first non-loopback IPv4 for a wildcard listener, else 127.0.0.1', () => {
    expect(detectRegisterIP('', '0.0.0.0', asIfaces(ifaces))).toBe('10.1.2.3');
    expect(detectRegisterIP('', '', asIfaces(ifaces))).toBe('10.1.2.3');
    expect(detectRegisterIP('', '0.0.0.0', asIfaces({ lo: ifaces.lo }))).toBe('127.0.0.1');
    expect(detectRegisterIP('', '::', asIfaces({}))).toBe('127.0.0.1');
  });
  it('works on this machine', () => {
    expect(detectRegisterIP('', '0.0.0.0')).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });
});
