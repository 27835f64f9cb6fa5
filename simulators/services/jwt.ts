import { createHmac, timingSafeEqual } from 'node:crypto';
import { errs } from '../../src/protocol/errors.js';

/** The claims OpenIM puts in its tokens (tokenverify.Claims). */
export interface TokenClaims {
  UserID: string;
  PlatformID: number;
  exp: number;
  nbf: number;
  iat: number;
}

const HEADER = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');

/**
 * Mints an HS256 JWT the way OpenIM's auth service does: claims in Go's field order
 * (UserID, PlatformID, exp, nbf, iat), nbf five minutes in the past to absorb clock skew.
 */
export function mintToken(secret: string, userID: string, platformID: number, expireDays: number, nowSec = Math.floor(Date.now() / 1000)): string {
  const claims: TokenClaims = { UserID: userID, PlatformID: platformID, exp: nowSec + Math.round(expireDays * 86400), nbf: nowSec - 300, iat: nowSec };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = createHmac('sha256', secret).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${sig}`;
}

/**
 * Verifies signature and time claims. Throws TokenMalformed for garbage or a bad signature,
 * TokenExpired after exp, TokenNotValidYet before nbf (upstream's mapping of jwt-go errors).
 */
export function verifyToken(secret: string, token: string, nowSec = Math.floor(Date.now() / 1000)): TokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw errs.tokenMalformed('token is not a JWT');
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw errs.tokenMalformed('token segments are not base64url JSON');
  }
  if (!header || typeof header !== 'object' || (header as { alg?: unknown }).alg !== 'HS256') throw errs.tokenMalformed('token alg is not HS256');
  const want = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const got = Buffer.from(s, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw errs.tokenMalformed('signature is invalid');
  if (!claims || typeof claims !== 'object') throw errs.tokenMalformed('claims are not an object');
  const c = claims as Partial<TokenClaims>;
  if (typeof c.UserID !== 'string' || typeof c.PlatformID !== 'number') throw errs.tokenMalformed('claims lack UserID/PlatformID');
  if (typeof c.exp === 'number' && nowSec >= c.exp) throw errs.tokenExpired();
  if (typeof c.nbf === 'number' && nowSec < c.nbf) throw errs.tokenNotValidYet();
  return { UserID: c.UserID, PlatformID: c.PlatformID, exp: c.exp ?? 0, nbf: c.nbf ?? 0, iat: c.iat ?? 0 };
}
