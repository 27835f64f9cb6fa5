import { ApiErrCode } from '../api/contract.js';
import { ApiCallError, TRANSPORT_ERROR } from './client.js';
import { Provisioner, type ProvisionerOptions } from './provisioner.js';

export { ApiCallError, ApiClient, TRANSPORT_ERROR } from './client.js';
export { Provisioner, type ProvisionerOptions, type RegisterResult } from './provisioner.js';

/**
 * A token the server issued for one user and platform, the way a real OpenIM wants it: the user
 * registered (an existing one is fine), then get_user_token with an admin token.
 */
export async function issuedToken(o: ProvisionerOptions & { userID: string; platformID: number }): Promise<{ token: string; expireTimeSeconds: number }> {
  const p = new Provisioner(o);
  await p.registerUsers([o.userID]);
  const admin = await p.adminToken();
  const r = await p.client.call('/auth/get_user_token', { userID: o.userID, platformID: o.platformID }, admin);
  return { token: r.token, expireTimeSeconds: r.expireTimeSeconds };
}

/** What to do about a failed provisioning call, for the CLI's suggestion line. */
export function provisionSuggestion(e: ApiCallError, api: string): string {
  if (e.errCode === TRANSPORT_ERROR) return `is an OpenIM REST API listening at ${api}? (msggw serve prints its address as "rest api")`;
  if (e.endpoint === '/auth/get_admin_token' && e.errCode === ApiErrCode.NoPermissionError) return "the secret is wrong: pass the server's share.yml secret with --secret";
  if (e.endpoint === '/auth/get_admin_token' && e.errCode === ApiErrCode.ArgsError) return "--admin-user must be one of the server's imAdminUserID (share.yml)";
  if (e.errCode >= 1501 && e.errCode <= 1507) return 'the admin token is not accepted (expired, kicked or not issued by this server): pass --secret instead';
  if (e.errCode === ApiErrCode.NoPermissionError) return 'the token is not an admin token: use --secret, or an --admin-token from get_admin_token';
  return 'see errMsg; msggw serve --strict-tokens reproduces a real OpenIM locally';
}
