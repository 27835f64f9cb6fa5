/** OpenIM platform IDs and their classes (PROTOCOL.md section 4). */
export const Platform = {
  IOS: 1,
  Android: 2,
  Windows: 3,
  OSX: 4,
  Web: 5,
  MiniWeb: 6,
  Linux: 7,
  AndroidPad: 8,
  IPad: 9,
  Admin: 10,
  HarmonyOS: 11,
} as const;

/** Upstream's platform names, as used in Redis keys and RPC metadata (`constant.PlatformID2Name`). */
const platformNames: Record<number, string> = {
  1: 'IOS',
  2: 'Android',
  3: 'Windows',
  4: 'OSX',
  5: 'Web',
  6: 'MiniWeb',
  7: 'Linux',
  8: 'APad',
  9: 'IPad',
  10: 'Admin',
  11: 'HarmonyOS',
};

export type PlatformClass = 'Mobile' | 'PC' | 'Pad' | 'Web' | 'MiniWeb' | 'Admin' | 'HarmonyOS';

const platformClasses: Record<number, PlatformClass> = {
  1: 'Mobile',
  2: 'Mobile',
  3: 'PC',
  4: 'PC',
  5: 'Web',
  6: 'MiniWeb',
  7: 'PC',
  8: 'Pad',
  9: 'Pad',
  10: 'Admin',
  11: 'HarmonyOS',
};

export function isValidPlatform(id: number): boolean {
  return Number.isInteger(id) && platformNames[id] !== undefined;
}

/** The upstream name of a platform ID ("" when unknown, as upstream). */
export function platformName(id: number): string {
  return platformNames[id] ?? '';
}

/** The platform ID for an upstream name (0 when unknown). */
export function platformIdByName(name: string): number {
  for (const [id, n] of Object.entries(platformNames)) if (n === name) return Number(id);
  return 0;
}

export function platformClass(id: number): PlatformClass | undefined {
  return platformClasses[id];
}

export function isPC(id: number): boolean {
  return platformClasses[id] === 'PC';
}
