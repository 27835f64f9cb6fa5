import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from './config.js';
import { loadOpenIMConfigFolder } from './openim-folder.js';
import { describePolicies, knownPolicies } from '../gateway/multi-login.js';
import { parseDiscoveryFlag } from '../discovery/index.js';

/** The values of the flags every gateway-starting command shares (serve, sim, tui; defined in commands/support/serve-flags.ts). */
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
  'write-queue-frames'?: number;
  'write-buffer-bytes'?: number;
  'inbound-bytes-per-sec'?: number;
  'max-subscriptions'?: number;
  'max-subscribe-ids'?: number;
  'online-cache-bytes'?: number;
  admin?: string;
  auth?: string;
  user?: string;
  msg?: string;
  push?: string;
  simulators: boolean;
  gateway: boolean;
  group?: string[];
  'merge-interval'?: number;
  'webhook-url'?: string;
  'admin-port'?: number;
  'admin-token'?: string;
  'admin-stream'?: boolean;
  api?: boolean;
  'api-port'?: number;
  'strict-tokens'?: boolean;
}

/** Builds the node config from defaults, an OpenIM config folder and flags; throws Error with a fix on bad input. */
export function configFromFlags(f: ServeFlagValues): MsggwConfig {
  let cfg = defaultConfig();
  if (f.config) cfg = mergeConfig(cfg, loadOpenIMConfigFolder(f.config));
  const o: DeepPartial<MsggwConfig> = { listenIP: f.listen, simulators: f.simulators };
  if (f.port !== undefined) o.wsPort = f.port;
  if (f['hub-port'] !== undefined) o.hubPort = f['hub-port'];
  if (f['metrics-port'] !== undefined) o.metricsPort = f['metrics-port'];
  if (f.redis) o.redisUrl = f.redis;
  if (f.discovery) o.discovery = parseDiscoveryFlag(f.discovery);
  if (f['register-ip']) o.registerIP = f['register-ip'];
  if (f.secret) o.secret = f.secret;
  if (f['multi-login-policy'] !== undefined) {
    if (!knownPolicies.includes(f['multi-login-policy'])) throw new Error(`multi-login policy ${f['multi-login-policy']} is unknown: use ${describePolicies()}`);
    o.multiLogin = { policy: f['multi-login-policy'] };
  }
  if (f['max-conn'] !== undefined) o.websocketMaxConnNum = f['max-conn'];
  if (f['write-queue-frames'] !== undefined) o.writeQueueFrames = f['write-queue-frames'];
  if (f['write-buffer-bytes'] !== undefined) o.writeQueueBytes = f['write-buffer-bytes'];
  if (f['inbound-bytes-per-sec'] !== undefined) o.inboundBytesPerSec = f['inbound-bytes-per-sec'];
  if (f['max-subscriptions'] !== undefined) o.maxSubscriptionsPerConn = f['max-subscriptions'];
  if (f['max-subscribe-ids'] !== undefined) o.maxSubscribeIDsPerRequest = f['max-subscribe-ids'];
  if (f['online-cache-bytes'] !== undefined) o.onlineCache = { maxBytes: f['online-cache-bytes'] };
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
  // Like the admin stream: a bare config has no REST API; the CLI commands serve it unless told not to.
  o.api = { enable: (f.api ?? true) && f.simulators };
  if (f['api-port'] !== undefined) o.api.port = f['api-port'];
  if (f['strict-tokens']) o.api.strictTokens = true;
  return mergeConfig(cfg, o);
}
