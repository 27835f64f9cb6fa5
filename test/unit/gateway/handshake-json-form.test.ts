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
  // upstream: ErrConnArgsErr.WrapMsg("data is not json", "info", err.Error()) around Go's UnmarshalTypeError.
  it.each([
    [{ token: 5 }, 'json: cannot unmarshal number into Go struct field UserConnContextInfo.token of type string'],
    [{ platformID: '5' }, 'json: cannot unmarshal string into Go struct field UserConnContextInfo.platformID of type int'],
    [{ PlatformID: 1.5 }, 'json: cannot unmarshal number 1.5 into Go struct field UserConnContextInfo.platformID of type int'],
    [{ sendResponse: 'true' }, 'json: cannot unmarshal string into Go struct field UserConnContextInfo.sendResponse of type bool'],
    [{ userID: ['u'] }, 'json: cannot unmarshal array into Go struct field UserConnContextInfo.userID of type string'],
    // The first wrong value in document order is the one named.
    [{ sdkVersion: {}, token: 1 }, 'json: cannot unmarshal object into Go struct field UserConnContextInfo.sdkVersion of type string'],
  ])('a value of the wrong type is ConnArgsErr with Go\'s text: %j', (obj, info) => {
    expect(() => parseHandshake(withV(obj), {})).toThrow(expect.objectContaining({ code: 1602, detail: `data is not json, info=${info}` }));
  });
  it('a top-level array is Go\'s "into Go value" error; null leaves every field empty', () => {
    expect(() => parseHandshake(withV([] as unknown as Record<string, unknown>), {})).toThrow(
      expect.objectContaining({ detail: 'data is not json, info=json: cannot unmarshal array into Go value of type msggateway.UserConnContextInfo' }),
    );
    const nul = new URL(`ws://127.0.0.1/?v=${Buffer.from('null').toString('base64url')}`);
    expect(() => parseHandshake(nul, {})).toThrow(expect.objectContaining({ detail: 'operationID is empty' }));
  });
  it('null values leave fields empty, unknown keys are ignored', () => {
    const a = parseHandshake(withV({ token: 't', userID: 'u1', platformID: 5, operationID: 'op', sdkVersion: null, extra: [1] }), {});
    expect(a).toMatchObject({ token: 't', sdkVersion: '' });
  });
});
