import { Command, Flags } from '@oclif/core';
import { dialable, startBanner } from './support/banner.js';
import { loadServeConfig } from '../src/config/from-flags.js';
import { SimulatorConflictError } from '../src/discovery/guard.js';
import { serveFlags } from './support/serve-flags.js';
import { Harness } from '../harness/harness.js';
import { parseWorkers, startWorkers, WorkersError, type WorkerCluster } from '../harness/workers.js';
import type { MsggwConfig } from '../src/config/config.js';
import { fail, failWith } from './support/errors.js';
import { failStart } from './support/start-failure.js';

export default class Serve extends Command {
  static override summary = 'Run the gateway (WebSocket + hub gRPC) with embedded OpenIM service simulators.';
  static override description = `Starts an OpenIM-compatible message gateway on loopback with everything it needs
embedded: auth, user, msg and push simulators (real gRPC servers), an in-memory Redis and an
in-process discovery registry. Flags swap any part for the real thing (Redis, etcd, OpenIM services).`;
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --port 0 --hub-port 0 --json',
    '<%= config.bin %> serve --redis redis://127.0.0.1:6379 --discovery etcd://127.0.0.1:2379 --simulators',
    '<%= config.bin %> serve --redis redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/redis-master --discovery etcd://10.0.0.1:2379',
    '<%= config.bin %> serve -c ./openim/config',
    '<%= config.bin %> serve -c ./openim/config -i 1',
    '<%= config.bin %> serve --discovery etcd://127.0.0.1:2379 --service-names v3.8 --simulators',
    '<%= config.bin %> serve --group team=u1,u2,u3 --multi-login-policy 4',
    '<%= config.bin %> serve --workers 2',
    '<%= config.bin %> serve --workers auto --redis redis://127.0.0.1:6379 --json',
  ];
  static override flags = {
    ...serveFlags,
    json: Flags.boolean({ summary: 'Print the listening addresses as one JSON line instead of the banner.' }),
    workers: Flags.string({
      summary: 'Gateway processes sharing the WebSocket port (1 = this process; auto = one per core). Needs a real Redis: --redis, or redis-server installed (then started for them).',
      default: '1',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Serve);
    let cfg;
    try {
      const loaded = loadServeConfig(flags);
      cfg = loaded.config;
      for (const w of loaded.warnings) this.logToStderr(`[msggw] warning: ${w}`);
    } catch (e) {
      fail(this, 'MSGGW_BAD_CONFIG', (e as Error).message);
    }
    let workers = 1;
    try {
      workers = parseWorkers(flags.workers);
    } catch (e) {
      const we = e as WorkersError;
      failWith(this, we.code, we.message, we.suggestion);
    }
    if (workers > 1) return this.runWorkers(cfg, workers, flags.json === true, flags.gateway);
    const node = new Harness(cfg, { gateway: flags.gateway, log: (l) => this.logToStderr(`[msggw] ${l}`) });
    try {
      await node.start();
    } catch (e) {
      await node.close();
      const msg = (e as Error).message;
      if (e instanceof SimulatorConflictError) {
        fail(this, 'MSGGW_SIMULATOR_CONFLICT', msg, [
          `leave the simulators off (drop --simulators) and let msggw use the registered ${e.serviceName}`,
          'or give the simulators other names with --service-names, or use a separate etcd root (etcd://host:port/otherRoot)',
          `if ${e.key} is left over from an earlier msggw, it expires within 30 s`,
        ]);
      }
      failStart(this, e, 'could not start', 'pick others with --port/--hub-port/--metrics-port/--admin-port/--api-port, or 0 for any free port');
    }
    const adminToken = node.admin?.server ? node.admin.token : undefined;
    this.log(flags.json ? JSON.stringify({ ready: true, ...node.addresses, ...(adminToken ? { adminToken } : {}) }) : startBanner(cfg, node.addresses));
    if (!flags.json && node.addresses.admin) {
      this.log(`\nAdmin event stream: ws://${node.addresses.admin}/  (token ${adminToken})`);
      this.log(`  watch it:  npx msggw tui --attach ${dialable(node.addresses.admin)} --admin-token ${adminToken}`);
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

  private async runWorkers(cfg: MsggwConfig, count: number, json: boolean, gateway: boolean): Promise<void> {
    if (!gateway) fail(this, 'MSGGW_WORKERS_FLAG', '--workers runs gateway processes: drop --no-gateway, or --workers');
    let wc: WorkerCluster;
    try {
      wc = await startWorkers(cfg, count, { log: (l) => this.logToStderr(`[msggw] ${l}`) });
    } catch (e) {
      if (e instanceof WorkersError) failWith(this, e.code, e.message, e.suggestion);
      throw e;
    }
    const workers = [...wc.workers.values()].sort((a, b) => a.index - b.index).map((w) => ({ index: w.index, pid: w.pid, hub: w.addresses.hub, admin: w.addresses.admin }));
    if (json) this.log(JSON.stringify({ ready: true, ...wc.addresses, redis: wc.cfg.redisUrl, workers }));
    else {
      this.log(startBanner(wc.cfg, wc.addresses));
      this.log(`\n${count} workers share ${wc.addresses.ws} (redis ${wc.cfg.redisUrl}):`);
      for (const w of workers) this.log(`  worker ${w.index}  pid ${w.pid}  hub ${w.hub}${w.admin ? `  admin ${w.admin}` : ''}`);
    }
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (!json) this.log('stopping...');
        void wc.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
