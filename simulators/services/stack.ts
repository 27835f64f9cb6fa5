import type { Server } from '@grpc/grpc-js';
import type { MsggwConfig } from '../../src/config/config.js';
import type { Discovery } from '../../src/discovery/discovery.js';
import { connectRedis, describeRedis, type RedisClient } from '../../src/redis/connect.js';
import { redisSettingsOf } from '../../src/startup/backends.js';
import { assertNamesFree } from '../../src/discovery/guard.js';
import { ServicePool } from '../../src/rpc/pool.js';
import { implement, listenGrpc, stopGrpc } from '../../src/rpc/server.js';
import {
  authService,
  msgGatewayService,
  msgService,
  pushService,
  userService,
  type AuthMethods,
  type MsgGatewayMethods,
  type MsgMethods,
  type PushMsgServiceMethods,
  type UserMethods,
} from '../../src/rpc/services.js';
import { authHandlers } from './auth.js';
import { gatewayFanOut } from './gateway-fanout.js';
import { MsgStore } from './msg-store.js';
import { requireDurableRedis } from './durability.js';
import { msgHandlers } from './msg.js';
import { pushHandlers, type DelPushTokenCall } from './push.js';
import { userHandlers } from './user.js';
import { VersionLog } from './version-log.js';
import { createApiSimulator, type ApiCallInfo, type ApiServer } from '../api/index.js';
import { hubGateways } from '../api/gateways.js';

/** Where the four simulated services listen (`host:port` as registered). */
export interface StackAddresses {
  auth: string;
  user: string;
  msg: string;
  push: string;
  /** The REST API simulator (`host:port`), when cfg.api.enable. */
  api?: string;
}

/** How a {@link SimulatorStack} is built. */
export interface StackOptions {
  /** The registry the services register in (the gateway nodes resolve them there). */
  discovery: Discovery;
  /** Which embedded Redis to use when neither `cfg.redisUrl` nor `cfg.redis` is set (see connectRedis). */
  redisMockKey: number;
  /** The host registered for the services (other processes reach them there). */
  registerIP: string;
  log?: (line: string) => void;
  /** Told about every REST API call (harness forwards them to the node's admin stream). */
  onApiCall?: (e: ApiCallInfo) => void;
}

/**
 * OpenIM's auth, user, msg and push services as simulators: their Redis, the message store,
 * four gRPC servers on `cfg.simulatorsListenIP` (loopback by default), registered in discovery under `cfg.serviceNames`, and the
 * msg service's fan-out to every registered gateway.
 */
