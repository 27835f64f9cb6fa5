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
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw errs.tokenMalformed('claims are not an object');
  const c = claims as Record<string, unknown>;
  if (typeof c.UserID !== 'string') throw errs.tokenMalformed('claim UserID is not a string');
  // Go decodes PlatformID into an int: a fraction, a string or an out-of-range number is an error.
  if (typeof c.PlatformID !== 'number' || !Number.isSafeInteger(c.PlatformID)) throw errs.tokenMalformed('claim PlatformID is not an integer');
  const exp = numericDate(c, 'exp');
  const nbf = numericDate(c, 'nbf');
  const iat = numericDate(c, 'iat');
  if (exp !== undefined && nowSec >= exp) throw errs.tokenExpired();
  if (nbf !== undefined && nowSec < nbf) throw errs.tokenNotValidYet();
  return { UserID: c.UserID, PlatformID: c.PlatformID, exp: exp ?? 0, nbf: nbf ?? 0, iat: iat ?? 0 };
}

/** A JSON number literal, as Go's encoding/json accepts one inside a string for a json.Number. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A registered time claim as golang-jwt's NumericDate decodes it: absent or null is unset; a
 * number (fractions allowed) is seconds; a string holding a JSON number is read as that number
 * (encoding/json's json.Number rule); anything else fails the whole token, so a claim of the wrong
 * type can never switch the expiry check off.
 */
function numericDate(c: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat'): number | undefined {
  const v = c[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && JSON_NUMBER.test(v)) {
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  throw errs.tokenMalformed(`claim ${name} is not a number`);
}
