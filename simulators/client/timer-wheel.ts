/**
 * One hashed timer wheel shared by many simulated clients.
 *
 * The load tool holds 10,000+ connections in one process; a `setTimeout` per pending request
 * and a `setInterval` per heartbeat would mean tens of thousands of libuv timers. Instead every
 * timeout and heartbeat of a pool goes into one wheel driven by a single interval, and
 * scheduling / cancelling an entry is O(1) (a Set insert/delete in its slot).
 *
 * Resolution is one tick: an entry fires between `delayMs` and `delayMs + tickMs` after it was
 * scheduled. The interval runs only while entries exist, so an idle wheel keeps no process alive.
 */

/** A scheduled callback; `cancel()` is idempotent and safe after it fired. */
export interface TimerHandle {
  cancel(): void;
}

/** Options of a {@link TimerWheel}. */
export interface TimerWheelOptions {
  /** Tick length in ms (the resolution); default 25. */
  tickMs?: number;
  /** Number of slots; an entry further out than `slots * tickMs` waits whole rounds. Default 1024. */
  slots?: number;
  /**
   * `unref()` the driving interval so pending entries alone do not keep the process alive.
   * Default false: like `setTimeout`, a pending timeout or reconnect delay keeps it running.
   */
  unref?: boolean;
}

class Entry<A> implements TimerHandle {
  /** Set while scheduled; cleared on fire or cancel. */
  slot: Set<Entry<unknown>> | undefined;
  constructor(
    private readonly wheel: TimerWheel,
    readonly fn: (arg: A) => void,
    readonly arg: A,
    /** Absolute tick at which it fires (slots are revisited every `slots` ticks). */
    readonly dueTick: number,
  ) {}

  cancel(): void {
    if (this.slot === undefined) return;
    this.slot.delete(this as Entry<unknown>);
    this.slot = undefined;
    this.wheel.entryRemoved();
  }
}

/** See the module comment. */
export class TimerWheel {
  readonly tickMs: number;
  private readonly slots: (Set<Entry<unknown>> | undefined)[];
  private readonly unrefTimer: boolean;
  /** Ticks processed since the wheel was created. */
  private tick = 0;
  /** Wall-clock time of tick 0, shifted on restart so ticks keep counting from where they stopped. */
  private origin = Date.now();
  private count = 0;
  private interval: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: TimerWheelOptions = {}) {
    this.tickMs = Math.max(1, Math.floor(options.tickMs ?? 25));
    const n = Math.max(8, Math.floor(options.slots ?? 1024));
    this.slots = new Array<Set<Entry<unknown>> | undefined>(n).fill(undefined);
    this.unrefTimer = options.unref ?? false;
  }

  /** Number of scheduled entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Runs `fn(arg)` once after `delayMs`. Passing the target as `arg` lets hot paths use one
   * module-level function instead of a fresh closure per call.
   */
  schedule<A>(delayMs: number, fn: (arg: A) => void, arg: A): TimerHandle {
    if (this.closed) throw new Error('timer wheel is closed');
    const n = this.slots.length;
    const ticks = Math.max(1, Math.ceil(Math.max(0, delayMs) / this.tickMs));
    // Count from wall-clock time: a late interval leaves processed ticks behind the clock.
    const now = this.interval === undefined ? this.tick : Math.max(this.tick, Math.floor((Date.now() - this.origin) / this.tickMs));
    const dueTick = now + ticks;
    const index = dueTick % n;
    const entry = new Entry<A>(this, fn, arg, dueTick);
    let slot = this.slots[index];
    if (slot === undefined) slot = this.slots[index] = new Set();
    slot.add(entry as Entry<unknown>);
    entry.slot = slot;
    this.count++;
    if (this.interval === undefined) this.start();
    return entry;
  }

  /** Cancels every entry and stops the interval; the wheel cannot be used afterwards. */
  close(): void {
    this.closed = true;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (slot === undefined) continue;
      for (const e of slot) e.slot = undefined;
      this.slots[i] = undefined;
    }
    this.count = 0;
    this.stop();
  }

  /** @internal Bookkeeping for {@link Entry.cancel}. */
  entryRemoved(): void {
    this.count--;
    if (this.count === 0) this.stop();
  }

  private start(): void {
    this.origin = Date.now() - this.tick * this.tickMs;
    this.interval = setInterval(wheelOnInterval, this.tickMs, this);
    if (this.unrefTimer) this.interval.unref();
  }

  private stop(): void {
    if (this.interval === undefined) return;
    clearInterval(this.interval);
    this.interval = undefined;
  }

  /** @internal Advances to wall-clock time, firing due entries (catches up after a stalled loop). */
  advance(): void {
    const target = Math.floor((Date.now() - this.origin) / this.tickMs);
    while (this.tick < target && this.interval !== undefined) {
      this.tick++;
      const index = this.tick % this.slots.length;
      const slot = this.slots[index];
      if (slot === undefined || slot.size === 0) continue;
      for (const e of slot) {
        // Later rounds, and entries a callback just added to this slot, wait.
        if (e.dueTick > this.tick) continue;
        slot.delete(e);
        e.slot = undefined;
        this.count--;
        e.fn(e.arg);
      }
      if (this.count === 0) this.stop();
    }
  }
}

function wheelOnInterval(wheel: TimerWheel): void {
  wheel.advance();
}

let sharedWheel: TimerWheel | undefined;

/** The process-wide wheel clients use when none is given. */
export function defaultTimerWheel(): TimerWheel {
  sharedWheel ??= new TimerWheel();
  return sharedWheel;
}
