import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig, mergeConfig } from '../../src/config/config.js';
import { exposureWarnings } from '../../src/config/exposure.js';
import { configFromFlags } from '../../src/config/from-flags.js';
import { startServe } from '../helpers/cli.js';
import { startNode } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';

/** The local addresses (hex, as /proc/net/tcp{,6} writes them) listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, p] = cols[1]!.split(':');
      if (p === hexPort) out.push(addr!);
    }
  }
  return out;
}
const LOOPBACK_V4 = '0100007F';
const ANY_V4 = '00000000';
const portOf = (addr: string) => Number(addr.slice(addr.lastIndexOf(':') + 1).replace(/\/$/, ''));

describe('--listen 0.0.0.0 does not expose the internals', () => {
  it('the WebSocket binds wide; the hub and the simulators stay on loopback and are registered there', async () => {
    const node = await startNode({ listenIP: '0.0.0.0' });
    try {
      const a = node.addresses;
      expect(listeners(portOf(a.ws!))).toContain(ANY_V4);
      for (const internal of [a.hub!, a.auth!, a.user!, a.msg!, a.push!]) {
        expect(internal.startsWith('127.0.0.1:'), internal).toBe(true);
        expect(listeners(portOf(internal)), internal).toEqual([LOOPBACK_V4]);
      }
    } finally {
      await node.close();
    }
  });

  it('no warning for a wide WebSocket; one per exposed internal, naming what is exposed', () => {
    expect(exposureWarnings(mergeConfig(defaultConfig(), { listenIP: '0.0.0.0' }))).toEqual([]);
    const hub = exposureWarnings(mergeConfig(defaultConfig(), { hubListenIP: '0.0.0.0' }));
    expect(hub).toHaveLength(1);
    expect(hub[0]).toMatch(/hub gRPC server listens on 0\.0\.0\.0.*kick users.*live tokens.*imAdmin/);
    const sims = exposureWarnings(mergeConfig(defaultConfig(), { simulatorsListenIP: '10.0.0.5' }));
    expect(sims).toHaveLength(1);
    expect(sims[0]).toMatch(/simulated auth\/user\/msg\/push services listen on 10\.0\.0\.5.*mints a token for any user/);
    // Without simulators, or without a gateway, nothing of theirs is exposed.
    expect(exposureWarnings(mergeConfig(defaultConfig(), { simulatorsListenIP: '0.0.0.0', simulators: false }))).toEqual([]);
    expect(exposureWarnings(mergeConfig(defaultConfig(), { hubListenIP: '0.0.0.0' }), { gateway: false })).toEqual([]);
  });

  it('flags set the bind addresses and pin every simulator port', () => {
    const cfg = configFromFlags({ listen: '0.0.0.0', 'hub-listen': '0.0.0.0', 'simulators-listen': '127.0.0.2', 'auth-port': 20001, 'user-port': 20002, 'msg-port': 20003, 'push-port': 20004, simulators: true, gateway: true });
    expect([cfg.listenIP, cfg.hubListenIP, cfg.simulatorsListenIP]).toEqual(['0.0.0.0', '0.0.0.0', '127.0.0.2']);
    expect(cfg.simulatorPorts).toEqual({ auth: 20001, user: 20002, msg: 20003, push: 20004 });
  });

  it('serve --hub-listen 0.0.0.0 warns on stderr; the simulators listen on the ports given', async () => {
    const [authPort, msgPort] = [await freePort(), await freePort()];
    const s = await startServe(['--listen', '0.0.0.0', '--hub-listen', '0.0.0.0', '--port', '0', '--hub-port', '0', '--metrics-port', '0', '--no-admin-stream', '--no-api', '--auth-port', String(authPort), '--msg-port', String(msgPort)]);
    try {
      expect(s.stderr()).toMatch(/warning: the hub gRPC server listens on 0\.0\.0\.0/);
      expect(s.stderr()).not.toMatch(/simulated auth/);
      expect(portOf(s.addrs.auth!)).toBe(authPort);
      expect(portOf(s.addrs.msg!)).toBe(msgPort);
      expect(listeners(authPort)).toEqual([LOOPBACK_V4]);
    } finally {
      await s.stop();
    }
  });
});
