import { Command, Flags } from '@oclif/core';
import { LocalAdminSource, RemoteAdminSource, type AdminSource } from '../src/admin/admin-client.js';
import { configFromFlags } from '../src/config/from-flags.js';
import { serveFlags } from './support/serve-flags.js';
import { Harness } from '../harness/harness.js';
import { TuiStore } from '../simulators/tui/store.js';
import { fail } from './support/errors.js';
import { failStart } from './support/start-failure.js';

export default class Tui extends Command {
  static override summary = 'Watch and drive a gateway live in the terminal: connections, events, presence, rates.';
  static override description = `Starts an embedded gateway (the same flags as serve) and shows it live, or attaches to a
running one through its admin event stream (--attach host:port --admin-token T, both printed by serve).
Keys spawn simulated clients, send messages, subscribe, toggle background, log out, kick through the
hub and drop connections; press ? inside for the list.`;
  static override examples = [
    '<%= config.bin %> tui',
    '<%= config.bin %> tui --port 0 --hub-port 0 --metrics-port 0 --admin-port 0 --spawn "20 plat=mix"',
    '<%= config.bin %> tui --attach 127.0.0.1:12141 --admin-token T',
  ];
  static override flags = {
    ...serveFlags,
    attach: Flags.string({ summary: 'Attach to a running gateway\'s admin stream (host:port) instead of starting one.' }),
    spawn: Flags.string({ summary: 'Spawn simulated clients at start, as the n key takes it, e.g. "10 plat=mix enc=mix gzip=mix".' }),
    fps: Flags.integer({ summary: 'Redraws per second at most.', default: 10 }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tui);
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      fail(this, 'MSGGW_NO_TTY', 'msggw tui needs an interactive terminal');
    }
    const store = new TuiStore();
    let source: AdminSource;
    let node: Harness | undefined;
    let cfg;
    try {
      cfg = configFromFlags(flags);
    } catch (e) {
      fail(this, 'MSGGW_BAD_CONFIG', (e as Error).message);
    }
    if (flags.attach) {
      if (!flags['admin-token']) {
        fail(this, 'MSGGW_ADMIN_TOKEN', '--attach needs --admin-token');
      }
      const remote = new RemoteAdminSource({ address: flags.attach, token: flags['admin-token'] });
      try {
        await remote.connect();
      } catch (e) {
        await remote.close();
        fail(this, 'MSGGW_ATTACH_FAILED', `could not attach to ${flags.attach}: ${(e as Error).message}`);
      }
      source = remote;
    } else {
      node = new Harness(cfg, { gateway: flags.gateway, log: (l) => store.log(l) });
      try {
        await node.start();
      } catch (e) {
        await node.close();
        failStart(this, e, 'could not start', 'pick others with --port/--hub-port/--metrics-port/--admin-port, or 0 for any free port');
      }
      if (!node.admin) {
        await node.close();
        fail(this, 'MSGGW_NO_GATEWAY', 'the TUI needs the gateway: drop --no-gateway, or attach to a running one with --attach');
      }
      source = new LocalAdminSource(node.admin.feed);
    }
    // React picks its build when first loaded: the development one renders several times slower.
    process.env.NODE_ENV ??= 'production';
    // Ink draws only the final frame when the environment says CI; on a terminal someone (or
    // tmux) is watching, so live rendering is what is wanted whatever CI says.
    if (process.stdout.isTTY) {
      delete process.env.CI;
      delete process.env.CONTINUOUS_INTEGRATION;
    }
    const { runTui } = await import('../simulators/tui/run.js');
    // A signal quits like q does, so the terminal is restored and the node closed in order.
    const ac = new AbortController();
    const onSignal = () => ac.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGHUP', onSignal);
    await runTui({ source, mode: node ? 'embedded' : 'attached', secret: cfg.secret, store, spawn: flags.spawn, fps: flags.fps, signal: ac.signal });
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    await source.close();
    if (node) await node.close();
    this.exit(0);
  }
}
