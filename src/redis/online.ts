/**
 * OpenIM's online-state contract in Redis, which the user service writes and every gateway's
 * online cache reads: the `ONLINE:<userID>` sorted sets, the Lua script that updates them, and
 * the `online_change` payload it publishes.
 */
import { isMock, type RedisClient } from './connect.js';
import { redisKeys } from './keys.js';

/** How long a reported platform stays online without renewal (upstream: 30 min). */
export const ONLINE_EXPIRE_SECONDS = 30 * 60;

/**
 * The user service's online state in Redis, as OpenIM keeps it: per user a sorted set
 * `ONLINE:<userID>` of platform IDs scored by expiry (unix seconds). One Lua script drops
 * expired members and the offline platforms, adds the online ones and refreshes the key's TTL;
 * when membership changed it returns the members followed by "1" (else just "0"), and the caller
 * publishes "<p1>:<p2>:...:<userID>" on `online_change`.
 *
 * The script touches exactly one key and publishes nothing itself, as upstream's SetUserOnline
 * (pkg/common/storage/cache/redis/online.go): on a Redis Cluster a script may only touch keys of
 * one slot, and `ONLINE:<userID>` carries no hash tag, so the channel cannot be a second key.
 */
const SET_ONLINE_LUA = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local expireAt = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local nOffline = tonumber(ARGV[4])
local before = redis.call('ZCARD', key)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
for i = 1, nOffline do
  redis.call('ZREM', key, ARGV[4 + i])
end
local afterRemove = redis.call('ZCARD', key)
local added = 0
for i = 5 + nOffline, #ARGV do
  added = added + redis.call('ZADD', key, expireAt, ARGV[i])
end
redis.call('EXPIRE', key, ttl)
if before ~= afterRemove or added > 0 then
  local members = redis.call('ZRANGE', key, 0, -1)
  table.insert(members, '1')
  return members
end
return {'0'}
`;

/**
 * One user's platform change on one node, in the shape upstream's user service takes it
 * (`SetUserOnlineStatus`, whose Lua script below applies it to ONLINE:<user>): `online` is the
 * user's complete current set of platforms on the node, `offline` the platforms that went away.
 * The gateway's registry emits it and the status reporter batches it.
 */
export interface OnlineStatusChange {
  userID: string;
  online: number[];
  offline: number[];
}

/** How {@link OnlineStore.setStatus} runs the script: in Redis, or its semantics in JS. */
export type OnlineScriptMode = 'lua' | 'native';

/**
 * Writes and reads the online state. On a real Redis the Lua script runs in Redis (atomic, as
 * upstream). On the embedded ioredis-mock, whose Lua interpreter (fengari) costs about 1 ms per
 * call, the same semantics run here in JS ('native'): one read of the set, the script's steps on
 * a copy, then the writes and the publish. The embedded Redis lives in this process only and this
 * store is its only writer of `ONLINE:` keys, so serializing the updates of a user here makes them
 * as atomic towards each other as the script; a reader may see the removals a moment before the
 * additions. test/integration/online-script.test.ts proves both modes equal on a real redis-server.
 */
export class OnlineStore {
  readonly mode: OnlineScriptMode;
  /** Native mode: the update in flight per user (the next one waits for it). */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly redis: RedisClient,
    mode?: OnlineScriptMode,
  ) {
    this.mode = mode ?? (isMock(redis) ? 'native' : 'lua');
  }

  /** Applies one user's change; returns true when membership changed (and a message was published). */
  async setStatus(change: OnlineStatusChange, nowSec = Math.floor(Date.now() / 1000)): Promise<boolean> {
    if (this.mode === 'native') return this.serialized(change.userID, () => this.setStatusNative(change, nowSec));
    const args = [
      String(nowSec),
      String(nowSec + ONLINE_EXPIRE_SECONDS),
      String(ONLINE_EXPIRE_SECONDS),
      String(change.offline.length),
      ...change.offline.map(String),
      ...change.online.map(String),
    ];
    const r = (await this.redis.eval(SET_ONLINE_LUA, 1, redisKeys.online(change.userID), ...args)) as string[];
    if (!Array.isArray(r) || r.length === 0) throw new Error('SetUserOnline: the Lua script returned nothing');
    if (r[r.length - 1] === '0') return false;
    // Publishing is a command of its own, routed by ioredis to any node of a cluster (which forwards it to all).
    const members = r.slice(0, -1);
    members.push(change.userID);
    await this.redis.publish(redisKeys.onlineChannel, members.join(':'));
    return true;
  }

  private serialized<T>(userID: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.inFlight.get(userID);
    const run = prev ? prev.then(fn, fn) : fn();
    this.inFlight.set(userID, run);
    const clear = (): void => {
      if (this.inFlight.get(userID) === run) this.inFlight.delete(userID);
    };
    run.then(clear, clear);
    return run;
  }

  /** SET_ONLINE_LUA, step for step, on a copy of the set read once. */
  private async setStatusNative(change: OnlineStatusChange, nowSec: number): Promise<boolean> {
    const key = redisKeys.online(change.userID);
    const expireAt = nowSec + ONLINE_EXPIRE_SECONDS;
    const flat = await this.redis.zrange(key, 0, -1, 'WITHSCORES');
    const set = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) set.set(flat[i]!, Number(flat[i + 1]));
    const before = set.size;
    const removed: string[] = [];
    for (const [m, score] of set) {
      if (score <= nowSec) {
        set.delete(m);
        removed.push(m);
      }
    }
    for (const p of change.offline) {
      const m = String(p);
      if (set.delete(m)) removed.push(m);
    }
    const afterRemove = set.size;
    let added = 0;
    const zaddArgs: (string | number)[] = [];
    for (const p of change.online) {
      const m = String(p);
      if (!set.has(m)) added++;
      set.set(m, expireAt);
      zaddArgs.push(expireAt, m);
    }
    const tx = this.redis.multi();
    if (set.size === 0) {
      // Redis drops a sorted set with its last member (ioredis-mock keeps it empty): say it.
      tx.del(key);
    } else {
      if (removed.length > 0) tx.zrem(key, ...removed);
      if (zaddArgs.length > 0) tx.zadd(key, ...zaddArgs);
      tx.expire(key, ONLINE_EXPIRE_SECONDS);
    }
    await tx.exec();
    if (before === afterRemove && added === 0) return false;
    // ZRANGE order: by score, then by member bytes.
    const members = [...set].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([m]) => m);
    await this.redis.publish(redisKeys.onlineChannel, `${members.map((m) => `${m}:`).join('')}${change.userID}`);
    return true;
  }

  /** The platforms a user is online on now (expired members excluded), ascending. */
  async platforms(userID: string, nowSec = Math.floor(Date.now() / 1000)): Promise<number[]> {
    const members = await this.redis.zrangebyscore(redisKeys.online(userID), `(${nowSec}`, '+inf');
    return members.map(Number).filter((n) => Number.isInteger(n)).sort((a, b) => a - b);
  }
}

/** Parses an `online_change` payload: "<p1>:<p2>:...:<userID>" (just "<userID>" when offline everywhere). */
export function parseOnlineChange(payload: string): { userID: string; platformIDs: number[] } | undefined {
  const parts = payload.split(':');
  const userID = parts.pop();
  if (!userID) return undefined;
  const platformIDs: number[] = [];
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || p === '') return undefined;
    platformIDs.push(n);
  }
  return { userID, platformIDs };
}
