import { platformName } from '../protocol/platforms.js';

/** The three gateway webhooks (upstream's callbackstruct command names, also the URL's last segment). */
export const WebhookCommand = {
  afterUserOnline: 'callbackAfterUserOnlineCommand',
  afterUserOffline: 'callbackAfterUserOfflineCommand',
  afterUserKickOff: 'callbackAfterUserKickOffCommand',
} as const;

/** One of the three hook names (config keys). */
export type WebhookHookName = keyof typeof WebhookCommand;

/** Per-hook settings, as `MsggwConfig.webhooks.<hook>`. */
export interface WebhookHookConfig {
  enable: boolean;
  /** Seconds before the POST is aborted (fractions allowed). */
  timeout: number;
}

/** How {@link Webhooks} is built (`MsggwConfig.webhooks` fits, plus optional tuning). */
export interface WebhooksOptions {
  /** Base URL; the command name is appended as `<url>/<command>`. Empty disables every hook. */
  url: string;
  afterUserOnline: WebhookHookConfig;
  afterUserOffline: WebhookHookConfig;
  afterUserKickOff: WebhookHookConfig;
  /** Queued POSTs kept at most; more are dropped and counted. Default 10000. */
  queueSize?: number;
  /** POSTs in flight at once. Default 2 (upstream's webhook worker count). */
  concurrency?: number;
  /** The fetch to use (tests); default the global one. */
  fetch?: typeof fetch;
  /** Told about each finished POST (logs, metrics); exceptions are ignored. */
  onResult?(result: WebhookResult): void;
}

/** What a user-online event carries. */
export interface UserOnlineEvent {
  userID: string;
  platformID: number;
  isAppBackground: boolean;
  connID: string;
  /** Trace ID for the body and the `operationID` header; generated when absent. */
  operationID?: string;
}

/** What a user-offline event carries. */
export interface UserOfflineEvent {
  userID: string;
  platformID: number;
  connID: string;
  operationID?: string;
}

/** What a kick-off event carries. */
export interface UserKickOffEvent {
  userID: string;
  platformID: number;
  operationID?: string;
}

/** Event type of each hook. */
export interface WebhookEvents {
  afterUserOnline: UserOnlineEvent;
  afterUserOffline: UserOfflineEvent;
  afterUserKickOff: UserKickOffEvent;
}

/** The outcome of one POST. */
export interface WebhookResult {
  hook: WebhookHookName;
  url: string;
  /** HTTP status; 0 when no response arrived. */
  status: number;
  ok: boolean;
  timedOut: boolean;
  error?: string;
  ms: number;
}

/** Counters for metrics and tests. */
export interface WebhookCounters {
  /** Accepted into the queue. */
  queued: number;
  /** Answered with a 2xx status. */
  sent: number;
  /** Failed: non-2xx, network error, or timeout. */
  failed: number;
  /** Aborted by the hook's timeout (also counted in `failed`). */
  timedOut: number;
  /** Refused because the queue was full. */
  dropped: number;
  /** Discarded unsent by `close()`. */
  discarded: number;
}

interface Job {
  hook: WebhookHookName;
  url: string;
  operationID: string;
  body: string;
  timeoutMs: number;
}

let opCounter = 0;

/**
 * The gateway's after-hooks (afterUserOnline / afterUserOffline / afterUserKickOff), posted as
 * upstream's webhook client does: JSON body of the callbackstruct request, header
 * `operationID`, per-hook timeout, asynchronously through a bounded in-memory queue served by
 * a few workers. Firing never waits on the network: a dead or slow endpoint costs queue slots,
 * then dropped (and counted) events, never latency for the caller.
 */
export class Webhooks {
  /** Live counters (read them, don't write). */
  readonly counters: WebhookCounters = { queued: 0, sent: 0, failed: 0, timedOut: 0, dropped: 0, discarded: 0 };

