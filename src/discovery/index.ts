import type { MsggwConfig } from '../config/config.js';
import type { Discovery } from './discovery.js';
import { EtcdDiscovery } from './etcd.js';
import { StandaloneDiscovery } from './standalone.js';

export type { Discovery } from './discovery.js';
export { EtcdDiscovery, type EtcdDiscoveryOptions } from './etcd.js';
export { StandaloneDiscovery } from './standalone.js';
export { detectRegisterIP } from './register-ip.js';

/** The discovery part of the node config. */
export type DiscoveryConfig = MsggwConfig['discovery'];

/** Knobs that are not part of the user-facing config (tests shorten the lease; the node passes its logger). */
export interface CreateDiscoveryOptions {
  /** etcd lease TTL, seconds (default 30, as upstream). */
  leaseTTL?: number;
  /** Deadline of each etcd call, ms. */
  callTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** Builds the backend the config names. */
export function createDiscovery(cfg: DiscoveryConfig, opts: CreateDiscoveryOptions = {}): Discovery {
  if (cfg.kind === 'standalone') return new StandaloneDiscovery();
  if (cfg.etcdAddrs.length === 0) throw new Error('discovery kind is etcd but no etcd address is configured');
  return new EtcdDiscovery({
    hosts: cfg.etcdAddrs,
    rootDirectory: cfg.rootDirectory,
    ...(cfg.username !== undefined && { username: cfg.username }),
    ...(cfg.password !== undefined && { password: cfg.password }),
    ...opts,
  });
}

/**
 * Parses the `--discovery` flag: `standalone`, or
 * `etcd://[user:password@]host:port[,host:port...][/rootDirectory]`.
 * The root directory defaults to `rootDirectory` (upstream's `openim`). Throws on anything else.
 */
export function parseDiscoveryFlag(value: string, rootDirectory = 'openim'): DiscoveryConfig {
  const v = value.trim();
  if (v === 'standalone') return { kind: 'standalone', etcdAddrs: [], rootDirectory };
  const m = /^etcd:\/\/(.*)$/i.exec(v);
  if (!m) throw new Error(`--discovery must be "standalone" or "etcd://host:port[,host:port]", got "${value}"`);
  let rest = m[1]!;
  const cfg: DiscoveryConfig = { kind: 'etcd', etcdAddrs: [], rootDirectory };

  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const root = rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
    if (root) cfg.rootDirectory = root;
    rest = rest.slice(0, slash);
  }
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    cfg.username = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) cfg.password = decodeURIComponent(userinfo.slice(colon + 1));
  }
  for (const part of rest.split(',')) {
    const hostPort = part.trim();
    if (!hostPort) continue;
    const hp = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(hostPort);
    const port = hp ? Number(hp[2]) : 0;
    if (!hp || port < 1 || port > 65535) throw new Error(`--discovery: "${hostPort}" is not host:port`);
    cfg.etcdAddrs.push(hostPort);
  }
  if (cfg.etcdAddrs.length === 0) throw new Error(`--discovery: no etcd address in "${value}"`);
  return cfg;
}
