import { Flags } from '@oclif/core';
import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from './config.js';
import { loadOpenIMConfigFolder } from './openim-folder.js';
import { knownPolicies } from '../gateway/multi-login.js';
import { parseDiscoveryFlag } from '../discovery/index.js';

const d = defaultConfig();

/**
 * The flags every command that starts a gateway shares (serve, sim, tui), so they behave alike.
 * Precedence: built-in defaults < OpenIM config folder (-c) < flags.
 */
export const serveFlags = {
  config: Flags.string({ char: 'c', summary: "OpenIM config folder (share.yml, redis.yml, openim-msggateway.yml, discovery.yml, webhooks.yml)." }),
  listen: Flags.string({ summary: 'Address every server binds to.', default: d.listenIP }),
  port: Flags.integer({ char: 'p', summary: `WebSocket port (default ${d.wsPort}; 0 = any free port).` }),
  'hub-port': Flags.integer({ summary: `Hub gRPC port, openim.msggateway.msgGateway (default ${d.hubPort}).` }),
  'metrics-port': Flags.integer({ summary: `Prometheus /metrics port (default ${d.metricsPort}).` }),
  redis: Flags.string({ summary: 'Redis URL, e.g. redis://127.0.0.1:6379/0 (default: embedded in-memory Redis).' }),
  discovery: Flags.string({ summary: "Discovery: 'standalone' (in-process, default) or 'etcd://host:port[,host:port]'." }),
  'register-ip': Flags.string({ summary: 'IP to register in discovery (default: listen address, or the first non-loopback IPv4 when listening on 0.0.0.0).' }),
  secret: Flags.string({ summary: `Token secret (share.yml secret; default ${d.secret}).` }),
  'multi-login-policy': Flags.integer({ summary: 'Multi-login policy: 0 none, 1 same platform kicks (default), 4 same class kicks, 5 PC and other.' }),
  'max-conn': Flags.integer({ summary: `Max connections (default ${d.websocketMaxConnNum}).` }),
  admin: Flags.string({ summary: 'Admin user IDs, comma separated (default imAdmin).' }),
  auth: Flags.string({ summary: 'Address of a real OpenIM auth service (host:port) instead of discovery.' }),
  user: Flags.string({ summary: 'Address of a real OpenIM user service.' }),
  msg: Flags.string({ summary: 'Address of a real OpenIM msg service.' }),
  push: Flags.string({ summary: 'Address of a real OpenIM push service.' }),
  simulators: Flags.boolean({ summary: 'Start the embedded auth/user/msg/push simulators.', default: true, allowNo: true }),
  gateway: Flags.boolean({ summary: 'Start the gateway (WebSocket server + hub). --no-gateway runs simulators only.', default: true, allowNo: true }),
  'in-process-rpc': Flags.boolean({ summary: 'Call the simulators (and they the hub) in-process when they run in this process; --no-in-process-rpc keeps those calls on real gRPC over loopback.', default: true, allowNo: true }),
  group: Flags.string({ summary: 'A group the msg simulator knows: groupID=u1,u2,u3 (repeatable).', multiple: true }),
  'merge-interval': Flags.integer({ summary: 'Presence: ms between status batches to the user service (default 1000).' }),
  'webhook-url': Flags.string({ summary: 'Base URL of the webhook receiver; enables the user online/offline/kick callbacks.' }),
  'admin-port': Flags.integer({ summary: `Admin event stream port, for msggw tui --attach (default ${d.admin.port}, moved to a free port when taken; 0 = any free port).` }),
  'admin-token': Flags.string({ summary: 'Token admin stream clients must present (default: generated at start and printed).' }),
  'admin-stream': Flags.boolean({ summary: 'Serve the admin event stream (--no-admin-stream turns it off).', default: true, allowNo: true }),
};

/** The parsed values of serveFlags. */
export interface ServeFlagValues {
  config?: string;
  listen: string;
  port?: number;
  'hub-port'?: number;
  'metrics-port'?: number;
  redis?: string;
  discovery?: string;
  'register-ip'?: string;
  secret?: string;
  'multi-login-policy'?: number;
  'max-conn'?: number;
  admin?: string;
  auth?: string;
  user?: string;
  msg?: string;
  push?: string;
  simulators: boolean;
  gateway: boolean;
  'in-process-rpc'?: boolean;
  group?: string[];
  'merge-interval'?: number;
  'webhook-url'?: string;
  'admin-port'?: number;
  'admin-token'?: string;
  'admin-stream'?: boolean;
}

/** Builds the node config from defaults, an OpenIM config folder and flags; throws Error with a fix on bad input. */
export function configFromFlags(f: ServeFlagValues): MsggwConfig {
  let cfg = defaultConfig();
  if (f.config) cfg = mergeConfig(cfg, loadOpenIMConfigFolder(f.config));
  const o: DeepPartial<MsggwConfig> = { listenIP: f.listen, simulators: f.simulators };
  if (f['in-process-rpc'] === false) o.inProcessRpc = false;
  if (f.port !== undefined) o.wsPort = f.port;
  if (f['hub-port'] !== undefined) o.hubPort = f['hub-port'];
  if (f['metrics-port'] !== undefined) o.metricsPort = f['metrics-port'];
  if (f.redis) o.redisUrl = f.redis;
  if (f.discovery) o.discovery = parseDiscoveryFlag(f.discovery);
  if (f['register-ip']) o.registerIP = f['register-ip'];
  if (f.secret) o.secret = f.secret;
  if (f['multi-login-policy'] !== undefined) {
    if (!knownPolicies.includes(f['multi-login-policy'])) throw new Error(`multi-login policy ${f['multi-login-policy']} is unknown: use 0, 1, 4 or 5`);
    o.multiLogin = { policy: f['multi-login-policy'] };
  }
  if (f['max-conn'] !== undefined) o.websocketMaxConnNum = f['max-conn'];
  if (f.admin) o.adminUserIDs = f.admin.split(',').map((s) => s.trim()).filter(Boolean);
  const addrs: Record<string, string> = {};
  for (const k of ['auth', 'user', 'msg', 'push'] as const) if (f[k]) addrs[k] = f[k]!;
  if (Object.keys(addrs).length > 0) o.serviceAddrs = addrs;
  if (f.group) {
    const groups: Record<string, string[]> = {};
    for (const g of f.group) {
      const [id, members] = g.split('=');
      if (!id || !members) throw new Error(`--group ${g}: expected groupID=u1,u2`);
      groups[id] = members.split(',').map((s) => s.trim()).filter(Boolean);
    }
    o.groups = groups;
  }
  if (f['merge-interval'] !== undefined) o.presence = { mergeIntervalMs: f['merge-interval'] };
  if (f['webhook-url']) {
    const on = { enable: true, timeout: 5 };
    o.webhooks = { url: f['webhook-url'], afterUserOnline: on, afterUserOffline: on, afterUserKickOff: on };
  }
  // A bare config leaves the admin stream off; the CLI commands serve it unless told not to.
  o.admin = { enable: f['admin-stream'] ?? true };
  if (f['admin-port'] !== undefined) o.admin.port = f['admin-port'];
  if (f['admin-token']) o.admin.token = f['admin-token'];
  return mergeConfig(cfg, o);
}
