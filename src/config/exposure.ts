import type { MsggwConfig } from './config.js';

/** Whether an address only accepts connections from this host. */
export function isLoopback(ip: string): boolean {
  return ip === 'localhost' || ip === '::1' || /^127\./.test(ip);
}

/**
 * What a config exposes beyond this host that upstream keeps internal, one warning each. The
 * WebSocket port is meant to be public; the hub and the simulators are not: upstream runs them
 * as internal services that trust the caller's metadata.
 */
export function exposureWarnings(cfg: MsggwConfig, opts: { gateway: boolean } = { gateway: true }): string[] {
  const out: string[] = [];
  if (opts.gateway && !isLoopback(cfg.hubListenIP)) {
    out.push(
      `the hub gRPC server listens on ${cfg.hubListenIP}:${cfg.hubPort} (--hub-listen): anyone who reaches it can push messages to any user, ` +
        'kick users (KickUserOffline), and read their live tokens (GetUsersOnlineStatus trusts an opUserID of imAdmin in the metadata, as upstream does). ' +
        'Keep it behind a firewall or on a private network.',
    );
  }
  if (cfg.simulators && !isLoopback(cfg.simulatorsListenIP)) {
    out.push(
      `the simulated auth/user/msg/push services listen on ${cfg.simulatorsListenIP} (--simulators-listen): the auth simulator mints a token for any user ` +
        '(getUserToken), and the services trust the opUserID metadata (an opUserID of imAdmin acts for anyone). Do not expose them beyond a test network.',
    );
  }
  return out;
}
