import { Command, Flags } from '@oclif/core';
import { startBanner } from '../src/banner.js';
import { loadServeConfig, serveFlags } from '../src/config/serve-flags.js';
import { BackendUnreachableError } from '../src/startup/backends.js';
import { SimulatorConflictError } from '../src/discovery/guard.js';
import { Harness } from '../harness/harness.js';

export default class Serve extends Command {
  static override summary = 'Run the gateway (WebSocket + hub gRPC) with embedded OpenIM service simulators.';
  static override description = `Starts an OpenIM-compatible message gateway on loopback with everything it needs
embedded: auth, user, msg and push simulators (real gRPC servers), an in-memory Redis and an
in-process discovery registry. Flags swap any part for the real thing (Redis, etcd, OpenIM services).`;
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 0 --hub-port 0 --json',
    '<%= config.bin %> serve --redis redis://127.0.0.1:6379 --discovery etcd://127.0.0.1:2379',
    '<%= config.bin %> serve -c ./openim/config',
    '<%= config.bin %> serve -c ./openim/config -i 1',
    '<%= config.bin %> serve --discovery etcd://127.0.0.1:2379 --service-names v3.8 --simulators',
    '<%= config.bin %> serve --group team=u1,u2,u3 --multi-login-policy 4',
  ];
  static override flags = {
    ...serveFlags,
    json: Flags.boolean({ summary: 'Print the listening addresses as one JSON line instead of the banner.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    let cfg;
    try {
      const loaded = loadServeConfig(flags);
      cfg = loaded.config;
      for (const w of loaded.warnings) this.logToStderr(`[msggw] warning: ${w}`);
    } catch (e) {
      this.error((e as Error).message, { code: 'MSGGW_BAD_CONFIG', exit: 2 });
    }
    const node = new Harness(cfg, { gateway: flags.gateway, log: (l) => this.logToStderr(`[msggw] ${l}`) });
    try {
      await node.start();
    } catch (e) {
      await node.close();
      const msg = (e as Error).message;
      if (e instanceof BackendUnreachableError) this.error(msg, { code: e.code, suggestions: [e.suggestion], exit: 1 });
      if (e instanceof SimulatorConflictError) {
        this.error(msg, {
          code: e.code,
          suggestions: [
            `leave the simulators off (drop --simulators) and let msggw use the registered ${e.serviceName}`,
            'or give the simulators other names with --service-names, or use a separate etcd root (etcd://host:port/otherRoot)',
            `if ${e.key} is left over from an earlier msggw, it expires within 30 s`,
          ],
          exit: 1,
        });
      }
      const suggestions = /EADDRINUSE/.test(msg) ? ['another process holds the port: pick others with --port/--hub-port/--metrics-port/--admin-port, or 0 for any free port'] : [];
      this.error(`could not start: ${msg}`, { code: 'MSGGW_START_FAILED', suggestions, exit: 1 });
    }
    const adminToken = node.admin?.server ? node.admin.token : undefined;
    this.log(flags.json ? JSON.stringify({ ready: true, ...node.addresses, ...(adminToken ? { adminToken } : {}) }) : startBanner(cfg, node.addresses));
    if (!flags.json && node.addresses.admin) {
      this.log(`\nAdmin event stream: ws://${node.addresses.admin}/  (token ${adminToken})`);
      this.log(`  watch it:  npx msggw tui --attach ${node.addresses.admin} --admin-token ${adminToken}`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (!flags.json) this.log('stopping...');
        void node.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
