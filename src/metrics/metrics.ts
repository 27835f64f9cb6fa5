import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import type { GatewayEvent } from '../gateway/events.js';
import { ReqIdentifier } from '../protocol/identifiers.js';
import type { RpcObserver } from '../rpc/server.js';
import type { Signal } from '../util/signal.js';

/** Live counts read at scrape time. */
export interface GaugeSource {
  /** Users with at least one connection (upstream `online_user_num`). */
  users: number;
  /** Open long connections. */
  conns: number;
  /** Hub pushes waiting for a turn. */
  pushQueue?: number;
}

export interface GatewayMetricsOptions {
  /** Register prom-client's process/runtime collectors too (as upstream does). Default true. */
  defaultMetrics?: boolean;
}

const KNOWN_REQ_IDENTIFIERS = new Set<number>(Object.values(ReqIdentifier));

/**
 * Client-chosen identifiers become label values, so anything outside the protocol's table is
 * folded into one series: a client sending random identifiers must not grow the registry.
 */
function reqLabel(id: number): string {
  return REQ_LABELS.get(id) ?? 'other';
}
/** The label of each known identifier, made once (reqLabel runs per frame). */
const REQ_LABELS = new Map<number, string>([...KNOWN_REQ_IDENTIFIERS].map((id) => [id, String(id)]));

/** Totals of the event counters since start. */
export interface MetricTotals {
  framesIn: number;
  framesOut: number;
  /** Per-connection push results by OpenIM result code. */
  pushResults: Record<string, number>;
  handshakeFailures: number;
  kicks: number;
  disconnects: number;
}

async function total<L extends string>(c: Counter<L>): Promise<number> {
  let n = 0;
  for (const v of (await c.get()).values) n += v.value;
  return n;
}

/**
 * The gateway's Prometheus series, all in one injected registry (never prom-client's global one,
 * so several nodes in one process, and tests, stay apart). Upstream's names are kept where
 * OpenIM has them (`online_user_num`, `rpc_count`); ours carry the `msggw_` prefix.
 */
export class GatewayMetrics {
  /** The registry every series here is registered in. */
  readonly registry: Registry;
  private gauges: () => GaugeSource = () => ({ users: 0, conns: 0 });

  private readonly rpcCount: Counter<'name' | 'path' | 'code'>;
  private readonly framesIn: Counter<'req_identifier'>;
  private readonly framesOut: Counter;
  private readonly pushResults: Counter<'code'>;
  private readonly kicks: Counter<'cause'>;
  private readonly handshakeFailures: Counter<'code'>;
  private readonly disconnects: Counter<'reason'>;
  private readonly webhookFailures: Counter<'callback'>;
  private readonly pushDrops: Counter<'reason'>;
  private readonly requestDuration: FastHistogram;
  /** Frames in by reqIdentifier label since the last collect (added to framesIn at scrape: per-frame prom-client calls cost 1.5% of a round trip). */
  private readonly framesInPending = new Map<string, number>();

  constructor(registry: Registry = new Registry(), opts: GatewayMetricsOptions = {}) {
    this.registry = registry;
    const registers = [registry];
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

    const read = () => this.gauges();
    new Gauge({
      name: 'online_user_num',
      help: 'The number of online user num',
      registers,
      collect() {
        this.set(read().users);
      },
    });
    new Gauge({
      name: 'msggw_connections',
      help: 'Open long connections.',
      registers,
      collect() {
        this.set(read().conns);
      },
    });
    new Gauge({
      name: 'msggw_push_queue_depth',
      help: 'Hub pushes waiting for a turn (bounded in count and bytes; beyond, pushes are refused and counted in msggw_push_drops_total).',
      registers,
      collect() {
        this.set(read().pushQueue ?? 0);
      },
    });
    // prom-client keeps a counter's name as given, so this is exposed as plain `rpc_count`, like upstream.
    this.rpcCount = new Counter({
      name: 'rpc_count',
      help: 'Total number of RPC calls',
      labelNames: ['name', 'path', 'code'],
      registers,
    });
    const pending = this.framesInPending;
    this.framesIn = new Counter({
      name: 'msggw_frames_in_total',
      help: 'Decoded frames received from clients, by reqIdentifier (unknown identifiers as "other").',
      labelNames: ['req_identifier'],
      registers,
      collect() {
        for (const [label, n] of pending) this.inc({ req_identifier: label }, n);
        pending.clear();
      },
    });
    this.framesOut = new Counter({
      name: 'msggw_frames_out_total',
      help: 'Frames queued to clients.',
      registers,
    });
    this.pushResults = new Counter({
      name: 'msggw_push_results_total',
      help: 'Per-connection results of hub pushes, by OpenIM result code (0 = delivered).',
      labelNames: ['code'],
      registers,
    });
    this.kicks = new Counter({
      name: 'msggw_kicks_total',
      help: 'Connections kicked, by cause.',
      labelNames: ['cause'],
      registers,
    });
    this.handshakeFailures = new Counter({
      name: 'msggw_handshake_failures_total',
      help: 'Rejected WebSocket handshakes, by OpenIM error code.',
      labelNames: ['code'],
      registers,
    });
    this.disconnects = new Counter({
      name: 'msggw_disconnects_total',
      help: 'Closed connections, by close reason (e.g. "websocket write buffer full" for slow consumers).',
      labelNames: ['reason'],
      registers,
    });
    this.webhookFailures = new Counter({
      name: 'msggw_webhook_failures_total',
      help: 'Webhook POSTs that failed (non-2xx, network error or timeout), by callback command.',
      labelNames: ['callback'],
      registers,
    });
    this.pushDrops = new Counter({
      name: 'msggw_push_drops_total',
      help: 'Hub pushes not delivered to every user they named, by reason (queue_full: refused at once; deadline: the call\'s deadline passed waiting or delivering). Their undelivered connections are answered 1603.',
      labelNames: ['reason'],
      registers,
    });
    this.requestDuration = new FastHistogram(
      'msggw_request_duration_seconds',
      'Time from a decoded request to its reply, by reqIdentifier.',
      'req_identifier',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registry,
    );
  }