  private readonly queue: (Job | undefined)[] = [];
  private head = 0;
  private readonly queueSize: number;
  private readonly concurrency: number;
  private readonly fetchFn: typeof fetch;
  private readonly inflight = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];
  /** No new events once close() began. */
  private closed = false;
  /** Queue abandoned and in-flight POSTs aborted (end of close()). */
  private stopped = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: WebhooksOptions) {
    this.queueSize = Math.max(0, Math.floor(opts.queueSize ?? 10_000));
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 2));
    this.fetchFn = opts.fetch ?? globalThis.fetch;
  }

  /** Nothing to open; present for the uniform lifecycle. */
  start(): void {}

  /** Whether a hook would post (enabled and a URL configured). */
  enabled(hook: WebhookHookName): boolean {
    return !this.closed && this.opts.url !== '' && this.opts[hook].enable;
  }

  /** POSTs currently waiting in the queue. */
  get queueDepth(): number {
    return this.queue.length - this.head;
  }

  /** POSTs in flight. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /**
   * Queues a hook's POST and returns at once: true when queued, false when the hook is
   * disabled, the queue is full (counted in `dropped`) or the webhooks are closed.
   */
  fire<H extends WebhookHookName>(hook: H, event: WebhookEvents[H]): boolean {
    if (!this.enabled(hook)) return false;
    if (this.queueDepth >= this.queueSize) {
      this.counters.dropped++;
      return false;
    }
    const operationID = event.operationID || `msggw_webhook_${process.pid}_${++opCounter}`;
    const command = WebhookCommand[hook];
    this.queue.push({
      hook,
      url: `${this.opts.url.replace(/\/+$/, '')}/${command}`,
      operationID,
      body: JSON.stringify(buildBody(hook, command, operationID, event)),
      timeoutMs: Math.max(1, this.opts[hook].timeout * 1000),
    });
    this.counters.queued++;
    this.pump();
    return true;
  }

  /** afterUserOnline: the user has this connection here (when it fires: webhook-triggers.ts). */
  afterUserOnline(event: UserOnlineEvent): boolean {
    return this.fire('afterUserOnline', event);
  }

  /** afterUserOffline: a connection of the user on this platform went away here. */
  afterUserOffline(event: UserOfflineEvent): boolean {
    return this.fire('afterUserOffline', event);
  }

  /**
   * afterUserKickOff, for completeness of upstream's callback set: the node never fires it, as
   * upstream's gateway never does (webhook-triggers.ts; a kick posts afterUserOffline).
   */
  afterUserKickOff(event: UserKickOffEvent): boolean {
    return this.fire('afterUserKickOff', event);
  }

  /** Resolves when the queue is empty and nothing is in flight (tests, graceful shutdown). */
  idle(): Promise<void> {
    if (this.queueDepth === 0 && this.inflight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops accepting events; waits up to `drainMs` for queued and running POSTs, then aborts
   * what is left. Idempotent.
   */
  close(opts: { drainMs?: number } = {}): Promise<void> {
    if (!this.closing) this.closing = this.doClose(opts.drainMs ?? 0);
    return this.closing;
  }

  private async doClose(drainMs: number): Promise<void> {
    this.closed = true;
    if (drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.idle(), new Promise<void>((r) => (timer = setTimeout(r, drainMs)))]);
      clearTimeout(timer);
    }
    this.stopped = true;
    this.counters.discarded += this.queueDepth;
    this.queue.length = 0;
    this.head = 0;
    for (const ac of this.inflight) ac.abort(new Error('webhooks closed'));
    this.settleIdle();
  }

  private pump(): void {
    while (this.inflight.size < this.concurrency && this.head < this.queue.length) {
      const job = this.queue[this.head];
      this.queue[this.head++] = undefined;
      // Compact now and then instead of shift(), which is O(n) per call on a long queue.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (job) void this.post(job);
    }
    if (this.head === this.queue.length && this.head > 0) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.settleIdle();
  }

  private async post(job: Job): Promise<void> {
    const ac = new AbortController();
    this.inflight.add(ac);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`webhook timeout after ${job.timeoutMs} ms`));
    }, job.timeoutMs);
    timer.unref();
    const started = performance.now();
    let status = 0;
    let error: string | undefined;
    try {
      const res = await this.fetchFn(job.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', operationID: job.operationID },
        body: job.body,
        signal: ac.signal,
      });
      status = res.status;
      // Drain the body so the connection is reused; the after-hooks' answer changes nothing.
      await res.arrayBuffer();
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
    const ok = error === undefined && status >= 200 && status < 300;
    if (ok) this.counters.sent++;
    else this.counters.failed++;
    if (timedOut) this.counters.timedOut++;
    try {
      this.opts.onResult?.({
        hook: job.hook,
        url: job.url,
        status,
        ok,
        timedOut,
        ...(error !== undefined ? { error } : {}),
        ms: performance.now() - started,
      });
    } catch {
      // An observer's bug must not stop the queue.
    }
    if (!this.stopped) this.pump();
    else this.settleIdle();
  }

  private settleIdle(): void {
    if (this.queueDepth !== 0 || this.inflight.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

/**
 * The request body, key for key as upstream's callbackstruct types marshal (embedded
 * UserStatusBaseCallback first, then UserID, then the hook's own fields).
 */
function buildBody(hook: WebhookHookName, command: string, operationID: string, event: UserKickOffEvent & Partial<UserOnlineEvent>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    callbackCommand: command,
    operationID,
    platformID: event.platformID,
    platform: platformName(event.platformID),
    userID: event.userID,
    seq: Date.now(),
  };
  if (hook === 'afterUserOnline') body.isAppBackground = event.isAppBackground ?? false;
  if (hook !== 'afterUserKickOff') body.connID = event.connID ?? '';
  return body;
}
