import { errs } from '../../../src/protocol/errors.js';
import { isValidPlatform } from '../../../src/protocol/platforms.js';
import { optInt, str } from '../args.js';
import { ensureUsers, requireAdmin, rpcContext } from '../access.js';
import { ADMIN_PLATFORM_ID, API_PATHS } from '../contract.js';
import type { ApiDeps } from '../deps.js';
import type { ApiRoute } from '../server.js';

/** /auth/*: tokens are the auth simulator's (same Redis token states the gateway checks). */
export function authRoutes(d: ApiDeps): ApiRoute[] {
  return [
    {
      path: API_PATHS.auth.getAdminToken,
      handler: async (b, ctx) => {
        const userID = str(b, 'userID');
        const secret = str(b, 'secret');
        return d.auth.getAdminToken(secret, userID, rpcContext(ctx));
      },
    },
    {
      path: API_PATHS.auth.getUserToken,
      handler: async (b, ctx) => {
        requireAdmin(ctx);
        const userID = str(b, 'userID');
        const platformID = optInt(b, 'platformID');
        if (platformID === ADMIN_PLATFORM_ID) throw errs.noPermission('platformID invalid. platformID must not be adminPlatformID');
        if (!isValidPlatform(platformID)) throw errs.args(`platformID ${platformID} is invalid`);
        if (d.adminUserIDs.includes(userID)) throw errs.noPermission("don't get Admin token");
        await ensureUsers(d, [userID]);
        return d.auth.getUserToken(userID, platformID, rpcContext(ctx));
      },
    },
    {
      path: API_PATHS.auth.parseToken,
      handler: async (b, ctx) => d.auth.parseToken(str(b, 'token'), rpcContext(ctx)),
    },
    {
      path: API_PATHS.auth.forceLogout,
      handler: async (b, ctx) => {
        requireAdmin(ctx);
        const userID = str(b, 'userID');
        const platformID = optInt(b, 'platformID');
        if (!isValidPlatform(platformID)) throw errs.args(`platformID ${platformID} is invalid`);
        // As upstream's forceKickOff: every gateway kicks the connection, then the tokens are marked kicked.
        await d.gateways.kick(userID, platformID, rpcContext(ctx));
        await d.auth.forceLogout(userID, platformID, rpcContext(ctx));
        return {};
      },
    },
  ];
}
