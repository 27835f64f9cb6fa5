import { exposureWarnings } from './exposure.js';
import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from './config.js';
import { loadOpenIMConfigFolder, type ConfigOrigins, type ServiceNameLayout } from './openim-folder.js';
import { validateConfig } from './validate.js';
import { parseServiceNames } from './service-names.js';
import { parseDiscoveryFlag } from '../discovery/index.js';
import { checkHostPort } from '../util/addr.js';
import { parseRedisUrl } from '../redis/connect.js';

/** The values of the flags every gateway-starting command shares (serve, sim, tui; defined in commands/support/serve-flags.ts). */
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
  'max-msg-len'?: number;
  'max-conn'?: number;
  'write-queue-frames'?: number;
  'write-buffer-bytes'?: number;
  'inbound-bytes-per-sec'?: number;
  'max-subscriptions'?: number;
  'max-subscribe-ids'?: number;
  'online-cache-bytes'?: number;
  'push-concurrency'?: number;
  'push-queue'?: number;
  'push-queue-bytes'?: number;
  admin?: string;
  'auth-addr'?: string;
  'user-addr'?: string;
  'msg-addr'?: string;
  'push-addr'?: string;
  simulators?: boolean;
  'service-names'?: string;
  gateway: boolean;
  'in-process-rpc'?: boolean;
  group?: string[];
  /** Milliseconds. */
  'merge-interval'?: number;
  'redis-volatile'?: boolean;
  'push-before-reply'?: boolean;
  'verbose-errors'?: boolean;
  /** Milliseconds, whole seconds. */
  'node-ttl'?: number;
  'hub-listen'?: string;
  'simulators-listen'?: string;
  'auth-port'?: number;
  'user-port'?: number;
  'msg-port'?: number;
  'push-port'?: number;
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
  if (f['in-process-rpc'] === false) o.inProcessRpc = false;
  const flag = (path: string, name: string) => (origins[path] = `--${name}`);
  if (f.listen !== undefined) {
    o.listenIP = f.listen;
    flag('listenIP', 'listen');
  }
  if (f['hub-listen'] !== undefined) (o.hubListenIP = f['hub-listen']), flag('hubListenIP', 'hub-listen');
  if (f['simulators-listen'] !== undefined) (o.simulatorsListenIP = f['simulators-listen']), flag('simulatorsListenIP', 'simulators-listen');
  for (const k of ['auth', 'user', 'msg', 'push'] as const) {
    const port = f[`${k}-port`];
    if (port !== undefined) (o.simulatorPorts = { ...o.simulatorPorts, [k]: port }), flag(`simulatorPorts.${k}`, `${k}-port`);
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
  if (f['max-msg-len'] !== undefined) (o.websocketMaxMsgLen = f['max-msg-len']), flag('websocketMaxMsgLen', 'max-msg-len');
  if (f['max-conn'] !== undefined) (o.websocketMaxConnNum = f['max-conn']), flag('websocketMaxConnNum', 'max-conn');
  if (f['write-queue-frames'] !== undefined) o.writeQueueFrames = f['write-queue-frames'];
  if (f['write-buffer-bytes'] !== undefined) o.writeQueueBytes = f['write-buffer-bytes'];
  if (f['inbound-bytes-per-sec'] !== undefined) o.inboundBytesPerSec = f['inbound-bytes-per-sec'];
  if (f['max-subscriptions'] !== undefined) o.maxSubscriptionsPerConn = f['max-subscriptions'];
  if (f['max-subscribe-ids'] !== undefined) o.maxSubscribeIDsPerRequest = f['max-subscribe-ids'];
  if (f['push-concurrency'] !== undefined || f['push-queue'] !== undefined || f['push-queue-bytes'] !== undefined) {
    o.pushQueue = {
      ...(f['push-concurrency'] !== undefined && { concurrency: f['push-concurrency'] }),
      ...(f['push-queue'] !== undefined && { queued: f['push-queue'] }),
      ...(f['push-queue-bytes'] !== undefined && { queuedBytes: f['push-queue-bytes'] }),
    };
  }
  if (f['online-cache-bytes'] !== undefined) o.onlineCache = { maxBytes: f['online-cache-bytes'] };
  if (f.admin) o.adminUserIDs = f.admin.split(',').map((s) => s.trim()).filter(Boolean);
  if (f['service-names'] !== undefined) {
    o.serviceNames = parseServiceNames(f['service-names'], cfg.serviceNames);
    layout = '--service-names';
    for (const k of Object.keys(o.serviceNames)) flag(`serviceNames.${k}`, 'service-names');
  }
  const addrs: Record<string, string> = {};
  for (const k of ['auth', 'user', 'msg', 'push'] as const) {
    const a = f[`${k}-addr`];
    // The flags check this already; an embedder passing values directly gets the same check.
    if (a) addrs[k] = checkHostPort(a, `--${k}-addr`);
  }
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
  if (f['node-ttl'] !== undefined) {
    // Milliseconds (a duration flag); the TTL lives in Redis in whole seconds.
    if (!(f['node-ttl'] >= 0) || f['node-ttl'] % 1000 !== 0) throw new Error(`--node-ttl ${f['node-ttl']}ms: expected whole seconds, e.g. 30s (0 = off)`);
    o.presence = { ...o.presence, nodeTtlMs: f['node-ttl'] };
  }
  if (f['redis-volatile']) o.redisVolatile = true;
  if (f['push-before-reply']) o.pushBeforeReply = true;
  if (f['verbose-errors']) o.verboseErrors = true;
  if (f['webhook-url']) {
    const on = { enable: true, timeout: 5 };
    // afterUserKickOff stays as configured: upstream's gateway never posts it (a kick posts afterUserOffline).
    o.webhooks = { url: f['webhook-url'], afterUserOnline: on, afterUserOffline: on };
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
  warnings = [...warnings, ...exposureWarnings(out, { gateway: f.gateway !== false })];
  return { config: out, warnings, serviceNameLayout: layout };
}
