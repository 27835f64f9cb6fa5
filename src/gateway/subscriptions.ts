import { makeResp } from '../protocol/envelope.js';
import { errs } from '../protocol/errors.js';
import { pb } from '../protocol/pb.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import type { OnlineLookup } from '../presence/online-cache.js';
import type { Conn } from './conn.js';
import type { Connection } from './connection.js';
import { FrameVariants } from './frames.js';

/** What {@link Subscriptions} uses of a connection (a `Connection` has all of it). */
export interface Subscriber extends Pick<Conn, 'variant' | 'closed' | 'write'> {
  /** User IDs this connection watches; kept in step with the registry by {@link Subscriptions}. */
  readonly subscriptions: Set<string>;
}

/** Bounds of one connection's 2005 requests (unbounded when absent). */
export interface SubscriptionLimits {
  /** Users one connection may watch at once. */
  perConn?: number;
  /** User IDs (subscribe + unsubscribe) in one 2005 request. */
  perRequest?: number;
}

/**
 * Who watches whom (2005, WsSubUserOnlineStatus): userID -> connections, mirrored by each
 * connection's own `subscriptions` set, so a change, a (un)subscribe or a disconnect costs
 * O(users involved), never a scan over all connections.
 */
export class Subscriptions<C extends Subscriber = Connection> {
  private readonly byUser = new Map<string, Set<C>>();
  /**
   * Per watched user, the platform list every one of its watchers was last given (by a push or a
   * 2005 reply). Absent when not known to be the same for all of them; then a resync re-tells.
   * Bounded with `byUser`: an entry goes when its user's last watcher does.
   */
  private readonly lastTold = new Map<string, readonly number[]>();
  private links = 0;

  constructor(private readonly limits: SubscriptionLimits = {}) {}

  /** Users watched by at least one connection. */
  get userCount(): number {
    return this.byUser.size;
  }

  /** (connection, user) pairs. */
  get subscriptionCount(): number {
    return this.links;
  }

  /** Adds watches; returns the user IDs the connection was not already watching. */
  subscribe(client: C, userIDs: Iterable<string>): string[] {
    const added: string[] = [];
    if (client.closed) return added;
    for (const userID of userIDs) {
      if (client.subscriptions.has(userID)) continue;
      client.subscriptions.add(userID);
      let set = this.byUser.get(userID);
      if (!set) this.byUser.set(userID, (set = new Set()));
      set.add(client);
      this.links++;
      added.push(userID);
    }
    return added;
  }

  /** Removes watches; returns the user IDs that were watched. */
  unsubscribe(client: C, userIDs: Iterable<string>): string[] {
    const removed: string[] = [];
    for (const userID of userIDs) {
      if (!client.subscriptions.delete(userID)) continue;
      this.unlink(client, userID);
      removed.push(userID);
    }
    return removed;
  }

  /** Forgets a connection entirely; call it when the connection closes. */
  removeClient(client: C): void {
    for (const userID of client.subscriptions) this.unlink(client, userID);
    client.subscriptions.clear();
  }

  /** The connections watching a user (live set: copy before changing subscriptions while iterating). */
  subscribers(userID: string): ReadonlySet<C> {
    return this.byUser.get(userID) ?? EMPTY;
  }

  /**
   * Serves a 2005 request: decodes `SubUserOnlineStatus`, drops the unsubscribed users, adds the
   * subscribed ones, and returns the encoded `SubUserOnlineStatusTips` reply payload.
   *
   * As upstream (`WsServer.SubUserOnlineStatus`), the reply lists every entry of
   * `subscribeUserID` in request order - also ones the connection already watched, and
   * duplicates as sent - with its current platforms; a user in both lists ends up subscribed.
   * Throws when `data` is not a valid message (ProtoDecodeError) or the lookup fails; the
   * subscription change stays applied either way, as upstream. A request over the limits
   * (beyond upstream, which has none) changes nothing and throws ArgsError (1001).
   */
  async handle2005(client: C, data: Uint8Array | null, cache: OnlineLookup): Promise<Uint8Array> {
    const req = pb.sdkws.SubUserOnlineStatus.decode(data ?? EMPTY_BYTES);
    this.checkLimits(client, req.subscribeUserID, req.unsubscribeUserID);
    if (req.unsubscribeUserID.length > 0) this.unsubscribe(client, req.unsubscribeUserID);
    if (req.subscribeUserID.length > 0) this.subscribe(client, req.subscribeUserID);
    if (req.subscribeUserID.length === 0) return pb.sdkws.SubUserOnlineStatusTips.encode({});
    const platforms = await cache.getMany(req.subscribeUserID);
    for (const userID of req.subscribeUserID) this.noteReplied(userID, platforms.get(userID) ?? []);
    return pb.sdkws.SubUserOnlineStatusTips.encode({
      subscribers: req.subscribeUserID.map((userID) => ({ userID, onlinePlatformIDs: platforms.get(userID) ?? [] })),
    });
  }

