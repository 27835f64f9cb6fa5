import { isPC, platformClass } from '../protocol/platforms.js';

/** OpenIM's multi-login policies (upstream `constant`): which older sessions a new login kicks. */
export const MultiLoginPolicy = {
  DefalutNotKick: 0,
  AllLoginButSameTermKick: 1,
  AllLoginButSameClassKick: 4,
  PCAndOther: 5,
} as const;

export const knownPolicies: readonly number[] = Object.values(MultiLoginPolicy);

/** What each policy kicks, in a few words (flag help, errors, the TUI). */
export const policyDescriptions: Readonly<Record<number, string>> = {
  [MultiLoginPolicy.DefalutNotKick]: 'no kicks',
  [MultiLoginPolicy.AllLoginButSameTermKick]: 'same platform kicks',
  [MultiLoginPolicy.AllLoginButSameClassKick]: 'same class kicks',
  [MultiLoginPolicy.PCAndOther]: 'PC and other',
};

/** "0 (no kicks), 1 (same platform kicks), 4 (same class kicks) or 5 (PC and other)". */
export function describePolicies(): string {
  const each = knownPolicies.map((p) => `${p} (${policyDescriptions[p]})`);
  return `${each.slice(0, -1).join(', ')} or ${each.at(-1)}`;
}

/** How the kicked sessions' tokens are reported to auth. */
export type TokenReport = 'kickTokens' | 'invalidateToken' | 'none';

/** The minimal view of a session the policy needs. */
export interface Session {
  platformID: number;
  token: string;
}

/**
 * Picks the existing sessions of a user that a new login on `platformID` with `token` kicks.
 * A session holding the same token is never kicked (the same client reconnecting elsewhere).
 */
export function sessionsToKick<S extends Session>(
  policy: number,
  existing: readonly S[],
  login: Session,
): { kick: S[]; report: TokenReport } {
  const others = existing.filter((s) => s.token !== login.token);
  switch (policy) {
    case MultiLoginPolicy.AllLoginButSameTermKick: {
      const kick = others.filter((s) => s.platformID === login.platformID);
      return { kick, report: kick.length > 0 ? 'invalidateToken' : 'none' };
    }
    case MultiLoginPolicy.AllLoginButSameClassKick: {
      const cls = platformClass(login.platformID);
      const kick = others.filter((s) => platformClass(s.platformID) === cls);
      return { kick, report: kick.length > 0 ? 'kickTokens' : 'none' };
    }
    case MultiLoginPolicy.PCAndOther: {
      if (isPC(login.platformID)) return { kick: [], report: 'none' };
      const kick = others.filter((s) => !isPC(s.platformID));
      return { kick, report: kick.length > 0 ? 'invalidateToken' : 'none' };
    }
    default:
      return { kick: [], report: 'none' };
  }
}
