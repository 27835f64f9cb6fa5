import { credentials, type Client, type ServiceClientConstructor, type CallOptions } from '@grpc/grpc-js';
import { type RpcContext, contextToMetadata } from './context.js';
import { fromServiceError } from './status.js';
import type { RpcObserver } from './server.js';

/** Per-call options. */
export interface CallOpts {
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED (default 10 s). */
  timeoutMs?: number;
}

/** A typed unary method: request and context in, reply out, CodeError on failure. */
export type UnaryMethod<Req, Res> = (req: Req, ctx: RpcContext, opts?: CallOpts) => Promise<Res>;

/** A client whose methods are named as in the service definition. */
export type RpcClient<M> = { [K in keyof M]: M[K] } & { close(): void; readonly address: string };

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Creates a client for one address with OpenIM's client-interceptor semantics: the context
 * travels as metadata, failures come back as CodeError (code = gRPC status code, detail from
 * ErrorInfo), non-status failures as ServerInternalError.
 */
export function createClient<M>(
  Ctor: ServiceClientConstructor,
  address: string,
  observer?: RpcObserver,
): RpcClient<M> {
  const raw: Client = new Ctor(address, credentials.createInsecure(), {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const out: Record<string, unknown> = {
    address,
    close: () => raw.close(),
  };
  for (const [name, def] of Object.entries(Ctor.service)) {
    const fn = (raw as unknown as Record<string, Function>)[name]!.bind(raw) as (
      req: unknown,
      md: ReturnType<typeof contextToMetadata>,
      options: CallOptions,
      cb: (err: unknown, res: unknown) => void,
    ) => void;
    out[name] = (req: unknown, ctx: RpcContext, opts?: CallOpts) =>
      new Promise((resolve, reject) => {
        const started = performance.now();
        const deadline = Date.now() + (opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        fn(req, contextToMetadata(ctx), { deadline }, (err, res) => {
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
