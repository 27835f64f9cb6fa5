/**
 * The gateway a run talks to: one the sim starts in this process (the default, on free ports,
 * so `msggw sim chat` needs nothing else running), or an external one given by `--url`.
 */
import { randomInt } from 'node:crypto';
import type { MsggwConfig } from '../../src/config/config.js';
import { GatewayNode } from '../../src/node.js';

/** How to reach (or make) the gateway. */
export type TargetSpec =
  | {
      kind: 'in-process';
      config: MsggwConfig;
      log?: (line: string) => void;
      /** Embedded Redis to use (nodes with one key share it); default a fresh one, so runs in one process never share state. */
      redisMockKey?: number;
    }
  | { kind: 'external'; url: string; /** The gateway's Prometheus endpoint, to sample its RSS. */ metricsUrl?: string };

/** A started target. */
export interface Target {
  readonly kind: 'in-process' | 'external';
  readonly url: string;
  /** Prometheus endpoint of the gateway, when known. */
  readonly metricsUrl: string | undefined;
  /** The in-process node (tests and group set-up use it). */
  readonly node: GatewayNode | undefined;
  /** The gateway's multi-login policy when the sim knows it (in-process). */
  readonly policy: number | undefined;
  /** Makes a group known to the msg service; false when the sim cannot (external gateway). */
  defineGroup(groupID: string, members: readonly string[]): Promise<boolean>;
  /** Stops what the sim started. Idempotent. */
  close(): Promise<void>;
}

/** Starts (in-process) or describes (external) the target. */
export async function startTarget(spec: TargetSpec): Promise<Target> {
  if (spec.kind === 'external') {
    return {
      kind: 'external',
      url: spec.url,
      metricsUrl: spec.metricsUrl,
      node: undefined,
      policy: undefined,
      defineGroup: async () => false,
      close: async () => undefined,
    };
  }
  const node = new GatewayNode(spec.config, { log: spec.log, redisMockKey: spec.redisMockKey ?? randomInt(100_000, 2 ** 31) });
  try {
    await node.start();
  } catch (e) {
    await node.close();
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    kind: 'in-process',
    url: node.addresses.ws!,
    // Same process: the sim's own RSS already covers the node.
    metricsUrl: undefined,
    node,
    policy: spec.config.multiLogin.policy,
    defineGroup: async (groupID, members) => {
      if (!node.msgStore) return false;
      await node.msgStore.setGroup(groupID, members);
      return true;
    },
    close: () => (closing ??= node.close()),
  };
}

/** Reads `process_resident_memory_bytes` (MB) from a Prometheus endpoint; undefined when unreachable. */
export async function scrapeRssMB(metricsUrl: string, timeoutMs = 800): Promise<number | undefined> {
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    const m = /^process_resident_memory_bytes\s+([\d.e+]+)/m.exec(text);
    return m ? Number(m[1]) / 1048576 : undefined;
  } catch {
    return undefined;
  }
}
