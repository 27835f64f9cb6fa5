import type { NodeControls, NodeView } from '../node-view.js';
import type { RpcObserver } from '../rpc/server.js';
import { AdminFeed } from './feed.js';
import { DEFAULT_ADMIN_PORT } from './schema.js';
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
 * Builds the admin feed over a started node's view. Costs one no-op RPC observer call per RPC
 * until someone subscribes (`observeRpc` adds the feed's observer to the node).
 */
export function createNodeFeed(view: NodeView, controls: NodeControls, observeRpc: (o: RpcObserver) => void, opts: { tickMs?: number } = {}): AdminFeed {
  const feed = new AdminFeed({
    events: view.events,
    registry: view.registry,
    controls,
    subscriptions: view.subscriptions,
    pushStats: view.pushStats,
    readTotals: view.metricTotals,
    info: () => ({
      ws: view.addresses.ws,
      hub: view.addresses.hub,
      metrics: view.addresses.metrics,
      admin: view.addresses.admin,
      multiLoginPolicy: view.cfg.multiLogin.policy,
      listenIP: view.cfg.listenIP,
    }),
    tickMs: opts.tickMs,
  });
  observeRpc(feed.onRpc);
  return feed;
}

/** Creates the node's feed and, when `cfg.admin.enable`, starts the admin server on `cfg.listenIP`. */
export async function startNodeAdmin(view: NodeView, controls: NodeControls, observeRpc: (o: RpcObserver) => void, log?: (line: string) => void): Promise<NodeAdmin> {
  const feed = createNodeFeed(view, controls, observeRpc);
  const a = view.cfg.admin;
  if (!a.enable) {
    return { feed, server: undefined, address: undefined, token: '', close: async () => feed.close() };
  }
  const server = new AdminServer({
    feed,
    host: view.cfg.listenIP,
    port: a.port,
    token: a.token,
    // Only the built-in default moves aside when taken; a port the user asked for must fail loudly.
    fallbackToFreePort: a.port === DEFAULT_ADMIN_PORT,
    log,
  });
  const port = await server.start();
  const address = `${view.cfg.listenIP}:${port}`;
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
