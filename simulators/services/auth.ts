import { mintToken, verifyToken } from './jwt.js';
import { errs } from '../../src/protocol/errors.js';
import { platformName } from '../../src/protocol/platforms.js';
import type { RedisClient } from '../../src/redis/connect.js';
import { redisKeys } from '../../src/redis/keys.js';
import type { RpcHandlers } from '../../src/rpc/server.js';
import type { AuthMethods } from '../../src/rpc/services.js';

/** Token states in `UID_PID_TOKEN_STATUS:<userID>:<platform>` (upstream constant). */
export const TokenState = { Normal: 0, Invalid: 1, Kicked: 2, Expired: 3 } as const;

export interface AuthSimOptions {
  redis: RedisClient;
  secret: string;
  expireDays: number;
  /**
   * Accept a correctly signed token the store has never seen (registering it as normal), so
   * tokens minted offline with `msggw token` work against a fresh embedded gateway. A token the
   * store knows in another state is still refused. Off = upstream's strict TokenNotExist.
   */
  acceptUnseen: boolean;
  /** When set, getAdminToken only issues tokens for these users (upstream's IMAdminUser.UserIDs). */
  adminUserIDs?: readonly string[];
}

/** The auth service simulator: issues and checks tokens exactly as PROTOCOL.md section 8. */
export function authHandlers(o: AuthSimOptions): Partial<RpcHandlers<AuthMethods>> {
  const key = (userID: string, platformID: number) => redisKeys.tokenStatus(userID, platformName(platformID));
  const issue = async (userID: string, platformID: number) => {
    const token = mintToken(o.secret, userID, platformID, o.expireDays);
    await o.redis.hset(key(userID, platformID), token, String(TokenState.Normal));
    return { token, expireTimeSeconds: Math.round(o.expireDays * 86400) };
  };
  return {
    getUserToken: async (req) => {
      if (!req.userID) throw errs.args('userID is empty');
      if (!platformName(req.platformID)) throw errs.args(`platformID ${req.platformID} is invalid`);
      return issue(req.userID, req.platformID);
    },
    getAdminToken: async (req) => {
      if (req.secret !== o.secret) throw errs.noPermission('secret invalid');
      if (o.adminUserIDs && !o.adminUserIDs.includes(req.userID)) throw errs.args(`userID is error. userID ${req.userID} is not one of the admin user IDs ${o.adminUserIDs.join(',')}`);
      return issue(req.userID, 10);
    },
    parseToken: async (req) => {
      const claims = verifyToken(o.secret, req.token);
      const k = key(claims.UserID, claims.PlatformID);
      const state = await o.redis.hget(k, req.token);
      if (state === null) {
        if (!o.acceptUnseen) throw errs.tokenNotExist('token not in the token store');
        await o.redis.hset(k, req.token, String(TokenState.Normal));
      } else if (Number(state) === TokenState.Kicked) {
        throw errs.tokenKicked();
      } else if (Number(state) !== TokenState.Normal) {
        throw errs.tokenUnknown(`token state ${state}`);
      }
      return { userID: claims.UserID, platformID: claims.PlatformID, expireTimeSeconds: claims.exp };
    },
    kickTokens: async (req) => {
      for (const token of req.tokens) {
        const claims = claimsOf(token);
        if (claims) await o.redis.hset(key(claims.UserID, claims.PlatformID), token, String(TokenState.Kicked));
      }
      return {};
    },
    invalidateToken: async (req) => {
      const k = key(req.userID, req.platformID);
      const all = await o.redis.hgetall(k);
      for (const [token, state] of Object.entries(all)) {
        if (token !== req.preservedToken && Number(state) === TokenState.Normal) await o.redis.hset(k, token, String(TokenState.Kicked));
      }
      return {};
    },
    forceLogout: async (req) => {
      const k = key(req.userID, req.platformID);
      const all = await o.redis.hgetall(k);
      for (const token of Object.keys(all)) await o.redis.hset(k, token, String(TokenState.Kicked));
      return {};
    },
    getExistingToken: async (req) => {
      const all = await o.redis.hgetall(key(req.userID, req.platformID));
      return { tokenStates: Object.fromEntries(Object.entries(all).map(([t, s]) => [t, Number(s)])) };
    },
  };
}

/** Claims without checking signature or time (for bookkeeping of tokens being revoked). */
function claimsOf(token: string): { UserID: string; PlatformID: number } | undefined {
  try {
    const c = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { UserID?: unknown; PlatformID?: unknown };
    return typeof c.UserID === 'string' && typeof c.PlatformID === 'number' ? { UserID: c.UserID, PlatformID: c.PlatformID } : undefined;
  } catch {
    return undefined;
  }
}
