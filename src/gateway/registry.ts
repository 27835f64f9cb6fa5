import type { OnlineStatusChange } from '../redis/online.js';
import type { Signal } from '../util/signal.js';
import type { Conn } from './conn.js';
import type { GatewayEvent } from './events.js';


/** Why a kick happened (the `cause` of kick events). */
export type KickCause = 'login' | 'remote-login' | 'hub';

/**
 * What the rest of the node (hub, presence, admin, metrics) may do with the gateway's
 * connections: look them up by user, count them, kick them. It never sees the socket side.
 */
export interface ConnRegistry {
  readonly userCount: number;
  readonly connCount: number;
  /** All of a user's connections (a live array: copy before closing any while iterating). */
  getAll(userID: string): readonly Conn[];
  /** The platform IDs a user is online on here, sorted. */
  platforms(userID: string): number[];
  userIDs(): IterableIterator<string>;
  /** Every connection; a scan, for the sweeper and admin views only. */
  allClients(): IterableIterator<Conn>;
  /** A connection by ID: O(1) with its user, else a scan (a rare admin command). */
  find(connID: string, userID?: string): Conn | undefined;
  /** Kicks a user's connections on one platform (hub KickUserOffline, admin). Returns how many. */
  kickPlatform(userID: string, platformID: number, why: string): number;
}

/**
 * user -> connections, the gateway's one source of truth about who is connected here.
 * Lookups by user and by (user, platform) are O(1); only the sweeper and admin views scan.
 */
export class Registry<C extends Conn = Conn> implements ConnRegistry {
  private readonly users = new Map<string, C[]>();
  private conns_ = 0;
  /** Told about every change of a user's set of online platforms (feeds presence). */
  onChange: ((change: OnlineStatusChange) => void) | undefined;

  constructor(
    private readonly events?: Signal<GatewayEvent>,
    /** The multi-login policy, reported in kick events. */
    private readonly policy = 0,
  ) {}

  get userCount(): number {
    return this.users.size;
  }

  get connCount(): number {
    return this.conns_;
  }

  add(conn: C): void {
    let list = this.users.get(conn.userID);
    const before = list ? platformsOf(list) : [];
    if (!list) this.users.set(conn.userID, (list = []));
    list.push(conn);
    this.conns_++;
    if (!before.includes(conn.platformID)) this.emit(conn.userID, list, []);
  }

  /** Removes connections; returns true when the user has none left. Unknown connections are ignored. */
  remove(userID: string, conns: readonly C[]): boolean {
    const list = this.users.get(userID);
    if (!list) return true;
    const before = platformsOf(list);
    let removed = 0;
    for (const c of conns) {
      const i = list.indexOf(c);
      if (i >= 0) {
        list.splice(i, 1);
        removed++;
      }
    }
    if (removed === 0) return list.length === 0;
    this.conns_ -= removed;
    const after = platformsOf(list);
    const offline = before.filter((p) => !after.includes(p));
    if (list.length === 0) this.users.delete(userID);
    if (offline.length > 0) this.emit(userID, list, offline);
    return list.length === 0;
  }

  getAll(userID: string): readonly C[] {
    return this.users.get(userID) ?? EMPTY;
  }

  getPlatform(userID: string, platformID: number): C[] {
    return (this.users.get(userID) ?? []).filter((c) => c.platformID === platformID);
  }

  platforms(userID: string): number[] {
    const list = this.users.get(userID);
    return list ? platformsOf(list) : [];
  }

  userIDs(): IterableIterator<string> {
    return this.users.keys();
  }

  *allClients(): IterableIterator<C> {
    for (const list of this.users.values()) yield* list;
  }

  find(connID: string, userID?: string): C | undefined {
    if (userID !== undefined) return this.getAll(userID).find((c) => c.connID === connID);
    for (const c of this.allClients()) if (c.connID === connID) return c;
    return undefined;
  }

  /**
   * Unregisters and kicks connections (2002 frame, then close), each announced by a kick event
   * first, so observers see "kick" before the "disconnect" it causes.
   */
  kick(userID: string, conns: readonly C[], cause: KickCause, why: string): void {
    if (conns.length === 0) return;
    this.remove(userID, conns);
    for (const c of conns) {
      if (this.events?.active) {
        this.events.emit({ type: 'kick', at: Date.now(), userID: c.userID, platformID: c.platformID, connID: c.connID, policy: this.policy, cause });
      }
      c.kick(why);
    }
  }

  kickPlatform(userID: string, platformID: number, why: string): number {
    const conns = this.getPlatform(userID, platformID);
    this.kick(userID, conns, 'hub', why);
    return conns.length;
  }

  private emit(userID: string, list: readonly C[], offline: number[]): void {
    this.onChange?.({ userID, online: platformsOf(list), offline });
  }
}

const EMPTY: readonly never[] = [];

function platformsOf(list: readonly Conn[]): number[] {
  const set = new Set<number>();
  for (const c of list) set.add(c.platformID);
  return [...set].sort((a, b) => a - b);
}
