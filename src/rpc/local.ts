/**
 * In-process transport for unary gRPC calls whose server lives in this same process (the
 * embedded simulators called by the gateway, the hub called by the msg simulator): the call
 * skips HTTP/2 and the loopback socket but nothing else. The request is serialized with the
 * caller's method definition and deserialized with the server's, the context travels as the
 * same `Metadata` (re-read as a server parses it off HTTP/2), the server runs the very
 * implementation it registered with grpc-js (so `implement`'s operationID check, error mapping
 * and observer run as for a network call), and the reply and status come back the same way.
 * Every server keeps serving real gRPC to everyone else.
 *
 * Per call: two protobuf encodes and two decodes, one Metadata copy and one deadline timer,
 * instead of four HTTP/2 stream ends, header objects and socket writes (bench/RESULTS.md,
 * "in-process transport").
 *
 * A client asks {@link localTarget} per call, so a server that stops is no longer reached this
 * way (the caller then goes to the network, where it fails as it would). Only clients created
 * with `inProcess: true` use it: the node's and the simulators' pools when config `inProcessRpc`
 * is on (the default; `--no-in-process-rpc` and the test helpers' nodes keep the network path,
 * so the fidelity tests keep testing real gRPC).
 */
import type { IncomingHttpHeaders } from 'node:http2';
import { networkInterfaces } from 'node:os';
import { Metadata, status as GrpcStatus, type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** One method as registered on a local server. */
interface LocalMethod {
  def: MethodDefinition<unknown, unknown>;
  impl: (call: unknown, callback: (err: unknown, value?: unknown) => void) => void;
}

/** A gRPC server of this process: what it listens on and its methods by path. */
interface LocalServer {
  host: string;
  methods: Map<string, LocalMethod>;
}

const byPort = new Map<number, LocalServer[]>();
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]', '']);
let ownHosts: Set<string> | undefined;

/** Addresses of this machine (loopback and interfaces), looked up once. */
function isOwnHost(host: string): boolean {
  if (!ownHosts) {
    ownHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) ownHosts.add(a.address);
  }
  return ownHosts.has(host);
}

const loopback = (h: string): string => (h === 'localhost' ? '127.0.0.1' : h === '[::1]' ? '::1' : h);
const sameHost = (a: string, b: string): boolean => loopback(a) === loopback(b);

function splitAddress(address: string): { host: string; port: number } | undefined {
  const i = address.lastIndexOf(':');
  if (i <= 0) return undefined;
  const port = Number(address.slice(i + 1));
  return Number.isInteger(port) && port > 0 ? { host: address.slice(0, i), port } : undefined;
}

/**
 * Records a server's services under the host and port it listens on. Returns the function that
 * forgets them (call it when the server stops).
 */
export function registerLocalServer(host: string, port: number, services: readonly [ServiceDefinition, UntypedServiceImplementation][]): () => void {
  const methods = new Map<string, LocalMethod>();
  for (const [definition, impl] of services) {
    for (const [name, def] of Object.entries(definition)) {
      const fn = impl[name];
      if (typeof fn === 'function' && !def.requestStream && !def.responseStream) {
        methods.set(def.path, { def: def as MethodDefinition<unknown, unknown>, impl: fn as LocalMethod['impl'] });
      }
    }
  }
  const entry: LocalServer = { host, methods };
  const list = byPort.get(port) ?? [];
  list.push(entry);
  byPort.set(port, list);
  return () => {
    const l = byPort.get(port);
    if (!l) return;
    const i = l.indexOf(entry);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) byPort.delete(port);
  };
}

/** The local method serving `path` at `address` (host:port), if a server of this process does. */
export function localTarget(address: string, path: string): LocalMethod | undefined {
  const a = splitAddress(address);
  if (!a) return undefined;
  const list = byPort.get(a.port);
  if (!list) return undefined;
  for (const s of list) {
    // A server bound to one host answers there only; a wildcard bind answers on every own address.
    if (sameHost(s.host, a.host) || (WILDCARDS.has(s.host) && isOwnHost(a.host))) {
      const m = s.methods.get(path);
      if (m) return m;
    }
  }
  return undefined;
}

/**
 * The metadata as a grpc-js server reads it off HTTP/2: repeated values of a text key arrive
 * joined by ", " (Node's HTTP/2 joins repeated headers), `-bin` values stay separate.
 */
function asReceived(md: Metadata): Metadata {
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(md.toHttp2Headers())) {
    if (v === undefined) continue;
    headers[k] = Array.isArray(v) ? (k.endsWith('-bin') ? v.join(',') : v.join(', ')) : String(v);
  }
  return Metadata.fromHttp2Headers(headers);
}

/** Largest message either side accepts, as on the network path (see listenGrpc / createClient). */
export const LOCAL_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** A failed local call, shaped like grpc-js's ServiceError (what fromServiceError reads). */
interface LocalError extends Error {
  code: number;
  details: string;
  metadata: Metadata;
}

function failure(code: number, details: string, metadata = new Metadata()): LocalError {
  return Object.assign(new Error(`${code} ${GrpcStatus[code] ?? ''}: ${details}`), { code, details, metadata });
}

/**
 * Runs one unary call against a local method. `serialize`/`deserialize` are the caller's
 * (pass-through for raw bytes); the server's definition decodes the request and encodes the
 * reply, as on the wire. Rejects with a ServiceError-like object, as grpc-js does.
 */
export function callLocal(
  target: LocalMethod,
  request: unknown,
  serialize: (v: unknown) => Buffer,
  deserialize: (b: Buffer) => unknown,
  metadata: Metadata,
  deadlineMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(failure(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded (in-process call)'));
    }, Math.max(0, deadlineMs - Date.now()));
    const finish = (err: unknown, value?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value);
    };
    let decoded: unknown;
    try {
      const bytes = serialize(request);
      if (bytes.length > LOCAL_MAX_MESSAGE_BYTES) {
        finish(failure(GrpcStatus.RESOURCE_EXHAUSTED, `Request message larger than max (${bytes.length} vs. ${LOCAL_MAX_MESSAGE_BYTES})`));
        return;
      }
      decoded = target.def.requestDeserialize(bytes);
    } catch (e) {
      finish(failure(GrpcStatus.INTERNAL, `Request message serialization failure: ${(e as Error).message}`));
      return;
    }
    const deadline = new Date(deadlineMs);
    const call = { request: decoded, metadata: asReceived(metadata), getDeadline: () => deadline, getPeer: () => 'in-process', cancelled: false };
    target.impl(call, (err: unknown, reply?: unknown) => {
      if (err) {
        const se = err as Partial<LocalError>;
        finish(failure(typeof se.code === 'number' ? se.code : GrpcStatus.UNKNOWN, se.details ?? String(se.message ?? err), se.metadata ?? new Metadata()));
        return;
      }
      try {
        finish(null, deserialize(target.def.responseSerialize(reply)));
      } catch (e) {
        finish(failure(GrpcStatus.INTERNAL, `Response message parsing error: ${(e as Error).message}`));
      }
    });
  });
}
