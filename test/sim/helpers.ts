import { defaultConfig, mergeConfig, type DeepPartial, type MsggwConfig } from '../../src/config/config.js';
import { startSimTarget } from '../../harness/sim-target.js';
import { runSim, secretTokens, type SimOptions, type SimResult, type Scenario, parseThreshold } from '../../simulators/scenarios/index.js';

/** Runs a scenario small and quiet against an in-process gateway on free ports. */
export function simSmall(
  scenario: Scenario,
  o: { loadMs: number; gateway?: DeepPartial<MsggwConfig>; thresholds?: string[] } & Partial<Omit<SimOptions, 'scenario' | 'thresholds'>>,
): Promise<SimResult> {
  const { gateway, thresholds, ...rest } = o;
  const config = mergeConfig(defaultConfig(), { wsPort: 0, hubPort: 0, metricsPort: 0, ...gateway });
  return runSim({
    target: { kind: 'in-process', config },
    inProcess: startSimTarget,
    tokens: secretTokens(config.secret),
    drainMs: 3000,
    seed: 42,
    ...rest,
    scenario,
    thresholds: (thresholds ?? []).map(parseThreshold),
  });
}
