import { Flags } from '@oclif/core';
import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from './config.js';
import { loadOpenIMConfigFolder, type ConfigOrigins, type ServiceNameLayout } from './openim-folder.js';
import { validateConfig } from './validate.js';
import { parseServiceNames } from './service-names.js';
import { parseDiscoveryFlag } from '../discovery/index.js';
import { parseRedisUrl } from '../redis/connect.js';

const d = defaultConfig();

/**
 * The flags every command that starts a gateway shares (serve, sim, tui), so they behave alike.
 * Precedence: built-in defaults < OpenIM config folder (-c) < flags given on the command line
 * (a flag's default never overrides the folder: flags that have one in the help text declare none
 * to oclif, so an absent flag reads as undefined).
 */
export const serveFlags = {
  config: Flags.string({ char: 'c', summary: "OpenIM config folder (share.yml, redis.yml, openim-msggateway.yml, discovery.yml, webhooks.yml), v3.8.x or newer layout." }),
  index: Flags.integer({ char: 'i', summary: "Instance index, as upstream's -i: take entry i of the folder's rpc.ports, prometheus.ports and longConnSvr.ports (default 0)." }),
  listen: Flags.string({ summary: `Address every server binds to (default ${d.listenIP}, or listenIP from -c).` }),
  port: Flags.integer({ char: 'p', summary: `WebSocket port (default ${d.wsPort}; 0 = any free port).` }),
  'hub-port': Flags.integer({ summary: `Hub gRPC port, openim.msggateway.msgGateway (default ${d.hubPort}).` }),
  'metrics-port': Flags.integer({ summary: `Prometheus /metrics port (default ${d.metricsPort}).` }),
  redis: Flags.string({
    summary: 'Redis: redis://[user[:pw]@]host:port[/db], redis+cluster://h:p,h:p or redis+sentinel://h:p,h:p/masterName[/db] (default: redis.yml from -c, else embedded in-memory Redis).',
  }),
  discovery: Flags.string({ summary: "Discovery: 'standalone' (in-process, default) or 'etcd://host:port[,host:port]'." }),
  'register-ip': Flags.string({ summary: 'IP to register in discovery (default: listen address, or the first non-loopback IPv4 when listening on 0.0.0.0).' }),
  secret: Flags.string({ summary: `Token secret (share.yml secret; default ${d.secret}).` }),
  'multi-login-policy': Flags.integer({ summary: 'Multi-login policy: 0 none, 1 same platform kicks (default), 4 same class kicks, 5 PC and other.' }),
  'max-conn': Flags.integer({ summary: `Max connections (default ${d.websocketMaxConnNum}).` }),
  'write-queue-frames': Flags.integer({ summary: `Frames a connection may owe its peer before it is closed as a slow consumer (default ${d.writeQueueFrames}).`, min: 1 }),
  'write-buffer-bytes': Flags.integer({ summary: `Bytes a connection may owe its peer beyond the frame in flight before it is closed (default ${d.writeQueueBytes}).`, min: 1 }),
  'inbound-bytes-per-sec': Flags.integer({ summary: `Bytes (received + inflated) one connection's requests may cost per second; beyond, its reads wait (default ${d.inboundBytesPerSec}).`, min: 1 }),
  'max-subscriptions': Flags.integer({ summary: `Users one connection may watch (2005) at once (default ${d.maxSubscriptionsPerConn}).`, min: 1 }),
  'max-subscribe-ids': Flags.integer({ summary: `User IDs one 2005 request may name (default ${d.maxSubscribeIDsPerRequest}).`, min: 1 }),
  'online-cache-bytes': Flags.integer({ summary: `Memory budget of the online cache, bytes (default ${d.onlineCache.maxBytes}).`, min: 1 }),
  admin: Flags.string({ summary: 'Admin user IDs, comma separated (default imAdmin).' }),
  auth: Flags.string({ summary: 'Address of a real OpenIM auth service (host:port) instead of discovery.' }),
  user: Flags.string({ summary: 'Address of a real OpenIM user service.' }),
  msg: Flags.string({ summary: 'Address of a real OpenIM msg service.' }),
  push: Flags.string({ summary: 'Address of a real OpenIM push service.' }),
  simulators: Flags.boolean({
    summary: 'Start the embedded auth/user/msg/push simulators (default: on, but off with -c or etcd discovery, so nothing fake joins a real deployment).',
    allowNo: true,
  }),
  'service-names': Flags.string({
    summary: 'Registered service names: v3.8 (auth, msg, messageGateway ...), rpc-service (auth-rpc-service ...) and/or key=name pairs, e.g. "v3.8,msg=my-msg" (default: what -c names, else rpc-service).',
  }),
  gateway: Flags.boolean({ summary: 'Start the gateway (WebSocket server + hub). --no-gateway runs simulators only.', default: true, allowNo: true }),
  group: Flags.string({ summary: 'A group the msg simulator knows: groupID=u1,u2,u3 (repeatable).', multiple: true }),
  'merge-interval': Flags.integer({ summary: 'Presence: ms between status batches to the user service (default 1000).' }),
  'webhook-url': Flags.string({ summary: 'Base URL of the webhook receiver; enables the user online/offline/kick callbacks.' }),
  'admin-port': Flags.integer({ summary: `Admin event stream port, for msggw tui --attach (default ${d.admin.port}, moved to a free port when taken; 0 = any free port).` }),
  'admin-token': Flags.string({ summary: 'Token admin stream clients must present (default: generated at start and printed).' }),
  'admin-stream': Flags.boolean({ summary: 'Serve the admin event stream (--no-admin-stream turns it off).', default: true, allowNo: true }),
  api: Flags.boolean({ summary: "Serve OpenIM's REST API simulator beside the gateway, for SDK apps (--no-api turns it off).", default: true, allowNo: true }),
  'api-port': Flags.integer({ summary: `REST API port (default ${d.api.port}, as openim-api, moved to a free port when taken; 0 = any free port).` }),
  'strict-tokens': Flags.boolean({ summary: "Upstream's token rule: only tokens issued by the auth service (REST get_user_token, msggw token --api) pass; users must be registered." }),
};

