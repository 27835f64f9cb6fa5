import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { DeepPartial, MsggwConfig } from './config.js';
import type { RedisSettings } from '../redis/connect.js';

/** The files of an OpenIM config folder a gateway reads. */
export const FOLDER_FILES = ['share.yml', 'openim-msggateway.yml', 'redis.yml', 'discovery.yml', 'webhooks.yml', 'openim-api.yml'] as const;

/** Where a setting came from ("share.yml multiLogin.policy", "--port"), by config path ("multiLogin.policy"). */
export type ConfigOrigins = Record<string, string>;

/**
 * Which service-name layout the folder uses: v3.8.x releases name services in `share.yml`
 * `rpcRegisterName` (`auth`, `messageGateway` ...); later code in `discovery.yml` `rpcService`
 * (`auth-rpc-service` ...). `none` when the folder names no services (msggw's defaults apply).
 */
export type ServiceNameLayout = 'share.yml rpcRegisterName' | 'discovery.yml rpcService' | 'none';

export interface FolderConfig {
  values: DeepPartial<MsggwConfig>;
  origins: ConfigOrigins;
  /** Things that are read but look wrong (old layouts, missing keys); each names its file and key. */
  warnings: string[];
  serviceNameLayout: ServiceNameLayout;
}

export interface FolderOptions {
  /** Instance index (upstream `-i`): which entry of each `ports` list this process takes. Default 0. */
  index?: number;
}

/** A config folder problem: the message names the file and key. */
export class ConfigFolderError extends Error {}

const SERVICE_KEYS = ['auth', 'user', 'msg', 'push', 'messageGateway'] as const;

/**
 * Reads the keys that apply to a gateway from an OpenIM config folder (`-c <dir>`): share.yml,
 * redis.yml, openim-msggateway.yml, discovery.yml, webhooks.yml, openim-api.yml (its port), in both the v3.8.x and the newer
 * layout. Missing files are skipped, but a folder with none of them (or a path that is a file) is
 * an error, as is a file that is not valid YAML or a key of the wrong type; each names file and key.
 */
export function loadOpenIMConfigFolder(dir: string, opts: FolderOptions = {}): FolderConfig {
  if (!existsSync(dir)) throw new ConfigFolderError(`config folder ${dir} does not exist (pass the folder holding share.yml, redis.yml, ...)`);
  if (!statSync(dir).isDirectory()) throw new ConfigFolderError(`-c ${dir} is a file: pass the folder that holds it (share.yml, redis.yml, openim-msggateway.yml, ...)`);
  const present = FOLDER_FILES.filter((f) => existsSync(join(dir, f)));
  const index = opts.index ?? 0;
  const out: FolderConfig = { values: {}, origins: {}, warnings: [], serviceNameLayout: 'none' };
  if (present.length === 0) {
    const legacy = existsSync(join(dir, 'config.yaml')) ? ' It holds config.yaml, the single-file layout of OpenIM before v3.7, which msggw does not read.' : '';
    const seen = readdirSync(dir).slice(0, 8).join(', ');
    throw new ConfigFolderError(`config folder ${dir} has none of ${FOLDER_FILES.join(', ')} (found: ${seen || 'nothing'}).${legacy} Pass OpenIM's config/ folder.`);
  }
  const r = new Reader(dir, out);
  readShare(r);
  readGateway(r, index);
  readRedis(r);
  readDiscovery(r);
  readWebhooks(r);
  readApi(r, index);
  return out;
}

