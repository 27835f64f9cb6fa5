import { ClientClosedError, Etcd3, type IOptions, type Lease, type Watcher } from 'etcd3';
import type { Discovery } from './discovery.js';

/** Settings of an {@link EtcdDiscovery}. */
export interface EtcdDiscoveryOptions {
  /** etcd client endpoints, `host:port` (or `http://host:port`). */
  hosts: string[];
  /** Key prefix shared by every OpenIM service (`discovery.yml` etcd.rootDirectory). Default `openim`. */
  rootDirectory?: string;
  username?: string;
  password?: string;
  /** Lease TTL of a registration, seconds. Upstream uses 30; tests use 1-3. */
  leaseTTL?: number;
  /** Deadline of each unary etcd call, ms, so a dead etcd never stalls register/resolve/close. Default 5000. */
  callTimeoutMs?: number;
  /** Upper bound of the retry delay for re-registration and watch reconnects, ms. Default 3000. */
  maxRetryDelayMs?: number;
  /** Where trouble is reported (etcd unreachable, lease lost, re-registration). Default: silent. */
  log?: (msg: string) => void;
}

/** The value upstream stores under a key: the JSON of etcd's `naming/endpoints.Endpoint`. */
interface NamingEndpoint {
  Addr: string;
  Metadata: null;
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

/** Exponential backoff for etcd3's watch reconnects, capped so a restarted etcd is noticed quickly. */
function cappedBackoff(minMs: number, maxMs: number, attempt = 0): WatchBackoff {
  return { duration: Math.min(maxMs, minMs * 2 ** attempt), next: () => cappedBackoff(minMs, maxMs, attempt + 1) };
}

function describe(e: unknown): string {
  // etcd3 stops trying for a while after every endpoint failed; its "circuit breaker is open" says nothing to a user.
  if (e instanceof Error && (e.constructor.name === 'BrokenCircuitError' || /circuit breaker is open/.test(e.message))) return 'etcd is unreachable (every endpoint failed just now; retrying shortly)';
  return e instanceof Error ? e.message : String(e);
}

/** The address a key/value pair names: the value's `Addr` (what upstream's resolver reads), else the key's last segment. */
function addrOf(key: string, value: string): string {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { Addr?: unknown }).Addr === 'string') {
      return (parsed as { Addr: string }).Addr;
    }
  } catch {
    // A value another tool wrote by hand; the key still says where the endpoint is.
  }
  return key.slice(key.lastIndexOf('/') + 1);
}

/** Waits for `p` at most `ms`; never rejects. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** What the per-registration and per-watch helpers need from their discovery. */
interface Ctx {
  client: Etcd3;
  ttl: number;
  deadline(): { deadline: number };
  maxRetryDelayMs: number;
  log(msg: string): void;
}

/** A sleep that `wake()` cuts short, so close() does not wait out a retry delay. */
class Pause {
  private timer: NodeJS.Timeout | undefined;
  private resolve: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.resolve = r;
      this.timer = setTimeout(r, ms);
    });
  }

  wake(): void {
    clearTimeout(this.timer);
    this.resolve?.();
  }
}

/**
 * One key kept alive under a lease of its own. When the keep-alive stream breaks or etcd says
 * the lease is gone, a fresh lease is granted and the key put again (retrying until etcd answers),
 * as upstream's registrar does; the old lease is then revoked, which no longer owns the key.
 */
class Registration {
  private lease: Lease | undefined;
  private stopped = false;
  private recovery: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly pause = new Pause();

  constructor(
    private readonly ctx: Ctx,
    readonly key: string,
    private readonly value: string,
    /** Lease TTL, seconds (default the discovery's). */
    private readonly ttl = ctx.ttl,
  ) {}

  /** First registration; rejects when etcd cannot be reached, as upstream's Register does. */
  async start(): Promise<void> {
    this.adopt(await this.grantAndPut());
  }

