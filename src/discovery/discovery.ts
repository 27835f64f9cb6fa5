/**
 * Service discovery: where each named service (auth-rpc-service, messagegateway-rpc-service ...)
 * can be reached. One interface, interchangeable backends (standalone in-process, etcd) that
 * pass one shared test suite.
 */
export interface Discovery {
  /** Registers `addr` ("host:port") under `serviceName` until the returned function is called. */
  register(serviceName: string, addr: string): Promise<() => Promise<void>>;
  /** The addresses currently registered for a service. */
  resolve(serviceName: string): Promise<string[]>;
  /** Calls `onChange` with the full address list whenever it changes (and once at start). Returns an unsubscribe. */
  watch(serviceName: string, onChange: (addrs: string[]) => void): () => void;
  /** Stops keep-alives and watches; registered keys are removed. Idempotent. */
  close(): Promise<void>;
  readonly kind: 'standalone' | 'etcd';
}
