import { describe, expect, it } from 'vitest';
import { parseHandshake } from '../../../src/gateway/handshake.js';

function withV(obj: Record<string, unknown>): URL {
  return new URL(`ws://127.0.0.1/?v=${Buffer.from(JSON.stringify(obj)).toString('base64url')}`);
}

describe('handshake v= JSON form', () => {
  it('matches keys case-insensitively, as Go encoding/json does', () => {
    const a = parseHandshake(withV({ Token: 't', USERID: 'u1', PlatformID: 5, operationid: 'op', SDKType: 'js', SendResponse: true }), {});
    expect(a).toMatchObject({ token: 't', userID: 'u1', platformID: 5, operationID: 'op', sendResponse: true });
  });
  it('a later key that matches the same field wins', () => {
    const a = parseHandshake(withV({ token: 't', userID: 'first', UserID: 'second', platformID: 5, operationID: 'op' }), {});
    expect(a.userID).toBe('second');
  });
});
