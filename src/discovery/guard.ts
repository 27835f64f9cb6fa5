import type { Discovery } from './discovery.js';
import { EtcdDiscovery } from './etcd.js';

/** A simulator would be registered under a name another instance already holds. */
export class SimulatorConflictError extends Error {
  readonly code = 'MSGGW_SIMULATOR_CONFLICT';
  constructor(
    message: string,
    readonly serviceName: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/**
 * Refuses to register simulators (fake auth/user/msg/push) under names somebody else already
 * holds: in a shared etcd a real service would otherwise load-balance part of its callers onto
 * the fake. All names are checked before any is registered, so a refusal leaves nothing behind.
 * The standalone registry is in-process, so anything in it is ours and it is not checked.
 */
export async function assertNamesFree(discovery: Discovery, services: { role: string; name: string }[]): Promise<void> {
  if (discovery.kind === 'standalone') return;
  for (const { role, name } of services) {
    const addrs = await discovery.resolve(name);
    if (addrs.length === 0) continue;
    const key = discovery instanceof EtcdDiscovery ? discovery.keyFor(name, addrs[0]!) : `${name}/${addrs[0]!}`;
    throw new SimulatorConflictError(
      `refusing to register the ${role} simulator as "${name}": ${key} is already registered (${addrs.join(', ')}), ` +
        `and msggw never puts a fake service next to a real one`,
      name,
      key,
    );
  }
}
