import { randomInt } from 'node:crypto';
import type { InProcessStarter } from '../simulators/scenarios/target.js';
import { startHarness } from './harness.js';

/**
 * The sim's in-process target: a gateway node with the simulators on the spec's config, on its
 * own embedded Redis unless the spec names one (runs in one process never share state).
 */
export const startSimTarget: InProcessStarter = async (spec) => {
  const h = await startHarness(spec.config, { log: spec.log, redisMockKey: spec.redisMockKey ?? randomInt(100_000, 2 ** 31) });
  const store = h.stack?.msgStore;
  return {
    kind: 'in-process',
    url: h.addresses.ws!,
    // Same process: the sim's own RSS already covers the node.
    metricsUrl: undefined,
    policy: spec.config.multiLogin.policy,
    hub: h.addresses.hub,
    ...(h.addresses.admin && h.admin?.server ? { admin: { address: h.addresses.admin, token: h.admin.token } } : {}),
    defineGroup: async (groupID, members) => {
      if (!store) return false;
      await store.setGroup(groupID, members);
      return true;
    },
    close: () => h.close(),
  };
};
