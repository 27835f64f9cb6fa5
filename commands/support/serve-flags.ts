import { Flags } from '@oclif/core';
import { defaultConfig } from '../../src/config/config.js';
import { describePolicies } from '../../src/gateway/multi-login.js';
import { durationFlag, hostPortFlag } from './flags.js';

const d = defaultConfig();

/**
 * The flags every command that starts a gateway shares (serve, sim, tui), so they behave alike
 * (their values go to configFromFlags in src/config/from-flags.ts).
 * Precedence: built-in defaults < OpenIM config folder (-c) < flags given on the command line
 * (a flag's default never overrides the folder: flags that have one in the help text declare none
 * to oclif, so an absent flag reads as undefined).
 */
export const serveFlags = {
  config: Flags.string({ char: 'c', summary: "OpenIM config folder (share.yml, redis.yml, openim-msggateway.yml, discovery.yml, webhooks.yml), v3.8.x or newer layout." }),
  index: Flags.integer({ char: 'i', summary: "Instance index, as upstream's -i: take entry i of the folder's rpc.ports, prometheus.ports and longConnSvr.ports (default 0)." }),
  listen: Flags.string({ summary: `Address every server binds to (default ${d.listenIP}, or listenIP from -c).` }),
  'hub-listen': Flags.string({ summary: `Address the hub gRPC server binds to (default ${d.hubListenIP}: it trusts the caller's metadata, as upstream's internal services; binding wider prints what is exposed).` }),
  'simulators-listen': Flags.string({ summary: `Address the simulated auth/user/msg/push services bind to (default ${d.simulatorsListenIP}; the auth simulator mints tokens for anyone).` }),
  'auth-port': Flags.integer({ summary: 'Port of the auth simulator (default any free port, printed and registered).', min: 0, max: 65535 }),
  'user-port': Flags.integer({ summary: 'Port of the user simulator (default any free port).', min: 0, max: 65535 }),
  'msg-port': Flags.integer({ summary: 'Port of the msg simulator (default any free port).', min: 0, max: 65535 }),
  'push-port': Flags.integer({ summary: 'Port of the push simulator (default any free port).', min: 0, max: 65535 }),
  port: Flags.integer({ char: 'p', summary: `WebSocket port (default ${d.wsPort}; 0 = any free port).` }),
  'hub-port': Flags.integer({ summary: `Hub gRPC port, openim.msggateway.msgGateway (default ${d.hubPort}).` }),
  'metrics-port': Flags.integer({ summary: `Prometheus /metrics port (default ${d.metricsPort}).` }),
  redis: Flags.string({
    summary: 'Redis: redis://[user[:pw]@]host:port[/db], redis+cluster://h:p,h:p or redis+sentinel://h:p,h:p/masterName[/db] (default: redis.yml from -c, else embedded in-memory Redis).',
  }),
  discovery: Flags.string({ summary: "Discovery: 'standalone' (in-process, default) or 'etcd://host:port[,host:port]'." }),
  'register-ip': Flags.string({ summary: 'IP to register in discovery (default: listen address, or the first non-loopback IPv4 when listening on 0.0.0.0).' }),
  secret: Flags.string({ summary: `Token secret (share.yml secret; default ${d.secret}).` }),
  'multi-login-policy': Flags.integer({ summary: `Multi-login policy: ${describePolicies()}; default 1.` }),
  'max-msg-len': Flags.integer({ summary: `Largest accepted incoming frame, bytes (longConnSvr.websocketMaxMsgLen, which upstream ignores; default ${d.websocketMaxMsgLen}).`, min: 1 }),
  'max-conn': Flags.integer({ summary: `Max connections (default ${d.websocketMaxConnNum}).` }),
  'write-queue-frames': Flags.integer({ summary: `Frames a connection may owe its peer before it is closed as a slow consumer (default ${d.writeQueueFrames}).`, min: 1 }),
  'write-buffer-bytes': Flags.integer({ summary: `Bytes a connection may owe its peer beyond the frame in flight before it is closed (default ${d.writeQueueBytes}).`, min: 1 }),
  'inbound-bytes-per-sec': Flags.integer({ summary: `Bytes (received + inflated) one connection's requests may cost per second; beyond, its reads wait (default ${d.inboundBytesPerSec}).`, min: 1 }),
  'max-subscriptions': Flags.integer({ summary: `Users one connection may watch (2005) at once (default ${d.maxSubscriptionsPerConn}).`, min: 1 }),
  'max-subscribe-ids': Flags.integer({ summary: `User IDs one 2005 request may name (default ${d.maxSubscribeIDsPerRequest}).`, min: 1 }),
  'push-concurrency': Flags.integer({ summary: `Hub pushes delivered at once; more wait in the push queue (default ${d.pushQueue.concurrency}).`, min: 1 }),
  'push-queue': Flags.integer({ summary: `Hub pushes that may wait for a turn until shortly before their deadline; beyond, refused and answered 1603 (default ${d.pushQueue.queued}).`, min: 0 }),
  'push-queue-bytes': Flags.integer({ summary: `Bytes of waiting hub pushes at most (default ${d.pushQueue.queuedBytes}).`, min: 1 }),
  'online-cache-bytes': Flags.integer({ summary: `Memory budget of the online cache, bytes (default ${d.onlineCache.maxBytes}).`, min: 1 }),
  admin: Flags.string({ summary: 'Admin user IDs, comma separated (default imAdmin).' }),
  'auth-addr': hostPortFlag({ summary: 'Address (host:port) of a real OpenIM auth service, instead of discovery.' }),
  'user-addr': hostPortFlag({ summary: 'Address (host:port) of a real OpenIM user service.' }),
  'msg-addr': hostPortFlag({ summary: 'Address (host:port) of a real OpenIM msg service.' }),
  'push-addr': hostPortFlag({ summary: 'Address (host:port) of a real OpenIM push service.' }),
  simulators: Flags.boolean({
    summary: 'Start the embedded auth/user/msg/push simulators (default: on, but off with -c or etcd discovery, so nothing fake joins a real deployment).',
    allowNo: true,
  }),
  'service-names': Flags.string({
    summary: 'Registered service names: v3.8 (auth, msg, messageGateway ...), rpc-service (auth-rpc-service ...) and/or key=name pairs, e.g. "v3.8,msg=my-msg" (default: what -c names, else rpc-service).',
  }),
  gateway: Flags.boolean({ summary: 'Start the gateway (WebSocket server + hub). --no-gateway runs simulators only.', default: true, allowNo: true }),
  'in-process-rpc': Flags.boolean({ summary: 'Call the simulators (and they the hub) in-process when they run in this process; --no-in-process-rpc keeps those calls on real gRPC over loopback.', default: true, allowNo: true }),
  group: Flags.string({ summary: 'A group the msg simulator knows: groupID=u1,u2,u3 (repeatable).', multiple: true }),
  'verbose-errors': Flags.boolean({
    summary: "Error replies carry the developer detail in errMsg, e.g. 'ServerInternalError: data is not a valid MsgData ...' (upstream's carry code and message only; the detail is always in the log and the admin stream).",
  }),
  'push-before-reply': Flags.boolean({
    summary: "The msg simulator pushes a message before answering its SendMsg (upstream answers first): the sender gets its own 2001 echo before the 1003 reply, to test a client's robustness.",
  }),
  'redis-volatile': Flags.boolean({ summary: 'Let the simulators use a Redis without AOF (a Redis crash then loses acknowledged messages and reuses seqs).' }),
  'node-ttl': durationFlag({ summary: `Presence: how long a crashed node's users stay online at most, about (heartbeat TTL of its user set; 0 = off, as upstream; default ${d.presence.nodeTtlMs / 1000}s).` }),
  'merge-interval': durationFlag({ summary: 'Presence: time between status batches to the user service, e.g. 100ms (default 1s).' }),
  'webhook-url': Flags.string({ summary: 'Base URL of the webhook receiver; enables the afterUserOnline/afterUserOffline callbacks, fired as upstream fires them.' }),
  'admin-port': Flags.integer({ summary: `Admin event stream port, for msggw tui --attach (default ${d.admin.port}, moved to a free port when taken; 0 = any free port).` }),
  'admin-token': Flags.string({ summary: 'Token admin stream clients must present (default: generated at start and printed).' }),
  'admin-stream': Flags.boolean({ summary: 'Serve the admin event stream (--no-admin-stream turns it off).', default: true, allowNo: true }),
  api: Flags.boolean({ summary: "Serve OpenIM's REST API simulator beside the gateway, for SDK apps (--no-api turns it off).", default: true, allowNo: true }),
  'api-port': Flags.integer({ summary: `REST API port (default ${d.api.port}, as openim-api, moved to a free port when taken; 0 = any free port).` }),
  'strict-tokens': Flags.boolean({ summary: "Upstream's token rule: only tokens issued by the auth service (REST get_user_token, msggw token --api) pass; users must be registered." }),
};
