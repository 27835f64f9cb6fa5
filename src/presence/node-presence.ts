import { randomUUID } from 'node:crypto';
import { redisErrorText, type RedisClient } from '../redis/connect.js';
import type { OnlineStatusChange } from '../redis/online.js';
import type { OnlineUser } from './status-reporter.js';

/**
 * Keys of the node ledger (ours, beside OpenIM's ONLINE:<userID> keys, which stay as upstream
 * clients read them). A node's identity is the hub address it registers in discovery.
 */
export const nodeKeys = {
  /** Set of node identities that hold (or held) users. */
  nodes: 'MSGGW:GW:NODES',
  /** String, PX = heartbeat TTL: the running instance of a node. Gone = the node is dead. */
  alive: (nodeID: string) => `MSGGW:GW:ALIVE:${nodeID}`,
  /** Hash userID -> "p1,p2": the users connected to a node and their platforms. */
  users: (nodeID: string) => `MSGGW:GW:USERS:${nodeID}`,
  /** String NX PX: who cleans up after a dead node (one cleaner per death). */
  sweep: (nodeID: string) => `MSGGW:GW:SWEEP:${nodeID}`,
} as const;

/** A user set outlives its heartbeat at most this long (as long as the ONLINE keys it mirrors). */
const USERS_TTL_MS = 30 * 60_000;

/** How a {@link NodePresence} is built. */
export interface NodePresenceOptions {
  /** A normal (not subscribed) connection to the Redis the user service keeps ONLINE keys in. */
  redis: RedisClient;
  /** This node's registered identity (hub host:port); a restart on the same address is its successor. */
  nodeID: string;
  /** Heartbeat TTL, ms: a node silent this long is dead and its users are reported offline. */
  ttlMs: number;
  /** The users connected here now. */
  localUsers(): Iterable<OnlineUser>;
  /** The platforms one user is connected on here now ([] when none). */
  localPlatforms(userID: string): readonly number[];
  /** Queues a status change to the user service (the node's StatusReporter). */
  report(change: OnlineStatusChange): void;
  log?: (line: string) => void;
}

/** Counters for metrics and tests. */
export interface NodePresenceCounters {
  heartbeats: number;
  /** Heartbeats that found this node's key gone (Redis lost its data, or a peer swept us): the user set was rewritten. */
  rewrites: number;
  /** Dead nodes cleaned up (a restarted node's predecessor included). */
  sweeps: number;
  /** User platforms reported offline because their node died. */
  sweptPlatforms: number;
  errors: number;
}

/**
 * What keeps presence true when a node dies without reporting its users offline (SIGKILL, OOM,
 * host loss). Upstream leaves them online until their ONLINE key expires (30 min), and a
 * restarted node never corrects it. Here every node keeps its user set in Redis under its
 * registered identity, next to a heartbeat key with a short TTL:
 *
 * - a restarted node on the same address finds its predecessor's set at start and reports those
 *   users offline at once;
 * - every node sweeps: a node in the registry whose heartbeat expired is dead, and one peer (a
 *   SET NX claim) reports its users offline;
 * - either way, platforms a live node (this one or a peer) holds now are left alone, so users who
 *   reconnected elsewhere stay online.
 *
 * Stale presence after a node kill is thus bounded by the TTL plus one sweep interval (TTL/2)
 * plus the reporter's merge interval. The opposite error (an online_change that leaves out a
 * platform a local user is connected on) is PresenceSelfHeal's (self-heal.ts), which needs no
 * ledger. Writes are batched: changes are flushed to the set every `flushMs`.
 */
export class NodePresence {
  readonly counters: NodePresenceCounters = { heartbeats: 0, rewrites: 0, sweeps: 0, sweptPlatforms: 0, errors: 0 };
  private readonly instance = randomUUID();
  private readonly dirty = new Set<string>();
  private readonly flushMs: number;
  private timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> | undefined;
  private started = false;
  private closed = false;
  private lastLog = 0;

  constructor(private readonly o: NodePresenceOptions) {
    this.flushMs = Math.max(20, Math.min(250, Math.floor(o.ttlMs / 8)));
  }

