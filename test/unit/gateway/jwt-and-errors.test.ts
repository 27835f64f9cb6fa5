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

describe('error codes', () => {
  it('every code is described (one table, documented)', () => {
    for (const name of Object.keys(ErrCode)) expect(errCodeDescriptions[name as keyof typeof ErrCode]).toBeTruthy();
  });
});
