import type { Registry } from 'prom-client';
import type { GatewayNode } from '../node.js';
import { AdminFeed } from './feed.js';
import { DEFAULT_ADMIN_PORT, type CounterTotals } from './schema.js';
import { AdminServer } from './server.js';

/** A node's admin stream: the feed, and the server exposing it when `admin.enable`. */
export interface NodeAdmin {
  readonly feed: AdminFeed;
  readonly server: AdminServer | undefined;
  /** `host:port` of the server, when started. */
  readonly address: string | undefined;
  /** The token clients must present (generated when the config left it empty). */
  readonly token: string;
  close(): Promise<void>;
}

/**
 * Builds the admin feed of a started node's gateway. Costs one no-op RPC observer call per
 * RPC until someone subscribes. Throws when the node runs no gateway.
 */
export function createNodeFeed(node: GatewayNode, opts: { tickMs?: number } = {}): AdminFeed {
  const gateway = node.gateway;
  if (!gateway) throw new Error('the admin stream needs a gateway (started without --no-gateway)');
  const feed = new AdminFeed({
    gateway,
    subscriptions: node.subscriptions,
    delivery: node.delivery,
    readTotals: () => metricTotals(node.metrics.registry),
    info: () => ({
      ws: node.addresses.ws,
      hub: node.addresses.hub,
      metrics: node.addresses.metrics,
      admin: node.addresses.admin,
      multiLoginPolicy: node.cfg.multiLogin.policy,
      listenIP: node.cfg.listenIP,
    }),
    tickMs: opts.tickMs,
  });
  node.observeRpc(feed.onRpc);
  return feed;
}

/** Creates the node's feed and, when `cfg.admin.enable`, starts the admin server on `cfg.listenIP`. */
export async function startNodeAdmin(node: GatewayNode, log?: (line: string) => void): Promise<NodeAdmin> {
  const feed = createNodeFeed(node);
  const a = node.cfg.admin;
  if (!a.enable) {
    return { feed, server: undefined, address: undefined, token: '', close: async () => feed.close() };
  }
  const server = new AdminServer({
    feed,
    host: node.cfg.listenIP,
    port: a.port,
    token: a.token,
    // Only the built-in default moves aside when taken; a port the user asked for must fail loudly.
    fallbackToFreePort: a.port === DEFAULT_ADMIN_PORT,
    log,
  });
  const port = await server.start();
  const address = `${node.cfg.listenIP}:${port}`;
  return {
    feed,
    server,
    address,
    token: server.token,
    close: async () => {
      await server.close();
      feed.close();
    },
  };
}

/** Reads the stream's cumulative counters from the node's metrics registry. */
export async function metricTotals(registry: Registry): Promise<Partial<CounterTotals>> {
  const pushResults: Record<string, number> = {};
  const m = registry.getSingleMetric('msggw_push_results_total');
  if (m) for (const v of (await m.get()).values) pushResults[String(v.labels.code)] = v.value;
  return {
    framesIn: await sum(registry, 'msggw_frames_in_total'),
    framesOut: await sum(registry, 'msggw_frames_out_total'),
    pushResults,
    handshakeFailures: await sum(registry, 'msggw_handshake_failures_total'),
    kicks: await sum(registry, 'msggw_kicks_total'),
    disconnects: await sum(registry, 'msggw_disconnects_total'),
  };
}

async function sum(registry: Registry, name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  let total = 0;
  for (const v of (await m.get()).values) total += v.value;
  return total;
}