  /**
   * Cleans up after this node's predecessor (a previous run on the same address that did not
   * report its users offline), writes the heartbeat and the user set, and starts the timers.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { redis, nodeID } = this.o;
    try {
      const owner = await redis.get(nodeKeys.alive(nodeID));
      if (owner !== this.instance && (await redis.exists(nodeKeys.users(nodeID))) === 1) {
        await this.cleanUp(nodeID, { predecessor: true });
      }
      await this.rewrite();
    } catch (e) {
      this.fail('start', e);
    }
    const every = (ms: number, f: () => Promise<void>) => {
      const t = setInterval(() => void f().catch((e: unknown) => this.fail('timer', e)), ms);
      t.unref();
      this.timers.push(t);
    };
    every(Math.max(50, Math.floor(this.o.ttlMs / 3)), () => this.heartbeat());
    every(Math.max(50, Math.floor(this.o.ttlMs / 2)), () => this.sweep());
    every(this.flushMs, () => this.flush());
  }

  /** Notes that a local user's platforms changed (flushed to the user set shortly). */
  track(userID: string): void {
    if (!this.closed) this.dirty.add(userID);
  }

  /** Renews the heartbeat; rewrites the whole user set when the heartbeat was gone. */
  async heartbeat(): Promise<void> {
    if (this.closed) return;
    const { redis, nodeID } = this.o;
    const owner = await redis.get(nodeKeys.alive(nodeID));
    this.counters.heartbeats++;
    if (owner !== this.instance) {
      // Redis lost its data, or a peer took us for dead and swept our set: write it all again.
      this.counters.rewrites++;
      await this.rewrite();
      return;
    }
    const r = await redis.multi().set(nodeKeys.alive(nodeID), this.instance, 'PX', this.o.ttlMs).pexpire(nodeKeys.users(nodeID), USERS_TTL_MS).sadd(nodeKeys.nodes, nodeID).exec();
    // PEXPIRE answers 0 when the user set is gone while the heartbeat is ours: a peer that took
    // this node for dead (a stalled event loop let the heartbeat lapse) deleted the set after its
    // sweep, racing this node's rewrite. Without the set, a later kill of this node would leave
    // every user here online, so write it again.
    if (r?.[1]?.[1] === 0 && hasAny(this.o.localUsers())) {
      this.counters.rewrites++;
      await this.rewrite();
    }
  }

  /** Looks for dead nodes and cleans up after each one this node wins the claim for. */
  async sweep(): Promise<void> {
    if (this.closed) return;
    const { redis, nodeID } = this.o;
    const ids = (await redis.smembers(nodeKeys.nodes)).filter((id) => id !== nodeID);
    for (const id of ids) {
      if ((await redis.exists(nodeKeys.alive(id))) === 1) continue;
      const won = await redis.set(nodeKeys.sweep(id), this.instance, 'PX', this.o.ttlMs, 'NX');
      if (won === 'OK') await this.cleanUp(id, { predecessor: false });
    }
  }

  /** Writes pending user-set changes. Public for tests and the orderly shutdown. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.size === 0) return Promise.resolve();
    this.flushing = this.doFlush().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * Stops the timers. With `graceful`, the node reported its users offline itself, so its set and
   * heartbeat are deleted (nobody needs to sweep it). Idempotent.
   */
  async close(opts: { graceful: boolean }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (!opts.graceful || !this.started) return;
    const { redis, nodeID } = this.o;
    await redis
      .multi()
      .del(nodeKeys.users(nodeID))
      .del(nodeKeys.alive(nodeID))
      .srem(nodeKeys.nodes, nodeID)
      .exec()
      .catch((e: unknown) => this.fail('close', e));
  }

  private async doFlush(): Promise<void> {
    const { redis, nodeID } = this.o;
    const ids = [...this.dirty];
    this.dirty.clear();
    const pipe = redis.multi();
    for (const id of ids) {
      const p = this.o.localPlatforms(id);
      if (p.length > 0) pipe.hset(nodeKeys.users(nodeID), id, p.join(','));
      else pipe.hdel(nodeKeys.users(nodeID), id);
    }
    try {
      await pipe.exec();
    } catch (e) {
      // Retried with the next flush; the heartbeat rewrites everything after an outage anyway.
      for (const id of ids) this.dirty.add(id);
      throw e;
    }
  }

