import type { RpcContext } from '../rpc/context.js';
import type { Connection } from './connection.js';
import { sessionsToKick } from './multi-login.js';
import type { KickCause, Registry } from './registry.js';

/** How kicked sessions are reported to the auth service. */
export interface TokenReporter {
  kickTokens(tokens: string[], ctx: RpcContext): Promise<void>;
  invalidateToken(req: { preservedToken: string; userID: string; platformID: number }, ctx: RpcContext): Promise<void>;
}

/**
 * Enforces the multi-login policy (the pure rules are in multi-login.ts) for a login here or on
 * another node: kicks what the policy says and reports the kicked tokens to auth, as upstream.
 */
export class MultiLoginEnforcer {
  constructor(
    private readonly registry: Registry<Connection>,
    readonly policy: number,
    private readonly auth: TokenReporter,
    private readonly log?: (msg: string) => void,
  ) {}

  /** Applies the policy to a login of (userID, platformID, token); returns the kicked connections. */
  apply(login: { userID: string; platformID: number; token: string }, ctx: RpcContext, cause: Exclude<KickCause, 'hub'>): Connection[] {
    const existing = this.registry.getAll(login.userID);
    if (existing.length === 0) return [];
    const { kick, report } = sessionsToKick(this.policy, [...existing], login);
    if (kick.length === 0) return kick;
    this.registry.kick(login.userID, kick, cause, cause === 'login' ? 'kicked by a new login on this node' : 'kicked by a login on another node');
    const log = (e: unknown) => this.log?.(`kick report to auth failed: ${(e as Error).message}`);
    if (report === 'kickTokens') {
      this.auth.kickTokens(kick.map((c) => c.token), ctx).catch(log);
    } else if (report === 'invalidateToken') {
      this.auth.invalidateToken({ preservedToken: login.token, userID: login.userID, platformID: login.platformID }, ctx).catch(log);
    }
    return kick;
  }
}
