/**
 * A minimal typed event emitter. Node's EventEmitter would do, but it cannot type event
 * arguments and it throws on an unhandled `error` event; this one allocates nothing until the
 * first listener is added (most of 10,000 pooled clients never get one).
 */

/** An event map: event name -> listener signature (an interface works, no index signature needed). */
export type EventMap<E> = { [K in keyof E]: (...args: never[]) => void };

/** See the module comment. */
export class TypedEmitter<E extends EventMap<E>> {
  private listeners: { [K in keyof E]?: E[K][] } | undefined;

  /** Adds a listener. */
  on<K extends keyof E>(event: K, fn: E[K]): this {
    this.listeners ??= {};
    (this.listeners[event] ??= []).push(fn);
    return this;
  }

  /** Adds a listener removed after its first call. */
  once<K extends keyof E>(event: K, fn: E[K]): this {
    const wrapper = ((...args: Parameters<E[K]>) => {
      this.off(event, wrapper);
      fn(...args);
    }) as E[K];
    return this.on(event, wrapper);
  }

  /** Removes a listener (the first registration of it). */
  off<K extends keyof E>(event: K, fn: E[K]): this {
    const list = this.listeners?.[event];
    if (list === undefined) return this;
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  /** Number of listeners for `event`; lets emitters skip building payloads nobody reads. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners?.[event]?.length ?? 0;
  }

  /** Calls the listeners of `event` in order; returns whether there were any. */
  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const list = this.listeners?.[event];
    if (list === undefined || list.length === 0) return false;
    // Copy when several: a listener may remove itself (once) while we iterate.
    if (list.length === 1) call(list[0]!, args);
    else for (const fn of [...list]) call(fn, args);
    return true;
  }
}

function call<F extends (...args: never[]) => void>(fn: F, args: Parameters<F>): void {
  (fn as unknown as (...a: Parameters<F>) => void)(...args);
}
