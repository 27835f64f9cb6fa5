/**
 * Prometheus service discovery as OpenIM does it (pkg/common/prommetrics, startrpc): with
 * `autoSetPorts`, each RPC process writes its metrics address to etcd under
 * `<rootDirectory>/prometheus_discovery/<rpc service name>/<instance index>` with a 300 s lease, and
 * openim-api serves `/prometheus_discovery/<service>` from that prefix as Prometheus http_sd
 * targets. (v3.8.3 wrote `openim/prometheus_discovery/<name>` without index or lease; the patch
 * line and main write the form here, which is the same key with the default root `openim`.)
 */
export const PROMETHEUS_TTL_SECONDS = 300;

export function prometheusDiscoveryKey(rootDirectory: string, serviceName: string, index: number): string {
  return `${rootDirectory}/prometheus_discovery/${serviceName}/${index}`;
}

/** The value: upstream's prommetrics.Target JSON, `{"target":"ip:port","labels":{"namespace":"default"}}`. */
export function prometheusTarget(host: string, port: number): string {
  return JSON.stringify({ target: `${host}:${port}`, labels: { namespace: 'default' } });
}
