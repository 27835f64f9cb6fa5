import { Client, credentials, type CallOptions } from '@grpc/grpc-js';
import type { Init } from '../protocol/pb-types.js';
import { type RpcContext, contextToMetadata } from './context.js';
import type { RpcObserver } from './server.js';
import { callRaw, type GrpcService, type Methods } from './services.js';
import { callLocal, localTarget } from './local.js';
import { fromServiceError } from './status.js';

/** Per-call options. */
export interface CallOpts {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED (default 10 s). */
  timeoutMs?: number;
}

/** A client: one promise method per RPC taking the request and the call's context; failures are CodeErrors. */
export type RpcClient<M extends Methods<M>> = {
  [K in keyof M]: (req: Init<M[K]['request']>, ctx: RpcContext, opts?: CallOpts) => Promise<M[K]['response']>;
} & {
  readonly address: string;
  /** Sends already encoded request bytes and returns the reply bytes (pass-through forwarding). */
  raw(method: keyof M & string, request: Uint8Array, ctx: RpcContext, opts?: CallOpts): Promise<Buffer>;
  close(): void;
};

const DEFAULT_TIMEOUT_MS = 10_000;

/** How a client reaches its server. */
export interface ClientOptions {
  /**
   * Call a server of this same process in-process (src/rpc/local.ts) instead of over the
   * loopback network. Default false: only the node's and the simulators' pools opt in (config
   * `inProcessRpc`); any other client (tests, `msggw call`) stays on real gRPC.
   */
  inProcess?: boolean;
}

const passBytes = (b: unknown): Buffer => b as Buffer;

/**
 * A client for one address with OpenIM's client-interceptor semantics: the context travels as
 * metadata, failures come back as CodeError (code = gRPC status code, detail from ErrorInfo),
 * non-status failures as ServerInternalError 500. When a server of this process serves the
 * address and `copts.inProcess` is set, calls go to it in-process.
 */
export function createClient<M extends Methods<M>>(svc: GrpcService<M>, address: string, observer?: RpcObserver, copts: ClientOptions = {}): RpcClient<M> {
  const inProcess = copts.inProcess === true;
  const grpcClient = new Client(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    // A restarted peer (a gateway node, a service) is reachable again within 2 s; grpc-js' default
    // backoff grows to 2 minutes, during which every call to it fails at once.
    'grpc.initial_reconnect_backoff_ms': 200,
    'grpc.max_reconnect_backoff_ms': 2000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const deadlineOf = (opts?: CallOpts): number => Date.now() + (opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const options = (opts?: CallOpts): CallOptions => ({ deadline: deadlineOf(opts) });
  const out: Record<string, unknown> = {
    address,
    close: () => grpcClient.close(),
    raw: async (method: string, request: Uint8Array, ctx: RpcContext, opts?: CallOpts) => {
      const path = svc.paths[method as keyof M];
      const started = performance.now();
      try {
        const local = inProcess ? localTarget(address, path) : undefined;
        const body = Buffer.isBuffer(request) ? request : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
        const r = local
          ? ((await callLocal(local, body, passBytes, passBytes, contextToMetadata(ctx), deadlineOf(opts))) as Buffer)
          : await callRaw(grpcClient, path, body, { metadata: contextToMetadata(ctx), callOptions: options(opts) });
        observer?.({ name: method, path, code: 0, ms: performance.now() - started });
        return r;
      } catch (e) {
        const ce = fromServiceError(e);
        observer?.({ name: method, path, code: ce.code, ms: performance.now() - started });
        throw ce;
      }
    },
  };
  for (const name of svc.methods) {
    const def = svc.definition[name]!;
    out[name] = (req: unknown, ctx: RpcContext, opts?: CallOpts) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const local = inProcess ? localTarget(address, def.path) : undefined;
        if (local) {
          callLocal(local, req, def.requestSerialize, def.responseDeserialize, contextToMetadata(ctx), deadlineOf(opts)).then(
            (res) => {
              observer?.({ name, path: def.path, code: 0, ms: performance.now() - started });
              resolve(res);
            },
            (err: unknown) => {
              const ce = fromServiceError(err);
              observer?.({ name, path: def.path, code: ce.code, ms: performance.now() - started });
              reject(ce);
            },
          );
          return;
        }
        grpcClient.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, contextToMetadata(ctx), options(opts), (err, res) => {
          if (err) {
            const ce = fromServiceError(err);
            observer?.({ name, path: def.path, code: ce.code, ms: performance.now() - started });
            reject(ce);
          } else {
            observer?.({ name, path: def.path, code: 0, ms: performance.now() - started });
            resolve(res);
          }
        });
      });
  }
  return out as RpcClient<M>;
}
