import type { RpcHandlers } from '../../src/rpc/server.js';
import type { UserMethods } from '../../src/rpc/services.js';
import { OnlineStore } from '../../src/redis/online.js';
import type { RedisClient } from '../../src/redis/connect.js';

/**
 * The user service simulator: online status with the Redis sorted-set / Lua / publish semantics
 * of PROTOCOL.md section 5, so the gateway's online cache sees exactly what a real OpenIM
 * user service would publish.
 */
export function userHandlers(redis: RedisClient, onSet?: (entries: number) => void): Partial<RpcHandlers<UserMethods>> {
  const store = new OnlineStore(redis);
  return {
    setUserOnlineStatus: async (req) => {
      onSet?.(req.status.length);
      for (const s of req.status) await store.setStatus({ userID: s.userID, online: s.online, offline: s.offline });
      return {};
    },
    getUserStatus: async (req) => {
      const ids = req.userIDs.length > 0 ? req.userIDs : req.userID ? [req.userID] : [];
      const statusList = await Promise.all(
        ids.map(async (userID) => {
          const platformIDs = await store.platforms(userID);
          return { userID, status: platformIDs.length > 0 ? 1 : 0, platformIDs };
        }),
      );
      return { statusList };
    },
    setUserStatus: async (req) => {
      await store.setStatus(req.status === 1 ? { userID: req.userID, online: [req.platformID], offline: [] } : { userID: req.userID, online: [], offline: [req.platformID] });
      return {};
    },
  };
}
