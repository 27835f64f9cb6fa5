import type { Discovery } from '../discovery/discovery.js';
import { errs } from '../protocol/errors.js';
import { createClient, type ClientOptions, type RpcClient } from './grpc-client.js';
import type { RpcObserver } from './server.js';
import type { GrpcService, Methods } from './services.js';

/**
 * Clients for one named service, kept in step with discovery (or pinned to fixed addresses):
 * `pick()` for a call to any instance, `all()` to reach every instance (push to every gateway).
 */
export class ServicePool<M extends Methods<M>> {
  private clients = new Map<string, RpcClient<M>>();
  private order: string[] = [];
  private next = 0;
  private unwatch: (() => void) | undefined;
  private ready: Promise<void>;

  constructor(
    private readonly svc: GrpcService<M>,
    readonly serviceName: string,
    source: { discovery: Discovery } | { addrs: string[] },
    private readonly observer?: RpcObserver,
    private readonly clientOptions: ClientOptions = {},
  ) {
    if ('addrs' in source) {
      this.update(source.addrs);
      this.ready = Promise.resolve();
    } else {
      let resolveReady!: () => void;
      this.ready = new Promise((r) => (resolveReady = r));
      this.unwatch = source.discovery.watch(serviceName, (addrs) => {
        this.update(addrs);
        resolveReady();
      });
      // Resolve once directly too, so the first call does not wait for a watch round trip.
      source.discovery.resolve(serviceName).then(
        (addrs) => {
          if (this.order.length === 0) this.update(addrs);
          resolveReady();
        },
        () => resolveReady(),
      );
    }
  }

  /** A client for some instance (round robin). Throws ServerInternalError when none is registered. */
  async pick(): Promise<RpcClient<M>> {
    await this.ready;
    if (this.order.length === 0) throw errs.internal(`no instance of ${this.serviceName} is registered in discovery`);
    const addr = this.order[this.next++ % this.order.length]!;
    return this.clients.get(addr)!;
  }

  /** Clients for every registered instance. */
  async all(): Promise<RpcClient<M>[]> {
    await this.ready;
    return this.order.map((a) => this.clients.get(a)!);
  }

  /** Addresses known right now. */
  addresses(): string[] {
    return [...this.order];
  }

  close(): void {
    this.unwatch?.();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.order = [];
  }

  private update(addrs: string[]): void {
    const want = new Set(addrs);
    for (const [addr, c] of this.clients) {
      if (!want.has(addr)) {
        c.close();
        this.clients.delete(addr);
      }
    }
    for (const addr of want) if (!this.clients.has(addr)) this.clients.set(addr, createClient(this.svc, addr, this.observer, this.clientOptions));
    this.order = [...want].sort();
  }
}
