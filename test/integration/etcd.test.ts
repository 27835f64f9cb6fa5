import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EtcdDiscovery } from '../../src/discovery/etcd.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { eventuallyPasses } from '../helpers/wait.js';

const TTL = 2;
const GW = 'messagegateway-rpc-service';

const eventually = eventuallyPasses;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('EtcdDiscovery against a real etcd', () => {
  let etcd: EtcdServer;
  const open: { close(): unknown }[] = [];
  const logs: string[] = [];

  /** A discovery instance with a short lease whose log lines are kept for assertions. */
  const node = (extra: Partial<ConstructorParameters<typeof EtcdDiscovery>[0]> = {}) => {
    const d = new EtcdDiscovery({ hosts: [etcd.endpoint], leaseTTL: TTL, callTimeoutMs: 2000, log: (m) => logs.push(m), ...extra });
    open.push(d);
    return d;
  };
  /** A plain etcd client, to look at keys the way any OpenIM process would. */
  const raw = () => {
    const c = new Etcd3({ hosts: [etcd.endpoint] });
    open.push(c);
    return c;
  };
  const leaseOf = async (c: Etcd3, key: string) => {
    const res = await c.get(key).exec();
    return res.kvs[0]?.lease;
  };

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((x) => x.close()));
    logs.length = 0;
    // A test may have stopped etcd; the next one needs it up.
    if (etcd) await etcd.start();
  });
  afterAll(async () => {
    await etcd?.destroy();
  });

  it('stores upstream\'s key and value, and a peer resolves and watches it', async () => {
    const me = node();
    const off = await me.register(GW, '10.1.2.3:10140');
    const c = raw();
    const key = `openim/${GW}/10.1.2.3:10140`;
    expect(me.keyFor(GW, '10.1.2.3:10140')).toBe(key);
    expect(await c.get(key).string()).toBe('{"Addr":"10.1.2.3:10140","Metadata":null}');
    expect(await c.getAll().prefix(`openim/${GW}/`).keys()).toEqual([key]);
    const lease = await leaseOf(c, key);
    expect(lease).toBeDefined();
    expect(lease).not.toBe('0');
    const ttl = await c.leaseClient.leaseTimeToLive({ ID: lease! });
    expect(Number(ttl.grantedTTL)).toBe(TTL);

    const peer = node();
    expect(await peer.resolve(GW)).toEqual(['10.1.2.3:10140']);
    const seen: string[][] = [];
    peer.watch(GW, (a) => seen.push(a));
    await eventually(() => expect(seen.at(-1)).toEqual(['10.1.2.3:10140']));

    // The key outlives several TTLs while kept alive.
    await sleep(TTL * 1000 * 2);
    expect(await c.get(key).string()).not.toBeNull();

    await off();
    expect(await c.get(key).string()).toBeNull();
    await eventually(() => expect(seen.at(-1)).toEqual([]));
    // Its lease was revoked too, not left to expire.
    expect(Number((await c.leaseClient.leaseTimeToLive({ ID: lease! })).TTL)).toBe(-1);
  });

  it('reads endpoints other OpenIM processes registered, and close() removes all of ours', async () => {
    const c = raw();
    await c.put(`openim/${GW}/10.9.9.9:10140`).value('{"Addr":"10.9.9.9:10140","Metadata":null}').exec();
    await c.put(`openim/${GW}-canary/10.9.9.8:1`).value('{"Addr":"10.9.9.8:1","Metadata":null}').exec();
    const me = node();
    expect(await me.resolve(GW)).toEqual(['10.9.9.9:10140']);
    await me.register(GW, '10.0.0.1:1');
    await me.register('auth-rpc-service', '10.0.0.1:2');
    expect(await me.resolve(GW)).toEqual(['10.0.0.1:1', '10.9.9.9:10140']);
    await me.close();
    expect(await c.getAll().prefix('openim/').keys()).toEqual([`openim/${GW}-canary/10.9.9.8:1`, `openim/${GW}/10.9.9.9:10140`]);
    await c.delete().prefix('openim/').exec();
  });

  it('a node that dies without closing disappears after its lease', async () => {
    const entry = fileURLToPath(new URL('../../src/discovery/etcd.ts', import.meta.url));
    const script = `
      const { EtcdDiscovery } = await import(${JSON.stringify(entry)});
      const d = new EtcdDiscovery({ hosts: [${JSON.stringify(etcd.endpoint)}], leaseTTL: ${TTL} });
      await d.register(${JSON.stringify(GW)}, '10.7.7.7:10140');
      console.log('registered');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await eventually(() => expect(out).toContain('registered'), 20_000);
      const peer = node();
      expect(await peer.resolve(GW)).toEqual(['10.7.7.7:10140']);
      const seen: string[][] = [];
      peer.watch(GW, (a) => seen.push(a));
      await eventually(() => expect(seen.at(-1)).toEqual(['10.7.7.7:10140']));

      const killedAt = Date.now();
      child.kill('SIGKILL');
      await eventually(() => expect(seen.at(-1)).toEqual([]), (TTL + 3) * 1000);
      // Gone because the lease ran out, not earlier (nobody deleted it).
      expect(Date.now() - killedAt).toBeGreaterThan(TTL * 1000 - 1000);
      expect(await peer.resolve(GW)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('re-registers when its lease is revoked behind its back', async () => {
    const me = node();
    await me.register(GW, '10.0.0.5:1');
    const c = raw();
    const key = me.keyFor(GW, '10.0.0.5:1');
    const first = await leaseOf(c, key);
    await c.leaseClient.leaseRevoke({ ID: first! });
    await eventually(async () => {
      const now = await leaseOf(c, key);
      expect(now).toBeDefined();
      expect(now).not.toBe(first);
      // The log line follows the put's reply: the key can carry the new lease a moment before it.
      expect(logs.join('\n')).toMatch(/re-registered/);
    });
  });

  it('comes back after etcd restarts, and the old lease cannot take the key with it', async () => {
    const me = node();
    const key = me.keyFor(GW, '10.0.0.6:1');
    await me.register(GW, '10.0.0.6:1');
    const watcher = node();
    const seen: string[][] = [];
    watcher.watch(GW, (a) => seen.push(a));
    await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.6:1']));
    const first = await leaseOf(raw(), key);

    await etcd.stop();
    // Down for longer than the lease: no keep-alive reaches etcd meanwhile, and nothing crashes.
    await sleep((TTL + 1) * 1000);
    await expect(me.resolve(GW)).rejects.toThrow();
    await etcd.start();

    const c = raw();
    await eventually(async () => {
      const now = await leaseOf(c, key);
      expect(now).toBeDefined();
      expect(now).not.toBe(first);
    }, 20_000);
    // Well past the old lease's TTL (etcd restarts leases with a full TTL), the key is still there.
    await sleep((TTL + 1) * 1000);
    expect(await c.get(key).string()).toBe('{"Addr":"10.0.0.6:1","Metadata":null}');
    expect(Number((await c.leaseClient.leaseTimeToLive({ ID: first! })).TTL)).toBe(-1);
    expect(logs.join('\n')).toMatch(/re-registered/);

    // The peer's watch reconnected: it sees a registration made after the restart.
    await me.register(GW, '10.0.0.7:1');
    await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.6:1', '10.0.0.7:1']));
  });

  it('registers again into an etcd that lost all its data', async () => {
    const me = node();
    const key = me.keyFor(GW, '10.0.0.8:1');
    await me.register(GW, '10.0.0.8:1');
    await etcd.stop();
    etcd.wipe();
    await etcd.start();
    const c = raw();
    await eventually(async () => expect(await c.get(key).string()).toBe('{"Addr":"10.0.0.8:1","Metadata":null}'), 20_000);
  });

  it('survives etcd being down: register rejects, watch waits, close does not hang', async () => {
    await etcd.stop();
    const me = node({ callTimeoutMs: 500 });
    await expect(me.register(GW, '10.0.0.9:1')).rejects.toThrow(/registering openim\/messagegateway-rpc-service\/10.0.0.9:1 failed/);
    const seen: string[][] = [];
    me.watch(GW, (a) => seen.push(a));
    await sleep(500);
    expect(seen).toEqual([]);

    await etcd.start();
    await eventually(() => expect(seen.at(-1)).toEqual([]), 15_000);
    await me.register(GW, '10.0.0.9:1');
    await eventually(() => expect(seen.at(-1)).toEqual(['10.0.0.9:1']), 15_000);

    await etcd.stop();
    const started = Date.now();
    await me.close();
    await me.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
