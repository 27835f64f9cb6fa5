/** Redis key and channel names shared with OpenIM (PROTOCOL.md sections 5 and 8). */
export const redisKeys = {
  /** Sorted set of a user's online platform IDs, scored by expiry unix seconds. */
  online: (userID: string) => `ONLINE:${userID}`,
  /** Hash token -> state for one user and platform NAME. */
  tokenStatus: (userID: string, platformName: string) => `UID_PID_TOKEN_STATUS:${userID}:${platformName}`,
  /** Pub/sub channel of online status changes. */
  onlineChannel: 'online_change',
} as const;
