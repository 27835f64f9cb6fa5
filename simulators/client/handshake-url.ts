/**
 * The upgrade URL a client dials (PROTOCOL.md section 2), in the two forms the gateway accepts:
 * query parameters (what the Go SDK sends) or one base64url JSON parameter `v`.
 */

/** Everything that goes into the handshake URL. */
export interface HandshakeParams {
  userID: string;
  token: string;
  platformID: number;
  operationID: string;
  sdkType: 'go' | 'js';
  gzip: boolean;
  /** Ask for the handshake result as a text frame (`isMsgResp` / `sendResponse`). */
  isMsgResp: boolean;
  background: boolean;
  sdkVersion: string;
  /** Send everything as base64url JSON in `v` instead of separate query keys. */
  useV: boolean;
}

/**
 * Builds the URL to dial from the gateway's base URL (`ws://host:port/`; its path is kept).
 * The query form follows the Go SDK's order (sendID, token, platformID, operationID,
 * isBackground, compression) and leaves `sdkType` out for `go`, as the Go SDK does.
 */
export function buildHandshakeURL(base: string, p: HandshakeParams): string {
  const url = new URL(base);
  if (url.pathname === '') url.pathname = '/';
  const q = new URLSearchParams();
  if (p.useV) {
    // Key names of upstream's JSON form (ws_server.go `parseByJson`), raw URL base64 without padding.
    const json = JSON.stringify({
      token: p.token,
      userID: p.userID,
      platformID: p.platformID,
      operationID: p.operationID,
      compression: p.gzip ? 'gzip' : '',
      sdkType: p.sdkType,
      sendResponse: p.isMsgResp,
      background: p.background,
      sdkVersion: p.sdkVersion,
    });
    q.set('v', Buffer.from(json, 'utf8').toString('base64url'));
  } else {
    q.set('sendID', p.userID);
    q.set('token', p.token);
    q.set('platformID', String(p.platformID));
    q.set('operationID', p.operationID);
    q.set('isBackground', String(p.background));
    if (p.gzip) q.set('compression', 'gzip');
    if (p.sdkType !== 'go') q.set('sdkType', p.sdkType);
    if (p.isMsgResp) q.set('isMsgResp', 'true');
    if (p.sdkVersion) q.set('sdkVersion', p.sdkVersion);
  }
  url.search = q.toString();
  return url.toString();
}