  /** Deletes the key and revokes the lease. Idempotent; never rejects. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.stopped = true;
    this.pause.wake();
    // A re-registration in flight would otherwise put the key back after we delete it.
    await this.recovery;
    const lease = this.lease;
    this.lease = undefined;
    // Both run at once so a dead etcd costs one deadline, not two; either alone removes the key.
    await Promise.all([
      this.ctx.client
        .delete()
        .key(this.key)
        .options(this.ctx.deadline())
        .exec()
        .catch((e: unknown) => this.ctx.log(`etcd: could not delete ${this.key} (it goes when its lease expires): ${describe(e)}`)),
      lease?.revoke(this.ctx.deadline()).catch(() => undefined),
    ]);
  }

  private async grantAndPut(): Promise<Lease> {
    const lease = this.ctx.client.lease(this.ttl, this.ctx.deadline());
    try {
      await lease.put(this.key).value(this.value).options(this.ctx.deadline()).exec();
      return lease;
    } catch (e) {
      // Nothing is attached to it; stop its keep-alives and let etcd expire it.
      lease.release();
      throw e;
    }
  }

  private adopt(lease: Lease): void {
    this.lease = lease;
    const broken = (why: string) => {
      if (this.lease === lease && !this.stopped && !this.recovery) this.recovery = this.recover(lease, why);
    };
    lease.on('lost', (e) => broken(`lease lost (${describe(e)})`));
    // etcd3 types this event's argument as a response, but it carries the stream's error.
    lease.on('keepaliveFailed', (e: unknown) => broken(`keep-alive stream broke (${describe(e)})`));
  }

  private async recover(old: Lease, why: string): Promise<void> {
    this.ctx.log(`etcd: ${why}; re-registering ${this.key}`);
    old.release();
    let delay = 100;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const lease = await this.grantAndPut();
        // Cleared before adopting, so a break of the new lease starts a recovery of its own.
        this.recovery = undefined;
        this.adopt(lease);
        // The key moved to the new lease, so revoking the old one cannot take it away.
        void old.revoke(this.ctx.deadline()).catch(() => undefined);
        this.ctx.log(`etcd: re-registered ${this.key} (attempt ${attempt})`);
        return;
      } catch (e) {
        if (e instanceof ClientClosedError) break;
        this.ctx.log(`etcd: re-registering ${this.key} failed (${describe(e)}); retrying in ${delay} ms`);
        await this.pause.sleep(delay);
        delay = Math.min(delay * 2, this.ctx.maxRetryDelayMs);
      }
    }
    this.recovery = undefined;
  }
}

/**
 * Follows one service's prefix: lists it, then re-lists whenever the watch reports a change or
 * (re)connects, and hands the full address list to the subscriber when it differs from the last
 * one. Re-listing instead of patching from events keeps the list right across watch gaps.
 */
class ServiceWatch {
  private watcher: Watcher | undefined;
  private last: string | undefined;
  private listing = false;
  private dirty = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly prefix: string,
    private readonly list: () => Promise<string[]>,
    private readonly onChange: (addrs: string[]) => void,
  ) {}

  start(): void {
    this.attach();
    void this.refresh();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retry);
    const w = this.watcher;
    this.watcher = undefined;
    // cancel() waits for etcd to confirm; a hung etcd must not hold up close().
    if (w) await within(w.cancel(), this.ctx.maxRetryDelayMs);
  }

  private attach(): void {
    const w = this.ctx.client.watch().prefix(this.prefix).watcher();
    this.watcher = w;
    const refresh = () => void this.refresh();
    w.on('connected', refresh);
    w.on('put', refresh);
    w.on('delete', refresh);
    w.on('disconnected', (e) => this.ctx.log(`etcd: watch of ${this.prefix} disconnected (${describe(e)}); reconnecting`));
    // An unhandled 'error' event would throw; etcd cancels a watch e.g. after compaction, so start a new one.
    w.on('error', (e) => {
      this.ctx.log(`etcd: watch of ${this.prefix} failed (${describe(e)}); restarting it`);
      void w.cancel().catch(() => undefined);
      if (this.watcher !== w || this.stopped) return;
      this.retry = setTimeout(() => {
        if (this.stopped) return;
        this.attach();
        void this.refresh();
      }, this.ctx.maxRetryDelayMs);
    });
  }

  /** Lists the prefix; calls made while one is running fold into one more pass. */
  private async refresh(): Promise<void> {
    if (this.stopped) return;
    if (this.listing) {
      this.dirty = true;
      return;
    }
    this.listing = true;
    try {
      do {
        this.dirty = false;
        const addrs = await this.list();
        if (this.stopped) return;
        const sig = JSON.stringify(addrs);
        if (sig !== this.last) {
          this.last = sig;
          this.onChange(addrs);
        }
      } while (this.dirty && !this.stopped);
    } catch (e) {
      this.ctx.log(`etcd: listing ${this.prefix} failed (${describe(e)}); retrying`);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.refresh(), this.ctx.maxRetryDelayMs);
    } finally {
      this.listing = false;
    }
  }
}

/**
 * Discovery through etcd, interoperable with OpenIM's `openimsdk/tools` registry: an endpoint is
 * the key `<rootDirectory>/<serviceName>/<host:port>` holding `{"Addr":"host:port","Metadata":null}`
 * under a lease that is kept alive and re-granted when lost. Failures of etcd are logged and
 * retried in the background; they never throw out of a timer or stream callback.
 */
