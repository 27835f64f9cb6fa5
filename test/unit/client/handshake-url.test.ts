import { describe, expect, it } from 'vitest';
import { parseHandshake } from '../../../src/gateway/handshake.js';
import { buildHandshakeURL, tokenFor, type HandshakeParams } from '../../../simulators/client/index.js';
import { verifyToken } from '../../../simulators/services/jwt.js';

const base: HandshakeParams = {
  userID: 'u 1&x',
  token: 'tok',
  platformID: 5,
  operationID: 'op1',
  sdkType: 'js',
  gzip: false,
  isMsgResp: true,
  background: true,
  sdkVersion: 'v3.8',
  useV: false,
};

describe('buildHandshakeURL', () => {
  it('query form round-trips through the gateway parser (escaping included)', () => {
    const url = new URL(buildHandshakeURL('ws://127.0.0.1:10001', base));
    expect(url.pathname).toBe('/');
    expect(parseHandshake(url, {})).toEqual({ token: 'tok', userID: 'u 1&x', platformID: 5, operationID: 'op1', gzip: false, sdkType: 'js', sendResponse: true, background: true, sdkVersion: 'v3.8' });
  });

  it('v form round-trips through the gateway parser and keeps the base path', () => {
    const url = new URL(buildHandshakeURL('ws://gw.example:10001/ws/', { ...base, useV: true, sdkType: 'go', gzip: true }));
    expect(url.pathname).toBe('/ws/');
    expect(url.searchParams.get('v')).not.toMatch(/=/);
    expect(parseHandshake(url, {})).toMatchObject({ userID: 'u 1&x', sdkType: 'go', gzip: true, sendResponse: true, background: true });
  });

  it('go query form has no sdkType and isMsgResp only when asked', () => {
    const url = new URL(buildHandshakeURL('ws://h:1/', { ...base, sdkType: 'go', gzip: true, isMsgResp: false, sdkVersion: '' }));
    expect([...url.searchParams.keys()]).toEqual(['sendID', 'token', 'platformID', 'operationID', 'isBackground', 'compression']);
  });
});

describe('tokenFor', () => {
  it('mints a token the gateway-side verifier accepts for that user and platform', () => {
    const t = tokenFor('u9', 3, { secret: 's3cret', expireDays: 1 });
    expect(verifyToken('s3cret', t)).toMatchObject({ UserID: 'u9', PlatformID: 3 });
    expect(() => verifyToken('other', t)).toThrow();
  });
});
