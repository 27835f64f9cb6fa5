/**
 * OpenIM's online-state contract in Redis, which the user service writes and every gateway's
 * online cache reads: the `ONLINE:<userID>` sorted sets, the Lua script that updates them, and
 * the `online_change` payload it publishes.
 */
import type { RedisClient } from './connect.js';
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

export interface OnlineStatusChange {
  userID: string;
  online: number[];
  offline: number[];
}

export class OnlineStore {
  constructor(private readonly redis: RedisClient) {}

  /** Applies one user's change; returns true when membership changed (and a message was published). */
  async setStatus(change: OnlineStatusChange, nowSec = Math.floor(Date.now() / 1000)): Promise<boolean> {
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
