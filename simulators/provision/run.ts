import { ApiCallError } from './client.js';
import { Provisioner, type ProvisionerOptions } from './provisioner.js';

/** Where and how a sim run provisions its OpenIM (`sim --api URL --secret S | --admin-token T`). */
export type ProvisionSpec = Omit<ProvisionerOptions, 'progress'>;

/** Provisioning failed before any load: which step, and the REST call's endpoint, errCode and errMsg. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(
    readonly step: string,
    readonly call: ApiCallError | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Tokens the server issued, looked up per (user, platform); nothing can be minted here. */
export interface IssuedTokens {
  readonly kind: 'api';
  readonly canMint: false;
  get(userID: string, platformID: number): string;
}

export interface ProvisionedRun {
  tokens: IssuedTokens;
  /** Creates a group with its members on the server (first member owns it); existing groups get the missing members. */
  createGroup(groupID: string, members: readonly string[]): Promise<void>;
}

/**
 * Before a run's load: an admin token, the run's users registered in batches (existing ones are
 * fine), and a token per (user, platform) the run may log in on. Throws {@link ProvisionError}.
 */
export async function provisionRun(spec: ProvisionSpec, userIDs: readonly string[], platformIDs: readonly number[], progress?: (line: string) => void): Promise<ProvisionedRun> {
  const p = new Provisioner({ ...spec, ...(progress ? { progress } : {}) });
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ApiCallError) throw new ProvisionError(name, e, `provisioning (${name}) failed at ${e.endpoint}: errCode ${e.errCode}, errMsg ${e.errMsg}${e.errDlt ? ` (${e.errDlt})` : ''}`);
      throw e;
    }
  };
  await step('admin token', () => p.adminToken());
  progress?.(`admin token from ${spec.api}`);
  await step('register users', () => p.registerUsers(userIDs));
  const pairs = userIDs.flatMap((userID) => platformIDs.map((platformID) => ({ userID, platformID })));
  const map = await step('user tokens', () => p.userTokens(pairs));
  return {
    tokens: {
      kind: 'api',
      canMint: false,
      get(userID, platformID) {
        const t = map.get(`${userID}:${platformID}`);
        if (t === undefined) throw new Error(`no server-issued token for ${userID} on platform ${platformID} (provisioned: ${userIDs.length} users on ${platformIDs.join(',')})`);
        return t;
      },
    },
    createGroup: (groupID, members) => step(`create group ${groupID}`, () => p.createGroup(groupID, members)),
  };
}