export class SimulatorStack {
  /** DelUserPushToken calls seen by the push simulator (bounded). */
  readonly pushCalls: DelPushTokenCall[] = [];
  /** The services' Redis (ioredis-mock unless cfg.redisUrl or cfg.redis). */
  readonly redis: RedisClient;
  /** Messages, seqs and groups of the msg simulator. */
  readonly msgStore: MsgStore;
  private addrs: StackAddresses | undefined;
  private readonly servers: Server[] = [];
  private readonly unregister: (() => Promise<void>)[] = [];
  private hubs: ServicePool<MsgGatewayMethods> | undefined;
  private api: ApiServer | undefined;
  /** Version logs of the incremental sync (only kept when the REST API runs). */
  private readonly versions: VersionLog | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly cfg: MsggwConfig,
    private readonly opts: StackOptions,
  ) {
    // Connection trouble before start() is the start's to report (the harness probes Redis first and
    // names the flag or file it came from): logged here too, a dead Redis would be told twice.
    this.redis = connectRedis(redisSettingsOf(cfg), { mockKey: opts.redisMockKey, onError: (e) => this.addrs !== undefined && opts.log?.(`redis: ${e.message}`) });
    this.versions = cfg.api.enable ? new VersionLog(this.redis) : undefined;
    this.msgStore = new MsgStore(this.redis, this.versions ? { versions: this.versions } : {});
  }

  /** Where the services listen; throws before start(). */
  get addresses(): StackAddresses {
    if (!this.addrs) throw new Error('the simulator stack is not started');
    return this.addrs;
  }

  /** Seeds cfg.groups, starts the four servers and registers them. */
  async start(): Promise<StackAddresses> {
    const { cfg, opts } = this;
    // Fakes never join a name somebody else holds; checked before anything listens or registers.
    await assertNamesFree(opts.discovery, [
      { role: 'auth', name: cfg.serviceNames.auth },
      { role: 'user', name: cfg.serviceNames.user },
      { role: 'msg', name: cfg.serviceNames.msg },
      { role: 'push', name: cfg.serviceNames.push },
    ]);
    const redis = redisSettingsOf(cfg);
    if (redis) await requireDurableRedis(this.redis, describeRedis(redis), { allowVolatile: cfg.redisVolatile, log: opts.log });
    for (const [groupID, members] of Object.entries(cfg.groups)) await this.msgStore.setGroup(groupID, members);
    this.hubs = new ServicePool(msgGatewayService, cfg.serviceNames.messageGateway, { discovery: opts.discovery }, undefined, { inProcess: cfg.inProcessRpc });

    // --strict-tokens: upstream's rule (a token must have been issued); otherwise offline-minted tokens pass.
    const auth = authHandlers({ redis: this.redis, secret: cfg.secret, expireDays: cfg.tokenExpireDays, acceptUnseen: !cfg.api.strictTokens, adminUserIDs: cfg.adminUserIDs });
    const msg = msgHandlers({ store: this.msgStore, adminUserIDs: cfg.adminUserIDs, pushBeforeReply: cfg.pushBeforeReply, log: opts.log, push: gatewayFanOut(this.hubs, opts.log) });
    const addrs: StackAddresses = {
      auth: await this.serve(cfg.simulatorPorts.auth, (s) => s.addService(authService.definition, implement<AuthMethods>(authService, auth))),
      user: await this.serve(cfg.simulatorPorts.user, (s) => s.addService(userService.definition, implement<UserMethods>(userService, userHandlers(this.redis)))),
      msg: await this.serve(cfg.simulatorPorts.msg, (s) => s.addService(msgService.definition, implement<MsgMethods>(msgService, msg))),
      push: await this.serve(cfg.simulatorPorts.push, (s) =>
        s.addService(pushService.definition, implement<PushMsgServiceMethods>(pushService, pushHandlers(this.pushCalls))),
      ),
    };
    if (this.versions) {
      this.api = createApiSimulator({
        host: cfg.listenIP,
        port: cfg.api.port,
        redis: this.redis,
        msgStore: this.msgStore,
        versions: this.versions,
        auth,
        msg,
        gateways: hubGateways(this.hubs, opts.log),
        adminUserIDs: cfg.adminUserIDs,
        strict: cfg.api.strictTokens,
        maxBodyBytes: cfg.api.maxBodyBytes,
        ...(opts.onApiCall ? { onCall: opts.onApiCall } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
      addrs.api = `${cfg.listenIP}:${await this.api.start()}`;
    }
    this.addrs = addrs;
    for (const [name, addr] of [
      [cfg.serviceNames.auth, addrs.auth],
      [cfg.serviceNames.user, addrs.user],
      [cfg.serviceNames.msg, addrs.msg],
      [cfg.serviceNames.push, addrs.push],
    ] as const) {
      this.unregister.push(await opts.discovery.register(name, addr));
    }
    return addrs;
  }

  private async serve(port: number, add: (s: Server) => void): Promise<string> {
    const { server, port: bound } = await listenGrpc(this.cfg.simulatorsListenIP, port, add);
    this.servers.push(server);
    return `${this.opts.registerIP}:${bound}`;
  }

  /** Leaves discovery, stops the servers, closes the gateway pool and Redis. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const u of this.unregister) await u().catch(() => undefined);
      await this.api?.close();
      await Promise.all(this.servers.map((s) => stopGrpc(s)));
      this.hubs?.close();
      this.redis.disconnect();
    })();
    return this.closing;
  }
}
