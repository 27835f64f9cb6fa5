import { mintToken } from '../services/jwt.js';

/** Options of {@link tokenFor}. */
export interface TokenOptions {
  /** Signing secret (OpenIM share.yml `secret`); default `openIM123`. */
  secret?: string;
  /** Lifetime in days; default 90 (OpenIM's `tokenPolicy.expire` default). */
  expireDays?: number;
  /** Issue time in unix seconds (tests pin it); default now. */
  nowSec?: number;
}

/**
 * A token for `userID` on `platformID`, signed like OpenIM's auth service signs it. The
 * embedded auth simulator accepts correctly signed tokens it has not issued itself, so the
 * load tool can mint tokens locally instead of calling `getUserToken` per user.
 */
export function tokenFor(userID: string, platformID: number, options: TokenOptions = {}): string {
  return mintToken(options.secret ?? 'openIM123', userID, platformID, options.expireDays ?? 90, options.nowSec);
}
