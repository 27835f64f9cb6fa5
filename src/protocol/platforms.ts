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

/** The platform ID for a name, any case, upstream's or a common alias (0 when unknown). */
export function platformIdByName(name: string): number {
  return byLowerName.get(name.trim().toLowerCase()) ?? 0;
}

/** Lower-cased upstream names plus the spellings people type, to IDs. */
const byLowerName = new Map<string, number>([
  ...Object.entries(platformNames).map(([id, n]) => [n.toLowerCase(), Number(id)] as [string, number]),
  ['androidpad', 8],
  ['mac', 4],
  ['macos', 4],
  ['harmony', 11],
]);

/** The platform ID of an ID or a name in any case, as {@link parsePlatform} reads it; 0 when it is neither. */
export function platformIdOf(input: string | number): number {
  const s = String(input).trim();
  const id = /^\d+$/.test(s) ? Number(s) : platformIdByName(s);
  return isValidPlatform(id) ? id : 0;
}

/** A platform given as an ID or a name that is neither (thrown by {@link parsePlatform}). */
export class PlatformError extends Error {
  readonly code = 'MSGGW_BAD_PLATFORM';
  readonly suggestion = `an ID 1-11 or a name: ${Object.values(platformNames).join(', ')} (any case)`;
}

/**
 * The one reading of a platform everywhere (flags, scenario files, TUI prompts): an ID
 * (`5`) or a name in any case (`web`, `Web`, `IOS`, `ios`, `mac`). Throws {@link PlatformError}.
 */
export function parsePlatform(input: string | number, what = 'platform'): number {
  const s = String(input).trim();
  const id = platformIdOf(s);
  if (id === 0) {
    throw new PlatformError(/^\d+$/.test(s) ? `${what} ${s} is not an OpenIM platform ID (1-11)` : `${what} "${s}" is not an OpenIM platform name`);
  }
  return id;
}

export function platformClass(id: number): PlatformClass | undefined {
  return platformClasses[id];
}

export function isPC(id: number): boolean {
  return platformClasses[id] === 'PC';
}
