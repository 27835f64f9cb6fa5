import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

const WILDCARDS = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * The IP a node puts into discovery for its own servers.
 *
 * Order: the configured `registerIP`; else `listenIP` when it names one specific address (the
 * servers are bound there, so any other address would be unreachable); else the first
 * non-loopback IPv4 of the machine's interfaces, as upstream does for a wildcard listener;
 * else 127.0.0.1.
 *
 * `interfaces` is injectable so the choice can be tested without touching the host.
 */
export function detectRegisterIP(
  configured: string,
  listenIP: string,
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  if (configured.trim() !== '') return configured.trim();
  const listen = listenIP.trim();
  if (!WILDCARDS.has(listen)) return listen;
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.family === 'IPv4' && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}
