import type { Client } from './client.js';

/** A user's state change caused by a connect or disconnect: current platforms and the ones that went away. */
export interface UserStateChange {
  userID: string;
  online: number[];
  offline: number[];
}

/**
 * user -> connections, the gateway's one source of truth about who is connected here.
 * Lookups by user and by (user, platform) are O(1); nothing scans all connections.
 */
export class UserMap {
  private readonly users = new Map<string, Client[]>();
  private conns = 0;
  /** Told about every change of a user's set of online platforms (feeds presence). */
  onChange: ((change: UserStateChange) => void) | undefined;

  get userCount(): number {
    return this.users.size;
  }

  get connCount(): number {
    return this.conns;
  }

  add(client: Client): void {
    let list = this.users.get(client.userID);
    const before = list ? platformsOf(list) : [];
    if (!list) this.users.set(client.userID, (list = []));
    list.push(client);
    this.conns++;
    if (!before.includes(client.platformID)) this.emit(client.userID, list, []);
  }

  /** Removes connections; returns true when the user has none left. Unknown clients are ignored. */
  remove(userID: string, clients: readonly Client[]): boolean {
    const list = this.users.get(userID);
    if (!list) return true;
    const before = platformsOf(list);
    let removed = 0;
    for (const c of clients) {
      const i = list.indexOf(c);
      if (i >= 0) {
        list.splice(i, 1);
        removed++;
      }
    }
    if (removed === 0) return list.length === 0;
    this.conns -= removed;
    const after = platformsOf(list);
    const offline = before.filter((p) => !after.includes(p));
    if (list.length === 0) this.users.delete(userID);
    if (offline.length > 0) this.emit(userID, list, offline);
    return list.length === 0;
  }

  /** All of a user's connections (a live array: copy before mutating the map while iterating). */
  getAll(userID: string): readonly Client[] {
    return this.users.get(userID) ?? [];
  }

  getPlatform(userID: string, platformID: number): Client[] {
    return (this.users.get(userID) ?? []).filter((c) => c.platformID === platformID);
  }

  /** The platform IDs a user is online on here, sorted. */
  platforms(userID: string): number[] {
    const list = this.users.get(userID);
    return list ? platformsOf(list) : [];
  }

  userIDs(): IterableIterator<string> {
    return this.users.keys();
  }

  *allClients(): IterableIterator<Client> {
    for (const list of this.users.values()) yield* list;
  }

  private emit(userID: string, list: Client[], offline: number[]): void {
    this.onChange?.({ userID, online: platformsOf(list), offline });
  }
}

function platformsOf(list: readonly Client[]): number[] {
  const set = new Set<number>();
  for (const c of list) set.add(c.platformID);
  return [...set].sort((a, b) => a - b);
}
