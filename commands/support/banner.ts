import { buildHandshakeURL, type HandshakeParams } from '../../simulators/client/handshake-url.js';
import { mintToken } from '../../simulators/services/jwt.js';
import { Platform } from '../../src/protocol/platforms.js';
import { defaultConfig, type MsggwConfig } from '../../src/config/config.js';
import type { NodeAddresses } from '../../src/node-view.js';
import { describeRedis } from '../../src/redis/connect.js';
import { redisSettingsOf } from '../../src/startup/backends.js';

/** The Web client the banner suggests (JSON envelopes, no gzip: easy to read in wscat). */
const TRY_CLIENT: Omit<HandshakeParams, 'token'> = {
  userID: 'u1',
  platformID: Platform.Web,
  operationID: 'op1',
  sdkType: 'js',
  gzip: false,
  isMsgResp: false,
  background: false,
  sdkVersion: '',
  useV: false,
};
const TOKEN_VAR = '$TOKEN';

/** What `serve` prints on start: what listens where, and a ready-to-paste way to connect. */
export function startBanner(cfg: MsggwConfig, a: NodeAddresses & { auth?: string; user?: string; msg?: string; push?: string; api?: string }): string {
  const lines: string[] = ['msggw is up'];
  const row = (name: string, v: string | undefined, note = '') => {
    if (v) lines.push(`  ${name.padEnd(10)} ${v}${note ? `  ${note}` : ''}`);
  };
  row('websocket', a.ws, '(OpenIM long connection)');
  row('hub', a.hub, '(gRPC openim.msggateway.msgGateway)');
  row('metrics', a.metrics ? `http://${a.metrics}/metrics` : undefined);
  row('auth', a.auth, '(simulator)');
  row('user', a.user, '(simulator)');
  row('msg', a.msg, '(simulator)');
  row('push', a.push, '(simulator)');
  row('rest api', a.api ? `http://${a.api}` : undefined, `(openim-api simulator${cfg.api.strictTokens ? ', strict tokens' : ''}: SDK apps use it as apiAddr)`);
  const redis = redisSettingsOf(cfg);
  lines.push(`  redis      ${redis ? describeRedis(redis) : 'embedded (in-memory)'}   discovery ${cfg.discovery.kind}${cfg.discovery.kind === 'etcd' ? ` ${cfg.discovery.etcdAddrs.join(',')}` : ''}`);
  if (cfg.discovery.kind === 'etcd') {
    const n = cfg.serviceNames;
    lines.push(`  services   auth=${n.auth} user=${n.user} msg=${n.msg} push=${n.push} gateway=${n.messageGateway}`);
    if (!cfg.simulators) lines.push('             (no simulators: the real OpenIM services must be registered under these names)');
  }
  if (a.ws) {
    const token = mintToken(cfg.secret, TRY_CLIENT.userID, TRY_CLIENT.platformID, 1);
    // Every hint that mints a token needs the secret unless it is the default.
    const secret = cfg.secret !== defaultConfig().secret ? ` --secret ${shellQuote(cfg.secret)}` : '';
    lines.push('', 'Try it (a Web client, JSON envelopes):');
    lines.push(`  TOKEN=$(npx msggw token --user u1 --platform 5${secret})`);
    // A gateway listening on every interface (0.0.0.0) is dialled on one of them: the hints use loopback.
    const ws = dialable(a.ws);
    const url = (tok: string) => buildHandshakeURL(ws, { ...TRY_CLIENT, token: tok });
    // The placeholder is shell text, not part of the value: keep its `$` unescaped.
    lines.push(`  URL="${url(TOKEN_VAR).replace(encodeURIComponent(TOKEN_VAR), TOKEN_VAR)}"`);
    lines.push(`  e.g. ${url(token)}`);
    lines.push(`  or drive it with simulated clients:  npx msggw sim chat --url ${ws}${secret}`);
    if (a.api) lines.push(`  an OpenIM SDK app: login({ apiAddr: 'http://${dialable(a.api)}', wsAddr: '${ws}', ... })`);
  }
  lines.push('', 'Ctrl-C stops everything.');
  return lines.join('\n');
}

/** An address to dial: a wildcard listen host (0.0.0.0, ::) becomes loopback; anything else as it is. */
export function dialable(addr: string): string {
  return addr.replace(/^((?:ws|http)s?:\/\/)?(?:0\.0\.0\.0|\[::\])(?=:)/, (_m, scheme: string | undefined) => `${scheme ?? ''}127.0.0.1`);
}

/** `s` as one shell word (single-quoted unless it is plainly safe). */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
