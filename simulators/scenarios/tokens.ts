/**
 * Where the sim's tokens come from: minted locally with the gateway's secret (the embedded
 * auth simulator, and any OpenIM auth with that secret, accepts them), or read from a file
 * for gateways whose auth only knows tokens it issued.
 */
import { readFileSync } from 'node:fs';
import { tokenFor } from '../client/index.js';

/** Gives the token of a user on a platform. */
export interface TokenSource {
  readonly kind: 'secret' | 'file' | 'api';
  /** Whether fresh tokens can be made (multilogin needs a distinct token per login). */
  readonly canMint: boolean;
  /** The token for userID on platformID; `variant` > 0 asks for a distinct token (minted sources only). Throws when unknown. */
  get(userID: string, platformID: number, variant?: number): string;
}

/** Tokens signed with `secret`, as OpenIM's auth signs them. */
export function secretTokens(secret: string): TokenSource {
  const cache = new Map<string, string>();
  // One issue time per run: every connection of a user/platform shares a token unless asked for a variant.
  const nowSec = Math.floor(Date.now() / 1000);
  return {
    kind: 'secret',
    canMint: true,
    get(userID, platformID, variant = 0) {
      const key = `${userID}:${platformID}:${variant}`;
      let t = cache.get(key);
      if (t === undefined) {
        // A different issue time makes a different JWT: the gateway never kicks a connection holding the same token.
        t = tokenFor(userID, platformID, { secret, nowSec: nowSec - variant });
        cache.set(key, t);
      }
      return t;
    },
  };
}

/** Thrown for an unreadable or malformed tokens file, or a user missing from it. */
export class TokenFileError extends Error {}

/**
 * Reads a tokens file: either a JSON object `{"userID:platformID": "token"}`, or lines
 * `userID platformID token` (blank lines and `#` comments ignored).
 */
export function fileTokens(path: string): TokenSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TokenFileError(`--tokens ${path}: ${(e as Error).message}`);
  }
  const map = parseTokens(text, path);
  return {
    kind: 'file',
    canMint: false,
    get(userID, platformID) {
      const t = map.get(`${userID}:${platformID}`);
      if (t === undefined) throw new TokenFileError(`--tokens ${path}: no token for ${userID}:${platformID} (the run's user IDs are <prefix><n>; set --prefix to match the file)`);
      return t;
    },
  };
}

/** Parses the text of a tokens file (see {@link fileTokens}). */
export function parseTokens(text: string, path = 'tokens'): Map<string, string> {
  const map = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(trimmed);
    } catch (e) {
      throw new TokenFileError(`${path}: invalid JSON: ${(e as Error).message}`);
    }
    for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
      if (!/^[^:]+:\d+$/.test(k)) throw new TokenFileError(`${path}: key "${k}" must be "userID:platformID"`);
      if (typeof v !== 'string' || v === '') throw new TokenFileError(`${path}: token of "${k}" must be a non-empty string`);
      map.set(k, v);
    }
    return map;
  }
  trimmed.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 3 || !/^\d+$/.test(parts[1]!)) throw new TokenFileError(`${path}:${i + 1}: expected "userID platformID token", got "${line.slice(0, 80)}"`);
    map.set(`${parts[0]}:${parts[1]}`, parts[2]!);
  });
  return map;
}
