import type {
  Metadata,
  sendUnaryData,
  ServerUnaryCall,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { type RpcContext, metadataToContext } from './context.js';
import { toServiceError } from './status.js';

/** What a handler sees besides its request. */
export interface CallInfo {
  /** The call's deadline, if the caller set one. */
  deadline?: Date;
  /** The full method path, e.g. `/openim.msggateway.msgGateway/KickUserOffline`. */
  path: string;
  metadata: Metadata;
}

/** A unary handler: return the reply or throw a CodeError; anything else thrown becomes 500. */
export type UnaryHandler<Req, Res> = (req: Req, ctx: RpcContext, call: CallInfo) => Promise<Res> | Res;

/** Told about every finished call (feeds `rpc_count{name,path,code}`). */
export type RpcObserver = (event: { name: string; path: string; code: number; ms: number }) => void;

/**
 * Wraps plain async handlers into a grpc-js service implementation with OpenIM's server
 * interceptor semantics: operationID required (ArgsError 1001), metadata -> RpcContext,
 * thrown errors -> status carrying the OpenIM code and an ErrorInfo detail.
 */
export function implement<H extends { [method: string]: UnaryHandler<never, unknown> }>(
  definition: ServiceDefinition,
  handlers: Partial<H>,
  observer?: RpcObserver,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(definition)) {
    const handler = handlers[name] as UnaryHandler<unknown, unknown> | undefined;
    const path = method.path;
    impl[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      const started = performance.now();
      const done = (code: number) => observer?.({ name, path, code, ms: performance.now() - started });
      if (!handler) {
        callback({ code: GrpcStatus.UNIMPLEMENTED, details: `${path} is not served by msggw` });
        done(GrpcStatus.UNIMPLEMENTED);
        return;
      }
      let ctx: RpcContext;
      try {
        ctx = metadataToContext(call.metadata);
      } catch (e) {
        const se = toServiceError(e, path);
        callback(se);
        done(se.code);
        return;
      }
      const deadline = call.getDeadline();
      const info: CallInfo = { path, metadata: call.metadata };
      if (deadline instanceof Date) info.deadline = deadline;
      else if (typeof deadline === 'number' && Number.isFinite(deadline)) info.deadline = new Date(deadline);
      Promise.resolve()
        .then(() => handler(call.request, ctx, info))
        .then(
          (reply) => {
            callback(null, reply);
            done(0);
          },
          (e: unknown) => {
            const se = toServiceError(e, path);
            callback(se);
            done(se.code);
          },
        );
    };
  }
  return impl;
}
