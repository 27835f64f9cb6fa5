import type { Discovery } from './discovery.js';

/** An in-process registry: everything one `msggw serve` starts shares it. */
export class StandaloneDiscovery implements Discovery {
  readonly kind = 'standalone' as const;
  private readonly services = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, Set<(addrs: string[]) => void>>();
  private closed = false;

  async register(serviceName: string, addr: string): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('discovery is closed');
    let set = this.services.get(serviceName);
    if (!set) this.services.set(serviceName, (set = new Set()));
    set.add(addr);
    this.notify(serviceName);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      set.delete(addr);
      this.notify(serviceName);
    };
  }

  async resolve(serviceName: string): Promise<string[]> {
    return [...(this.services.get(serviceName) ?? [])];
  }

  watch(serviceName: string, onChange: (addrs: string[]) => void): () => void {
    let set = this.watchers.get(serviceName);
    if (!set) this.watchers.set(serviceName, (set = new Set()));
    set.add(onChange);
    queueMicrotask(() => {
      if (set.has(onChange)) onChange([...(this.services.get(serviceName) ?? [])]);
    });
    return () => set.delete(onChange);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.services.clear();
    this.watchers.clear();
  }

  private notify(serviceName: string): void {
    const addrs = [...(this.services.get(serviceName) ?? [])];
    for (const w of this.watchers.get(serviceName) ?? []) w(addrs);
  }
}