/** The parsed values of serveFlags. */
export interface ServeFlagValues {
  config?: string;
  index?: number;
  listen?: string;
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
  simulators?: boolean;
  'service-names'?: string;
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

/** A serve config and what the user should be told about it. */
export interface ServeConfig {
  config: MsggwConfig;
  /** Each names its file and key (old layouts, missing secret ...). */
  warnings: string[];
  /** Which service-name layout the names came from. */
  serviceNameLayout: ServiceNameLayout | '--service-names';
}

/** Builds the node config from defaults, an OpenIM config folder and flags; throws Error with a fix on bad input. */
export function configFromFlags(f: ServeFlagValues): MsggwConfig {
  return loadServeConfig(f).config;
}

/** As configFromFlags, with the folder's warnings. */
export function loadServeConfig(f: ServeFlagValues): ServeConfig {
  let cfg = defaultConfig();
  const origins: ConfigOrigins = {};
  let warnings: string[] = [];
  let layout: ServeConfig['serviceNameLayout'] = 'none';
  if (f.index !== undefined && !f.config) throw new Error('-i/--index picks entries of the port lists in an OpenIM config folder: pass -c <folder> too');
  if (f.config) {
    const folder = loadOpenIMConfigFolder(f.config, { index: f.index ?? 0 });
    cfg = mergeConfig(cfg, folder.values);
    // The folder's redis.yml replaces msggw's default, not merges into it.
    if (folder.values.redis) cfg.redis = folder.values.redis as MsggwConfig['redis'];
    Object.assign(origins, folder.origins);
    warnings = folder.warnings;
    layout = folder.serviceNameLayout;
  }
  const o: DeepPartial<MsggwConfig> = {};
  const flag = (path: string, name: string) => (origins[path] = `--${name}`);
  if (f.listen !== undefined) {
    o.listenIP = f.listen;
    flag('listenIP', 'listen');
  }
  if (f.port !== undefined) (o.wsPort = f.port), flag('wsPort', 'port');
  if (f['hub-port'] !== undefined) (o.hubPort = f['hub-port']), flag('hubPort', 'hub-port');
  if (f['metrics-port'] !== undefined) (o.metricsPort = f['metrics-port']), flag('metricsPort', 'metrics-port');
  if (f.redis) {
    parseRedisUrl(f.redis);
    o.redisUrl = f.redis;
    flag('redis', 'redis');
  }
  if (f.discovery) (o.discovery = parseDiscoveryFlag(f.discovery)), flag('discovery', 'discovery');
  if (f['register-ip']) (o.registerIP = f['register-ip']), flag('registerIP', 'register-ip');
  if (f.secret) (o.secret = f.secret), flag('secret', 'secret');
  if (f['multi-login-policy'] !== undefined) (o.multiLogin = { policy: f['multi-login-policy'] }), flag('multiLogin.policy', 'multi-login-policy');
  if (f['max-conn'] !== undefined) (o.websocketMaxConnNum = f['max-conn']), flag('websocketMaxConnNum', 'max-conn');
  if (f['write-queue-frames'] !== undefined) o.writeQueueFrames = f['write-queue-frames'];
  if (f['write-buffer-bytes'] !== undefined) o.writeQueueBytes = f['write-buffer-bytes'];
  if (f['inbound-bytes-per-sec'] !== undefined) o.inboundBytesPerSec = f['inbound-bytes-per-sec'];
  if (f['max-subscriptions'] !== undefined) o.maxSubscriptionsPerConn = f['max-subscriptions'];
  if (f['max-subscribe-ids'] !== undefined) o.maxSubscribeIDsPerRequest = f['max-subscribe-ids'];
  if (f['online-cache-bytes'] !== undefined) o.onlineCache = { maxBytes: f['online-cache-bytes'] };
  if (f.admin) o.adminUserIDs = f.admin.split(',').map((s) => s.trim()).filter(Boolean);
  if (f['service-names'] !== undefined) {
    o.serviceNames = parseServiceNames(f['service-names'], cfg.serviceNames);
    layout = '--service-names';
    for (const k of Object.keys(o.serviceNames)) flag(`serviceNames.${k}`, 'service-names');
  }
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
  if (f['api-port'] !== undefined) {
    o.api = { port: f['api-port'] };
    flag('api.port', 'api-port');
  }
  if (f['strict-tokens']) o.api = { ...(o.api ?? {}), strictTokens: true };
  const out = mergeConfig(cfg, o);
  // Simulators register fake auth/user/msg/push services: never into a real deployment unless asked.
  out.simulators = f.simulators ?? !(f.config || out.discovery.kind === 'etcd');
  // Like the admin stream: a bare config has no REST API; the CLI commands serve it with the simulators unless told not to.
  out.api.enable = (f.api ?? true) && out.simulators;
  out.origins = origins;
  validateConfig(out);
  return { config: out, warnings, serviceNameLayout: layout };
}
