import type { MsggwConfig } from './config.js';
import { describePolicies, knownPolicies } from '../gateway/multi-login.js';

/** A setting that is out of range; the message names where it came from (a flag, or a file and key). */
export class ConfigValueError extends Error {}

/**
 * Checks the merged config the same way whatever set each value, a flag or `-c`: the error names
 * the origin recorded in `cfg.origins` (e.g. "share.yml multiLogin.policy" or "--multi-login-policy").
 */
export function validateConfig(cfg: MsggwConfig): void {
  const where = (path: string, fallback: string): string => cfg.origins?.[path] ?? fallback;
  const fail = (path: string, fallback: string, msg: string): never => {
    throw new ConfigValueError(`${where(path, fallback)}: ${msg}`);
  };
  if (!knownPolicies.includes(cfg.multiLogin.policy)) {
    fail('multiLogin.policy', 'multiLogin.policy', `multi-login policy ${cfg.multiLogin.policy} is unknown: use ${describePolicies()}`);
  }
  if (!Number.isInteger(cfg.multiLogin.maxNumOneEnd) || cfg.multiLogin.maxNumOneEnd < 1) {
    fail('multiLogin.maxNumOneEnd', 'multiLogin.maxNumOneEnd', `${cfg.multiLogin.maxNumOneEnd} must be a whole number >= 1`);
  }
  const ports: [keyof MsggwConfig, string][] = [
    ['wsPort', '--port'],
    ['hubPort', '--hub-port'],
    ['metricsPort', '--metrics-port'],
  ];
  for (const [key, flag] of ports) {
    const p = cfg[key] as number;
    if (!Number.isInteger(p) || p < 0 || p > 65535) fail(key, flag, `port ${p} is out of range (0-65535; 0 = any free port)`);
  }
  const positive: [keyof MsggwConfig, string][] = [
    ['websocketMaxConnNum', '--max-conn'],
    ['websocketMaxMsgLen', '--max-msg-len'],
    ['websocketTimeout', 'longConnSvr.websocketTimeout'],
  ];
  for (const [key, flag] of positive) {
    const n = cfg[key] as number;
    if (!Number.isInteger(n) || n < 1) fail(key, flag, `${n} must be a whole number >= 1`);
  }
  const q = cfg.pushQueue;
  if (!Number.isInteger(q.concurrency) || q.concurrency < 1) fail('pushQueue.concurrency', '--push-concurrency', `${q.concurrency} must be a whole number >= 1`);
  if (!Number.isInteger(q.queued) || q.queued < 0) fail('pushQueue.queued', '--push-queue', `${q.queued} must be a whole number >= 0`);
  if (!Number.isInteger(q.queuedBytes) || q.queuedBytes < 1) fail('pushQueue.queuedBytes', '--push-queue-bytes', `${q.queuedBytes} must be a whole number >= 1`);
  if (cfg.secret === '') fail('secret', '--secret', 'the token secret is empty');
  if (!Number.isInteger(cfg.instanceIndex) || cfg.instanceIndex < 0) fail('instanceIndex', '--index', `instance index ${cfg.instanceIndex} must be a whole number >= 0`);
  const r = cfg.redis;
  if (r && !cfg.redisUrl) {
    if (r.db !== undefined && (r.db < 0 || r.db > 15)) fail('redis', 'redis.yml db', `database ${r.db} is out of range 0-15`);
  }
}