  /** Replaces this node's user set by what is connected now, and renews the heartbeat. */
  private async rewrite(): Promise<void> {
    const { redis, nodeID } = this.o;
    const fields: string[] = [];
    for (const u of this.o.localUsers()) if (u.platformIDs.length > 0) fields.push(u.userID, u.platformIDs.join(','));
    const pipe = redis.multi().del(nodeKeys.users(nodeID));
    for (let i = 0; i < fields.length; i += 1000) pipe.hset(nodeKeys.users(nodeID), ...fields.slice(i, i + 1000));
    pipe.pexpire(nodeKeys.users(nodeID), USERS_TTL_MS).set(nodeKeys.alive(nodeID), this.instance, 'PX', this.o.ttlMs).sadd(nodeKeys.nodes, nodeID);
    await pipe.exec();
    this.dirty.clear();
  }

  /**
   * Reports a dead node's users offline on the platforms no live node holds now, then forgets
   * the dead node. For the predecessor of this node, "live" includes what is connected here.
   */
  private async cleanUp(deadID: string, how: { predecessor: boolean }): Promise<void> {
    const { redis } = this.o;
    const dead = await redis.hgetall(nodeKeys.users(deadID));
    const userIDs = Object.keys(dead);
    if (userIDs.length > 0) {
      const held = await this.heldByLiveNodes(deadID, userIDs);
      let platforms = 0;
      for (const userID of userIDs) {
        const local = this.o.localPlatforms(userID);
        const keep = new Set<number>(local);
        for (const p of held.get(userID) ?? []) keep.add(p);
        const offline = parsePlatforms(dead[userID]!).filter((p) => !keep.has(p));
        if (offline.length === 0) continue;
        platforms += offline.length;
        // online = this node's own platforms of the user (the reporter merges changes as "state here now").
        this.o.report({ userID, online: [...local], offline });
      }
      this.counters.sweptPlatforms += platforms;
      this.o.log?.(`presence: ${how.predecessor ? 'previous run of this node' : `dead node ${deadID}`} left ${userIDs.length} users; ${platforms} platforms reported offline`);
    }
    this.counters.sweeps++;
    // A predecessor's set is this node's key: rewrite() replaces it right after.
    if (!how.predecessor) await redis.multi().del(nodeKeys.users(deadID)).srem(nodeKeys.nodes, deadID).exec();
  }

  /** The platforms other live nodes hold for these users (their user sets, heartbeat present). */
  private async heldByLiveNodes(deadID: string, userIDs: string[]): Promise<Map<string, number[]>> {
    const { redis, nodeID } = this.o;
    const out = new Map<string, number[]>();
    const peers = (await redis.smembers(nodeKeys.nodes)).filter((id) => id !== deadID && id !== nodeID);
    for (const peer of peers) {
      if ((await redis.exists(nodeKeys.alive(peer))) !== 1) continue;
      const values = await redis.hmget(nodeKeys.users(peer), ...userIDs);
      values.forEach((v, i) => {
        if (!v) return;
        const list = out.get(userIDs[i]!) ?? [];
        list.push(...parsePlatforms(v));
        out.set(userIDs[i]!, list);
      });
    }
    return out;
  }

  private fail(what: string, e: unknown): void {
    this.counters.errors++;
    if (Date.now() - this.lastLog < 5000) return;
    this.lastLog = Date.now();
    this.o.log?.(`presence ledger ${what} failed (retried): ${redisErrorText(e)}`);
  }
}

function hasAny(users: Iterable<OnlineUser>): boolean {
  for (const u of users) if (u.platformIDs.length > 0) return true;
  return false;
}

function parsePlatforms(v: string): number[] {
  const out: number[] = [];
  for (const s of v.split(',')) {
    const n = Number(s);
    if (s !== '' && Number.isInteger(n)) out.push(n);
  }
  return out;
}
