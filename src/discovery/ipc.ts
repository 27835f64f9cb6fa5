/**
 * Discovery across the worker processes of `msggw serve --workers N` when no etcd is configured:
 * the primary keeps the one registry (a {@link StandaloneDiscovery}) and serves it to its workers
 * over their IPC channel; each worker's {@link IpcDiscovery} is a thin client of it. With etcd,
 * the workers use etcd directly and none of this runs.
 *
 * Messages (plain objects on the cluster channel, tagged `msggwDiscovery`): register, unregister,
 * resolve and watch from a worker, answered by id; `change` pushed to watchers. What a worker
 * registered is removed when it exits, so a dead worker's hub leaves discovery at once.
 */
import type { Discovery } from './discovery.js';
import { StandaloneDiscovery } from './standalone.js';

/** The channel both ends talk over (a cluster Worker on the primary side, `process` in a worker). */
export interface IpcChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

type Request =
  | { msggwDiscovery: 'register'; id: number; service: string; addr: string }
  | { msggwDiscovery: 'unregister'; id: number; service: string; addr: string }
  | { msggwDiscovery: 'resolve'; id: number; service: string }
  | { msggwDiscovery: 'watch'; id: number; service: string };
type Reply = { msggwDiscovery: 'reply'; id: number; addrs?: string[]; error?: string } | { msggwDiscovery: 'change'; service: string; addrs: string[] };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const isTagged = (m: unknown): m is { msggwDiscovery: string } => typeof m === 'object' && m !== null && typeof (m as { msggwDiscovery?: unknown }).msggwDiscovery === 'string';

/** The primary's registry, served to every attached worker. */
export class DiscoveryHub {
  readonly registry = new StandaloneDiscovery();

  /** Serves `channel` until the returned detach is called (when the worker exits): its registrations are dropped then. */
  attach(channel: IpcChannel): () => Promise<void> {
    const owned = new Map<string, () => Promise<void>>();
    const watches: (() => void)[] = [];
    const reply = (m: Reply): void => {
      try {
        channel.send(m);
      } catch {
        // the worker is gone; detach follows
      }
    };
    const onMessage = (m: unknown): void => {
      if (!isTagged(m)) return;
      const r = m as Request;
      const done = (p: Promise<string[] | void>): void => {
        p.then(
          (addrs) => reply({ msggwDiscovery: 'reply', id: r.id, ...(addrs ? { addrs } : {}) }),
          (e: unknown) => reply({ msggwDiscovery: 'reply', id: r.id, error: (e as Error).message }),
        );
      };
      switch (r.msggwDiscovery) {
        case 'register':
          done(
            this.registry.register(r.service, r.addr).then((off) => {
              owned.set(`${r.service}\n${r.addr}`, off);
            }),
          );
          break;
        case 'unregister': {
          const key = `${r.service}\n${r.addr}`;
          const off = owned.get(key);
          owned.delete(key);
          done(off ? off() : Promise.resolve());
          break;
        }
        case 'resolve':
          done(this.registry.resolve(r.service));
          break;
        case 'watch':
          watches.push(this.registry.watch(r.service, (addrs) => reply({ msggwDiscovery: 'change', service: r.service, addrs })));
          done(Promise.resolve());
          break;
      }
    };
    channel.on('message', onMessage);
    return async () => {
      channel.off('message', onMessage);
      for (const w of watches) w();
      for (const off of owned.values()) await off();
      owned.clear();
    };
  }

  close(): Promise<void> {
    return this.registry.close();
  }
}

/** A worker's discovery: every call goes to the primary's {@link DiscoveryHub}. */
export class IpcDiscovery implements Discovery {
  readonly kind = 'standalone' as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (addrs: string[]) => void; reject: (e: Error) => void }>();
  private readonly watchers = new Map<string, Set<(addrs: string[]) => void>>();
  private closed = false;

  constructor(private readonly channel: IpcChannel = process as unknown as IpcChannel) {
    channel.on('message', this.onMessage);
  }

  private readonly onMessage = (m: unknown): void => {
    if (!isTagged(m)) return;
    const r = m as Reply;
    if (r.msggwDiscovery === 'reply') {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (!p) return;
      if (r.error) p.reject(new Error(`discovery (primary): ${r.error}`));
      else p.resolve(r.addrs ?? []);
    } else if (r.msggwDiscovery === 'change') {
      for (const fn of this.watchers.get(r.service) ?? []) fn(r.addrs);
    }
  };

  private call(req: DistributiveOmit<Request, 'id'>): Promise<string[]> {
    if (this.closed) return Promise.reject(new Error('discovery is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`discovery (primary): no answer to ${req.msggwDiscovery} within 10 s`));
      }, 10_000);
      timer.unref();
      this.pending.set(id, {
        resolve: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.channel.send({ ...req, id });
    });
  }

  async register(serviceName: string, addr: string): Promise<() => Promise<void>> {
    await this.call({ msggwDiscovery: 'register', service: serviceName, addr });
    let done = false;
    return async () => {
      if (done || this.closed) return;
      done = true;
      await this.call({ msggwDiscovery: 'unregister', service: serviceName, addr });
    };
  }

  resolve(serviceName: string): Promise<string[]> {
    return this.call({ msggwDiscovery: 'resolve', service: serviceName });
  }

  watch(serviceName: string, onChange: (addrs: string[]) => void): () => void {
    let set = this.watchers.get(serviceName);
    if (!set) {
      set = new Set();
      this.watchers.set(serviceName, set);
      void this.call({ msggwDiscovery: 'watch', service: serviceName }).catch(() => undefined);
    }
    set.add(onChange);
    void this.resolve(serviceName).then(onChange, () => undefined);
    return () => {
      set.delete(onChange);
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.off('message', this.onMessage);
    for (const p of this.pending.values()) p.reject(new Error('discovery is closed'));
    this.pending.clear();
    this.watchers.clear();
  }
}
