import { Client, credentials, type CallOptions } from '@grpc/grpc-js';
import type { Init } from '../protocol/pb-types.js';
import { type RpcContext, contextToMetadata } from './context.js';
import type { RpcObserver } from './server.js';
import { callRaw, type GrpcService, type Methods } from './services.js';
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

/**
 * A client for one address with OpenIM's client-interceptor semantics: the context travels as
 * metadata, failures come back as CodeError (code = gRPC status code, detail from ErrorInfo),
 * non-status failures as ServerInternalError 500.
 */
export function createClient<M extends Methods<M>>(svc: GrpcService<M>, address: string, observer?: RpcObserver): RpcClient<M> {
  const grpcClient = new Client(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const options = (opts?: CallOpts): CallOptions => ({ deadline: Date.now() + (opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
  const out: Record<string, unknown> = {
    address,
    close: () => grpcClient.close(),
    raw: async (method: string, request: Uint8Array, ctx: RpcContext, opts?: CallOpts) => {
      const path = svc.paths[method as keyof M];
      const started = performance.now();
      try {
        const r = await callRaw(grpcClient, path, request, { metadata: contextToMetadata(ctx), callOptions: options(opts) });
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
