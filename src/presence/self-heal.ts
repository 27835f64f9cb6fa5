import type { OnlineStatusChange } from '../redis/online.js';

/**
 * Upstream's `RecvSubChange` self-heal: an online_change for a user connected here that leaves
 * out one of its local platforms means the state in Redis is wrong (Redis lost the key, a sweep
 * raced a reconnect, a stale report from another node), so the user's local platforms are
 * re-reported at once instead of at the 10-minute renewal. Independent of the node ledger: it
 * needs only the local registry and the reporter, so it runs on every Redis, embedded included.
 */
export class PresenceSelfHeal {
  /** Local users re-reported because an online_change left out their platforms here. */
  repairs = 0;

  constructor(
    private readonly localPlatforms: (userID: string) => readonly number[],
    private readonly report: (change: OnlineStatusChange) => void,
    /** Told about each re-reported user (upstream posts afterUserOnline for its connections). */
    private readonly onRepair?: (userID: string) => void,
  ) {}

  /** Checks one online_change; returns true when it re-reported the user. */
  onOnlineChange(userID: string, platformIDs: readonly number[]): boolean {
    const local = this.localPlatforms(userID);
    if (local.length === 0) return false;
    for (const p of local) {
      if (!platformIDs.includes(p)) {
        this.repairs++;
        this.report({ userID, online: [...local], offline: [] });
        this.onRepair?.(userID);
        return true;
      }
    }
    return false;
  }
}
