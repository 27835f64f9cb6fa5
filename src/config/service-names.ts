import type { MsggwConfig } from './config.js';

type ServiceNames = MsggwConfig['serviceNames'];

/** The names v3.8.x releases register (share.yml rpcRegisterName). */
export const V38_SERVICE_NAMES: ServiceNames = { auth: 'auth', user: 'user', msg: 'msg', push: 'push', messageGateway: 'messageGateway' };

/** The names later releases register (discovery.yml rpcService). */
export const RPC_SERVICE_NAMES: ServiceNames = {
  auth: 'auth-rpc-service',
  user: 'user-rpc-service',
  msg: 'msg-rpc-service',
  push: 'push-rpc-service',
  messageGateway: 'messagegateway-rpc-service',
};

const KEYS = Object.keys(RPC_SERVICE_NAMES) as (keyof ServiceNames)[];

/**
 * Parses `--service-names`: comma-separated presets (`v3.8`, `rpc-service`) and `key=name`
 * pairs, applied left to right over `base`; keys are auth, user, msg, push, messageGateway
 * (any case). Throws with the accepted forms on anything else.
 */
export function parseServiceNames(value: string, base: ServiceNames): ServiceNames {
  const out: ServiceNames = { ...base };
  const parts = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error('--service-names is empty: use v3.8, rpc-service and/or key=name pairs (auth, user, msg, push, messageGateway)');
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (lower === 'v3.8' || lower === 'v3.8.x' || lower === 'rpcregistername') Object.assign(out, V38_SERVICE_NAMES);
    else if (lower === 'rpc-service' || lower === 'rpcservice') Object.assign(out, RPC_SERVICE_NAMES);
    else {
      const eq = part.indexOf('=');
      const key = KEYS.find((k) => k.toLowerCase() === part.slice(0, eq).trim().toLowerCase());
      const name = part.slice(eq + 1).trim();
      if (eq < 0 || !key || !name) {
        throw new Error(`--service-names: "${part}" is not a preset (v3.8, rpc-service) or key=name with key one of ${KEYS.join(', ')}`);
      }
      out[key] = name;
    }
  }
  return out;
}
