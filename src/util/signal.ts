/**
 * A minimal typed event channel. `active` lets emitters skip building event objects when
 * nobody listens, so observability costs nothing until someone watches.
 */
export class Signal<T> {
  private listeners: ((event: T) => void)[] = [];

  get active(): boolean {
    return this.listeners.length > 0;
  }

  /** Adds a listener; returns a function that removes it. */
  on(listener: (event: T) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  emit(event: T): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A broken observer must never break the gateway.
      }
    }
  }
}
