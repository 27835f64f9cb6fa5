import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DeepPartial, MsggwConfig } from './config.js';

/**
 * Reads the keys that apply to a gateway from an OpenIM config folder (`-c <dir>`):
 * share.yml, redis.yml, openim-msggateway.yml, openim-api.yml (its port), discovery.yml, webhooks.yml. Missing files
 * are skipped; a file that is not valid YAML is an error naming the file.
 */
export function loadOpenIMConfigFolder(dir: string): DeepPartial<MsggwConfig> {
  if (!existsSync(dir)) throw new Error(`config folder ${dir} does not exist (pass the folder holding share.yml, redis.yml, ...)`);
  const out: DeepPartial<MsggwConfig> = {};
  const share = readYaml(dir, 'share.yml');
  if (share) {
    if (typeof share.secret === 'string') out.secret = share.secret;
    if (Array.isArray(share.imAdminUserID)) out.adminUserIDs = share.imAdminUserID.map(String);
    const ml = obj(share.multiLogin);
    if (ml) out.multiLogin = { ...(num(ml.policy) !== undefined ? { policy: num(ml.policy) } : {}), ...(num(ml.maxNumOneEnd) !== undefined ? { maxNumOneEnd: num(ml.maxNumOneEnd) } : {}) };
  }
  const gw = readYaml(dir, 'openim-msggateway.yml');
  if (gw) {
    if (typeof gw.listenIP === 'string') out.listenIP = gw.listenIP;
    const rpc = obj(gw.rpc);
    if (rpc) {
      if (typeof rpc.registerIP === 'string') out.registerIP = rpc.registerIP;
      const p = firstPort(rpc.ports);
      if (p !== undefined) out.hubPort = p;
    }
    const prom = obj(gw.prometheus);
    if (prom) {
      if (typeof prom.enable === 'boolean') out.metricsEnable = prom.enable;
      const p = firstPort(prom.ports);
      if (p !== undefined) out.metricsPort = p;
    }
    const lc = obj(gw.longConnSvr);
    if (lc) {
      const p = firstPort(lc.ports);
      if (p !== undefined) out.wsPort = p;
      if (num(lc.websocketMaxConnNum) !== undefined) out.websocketMaxConnNum = num(lc.websocketMaxConnNum);
      if (num(lc.websocketMaxMsgLen) !== undefined) out.websocketMaxMsgLen = num(lc.websocketMaxMsgLen);
      if (num(lc.websocketTimeout) !== undefined) out.websocketTimeout = num(lc.websocketTimeout);
    }
    // Older layouts kept the policy here.
    if (num(gw.multiLoginPolicy) !== undefined) out.multiLogin = { ...(out.multiLogin ?? {}), policy: num(gw.multiLoginPolicy) };
  }
  const api = obj(readYaml(dir, 'openim-api.yml')?.api);
  if (api) {
    // Only the port: the REST API binds the address every other server binds (loopback unless asked).
    const p = firstPort(api.ports);
    if (p !== undefined) out.api = { port: p };
  }
  const redis = readYaml(dir, 'redis.yml');
  if (redis && Array.isArray(redis.address) && redis.address.length > 0) {
    const user = typeof redis.username === 'string' ? redis.username : '';
    const pass = redis.password === undefined || redis.password === null ? '' : String(redis.password);
    const auth = pass ? `${encodeURIComponent(user)}:${encodeURIComponent(pass)}@` : '';
    const db = num(redis.db) ?? 0;
    out.redisUrl = `redis://${auth}${String(redis.address[0])}/${db}`;
  }
  const disc = readYaml(dir, 'discovery.yml');
  if (disc) {
    const etcd = obj(disc.etcd);
    if (disc.enable === 'etcd' && etcd) {
      out.discovery = {
        kind: 'etcd',
        etcdAddrs: Array.isArray(etcd.address) ? etcd.address.map(String) : [],
        rootDirectory: typeof etcd.rootDirectory === 'string' ? etcd.rootDirectory : 'openim',
        ...(typeof etcd.username === 'string' && etcd.username ? { username: etcd.username } : {}),
        ...(typeof etcd.password === 'string' && etcd.password ? { password: etcd.password } : {}),
      };
    } else if (disc.enable === 'standalone') {
      out.discovery = { kind: 'standalone' };
    }
    const names = obj(disc.rpcService);
    if (names) {
      const sn: Record<string, string> = {};
      for (const k of ['auth', 'user', 'msg', 'push', 'messageGateway']) if (typeof names[k] === 'string') sn[k] = names[k] as string;
      out.serviceNames = sn;
    }
  }
  const hooks = readYaml(dir, 'webhooks.yml');
  if (hooks) {
    const w: Record<string, unknown> = {};
    if (typeof hooks.url === 'string') w.url = hooks.url;
    for (const k of ['afterUserOnline', 'afterUserOffline', 'afterUserKickOff']) {
      const h = obj(hooks[k]);
      if (h) w[k] = { enable: h.enable === true, timeout: num(h.timeout) ?? 5 };
    }
    out.webhooks = w as DeepPartial<MsggwConfig['webhooks']>;
  }
  return out;
}

type Yaml = Record<string, unknown>;

function readYaml(dir: string, name: string): Yaml | undefined {
  const path = join(dir, name);
  if (!existsSync(path)) return undefined;
  try {
    const v: unknown = parse(readFileSync(path, 'utf8'));
    return obj(v) ?? {};
  } catch (e) {
    throw new Error(`${path}: not valid YAML (${(e as Error).message})`);
  }
}

function obj(v: unknown): Yaml | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Yaml) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function firstPort(v: unknown): number | undefined {
  return Array.isArray(v) && typeof v[0] === 'number' ? v[0] : undefined;
}
