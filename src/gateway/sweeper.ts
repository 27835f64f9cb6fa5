import { Platform } from '../protocol/platforms.js';
import type { Connection } from './connection.js';
import type { Registry } from './registry.js';

export interface SweeperOptions {
  /** Close a connection when nothing (frame, ping, pong) arrived for this long, ms. */
  readDeadlineMs: number;
  /** Ping Web clients this often, ms (upstream's server heartbeat for the Web platform). */
  webPingIntervalMs: number;
}

/**
 * Read deadlines and Web heartbeats for every connection, on one timer rather than one per
 * connection: each tick scans all connections of the registry.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: Registry<Connection>,
    private readonly opts: SweeperOptions,
  ) {}

  start(): void {
    if (this.timer) return;
    const tick = Math.max(10, Math.min(1000, Math.floor(this.opts.readDeadlineMs / 3)));
    this.timer = setInterval(this.sweep, tick);
    this.timer.unref();
  }

  /** Idempotent. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly sweep = (): void => {
    const now = Date.now();
    const deadline = now - this.opts.readDeadlineMs;
    const pingBefore = now - this.opts.webPingIntervalMs;
    // Walk the live map without copying it (this runs every tick over every connection); only
    // the few connections to close are collected, since closing edits the map.
    let expired: Connection[] | undefined;
    for (const c of this.registry.allClients()) {
      if (c.lastSeen < deadline) (expired ??= []).push(c);
      else if (c.platformID === Platform.Web && c.lastPing <= pingBefore) c.ping();
    }
    if (expired) for (const c of expired) c.close('read deadline exceeded', `no frame for ${now - c.lastSeen} ms`);
  };
}