function readShare(r: Reader): void {
  const f = r.file('share.yml');
  if (!f) return;
  const v = r.values;
  const secret = f.str('secret');
  if (secret !== undefined && secret !== '') r.set('secret', (v.secret = secret), 'secret');
  else r.warn('share.yml has no `secret`: tokens are checked with msggw\'s default (openIM123); set share.yml secret to your deployment\'s');
  if (f.raw('env') !== undefined) {
    r.warn(`share.yml env: ${String(f.raw('env'))} is the v3.7 discovery switch (with zookeeper.yml), which msggw does not read: set discovery.yml enable: etcd (or pass --discovery)`);
  }
  const admins = f.strList('imAdminUserID') ?? f.strList('imAdminUser.userIDs');
  if (admins) r.set('adminUserIDs', (v.adminUserIDs = admins), f.has('imAdminUserID') ? 'imAdminUserID' : 'imAdminUser.userIDs');
  const policy = f.int('multiLogin.policy');
  const maxNum = f.int('multiLogin.maxNumOneEnd');
  if (policy !== undefined || maxNum !== undefined) {
    v.multiLogin = {};
    if (policy !== undefined) r.set('multiLogin.policy', (v.multiLogin.policy = policy), 'multiLogin.policy');
    if (maxNum !== undefined) r.set('multiLogin.maxNumOneEnd', (v.multiLogin.maxNumOneEnd = maxNum), 'multiLogin.maxNumOneEnd');
  }
  const names = f.obj('rpcRegisterName');
  if (names) setServiceNames(r, f, 'rpcRegisterName', 'share.yml rpcRegisterName');
}

function setServiceNames(r: Reader, f: YamlFile, key: string, layout: ServiceNameLayout): void {
  const sn: Record<string, string> = {};
  for (const k of SERVICE_KEYS) {
    const name = f.str(`${key}.${k}`);
    if (name) {
      sn[k] = name;
      r.out.origins[`serviceNames.${k}`] = `${f.name} ${key}.${k}`;
    }
  }
  if (Object.keys(sn).length === 0) return;
  if (r.out.serviceNameLayout !== 'none' && r.out.serviceNameLayout !== layout) {
    r.warn(`both share.yml rpcRegisterName (v3.8.x) and discovery.yml rpcService (newer) name services: using discovery.yml rpcService; remove the one your OpenIM version does not read`);
  }
  r.values.serviceNames = { ...(r.values.serviceNames ?? {}), ...sn };
  r.out.serviceNameLayout = layout;
}

function readGateway(r: Reader, index: number): void {
  const f = r.file('openim-msggateway.yml');
  if (!f) return;
  const v = r.values;
  const listenIP = f.str('listenIP');
  if (listenIP) {
    r.set('listenIP', (v.listenIP = listenIP), 'listenIP');
    // Upstream's gateway serves its gRPC hub on the same listenIP: a deployment folder asks for it explicitly.
    r.set('hubListenIP', (v.hubListenIP = listenIP), 'listenIP');
  }
  const registerIP = f.str('rpc.registerIP');
  if (registerIP) r.set('registerIP', (v.registerIP = registerIP), 'rpc.registerIP');
  const auto = f.bool('rpc.autoSetPorts') ?? false;
  v.autoSetPorts = auto;
  r.set('autoSetPorts', auto, 'rpc.autoSetPorts');
  v.instanceIndex = index;
  if (auto) {
    // As upstream: with autoSetPorts the hub and metrics take free ports; rpc.ports / prometheus.ports are not read.
    v.hubPort = 0;
    v.metricsPort = 0;
    r.set('hubPort', 0, 'rpc.autoSetPorts');
    r.set('metricsPort', 0, 'rpc.autoSetPorts');
  } else {
    const hub = f.port('rpc.ports', index);
    if (hub !== undefined) r.set('hubPort', (v.hubPort = hub), `rpc.ports[${index}]`);
    const prom = f.port('prometheus.ports', index);
    if (prom !== undefined) r.set('metricsPort', (v.metricsPort = prom), `prometheus.ports[${index}]`);
  }
  const promOn = f.bool('prometheus.enable');
  if (promOn !== undefined) r.set('metricsEnable', (v.metricsEnable = promOn), 'prometheus.enable');
  const ws = f.port('longConnSvr.ports', index);
  if (ws !== undefined) r.set('wsPort', (v.wsPort = ws), `longConnSvr.ports[${index}]`);
  const maxConn = f.int('longConnSvr.websocketMaxConnNum');
  if (maxConn !== undefined) r.set('websocketMaxConnNum', (v.websocketMaxConnNum = maxConn), 'longConnSvr.websocketMaxConnNum');
  const maxLen = f.int('longConnSvr.websocketMaxMsgLen');
  if (maxLen !== undefined) r.set('websocketMaxMsgLen', (v.websocketMaxMsgLen = maxLen), 'longConnSvr.websocketMaxMsgLen');
  const timeout = f.int('longConnSvr.websocketTimeout');
  if (timeout !== undefined) r.set('websocketTimeout', (v.websocketTimeout = timeout), 'longConnSvr.websocketTimeout');
  // Layouts before v3.7 kept the policy here.
  const oldPolicy = f.int('multiLoginPolicy');
  if (oldPolicy !== undefined) {
    v.multiLogin = { ...(v.multiLogin ?? {}), policy: oldPolicy };
    r.set('multiLogin.policy', oldPolicy, 'multiLoginPolicy');
  }
}

