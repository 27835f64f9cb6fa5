import WebSocket from 'ws';
import type { AdminFeed, AdminListener } from './feed.js';
import type { AdminCommand, AdminMessage, AdminResult } from './schema.js';

/** A command without its id (the source numbers them); distributes over the command union. */
export type AdminCommandInit = AdminCommand extends infer C ? (C extends unknown ? Omit<C, 'id'> : never) : never;

/** Connection state of a source, for the TUI's header. */
export type AdminSourceState = { kind: 'connecting' } | { kind: 'open' } | { kind: 'down'; error: string; retrying: boolean };

/**
 * Where the TUI's messages come from: the node in this process, or a remote admin stream.
 * Both deliver the same {@link AdminMessage}s, so the TUI does not care which.
 */
export interface AdminSource {
  /** Delivers every message (hello and snapshot first) until the returned function is called. */
  subscribe(listener: AdminListener): () => void;
  /** Runs a command on the node. */
  command(c: AdminCommandInit): Promise<AdminResult>;
  /** Told about connection changes (a local source is always open). */
  onState?: (state: AdminSourceState) => void;
  close(): Promise<void>;
}

/** The in-process source: subscribes straight to a node's {@link AdminFeed}. */
export class LocalAdminSource implements AdminSource {
  private nextID = 1;
  private listener: AdminListener | undefined;
  onState?: (state: AdminSourceState) => void;

  constructor(private readonly feed: AdminFeed) {}

  /** Subscribes to the feed (hello and snapshot arrive synchronously). */
  subscribe(listener: AdminListener): () => void {
    this.listener = listener;
    return this.feed.subscribe(listener);
  }

  command(c: AdminCommandInit): Promise<AdminResult> {
    return Promise.resolve(this.feed.command({ ...c, id: this.nextID++ } as AdminCommand, this.listener));
  }

  async close(): Promise<void> {}
}

/** Options of a {@link RemoteAdminSource}. */
export interface RemoteAdminOptions {
  /** `host:port` or a `ws://` URL of the admin stream. */
  address: string;
  token: string;
  /** Delay before redialling a dropped stream. Default 1000 ms; 0 = never redial. */
  retryMs?: number;
  /** Command timeout. Default 5000 ms. */
  commandTimeoutMs?: number;
}

/**
 * A remote admin stream over WebSocket (`msggw tui --attach`). Redials a dropped stream (the
 * node sends a fresh hello and snapshot each time) but not a refused token.
 */
export class RemoteAdminSource implements AdminSource {
  onState?: (state: AdminSourceState) => void;
  private ws: WebSocket | undefined;
  private listener: AdminListener | undefined;
  /** Messages that arrived before anyone subscribed (hello and snapshot can come with the upgrade). */
  private early: AdminMessage[] = [];
  private nextID = 1;
  private readonly waiting = new Map<number, { resolve: (r: AdminResult) => void; timer: NodeJS.Timeout }>();
  private retry: NodeJS.Timeout | undefined;
  private closed = false;
  /** Redial only a stream that worked once: a wrong address should fail at start, not loop. */
  private everOpened = false;
  private readonly url: string;

  constructor(private readonly opts: RemoteAdminOptions) {
    this.url = /^wss?:\/\//.test(opts.address) ? opts.address : `ws://${opts.address}/`;
  }

  /** Dials once; resolves when the stream is open, rejects with the reason when refused. */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.onState?.({ kind: 'connecting' });
      const ws = new WebSocket(this.url, { headers: { Authorization: `Bearer ${this.opts.token}` }, perMessageDeflate: false });
      this.ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.everOpened = true;
        this.onState?.({ kind: 'open' });
        resolve();
      });
      ws.on('unexpected-response', (_req, res) => {
        const err = res.statusCode === 401 ? 'admin token refused (401): pass the token serve printed with --admin-token' : `admin stream answered HTTP ${res.statusCode}`;
        res.resume();
        ws.terminate();
        if (res.statusCode === 401) this.closed = true;
        this.onState?.({ kind: 'down', error: err, retrying: false });
        reject(new Error(err));
      });
      ws.on('message', (data) => this.received(data.toString()));
      ws.on('error', (e) => {
        if (!opened) reject(e);
      });
      ws.on('close', () => {
        if (this.ws === ws) this.ws = undefined;
        this.failWaiting('admin stream closed');
        if (this.everOpened) this.scheduleRetry(opened ? 'admin stream closed' : 'could not reach the admin stream');
      });
    });
  }

  subscribe(listener: AdminListener): () => void {
    this.listener = listener;
    const early = this.early;
    this.early = [];
    for (const m of early) listener(m);
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }

  command(c: AdminCommandInit): Promise<AdminResult> {
    const id = this.nextID++;
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.resolve({ type: 'result', id, ok: false, error: 'admin stream not connected' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ type: 'result', id, ok: false, error: 'admin command timed out' });
      }, this.opts.commandTimeoutMs ?? 5000);
      this.waiting.set(id, { resolve, timer });
      ws.send(JSON.stringify({ ...c, id }));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const ws = this.ws;
    this.failWaiting('closed');
    if (!ws) return;
    await new Promise<void>((resolve) => {
      ws.once('close', () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  private received(text: string): void {
    let m: AdminMessage;
    try {
      m = JSON.parse(text) as AdminMessage;
    } catch {
      return;
    }
    if (m.type === 'result') {
      const w = this.waiting.get(m.id);
      if (w) {
        clearTimeout(w.timer);
        this.waiting.delete(m.id);
        w.resolve(m);
      }
    }
    if (this.listener) this.listener(m);
    else this.early.push(m);
  }

  private failWaiting(error: string): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.resolve({ type: 'result', id, ok: false, error });
    }
    this.waiting.clear();
  }

  private scheduleRetry(error: string): void {
    const ms = this.opts.retryMs ?? 1000;
    if (this.closed || ms <= 0) {
      this.onState?.({ kind: 'down', error, retrying: false });
      return;
    }
    this.onState?.({ kind: 'down', error, retrying: true });
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.closed) this.connect().catch(() => undefined);
    }, ms);
    this.retry.unref();
  }
}
