import { ApiErrCode, API_PATHS, AccountStatus, GroupRole } from '../api/contract.js';
import { ApiCallError, ApiClient, type ApiClientOptions } from './client.js';

export interface ProvisionerOptions extends ApiClientOptions {
  /** The REST API base URL, e.g. http://127.0.0.1:10002. */
  api: string;
  /** Admin secret (share.yml `secret`): the provisioner asks get_admin_token for a token. */
  secret?: string;
  /** An admin token to use instead of asking with the secret. */
  adminToken?: string;
  /** The admin user the secret is for (default imAdmin, upstream's default). */
  adminUserID?: string;
  /** Users per user_register call (default 100). */
  batch?: number;
  /** Token requests in flight (default 16). */
  concurrency?: number;
  /** One line per finished step or batch ("registered 300/1000 users"), for a progress display. */
  progress?: (line: string) => void;
}

/** What a registration pass did. */
export interface RegisterResult {
  registered: number;
  /** Already registered (a repeated run against a shared deployment). */
  existed: number;
}

/**
 * Provisions an OpenIM (real, or msggw's own REST API) for a run, as OpenIM's own stress test
 * does: an admin token, users registered in batches, each (user, platform) token fetched, groups
 * created with their members. Repeatable: users or groups that exist are not an error.
 */
export class Provisioner {
  readonly client: ApiClient;
  private admin: string | undefined;

  constructor(private readonly o: ProvisionerOptions) {
    if (!o.secret && !o.adminToken) throw new Error('provisioning needs the admin secret or an admin token');
    this.client = new ApiClient(o.api, o);
    this.admin = o.adminToken;
  }

  /** The admin token (asked for once with the secret). */
  async adminToken(): Promise<string> {
    if (!this.admin) {
      const r = await this.client.call(API_PATHS.auth.getAdminToken, { secret: this.o.secret!, userID: this.o.adminUserID ?? 'imAdmin' });
      this.admin = r.token;
    }
    return this.admin;
  }

  /** Registers the users in batches; the ones that exist are counted, not an error. */
  async registerUsers(userIDs: readonly string[]): Promise<RegisterResult> {
    const token = await this.adminToken();
    const batch = Math.max(1, this.o.batch ?? 100);
    const out: RegisterResult = { registered: 0, existed: 0 };
    for (let i = 0; i < userIDs.length; i += batch) {
      const ids = userIDs.slice(i, i + batch);
      try {
        await this.client.call(API_PATHS.user.userRegister, { users: ids.map((userID) => ({ userID, nickname: userID })) }, token);
        out.registered += ids.length;
      } catch (e) {
        if (!(e instanceof ApiCallError && e.errCode === ApiErrCode.RegisteredAlready)) throw e;
        // Upstream refuses a batch with any existing user: register only the missing ones.
        const check = await this.client.call(API_PATHS.user.accountCheck, { checkUserIDs: ids }, token);
        const registered = new Set((check.results ?? []).filter((r) => r.accountStatus === AccountStatus.Registered).map((r) => r.userID));
        const missing = ids.filter((u) => !registered.has(u));
        if (missing.length > 0) await this.client.call(API_PATHS.user.userRegister, { users: missing.map((userID) => ({ userID, nickname: userID })) }, token);
        out.registered += missing.length;
        out.existed += ids.length - missing.length;
      }
      this.o.progress?.(`registered ${Math.min(i + batch, userIDs.length)}/${userIDs.length} users${out.existed > 0 ? ` (${out.existed} existed)` : ''}`);
    }
    return out;
  }

  /** A server-issued token per (user, platform), keyed "userID:platformID". */
  async userTokens(pairs: readonly { userID: string; platformID: number }[]): Promise<Map<string, string>> {
    const token = await this.adminToken();
    const out = new Map<string, string>();
    let next = 0;
    let done = 0;
    const step = Math.max(1, Math.ceil(pairs.length / 4));
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= pairs.length) return;
        const p = pairs[i]!;
        const r = await this.client.call(API_PATHS.auth.getUserToken, { userID: p.userID, platformID: p.platformID }, token);
        out.set(`${p.userID}:${p.platformID}`, r.token);
        if (++done % step === 0 || done === pairs.length) this.o.progress?.(`tokens ${done}/${pairs.length}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 16, pairs.length) }, worker));
    return out;
  }

  /**
   * Creates a working group owned by the first member with the others as members; when the
   * group exists (a repeated run), invites the members it lacks instead.
   */
  async createGroup(groupID: string, members: readonly string[]): Promise<void> {
    const token = await this.adminToken();
    const [owner, ...rest] = members;
    if (!owner) throw new Error(`group ${groupID} has no members`);
    try {
      await this.client.call(API_PATHS.group.createGroup, { ownerUserID: owner, memberUserIDs: rest, groupInfo: { groupID, groupName: groupID, groupType: 2 } }, token);
    } catch (e) {
      if (!(e instanceof ApiCallError && e.errCode === ApiErrCode.GroupIDExisted)) throw e;
      // Upstream refuses to invite a member twice: invite only the ones the group lacks.
      const have = new Set((await this.client.call(API_PATHS.group.getFullGroupMemberUserIDs, { groupID, idHash: 0 }, token)).userIDs ?? []);
      const missing = members.filter((u) => !have.has(u));
      if (missing.length > 0) await this.client.call(API_PATHS.group.inviteUserToGroup, { groupID, invitedUserIDs: missing, reason: 'msggw sim' }, token);
    }
    this.o.progress?.(`group ${groupID}: ${members.length} members`);
  }
}

/** Role levels, re-exported for callers that build groups by hand. */
export { GroupRole };