function readRedis(r: Reader): void {
  const f = r.file('redis.yml');
  if (!f) return;
  const addrs = f.strList('address') ?? [];
  // v3.8.3 picks a cluster by `clusterMode: true` or by listing more than one address; the patch
  // line and main by `redisMode`.
  const modeRaw = f.str('redisMode');
  const clusterMode = f.bool('clusterMode');
  let mode: RedisSettings['mode'];
  let modeKey: string;
  if (modeRaw !== undefined && modeRaw !== '') {
    if (modeRaw !== 'standalone' && modeRaw !== 'cluster' && modeRaw !== 'sentinel') {
      throw new ConfigFolderError(`${f.path} redisMode: "${modeRaw}" is not one of standalone, cluster, sentinel`);
    }
    mode = modeRaw;
    modeKey = 'redisMode';
  } else if (clusterMode !== undefined) {
    mode = clusterMode || addrs.length > 1 ? 'cluster' : 'standalone';
    modeKey = 'clusterMode';
  } else {
    mode = addrs.length > 1 ? 'cluster' : 'standalone';
    modeKey = 'address';
  }
  const s: RedisSettings = { mode, addrs };
  const user = f.str('username');
  if (user) s.username = user;
  const pass = f.raw('password');
  if (pass !== undefined && pass !== null && String(pass) !== '') s.password = String(pass);
  const db = f.int('db');
  if (db !== undefined) s.db = db;
  if (mode === 'cluster' && db) r.warn(`redis.yml db: ${db} is ignored in cluster mode (a Redis Cluster has only database 0; upstream ignores it too)`);
  const maxRetry = f.int('maxRetry');
  if (maxRetry !== undefined) s.maxRetry = maxRetry;
  const poolSize = f.int('poolSize');
  if (poolSize !== undefined) s.poolSize = poolSize;
  if (mode === 'sentinel') {
    const masterName = f.str('sentinelMode.masterName');
    const sentinels = f.strList('sentinelMode.sentinelsAddrs') ?? f.strList('sentinelMode.sentinelAddrs');
    if (!masterName) throw new ConfigFolderError(`${f.path} sentinelMode.masterName: required when redisMode is sentinel`);
    if (!sentinels || sentinels.length === 0) throw new ConfigFolderError(`${f.path} sentinelMode.sentinelsAddrs: required when redisMode is sentinel`);
    s.sentinel = { masterName, addrs: sentinels };
    r.out.origins.redis = `redis.yml sentinelMode.sentinelsAddrs (redisMode: sentinel, master ${masterName})`;
  } else {
    if (addrs.length === 0) return;
    r.out.origins.redis = `redis.yml address (${modeKey === 'address' ? mode : `${modeKey}: ${modeRaw ?? String(clusterMode)}`})`;
  }
  r.values.redis = s;
}

function readDiscovery(r: Reader): void {
  const f = r.file('discovery.yml');
  if (!f) return;
  const enable = f.str('enable');
  if (enable === 'etcd') {
    const addrs = f.strList('etcd.address') ?? [];
    if (addrs.length === 0) throw new ConfigFolderError(`${f.path} etcd.address: empty, but enable is etcd`);
    const d: DeepPartial<MsggwConfig['discovery']> = { kind: 'etcd', etcdAddrs: addrs, rootDirectory: f.str('etcd.rootDirectory') || 'openim' };
    const user = f.str('etcd.username');
    const pass = f.raw('etcd.password');
    if (user) d.username = user;
    if (pass !== undefined && pass !== null && String(pass) !== '') d.password = String(pass);
    r.values.discovery = d;
    r.out.origins.discovery = 'discovery.yml etcd.address';
  } else if (enable === 'standalone') {
    r.values.discovery = { kind: 'standalone' };
    r.out.origins.discovery = 'discovery.yml enable';
  } else if (enable !== undefined) {
    throw new ConfigFolderError(`${f.path} enable: "${enable}" is not supported by msggw (etcd or standalone); pass --discovery etcd://host:port to override`);
  }
  if (f.obj('rpcService')) setServiceNames(r, f, 'rpcService', 'discovery.yml rpcService');
}

