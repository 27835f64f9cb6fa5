import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { mintToken, verifyToken } from '../../../simulators/services/jwt.js';
import { CodeError, ErrCode, errCodeDescriptions } from '../../../src/protocol/errors.js';

describe('JWT as OpenIM issues it', () => {
  it('carries the claims in Go field order and verifies', () => {
    const t = mintToken('openIM123', 'u1', 5, 1, 1_700_000_000);
    expect(Buffer.from(t.split('.')[1]!, 'base64url').toString()).toBe('{"UserID":"u1","PlatformID":5,"exp":1700086400,"nbf":1699999700,"iat":1700000000}');
    expect(Buffer.from(t.split('.')[0]!, 'base64url').toString()).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(verifyToken('openIM123', t, 1_700_000_001)).toMatchObject({ UserID: 'u1', PlatformID: 5 });
  });
  it('maps failures to OpenIM codes', () => {
    const t = mintToken('openIM123', 'u1', 5, 1, 1_700_000_000);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as CodeError).code;
      }
      return 0;
    };
    expect(code(() => verifyToken('other', t, 1_700_000_001))).toBe(ErrCode.TokenMalformedError);
    expect(code(() => verifyToken('openIM123', t, 1_800_000_000))).toBe(ErrCode.TokenExpiredError);
    expect(code(() => verifyToken('openIM123', t, 1_699_999_000))).toBe(ErrCode.TokenNotValidYetError);
    expect(code(() => verifyToken('openIM123', 'a.b', 0))).toBe(ErrCode.TokenMalformedError);
  });
});

/** Signs arbitrary claims with HS256 (to forge tokens of the wrong shape). */
function signClaims(secret: string, claims: Record<string, unknown>): string {
  const h = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
  const p = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
}

function codeOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    return (e as CodeError).code;
  }
  return 0;
}

describe('claim types are checked as Go decodes tokenverify.Claims', () => {
  const now = 1_700_000_000;
  const base = { UserID: 'u1', PlatformID: 5, exp: now + 100, nbf: now - 300, iat: now };
  it('a fractional or string PlatformID is malformed (Go decodes it into an int)', () => {
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, PlatformID: 5.5 }), now))).toBe(ErrCode.TokenMalformedError);
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, PlatformID: '5' }), now))).toBe(ErrCode.TokenMalformedError);
  });
  it('a non-numeric string exp is malformed instead of switching the expiry check off', () => {
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, exp: 'never' }), now))).toBe(ErrCode.TokenMalformedError);
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, exp: true }), now))).toBe(ErrCode.TokenMalformedError);
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, nbf: {} }), now))).toBe(ErrCode.TokenMalformedError);
  });
  it('a numeric string exp is read as its number (encoding/json json.Number), so it still expires', () => {
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, exp: String(now - 1) }), now))).toBe(ErrCode.TokenExpiredError);
    expect(verifyToken('s', signClaims('s', { ...base, exp: String(now + 1) }), now).exp).toBe(now + 1);
  });
  it('fractional times are fine (NumericDate is a float)', () => {
    expect(codeOf(() => verifyToken('s', signClaims('s', { ...base, exp: now - 0.5 }), now))).toBe(ErrCode.TokenExpiredError);
    expect(verifyToken('s', signClaims('s', { ...base, exp: now + 0.5 }), now).UserID).toBe('u1');
  });
});

describe('error codes', () => {
  it('every code is described (one table, documented)', () => {
    for (const name of Object.keys(ErrCode)) expect(errCodeDescriptions[name as keyof typeof ErrCode]).toBeTruthy();
  });
});
