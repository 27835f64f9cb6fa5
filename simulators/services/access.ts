import { errs } from '../../src/protocol/errors.js';
import type { RpcContext } from '../../src/rpc/context.js';

/**
 * Upstream's authverify.CheckAccessV3: the caller (opUserID from the RPC metadata, never a field of
 * the request) may act for `ownerUserID` when it is that user or an admin. Anything else is
 * NoPermissionError (1002), as the real services answer.
 */
export function checkAccess(ctx: RpcContext, ownerUserID: string, adminUserIDs: readonly string[]): void {
  const op = ctx.opUserID ?? '';
  if (op !== '' && (op === ownerUserID || adminUserIDs.includes(op))) return;
  throw errs.noPermission(`opUserID ${op === '' ? '(none)' : op} may not act for ownerUserID ${ownerUserID}`);
}

/** Whether the caller is an admin (upstream's IsAppManagerUid). */
export function isAdmin(ctx: RpcContext, adminUserIDs: readonly string[]): boolean {
  return ctx.opUserID !== undefined && adminUserIDs.includes(ctx.opUserID);
}