function readWebhooks(r: Reader): void {
  const f = r.file('webhooks.yml');
  if (!f) return;
  const w: DeepPartial<MsggwConfig['webhooks']> = {};
  const url = f.str('url');
  if (url !== undefined) w.url = url;
  for (const k of ['afterUserOnline', 'afterUserOffline', 'afterUserKickOff'] as const) {
    if (!f.obj(k)) continue;
    w[k] = { enable: f.bool(`${k}.enable`) === true, timeout: f.int(`${k}.timeout`) ?? 5 };
    r.out.origins[`webhooks.${k}`] = `webhooks.yml ${k}`;
  }
  r.values.webhooks = w;
}

function readApi(r: Reader, index: number): void {
  const f = r.file('openim-api.yml');
  if (!f) return;
  // Only the port: the REST API simulator binds the address every other server binds (loopback unless asked).
  const p = f.port('api.ports', index);
  if (p !== undefined) {
    r.values.api = { port: p };
    r.set('api.port', p, `api.ports[${index}]`);
  }
}

type Yaml = Record<string, unknown>;

/** Per-folder state: the output and the files read so far. */
class Reader {
  constructor(
    private readonly dir: string,
    readonly out: FolderConfig,
  ) {}

  get values(): DeepPartial<MsggwConfig> {
    return this.out.values;
  }

  private current = '';

  file(name: string): YamlFile | undefined {
    const path = join(this.dir, name);
    if (!existsSync(path)) return undefined;
    let doc: unknown;
    try {
      doc = parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new ConfigFolderError(`${path}: not valid YAML (${(e as Error).message})`);
    }
    if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
      throw new ConfigFolderError(`${path}: expected a mapping of keys at the top level`);
    }
    this.current = name;
    return new YamlFile(name, path, (doc as Yaml | null) ?? {});
  }

  /** Records where config path `path` came from: key `key` of the file being read. */
  set(path: string, _value: unknown, key: string): void {
    this.out.origins[path] = `${this.current} ${key}`;
  }

  warn(msg: string): void {
    this.out.warnings.push(msg);
  }
}

/** Typed reads of one YAML document; a key of the wrong type is an error naming file and key. */
class YamlFile {
  constructor(
    readonly name: string,
    readonly path: string,
    private readonly doc: Yaml,
  ) {}

  raw(key: string): unknown {
    let v: unknown = this.doc;
    for (const part of key.split('.')) {
      if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
      v = (v as Yaml)[part];
    }
    return v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  private bad(key: string, want: string, v: unknown): never {
    throw new ConfigFolderError(`${this.path} ${key}: expected ${want}, got ${JSON.stringify(v)}`);
  }

  obj(key: string): Yaml | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.bad(key, 'a mapping', v);
    return v as Yaml;
  }

  /** A string; YAML's empty value (null) reads as absent, a number as its text. */
  str(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return this.bad(key, 'a string', v);
  }

  int(key: string): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) return this.bad(key, 'a whole number', v);
    return v;
  }

  bool(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') return this.bad(key, 'true or false', v);
    return v;
  }

  strList(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.bad(key, 'a list', v);
    return v.filter((x) => x !== null && x !== undefined).map(String);
  }

  /** Entry `index` of a port list; absent when the list is; an error when the index is past its end. */
  port(key: string, index: number): number | undefined {
    const v = this.raw(key);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return this.bad(key, 'a list of ports', v);
    if (v.length === 0) return undefined;
    if (index >= v.length) {
      throw new ConfigFolderError(`${this.path} ${key}: has ${v.length} port${v.length === 1 ? '' : 's'}, but instance index ${index} (-i) needs at least ${index + 1}`);
    }
    const p: unknown = v[index];
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 65535) return this.bad(`${key}[${index}]`, 'a port 0-65535', p);
    return p;
  }
}
