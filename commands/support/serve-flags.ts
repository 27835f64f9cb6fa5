import { Flags } from '@oclif/core';
import { defaultConfig } from '../../src/config/config.js';
import { describePolicies } from '../../src/gateway/multi-login.js';

const d = defaultConfig();

/**
 * The flags every command that starts a gateway shares (serve, sim, tui), so they behave alike
 * (their values go to configFromFlags in src/config/from-flags.ts).
 * Precedence: built-in defaults < OpenIM config folder (-c) < flags.
 */
export const serveFlags = {
  config: Flags.string({ char: 'c', summary: "OpenIM config folder (share.yml, redis.yml, openim-msggateway.yml, discovery.yml, webhooks.yml)." }),
  listen: Flags.string({ summary: 'Address every server binds to.', default: d.listenIP }),
  port: Flags.integer({ char: 'p', summary: `WebSocket port (default ${d.wsPort}; 0 = any free port).` }),
  'hub-port': Flags.integer({ summary: `Hub gRPC port, openim.msggateway.msgGateway (default ${d.hubPort}).` }),
  'metrics-port': Flags.integer({ summary: `Prometheus /metrics port (default ${d.metricsPort}).` }),
  redis: Flags.string({ summary: 'Redis URL, e.g. redis://127.0.0.1:6379/0 (default: embedded in-memory Redis).' }),
  discovery: Flags.string({ summary: "Discovery: 'standalone' (in-process, default) or 'etcd://host:port[,host:port]'." }),
  'register-ip': Flags.string({ summary: 'IP to register in discovery (default: listen address, or the first non-loopback IPv4 when listening on 0.0.0.0).' }),
  secret: Flags.string({ summary: `Token secret (share.yml secret; default ${d.secret}).` }),
  'multi-login-policy': Flags.integer({ summary: `Multi-login policy: ${describePolicies()}; default 1.` }),
  'max-conn': Flags.integer({ summary: `Max connections (default ${d.websocketMaxConnNum}).` }),
  'write-queue-frames': Flags.integer({ summary: `Frames a connection may owe its peer before it is closed as a slow consumer (default ${d.writeQueueFrames}).`, min: 1 }),
  'write-buffer-bytes': Flags.integer({ summary: `Bytes a connection may owe its peer beyond the frame in flight before it is closed (default ${d.writeQueueBytes}).`, min: 1 }),
  'inbound-bytes-per-sec': Flags.integer({ summary: `Bytes (received + inflated) one connection's requests may cost per second; beyond, its reads wait (default ${d.inboundBytesPerSec}).`, min: 1 }),
  'max-subscriptions': Flags.integer({ summary: `Users one connection may watch (2005) at once (default ${d.maxSubscriptionsPerConn}).`, min: 1 }),
  'max-subscribe-ids': Flags.integer({ summary: `User IDs one 2005 request may name (default ${d.maxSubscribeIDsPerRequest}).`, min: 1 }),
  'online-cache-bytes': Flags.integer({ summary: `Memory budget of the online cache, bytes (default ${d.onlineCache.maxBytes}).`, min: 1 }),
  admin: Flags.string({ summary: 'Admin user IDs, comma separated (default imAdmin).' }),
  auth: Flags.string({ summary: 'Address of a real OpenIM auth service (host:port) instead of discovery.' }),
  user: Flags.string({ summary: 'Address of a real OpenIM user service.' }),
  msg: Flags.string({ summary: 'Address of a real OpenIM msg service.' }),
  push: Flags.string({ summary: 'Address of a real OpenIM push service.' }),
  simulators: Flags.boolean({ summary: 'Start the embedded auth/user/msg/push simulators.', default: true, allowNo: true }),
  gateway: Flags.boolean({ summary: 'Start the gateway (WebSocket server + hub). --no-gateway runs simulators only.', default: true, allowNo: true }),
  group: Flags.string({ summary: 'A group the msg simulator knows: groupID=u1,u2,u3 (repeatable).', multiple: true }),
  'merge-interval': Flags.integer({ summary: 'Presence: ms between status batches to the user service (default 1000).' }),
  'webhook-url': Flags.string({ summary: 'Base URL of the webhook receiver; enables the user online/offline/kick callbacks.' }),
  'admin-port': Flags.integer({ summary: `Admin event stream port, for msggw tui --attach (default ${d.admin.port}, moved to a free port when taken; 0 = any free port).` }),
  'admin-token': Flags.string({ summary: 'Token admin stream clients must present (default: generated at start and printed).' }),
  'admin-stream': Flags.boolean({ summary: 'Serve the admin event stream (--no-admin-stream turns it off).', default: true, allowNo: true }),
  api: Flags.boolean({ summary: "Serve OpenIM's REST API simulator beside the gateway, for SDK apps (--no-api turns it off).", default: true, allowNo: true }),
  'api-port': Flags.integer({ summary: `REST API port (default ${d.api.port}, as openim-api, moved to a free port when taken; 0 = any free port).` }),
  'strict-tokens': Flags.boolean({ summary: "Upstream's token rule: only tokens issued by the auth service (REST get_user_token, msggw token --api) pass; users must be registered." }),
};

