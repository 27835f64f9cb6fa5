/**
 * Every metric a report carries in `metrics` (the flat namespace thresholds refer to), with
 * its unit and meaning. The README section and the "unknown metric" error are generated from
 * this table, and a test checks that every emitted metric is listed here.
 */

/** Unit of a metric: thresholds on `ms` metrics accept `ms`/`s` suffixes. */
export type MetricUnit = 'ms' | 'count' | 'per_s' | 'MB';

/** One documented metric (or a family: `<stat>` stands for each latency statistic). */
export interface MetricDoc {
  name: string;
  unit: MetricUnit;
  description: string;
}

/** The statistics every latency family has. */
export const LATENCY_STATS = ['count', 'min', 'mean', 'p50', 'p90', 'p99', 'p999', 'max'] as const;

/** Latency families (each expands to `<family>.<stat>`; `count` is a count, the rest ms). */
export const LATENCY_FAMILIES: readonly MetricDoc[] = [
  { name: 'handshake', unit: 'ms', description: 'first WebSocket handshakes: dial to upgrade answered' },
  { name: 'reconnect.handshake', unit: 'ms', description: 'handshakes of automatic reconnects' },
  { name: 'reconnect.downtime', unit: 'ms', description: 'drop to re-established connection' },
  { name: 'delivery', unit: 'ms', description: 'end to end: SendMsg written by the sender to the 2001 push read at each recipient connection' },
  { name: 'rtt', unit: 'ms', description: 'request round trip (any request identifier)' },
  { name: 'rtt.<id>', unit: 'ms', description: 'round trip of one request identifier, e.g. rtt.1003 (SendMsg), rtt.1001, rtt.1002, rtt.2005' },
  { name: 'presence', unit: 'ms', description: 'watched user went on/offline to the 2005 push showing it at a subscriber' },
  { name: 'catchup', unit: 'ms', description: 'duration of a catch-up (GetNewestSeq + PullMsgBySeqList)' },
];

/** Scalar metrics. */
export const SCALAR_METRICS: readonly MetricDoc[] = [
  { name: 'duration', unit: 'ms', description: 'wall time of the whole run (setup, load, drain)' },
  { name: 'load.duration', unit: 'ms', description: 'length of the load window throughput is computed over' },
  { name: 'time.open', unit: 'ms', description: 'time to open the initial connections (first dial to last handshake)' },
  { name: 'connections.opened', unit: 'count', description: 'first handshakes that succeeded' },
  { name: 'connections.failed', unit: 'count', description: 'first handshakes that failed (by reason in the JSON)' },
  { name: 'connections.closed', unit: 'count', description: 'connections that ended, for any reason (by reason in the JSON)' },
  { name: 'connections.dropped', unit: 'count', description: 'connections that ended without the sim closing them and without a kick' },
  { name: 'connections.peak', unit: 'count', description: 'most connections open at once' },
  { name: 'reconnects', unit: 'count', description: 'automatic reconnects that succeeded' },
  { name: 'reconnect.failures', unit: 'count', description: 'reconnect attempts that failed' },
  { name: 'catchups', unit: 'count', description: 'catch-ups run (after each reconnect, and the initial sync)' },
  { name: 'catchup.failures', unit: 'count', description: 'catch-ups that failed' },
  { name: 'messages.sent', unit: 'count', description: 'SendMsg requests written' },
  { name: 'messages.failed', unit: 'count', description: 'SendMsg requests answered with an error or not answered (also in request.errors)' },
  { name: 'messages.skipped', unit: 'count', description: 'sends not made or abandoned: sender not connected, too many in flight, or its connection cut by the sim mid-request' },
  { name: 'deliveries.expected', unit: 'count', description: 'recipient connections the sent messages should reach' },
  { name: 'deliveries.received', unit: 'count', description: 'first copies received by push' },
  { name: 'deliveries.pulled', unit: 'count', description: 'expected deliveries recovered by a catch-up pull instead of a push' },
  { name: 'throughput.sent', unit: 'per_s', description: 'messages sent per second over the load window' },
  { name: 'throughput.delivered', unit: 'per_s', description: 'first-copy pushes received per second, from the load start to the last delivery' },
  { name: 'lost', unit: 'count', description: 'expected deliveries never received (by push, or by pull after a reconnect)' },
  { name: 'duplicates', unit: 'count', description: 'pushes of a message a connection had already received' },
  { name: 'outOfOrder', unit: 'count', description: 'pushes that arrived after a later seq of the same conversation' },
  { name: 'gaps', unit: 'count', description: 'seqs still missing per connection and conversation at the end (after catch-ups)' },
  { name: 'unexpected', unit: 'count', description: 'pushes of our messages on connections not expected to get them (informational)' },
  { name: 'requests', unit: 'count', description: 'requests written (all identifiers)' },
  { name: 'request.errors', unit: 'count', description: 'requests answered with errCode != 0, timed out, or cut by a close' },
  { name: 'protocol.errors', unit: 'count', description: 'undecodable or unexpected frames' },
  { name: 'errors', unit: 'count', description: 'connections.failed + request.errors (failed sends included) + protocol.errors + flows.failed' },
  { name: 'kicks.expected', unit: 'count', description: 'multilogin: kicks the policy calls for' },
  { name: 'kicks.observed', unit: 'count', description: 'multilogin: expected kicks that happened (2002 then close)' },
  { name: 'kicks.missing', unit: 'count', description: 'multilogin: expected kicks that did not happen' },
  { name: 'kicks.unexpected', unit: 'count', description: 'kicks the policy does not call for' },
  { name: 'presence.notifications', unit: 'count', description: 'presence: 2005 pushes received by subscribers' },
  { name: 'presence.stale', unit: 'count', description: 'presence: (subscriber, user) pairs whose last seen state is wrong after the settle time' },
  { name: 'flows.started', unit: 'count', description: 'scenario files: virtual users started' },
  { name: 'flows.completed', unit: 'count', description: 'scenario files: virtual users that finished every step' },
  { name: 'flows.failed', unit: 'count', description: 'scenario files: virtual users stopped by a failing step' },
  { name: 'rss.peak', unit: 'MB', description: 'peak resident memory of the sim process (includes the in-process gateway)' },
  { name: 'gateway.rss.peak', unit: 'MB', description: 'peak resident memory of an external gateway (with --gateway-metrics)' },
];

/** Whether `name` is a documented metric (latency families expanded, `rtt.<digits>` allowed). */
export function metricDoc(name: string): MetricDoc | undefined {
  const scalar = SCALAR_METRICS.find((m) => m.name === name);
  if (scalar) return scalar;
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const family = name.slice(0, dot);
  const stat = name.slice(dot + 1);
  if (!(LATENCY_STATS as readonly string[]).includes(stat)) return undefined;
  const fam = /^rtt\.\d+$/.test(family) ? LATENCY_FAMILIES.find((f) => f.name === 'rtt.<id>') : LATENCY_FAMILIES.find((f) => f.name === family);
  if (!fam) return undefined;
  return { name, unit: stat === 'count' ? 'count' : 'ms', description: `${fam.description} (${stat})` };
}

/** A markdown table of every metric (for the README section). */
export function metricsMarkdown(): string {
  const rows = ['| metric | unit | meaning |', '|---|---|---|'];
  for (const m of SCALAR_METRICS) rows.push(`| \`${m.name}\` | ${m.unit} | ${m.description} |`);
  for (const f of LATENCY_FAMILIES) rows.push(`| \`${f.name}.{${LATENCY_STATS.join(',')}}\` | ms (count: count) | ${f.description} |`);
  return rows.join('\n');
}
