import { errs } from '../../src/protocol/errors.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { platformName } from '../../src/protocol/platforms.js';
import type { UserRecord } from '../services/user-store.js';
import { ApiErrCode } from './contract.js';
import { CodeError } from '../../src/protocol/errors.js';
import type { ApiDeps } from './deps.js';
import type { ApiContext } from './server.js';

/** Upstream authverify.CheckAdmin. */
export function requireAdmin(ctx: ApiContext): void {
  if (!ctx.isAdmin) throw errs.noPermission(`user ${ctx.opUserID} is not admin userID`);
}

/** Upstream authverify.CheckAccess: the user themself or an admin. */
export function requireSelfOrAdmin(ctx: ApiContext, userID: string): void {
  if (!ctx.isAdmin && ctx.opUserID !== userID) throw errs.noPermission(`${ctx.opUserID} may not act for ${userID}`);
}

/** The RPC context a REST call carries on (operationID, the acting user and platform). */
export function rpcContext(ctx: ApiContext): RpcContext {
  return { operationID: ctx.operationID, opUserID: ctx.opUserID, platform: platformName(ctx.platformID) };
}

export function newUser(userID: string, nickname = userID): UserRecord {
  return { userID, nickname, faceURL: '', ex: '', createTime: Date.now(), appMangerLevel: 0, globalRecvMsgOpt: 0 };
}

/**
 * Upstream's CheckUser: every ID registered, else UserIDNotFound. In the friendly mode missing
 * users are registered instead; admin user IDs always count as registered (upstream creates them
 * at start).
 */
export async function ensureUsers(d: ApiDeps, userIDs: readonly string[]): Promise<void> {
  const ids = userIDs.filter((u) => !d.adminUserIDs.includes(u));
  const exist = await d.users.exist(ids);
  const missing = ids.filter((_, i) => !exist[i]);
  if (missing.length === 0) return;
  if (!d.autoRegister) throw new CodeError(ApiErrCode.UserIDNotFound, 'UserIDNotFoundError', `not registered: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
  await d.users.add(missing.map((u) => newUser(u)));
}
