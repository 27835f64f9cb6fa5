/**
 * The gateway a run talks to: one the sim starts in this process (the default, on free ports,
 * so `msggw sim chat` needs nothing else running), or an external one given by `--url`. The
 * in-process one is started by an {@link InProcessStarter} the caller passes in (harness/ has
 * it): the simulators never compose a gateway node themselves.
 */
import type { MsggwConfig } from '../../src/config/config.js';

/** How to reach (or make) the gateway. */
export type TargetSpec =
  | {
      kind: 'in-process';
      config: MsggwConfig;
      log?: (line: string) => void;
      /** Embedded Redis to use (nodes with one key share it); default a fresh one, so runs in one process never share state. */
      redisMockKey?: number;
    }
  | {
      kind: 'external';
      url: string;
      /** The gateway's Prometheus endpoint, to sample its RSS. */
      metricsUrl?: string;
      /** A worker of `sim --workers`: its parent hosts the gateway, knows its policy and defines groups on it. */
      host?: { policy: number | undefined; defineGroup(groupID: string, members: readonly string[]): Promise<boolean> };
    };

/** A started target. */
export interface Target {
  readonly kind: 'in-process' | 'external';
  readonly url: string;
  /** Prometheus endpoint of the gateway, when known. */
  readonly metricsUrl: string | undefined;
  /** The gateway's multi-login policy when the sim knows it (in-process). */
  readonly policy: number | undefined;
  /** In-process: the hub's address, and the admin stream's address and token (for `msggw tui --attach`). */
  readonly hub?: string;
  readonly admin?: { address: string; token: string };
  /** Makes a group known to the msg service; false when the sim cannot (external gateway). */
  defineGroup(groupID: string, members: readonly string[]): Promise<boolean>;
  /** Stops what the sim started. Idempotent. */
  close(): Promise<void>;
}

/** The in-process half of a {@link TargetSpec}. */
export type InProcessSpec = Extract<TargetSpec, { kind: 'in-process' }>;

/** Starts a gateway with its simulators in this process and describes it as a target. */
export type InProcessStarter = (spec: InProcessSpec) => Promise<Target>;

/** Starts (in-process, through `inProcess`) or describes (external) the target. */
export async function startTarget(spec: TargetSpec, inProcess?: InProcessStarter): Promise<Target> {
  if (spec.kind === 'external') {
    return {
      kind: 'external',
      url: spec.url,
      metricsUrl: spec.metricsUrl,
      policy: spec.host?.policy,
      defineGroup: spec.host ? (g, m) => spec.host!.defineGroup(g, m) : async () => false,
      close: async () => undefined,
    };
  }
  if (!inProcess) throw new Error('no in-process gateway starter given: pass one (harness/ has it) or target an external gateway with --url');
  return inProcess(spec);
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
