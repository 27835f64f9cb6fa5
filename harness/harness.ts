/**
 * The one place that composes a gateway node with the simulated OpenIM services: serve, tui, the
 * sim's in-process target, the benchmark server and the tests all start through here. The node
 * (src/) and the stack (simulators/) never know each other; they meet in one discovery registry
 * and one Redis.
 */
import type { MsggwConfig } from '../src/config/config.js';
import type { Discovery } from '../src/discovery/discovery.js';
import { createDiscovery, detectRegisterIP } from '../src/discovery/index.js';
import { GatewayNode, type NodeAddresses, type NodeView } from '../src/node.js';
import type { NodeAdmin } from '../src/admin/node-admin.js';
import { PROCESS_MOCK_KEY } from '../src/redis/connect.js';
import { SimulatorStack, type StackAddresses } from '../simulators/services/stack.js';
import { probeBackends } from '../src/startup/backends.js';

/** Everything a harness started listens on. Absent entries were not started. */
export type HarnessAddresses = NodeAddresses & Partial<StackAddresses>;

/** What to start besides the config. */
export interface HarnessOptions {
  /** Run a gateway node. Default true (false = simulators only). */
  gateway?: boolean;
  /** Run the simulators. Default `cfg.simulators`. */
  simulators?: boolean;
  /** Share a registry with other harnesses in this process; the caller closes it. */
  discovery?: Discovery;
  /** The embedded Redis the simulators and the node's online cache share. Default one per process. */
  redisMockKey?: number;
  log?: (line: string) => void;
}

/** A gateway node and/or the simulator stack, started and stopped together in a known order. */
export class Harness {
  /** The gateway node, when started with one. */
  readonly node: GatewayNode | undefined;
  /** The simulated services, when started with them. */
  readonly stack: SimulatorStack | undefined;
  private readonly addrs: HarnessAddresses = {};
  private readonly discovery: Discovery;
  private readonly ownsDiscovery: boolean;
  private closing: Promise<void> | undefined;

  constructor(
    readonly cfg: MsggwConfig,
    opts: HarnessOptions = {},
  ) {
    this.discovery = opts.discovery ?? createDiscovery(cfg.discovery, { log: opts.log });
    this.ownsDiscovery = !opts.discovery;
    const redisMockKey = opts.redisMockKey ?? PROCESS_MOCK_KEY;
    if (opts.simulators ?? cfg.simulators) {
      this.stack = new SimulatorStack(cfg, {
        discovery: this.discovery,
        redisMockKey,
        registerIP: detectRegisterIP(cfg.registerIP, cfg.simulatorsListenIP),
        log: opts.log,
        // REST calls show in the node's admin stream next to the gateway's own events.
        onApiCall: (e) => this.node?.reportApiCall({ at: Date.now(), path: e.path, userID: e.userID, errCode: e.errCode, ms: e.ms }),
      });
    }
    if (opts.gateway !== false) this.node = new GatewayNode(cfg, { discovery: this.discovery, redisMockKey, log: opts.log });
  }

  /** Where everything listens (filled by start()). */
  get addresses(): Readonly<HarnessAddresses> {
    return this.addrs;
  }

  /** The node's read-only view; throws when the harness runs no gateway or is not started. */
  view(): NodeView {
    if (!this.node) throw new Error('this harness runs no gateway');
    return this.node.view();
  }

  /** The node's admin stream, once started. */
  get admin(): NodeAdmin | undefined {
    return this.node?.admin;
  }

  /** Starts the services first (the node resolves them), then the node. */
  async start(): Promise<Readonly<HarnessAddresses>> {
    // A dead etcd or Redis is reported once, naming where its address came from, before anything registers.
    await probeBackends(this.cfg, this.discovery);
    if (this.stack) Object.assign(this.addrs, await this.stack.start());
    if (this.node) Object.assign(this.addrs, await this.node.start());
    return this.addrs;
  }

  /** Stops the node first (its last offline report still reaches the user service), then the services. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.node?.close();
      await this.stack?.close();
      if (this.ownsDiscovery) await this.discovery.close();
    })();
    return this.closing;
  }
}

/** Builds and starts a harness; on failure closes what started and rethrows. */
export async function startHarness(cfg: MsggwConfig, opts: HarnessOptions = {}): Promise<Harness> {
  const h = new Harness(cfg, opts);
  try {
    await h.start();
  } catch (e) {
    await h.close();
    throw e;
  }
  return h;
}