  /**
   * Pushes a user's new platform list to every connection watching it: one payload, one frame
   * encoding per (codec, gzip) variant, shared by all connections of that variant.
   * Returns how many connections were handed the frame.
   */
  notify(userID: string, platformIDs: readonly number[]): number {
    const set = this.byUser.get(userID);
    if (!set || set.size === 0) return 0;
    this.lastTold.set(userID, [...platformIDs]);
    const data = pb.sdkws.SubUserOnlineStatusTips.encode({
      subscribers: [{ userID, onlinePlatformIDs: [...platformIDs] }],
    });
    // As upstream's PushUserOnlineStatus: only the identifier and data, no operationID.
    const frames = new FrameVariants(makeResp({ reqIdentifier: ReqIdentifier.WsSubUserOnlineStatus, data }));
    let told = 0;
    // Snapshot: a send can close a slow consumer, whose removal would mutate the live set.
    for (const client of [...set]) {
      if (client.closed) continue;
      if (client.write(frames.for(client.variant))) told++;
    }
    return told;
  }

  /**
   * Re-tells every watcher the current platforms of the users it watches, in batches of
   * `batch` users per lookup. For a resync after a Redis outage: the `online_change` messages
   * published during the gap were lost, so without this a watcher would keep a stale list until
   * the next change. `tell` does the telling (the node's notify plus its admin event), so a
   * re-told state looks exactly like a change. Users unwatched meanwhile are skipped, and so are
   * users whose watchers were all last told exactly the current list: a resync that changed
   * nothing pushes nothing. Returns how many users were re-told.
   */
  async retell(cache: OnlineLookup, tell: (userID: string, platformIDs: number[]) => void, batch = 512): Promise<number> {
    const userIDs = [...this.byUser.keys()];
    let told = 0;
    for (let i = 0; i < userIDs.length; i += batch) {
      const chunk = userIDs.slice(i, i + batch);
      const platforms = await cache.getMany(chunk);
      for (const userID of chunk) {
        if (!this.byUser.has(userID)) continue;
        const now = platforms.get(userID) ?? [];
        if (samePlatforms(this.lastTold.get(userID), now)) continue;
        tell(userID, now);
        told++;
      }
    }
    return told;
  }

  /** Throws ArgsError when the request names too many IDs or would leave the connection watching too many users. */
  private checkLimits(client: C, subscribe: readonly string[], unsubscribe: readonly string[]): void {
    const { perConn, perRequest } = this.limits;
    if (perRequest !== undefined && subscribe.length + unsubscribe.length > perRequest) {
      throw errs.args(`a 2005 request names ${subscribe.length + unsubscribe.length} user IDs; at most ${perRequest} per request`);
    }
    if (perConn === undefined || subscribe.length === 0) return;
    const current = client.subscriptions;
    const dropped = new Set<string>();
    for (const id of unsubscribe) if (current.has(id)) dropped.add(id);
    const added = new Set<string>();
    for (const id of subscribe) if (!current.has(id) || dropped.has(id)) added.add(id);
    const after = current.size - dropped.size + added.size;
    if (after > perConn) {
      throw errs.args(`this connection would watch ${after} users; at most ${perConn} per connection (unsubscribe some first)`);
    }
  }

  private unlink(client: C, userID: string): void {
    const set = this.byUser.get(userID);
    if (!set?.delete(client)) return;
    this.links--;
    if (set.size === 0) {
      this.byUser.delete(userID);
      this.lastTold.delete(userID);
    }
  }

  /** A 2005 reply gave `platformIDs`: the first watcher's list becomes the known one; a different list from an earlier one makes it unknown. */
  private noteReplied(userID: string, platformIDs: readonly number[]): void {
    if (!this.byUser.has(userID)) return;
    const before = this.lastTold.get(userID);
    if (before === undefined && this.byUser.get(userID)!.size === 1) this.lastTold.set(userID, [...platformIDs]);
    else if (before !== undefined && !samePlatforms(before, platformIDs)) this.lastTold.delete(userID);
  }
}

const EMPTY: ReadonlySet<never> = new Set<never>();
const EMPTY_BYTES = new Uint8Array(0);

function samePlatforms(a: readonly number[] | undefined, b: readonly number[]): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
