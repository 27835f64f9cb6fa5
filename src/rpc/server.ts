import { Server, ServerCredentials, status as GrpcStatus, type Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { registerLocalServer } from './local.js';
import type { Init } from '../protocol/pb-types.js';
import { type RpcContext, metadataToContext } from './context.js';
import type { GrpcService, Methods } from './services.js';
import { toServiceError } from './status.js';

/** What a handler sees besides its request. */
export interface CallInfo {
  /** The call's deadline, if the caller set one. */
  deadline?: Date;
  /** The full method path, e.g. `/openim.msggateway.msgGateway/KickUserOffline`. */
  path: string;
  metadata: Metadata;
}

/** Handlers of a service: request, context and call in; reply out, or throw a CodeError (anything else becomes 500). */
export type RpcHandlers<M extends Methods<M>> = {
  [K in keyof M]: (req: M[K]['request'], ctx: RpcContext, call: CallInfo) => Init<M[K]['response']> | Promise<Init<M[K]['response']>>;
};

/** Told about every finished call (feeds `rpc_count{name,path,code}`). */
export type RpcObserver = (event: { name: string; path: string; code: number; ms: number }) => void;

/**
 * Wraps plain async handlers into a grpc-js implementation with OpenIM's server interceptor
 * semantics: operationID required (ArgsError 1001), metadata -> RpcContext, thrown errors ->
 * status carrying the OpenIM code plus an ErrorInfo detail. Methods without a handler answer
 * UNIMPLEMENTED.
 */
export function implement<M extends Methods<M>>(
  svc: GrpcService<M>,
  handlers: Partial<RpcHandlers<M>>,
  observer?: RpcObserver,
): UntypedServiceImplementation {
  const impl: UntypedServiceImplementation = {};
  for (const name of svc.methods) {
    const handler = handlers[name] as ((req: unknown, ctx: RpcContext, call: CallInfo) => unknown) | undefined;
    const path = svc.paths[name];
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
      const info: CallInfo = { path, metadata: call.metadata };
      const deadline = call.getDeadline();
      if (deadline instanceof Date) info.deadline = deadline;
      else if (typeof deadline === 'number' && Number.isFinite(deadline)) info.deadline = new Date(deadline);
      Promise.resolve()
        .then(() => handler(call.request, ctx, info))
        .then(
          (reply) => {
            callback(null, reply ?? {});
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

/** Largest request a msggw gRPC server accepts (a batch push of a big group). */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;

/**
 * Starts a gRPC server on `host:port` (0 = any free port) with the services `add` registers.
 * Resolves with the server and the port it bound.
 */
export async function listenGrpc(host: string, port: number, add: (s: Server) => void): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_receive_message_length': MAX_RECEIVE_BYTES });
  // What `add` registers is also offered to in-process callers (src/rpc/local.ts).
  const services: [ServiceDefinition, UntypedServiceImplementation][] = [];
  const addService = server.addService.bind(server);
  server.addService = (definition: ServiceDefinition, impl: UntypedServiceImplementation): void => {
    services.push([definition, impl]);
    addService(definition, impl);
  };
  add(server);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  localServers.set(server, registerLocalServer(host, bound, services));
  return { server, port: bound };
}

/** Forgets a server's in-process registration (stopGrpc). */
const localServers = new WeakMap<Server, () => void>();

/** Stops a gRPC server: in-flight calls get `graceMs` to finish, then it is stopped regardless. */
export function stopGrpc(server: Server, graceMs = 2000): Promise<void> {
  localServers.get(server)?.();
  localServers.delete(server);
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
