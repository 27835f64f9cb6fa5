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
 * expired members and the offline platforms, adds the online ones, refreshes the key's TTL and,
 * when membership changed, publishes "<p1>:<p2>:...:<userID>" on `online_change`.
 */
const SET_ONLINE_LUA = `
local key = KEYS[1]
local channel = KEYS[2]
local now = tonumber(ARGV[1])
local expireAt = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local userID = ARGV[4]
local nOffline = tonumber(ARGV[5])
local before = redis.call('ZCARD', key)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
for i = 1, nOffline do
  redis.call('ZREM', key, ARGV[5 + i])
end
local afterRemove = redis.call('ZCARD', key)
local added = 0
for i = 6 + nOffline, #ARGV do
  added = added + redis.call('ZADD', key, expireAt, ARGV[i])
end
redis.call('EXPIRE', key, ttl)
local members = redis.call('ZRANGE', key, 0, -1)
if before ~= afterRemove or added > 0 then
  local payload = ''
  for _, m in ipairs(members) do payload = payload .. m .. ':' end
  redis.call('PUBLISH', channel, payload .. userID)
  return 1
end
return 0
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

export class OnlineStore {
  constructor(private readonly redis: RedisClient) {}

  /** Applies one user's change; returns true when membership changed (and a message was published). */
  async setStatus(change: OnlineStatusChange, nowSec = Math.floor(Date.now() / 1000)): Promise<boolean> {
    const args = [
      String(nowSec),
      String(nowSec + ONLINE_EXPIRE_SECONDS),
      String(ONLINE_EXPIRE_SECONDS),
      change.userID,
      String(change.offline.length),
      ...change.offline.map(String),
      ...change.online.map(String),
    ];
    const r = await this.redis.eval(SET_ONLINE_LUA, 2, redisKeys.online(change.userID), redisKeys.onlineChannel, ...args);
    return r === 1;
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