export class EtcdDiscovery implements Discovery {
  readonly kind = 'etcd' as const;
  /** The key prefix every service lives under. */
  readonly rootDirectory: string;
  private readonly client: Etcd3;
  private readonly ctx: Ctx;
  private readonly callTimeoutMs: number;
  private readonly hostList: string[];
  private readonly registrations = new Set<Registration>();
  private readonly watches = new Set<ServiceWatch>();
  private closing: Promise<void> | undefined;

  constructor(opts: EtcdDiscoveryOptions) {
    if (opts.hosts.length === 0) throw new Error('etcd discovery needs at least one endpoint');
    this.rootDirectory = (opts.rootDirectory ?? 'openim').replace(/\/+$/, '');
    this.hostList = [...opts.hosts];
    this.callTimeoutMs = opts.callTimeoutMs ?? 5000;
    const maxRetryDelayMs = opts.maxRetryDelayMs ?? 3000;
    const ttl = opts.leaseTTL ?? 30;
    if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`etcd lease TTL must be a whole number of seconds >= 1, got ${ttl}`);
    const options: IOptions = {
      hosts: opts.hosts,
      faultHandling: { watchBackoff: cappedBackoff(100, maxRetryDelayMs) },
    };
    if (opts.username) options.auth = { username: opts.username, password: opts.password ?? '' };
    this.client = new Etcd3(options);
    const log = opts.log ?? (() => undefined);
    this.ctx = {
      client: this.client,
      ttl,
      maxRetryDelayMs,
      deadline: () => ({ deadline: Date.now() + this.callTimeoutMs }),
      log: (msg) => {
        try {
          log(msg);
        } catch {
          // A failing logger must not break discovery.
        }
      },
    };
  }

  /** The key an endpoint of `serviceName` is registered under. */
  keyFor(serviceName: string, addr: string): string {
    return `${this.servicePrefix(serviceName)}${addr}`;
  }

  /** The etcd endpoints this discovery talks to. */
  get hosts(): string[] {
    return this.hostList;
  }

  /**
   * One read with a deadline, so that an unreachable etcd is reported with its real cause
   * (connection refused, auth failed ...) before anything else tries and trips etcd3's breaker.
   */
  async probe(): Promise<void> {
    await this.client.get(`${this.rootDirectory}/`).options({ deadline: Date.now() + this.callTimeoutMs }).string();
  }

  async register(serviceName: string, addr: string): Promise<() => Promise<void>> {
    const value: NamingEndpoint = { Addr: addr, Metadata: null };
    return this.keep(this.keyFor(serviceName, addr), JSON.stringify(value));
  }

  /**
   * Puts `key` (a full key, root directory included) under a lease of its own, kept alive and
   * re-put when lost, until the returned function is called; as upstream's SetWithLease.
   */
  async putWithLease(key: string, value: string, ttlSeconds: number): Promise<() => Promise<void>> {
    return this.keep(key, value, ttlSeconds);
  }

  private async keep(key: string, value: string, ttl?: number): Promise<() => Promise<void>> {
    if (this.closing) throw new Error('discovery is closed');
    const reg = new Registration(this.ctx, key, value, ttl);
    this.registrations.add(reg);
    try {
      await reg.start();
    } catch (e) {
      // Nothing to clean up: the failed attempt released its lease, which takes any key with it.
      this.registrations.delete(reg);
      throw new Error(`etcd: registering ${reg.key} failed: ${describe(e)}`, { cause: e });
    }
    return async () => {
      this.registrations.delete(reg);
      await reg.stop();
    };
  }

  async resolve(serviceName: string): Promise<string[]> {
    const prefix = this.servicePrefix(serviceName);
    let kvs: Record<string, string>;
    try {
      kvs = await this.client.getAll().prefix(prefix).options({ deadline: Date.now() + this.callTimeoutMs }).strings();
    } catch (e) {
      throw new Error(`etcd ${this.hostList.join(',')}: listing ${prefix} failed: ${describe(e)}`, { cause: e });
    }
    return [...new Set(Object.entries(kvs).map(([k, v]) => addrOf(k, v)))].sort();
  }

  watch(serviceName: string, onChange: (addrs: string[]) => void): () => void {
    if (this.closing) return () => undefined;
    const w = new ServiceWatch(this.ctx, this.servicePrefix(serviceName), () => this.resolve(serviceName), onChange);
    this.watches.add(w);
    w.start();
    return () => {
      this.watches.delete(w);
      void w.stop();
    };
  }

  async close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const watches = [...this.watches];
    const regs = [...this.registrations];
    this.watches.clear();
    this.registrations.clear();
    await Promise.all([...watches.map((w) => w.stop()), ...regs.map((r) => r.stop())]);
    this.client.close();
  }

  /** Trailing slash so `msg-rpc-service` never matches `msg-rpc-service-2` (upstream's resolver does the same). */
  private servicePrefix(serviceName: string): string {
    return `${this.rootDirectory}/${serviceName}/`;
  }
}