  /**
   * Feeds the event-driven series from the gateway's event signal; the two gauges are read
   * through `gauges` at scrape time, so no timer is needed. Push results are not taken from
   * `push` events: they come through {@link countPushResult} only, so nothing is counted twice.
   * Returns a function that detaches.
   */
  attachGateway(events: Signal<GatewayEvent>, gauges: () => GaugeSource): () => void {
    this.gauges = gauges;
    const off = events.on(this.onGatewayEvent);
    return () => {
      off();
      if (this.gauges === gauges) this.gauges = () => ({ users: 0, conns: 0 });
    };
  }

  /**
   * An observer for rpc servers/clients that counts `rpc_count{name,path,code}`.
   * Upstream labels `name` with the serving process's registered name (e.g.
   * `messagegateway-rpc-service`); pass it as `registerName`, else the method name is used.
   */
  rpcObserver(registerName?: string): RpcObserver {
    return (e) => this.rpcCount.inc({ name: registerName ?? e.name, path: e.path, code: String(e.code) });
  }

  /** Cumulative totals of the event counters, summed over their labels (the admin stream's counters). */
  async totals(): Promise<MetricTotals> {
    const pushResults: Record<string, number> = {};
    for (const v of (await this.pushResults.get()).values) pushResults[String(v.labels.code)] = v.value;
    return {
      framesIn: await total(this.framesIn),
      framesOut: await total(this.framesOut),
      pushResults,
      handshakeFailures: await total(this.handshakeFailures),
      kicks: await total(this.kicks),
      disconnects: await total(this.disconnects),
    };
  }

  /** One decoded frame from a client. */
  countFrameIn(reqIdentifier: number): void {
    const label = reqLabel(reqIdentifier);
    this.framesInPending.set(label, (this.framesInPending.get(label) ?? 0) + 1);
  }

  /** `n` frames queued to clients. */
  countFrameOut(n = 1): void {
    this.framesOut.inc(n);
  }

  /** One failed webhook POST of `callback` (upstream's command name). */
  countWebhookFailure(callback: string): void {
    this.webhookFailures.inc({ callback });
  }

  /** One hub push refused or cut short, by reason. */
  countPushDrop(reason: string): void {
    this.pushDrops.inc({ reason });
  }

  /** `n` per-connection push results with OpenIM result `code` (0 = delivered). */
  countPushResult(code: number, n = 1): void {
    this.pushResults.inc({ code: String(code) }, n);
  }

  // An arrow property: one listener for the gateway's lifetime, not a closure per attach.
  private readonly onGatewayEvent = (e: GatewayEvent): void => {
    switch (e.type) {
      case 'disconnect':
        this.disconnects.inc({ reason: e.reason });
        break;
      case 'kick':
        this.kicks.inc({ cause: e.cause });
        break;
      case 'handshake-fail':
        this.handshakeFailures.inc({ code: String(e.code) });
        break;
      case 'request':
        this.requestDuration.observe(reqLabel(e.reqIdentifier), e.ms / 1000);
        break;
      default:
        // connect/presence/push: the gauges and countPushResult cover them.
        break;
    }
  };
}
