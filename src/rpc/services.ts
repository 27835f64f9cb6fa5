/**
 * gRPC service definitions (for @grpc/grpc-js) of the OpenIM services we serve or call,
 * built from the same protobufjs Root as `src/protocol/pb.ts`, so gRPC messages use exactly
 * the value model and encoding of `pb` (plain objects with defaults, int64 as numbers, zero
 * values not written, as Go's proto.Marshal). @grpc/proto-loader is not needed for this: a
 * grpc-js ServiceDefinition is only paths plus (de)serializers.
 *
 * Services and paths (upstream casing, case-sensitive):
 *   openim.msggateway.msgGateway  /openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg ...
 *   openim.auth.Auth              /openim.auth.Auth/parseToken ...
 *   openim.user.user              /openim.user.user/setUserOnlineStatus ...
 *   openim.msg.msg                /openim.msg.msg/SendMsg ...
 *   openim.push.PushMsgService    /openim.push.PushMsgService/DelUserPushToken ...
 *
 * @example Serve the hub:
 * const server = new grpc.Server();
 * addService(server, msgGatewayService, {
 *   async SuperGroupOnlineBatchPushOneMsg(req, call) { return { singlePushResult: [] }; },
 *   ... // every method of msgGateway
 * });
 *
 * @example Call auth:
 * const auth = createClient(authService, '127.0.0.1:10160');
 * const md = new grpc.Metadata(); md.set('operationID', 'op1');
 * const { userID, platformID } = await auth.parseToken({ token }, { metadata: md });
 * auth.close();
 */
import * as grpc from '@grpc/grpc-js';
import { listServices, messageCodec } from '../protocol/pb.js';
import type {
  AuthMethods,
  Init,
  MethodSpec,
  MsgGatewayMethods,
  MsgMethods,
  PushMsgServiceMethods,
  ServiceMethods,
  UnaryClient,
  UnaryHandlers,
  UserMethods,
} from '../protocol/pb-types.js';

export type {
  AuthMethods,
  MsgGatewayMethods,
  MsgMethods,
  PushMsgServiceMethods,
  UserMethods,
} from '../protocol/pb-types.js';

/** A method map: method name -> request/response/path (see ServiceMethods in pb-types.ts). */
export type Methods<M> = { [K in keyof M]: MethodSpec };

/** What each server handler gets besides the request: the grpc-js call (metadata, peer, deadline, `cancelled`). */
export type RpcCall = grpc.ServerUnaryCall<unknown, unknown>;

/** Per-call options of the promise clients. */
export interface RpcCallOptions {
  /** Request metadata (OpenIM needs at least `operationID`). */
  metadata?: grpc.Metadata;
  /** Deadline: a Date or unix-ms number. */
  deadline?: grpc.Deadline;
  /** Any other grpc-js call option. */
  callOptions?: grpc.CallOptions;
}

/** Server handlers of a service, taking the gRPC call as context. */
export type GrpcHandlers<M extends Methods<M>> = UnaryHandlers<M, RpcCall>;

/** Promise client of a service (one async function per method) plus its underlying channel. */
export type GrpcClient<M extends Methods<M>> = UnaryClient<M, RpcCallOptions> & {
  /** The grpc-js client (for waitForReady, getChannel...). */
  readonly grpcClient: grpc.Client;
  /** Closes the channel. */
  close(): void;
};

/** One gRPC service: its name, definition for `server.addService`, client constructor and method paths. */
export interface GrpcService<M extends Methods<M>> {
  /** Full gRPC service name, e.g. `openim.msggateway.msgGateway`. */
  readonly name: string;
  /** Method definitions with our (de)serializers: pass to `server.addService`. */
  readonly definition: grpc.ServiceDefinition;
  /** grpc-js generic client class (methods by name, callback style); {@link createClient} wraps it in promises. */
  readonly Client: grpc.ServiceClientConstructor;
  /** Method names in declaration order. */
  readonly methods: readonly (keyof M & string)[];
  /** gRPC path of each method, `/<service>/<method>`. */
  readonly paths: { readonly [K in keyof M]: string };
}

function buildService<M extends Methods<M>>(name: keyof ServiceMethods): GrpcService<M> {
  const desc = listServices().find((s) => s.name === name);
  if (!desc) throw new Error(`service ${name} not in proto/`);
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const paths: Record<string, string> = {};
  for (const m of desc.methods) {
    const req = messageCodec(m.requestType);
    const resp = messageCodec(m.responseType);
    definition[m.name] = {
      path: m.path,
      requestStream: m.requestStream,
      responseStream: m.responseStream,
      requestSerialize: (v) => req.encode(v as Init<Record<string, unknown>>),
      requestDeserialize: (b) => req.decode(b),
      responseSerialize: (v) => resp.encode(v as Init<Record<string, unknown>>),
      responseDeserialize: (b) => resp.decode(b),
      originalName: m.name,
    };
    paths[m.name] = m.path;
  }
  return {
    name,
    definition,
    Client: grpc.makeGenericClientConstructor(definition, name),
    methods: desc.methods.map((m) => m.name) as (keyof M & string)[],
    paths: paths as { readonly [K in keyof M]: string },
  };
}

/** openim.msggateway.msgGateway: the hub service our gateway serves (discovery name `messagegateway-rpc-service`). */
export const msgGatewayService: GrpcService<MsgGatewayMethods> = buildService<MsgGatewayMethods>('openim.msggateway.msgGateway');
/** openim.auth.Auth (discovery name `auth-rpc-service`). */
export const authService: GrpcService<AuthMethods> = buildService<AuthMethods>('openim.auth.Auth');
/** openim.user.user, online-status methods only (discovery name `user-rpc-service`). */
export const userService: GrpcService<UserMethods> = buildService<UserMethods>('openim.user.user');
/** openim.msg.msg, the methods the gateway calls (discovery name `msg-rpc-service`). */
export const msgService: GrpcService<MsgMethods> = buildService<MsgMethods>('openim.msg.msg');
/** openim.push.PushMsgService (discovery name `push-rpc-service`). */
export const pushService: GrpcService<PushMsgServiceMethods> = buildService<PushMsgServiceMethods>('openim.push.PushMsgService');

/** All services by short key. */
export const grpcServices = {
  msgGateway: msgGatewayService,
  auth: authService,
  user: userService,
  msg: msgService,
  push: pushService,
} as const;

/** OpenIM's ServerInternalError code: what upstream's server interceptor reports for errors that carry no code. */
// grpc-js types `code` as its Status enum, but any uint32 travels (upstream uses OpenIM codes).
const SERVER_INTERNAL_ERROR = 500 as grpc.status;

/**
 * Turns anything a handler threw into a grpc-js status: an object with a numeric `code`
 * passes through with its `details` (or `message`) and `metadata`; anything else becomes
 * code 500 (OpenIM ServerInternalError) with the error's message.
 */
export function toServerStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err !== null && typeof err === 'object') {
    const e = err as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown };
    if (typeof e.code === 'number') {
      const out: Partial<grpc.StatusObject> = {
        code: e.code,
        details: typeof e.details === 'string' ? e.details : typeof e.message === 'string' ? e.message : '',
      };
      if (e.metadata instanceof grpc.Metadata) out.metadata = e.metadata;
      return out;
    }
  }
  return { code: SERVER_INTERNAL_ERROR, details: err instanceof Error ? err.message : String(err) };
}

/**
 * Adapts promise-returning handlers to grpc-js' callback implementation. Every method of the
 * service must be handled (the handler type requires them all).
 */
export function implement<M extends Methods<M>>(svc: GrpcService<M>, handlers: GrpcHandlers<M>): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const name of svc.methods) {
    const handler = handlers[name] as (req: unknown, call: RpcCall) => unknown;
    if (typeof handler !== 'function') throw new Error(`${svc.name}: no handler for ${name}`);
    const unary: grpc.handleUnaryCall<unknown, unknown> = (call, callback) => {
      Promise.resolve()
        .then(() => handler(call.request, call))
        .then(
          (resp) => callback(null, resp ?? {}),
          (err: unknown) => callback(toServerStatus(err)),
        );
    };
    impl[name] = unary;
  }
  return impl;
}

/** Registers `handlers` for `svc` on a grpc-js server. */
export function addService<M extends Methods<M>>(server: grpc.Server, svc: GrpcService<M>, handlers: GrpcHandlers<M>): void {
  server.addService(svc.definition, implement(svc, handlers));
}

/**
 * Promise methods over an existing grpc-js client (any client on a channel to the service).
 * Rejections are grpc-js ServiceErrors (`code`, `details`, `metadata`).
 */
export function wrapClient<M extends Methods<M>>(svc: GrpcService<M>, client: grpc.Client): UnaryClient<M, RpcCallOptions> {
  const out: Record<string, (req: unknown, opts?: RpcCallOptions) => Promise<unknown>> = {};
  for (const name of svc.methods) {
    const def = svc.definition[name] as grpc.MethodDefinition<unknown, unknown>;
    out[name] = (req, opts) =>
      new Promise((resolve, reject) => {
        const options: grpc.CallOptions = { ...opts?.callOptions };
        if (opts?.deadline !== undefined) options.deadline = opts.deadline;
        client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          req,
          opts?.metadata ?? new grpc.Metadata(),
          options,
          (err, resp) => (err ? reject(err) : resolve(resp)),
        );
      });
  }
  return out as UnaryClient<M, RpcCallOptions>;
}

const passBytes = (b: Buffer): Buffer => b;

/**
 * Calls a unary method with an already-encoded request and returns the response bytes
 * untouched. Use it to forward a client's `Data` (e.g. 1005-1007 requests) byte for byte:
 * Go's proto.Unmarshal/Marshal keeps fields it does not know, so upstream's gateway passes
 * newer fields through; a decode/encode round trip through our trimmed protos would drop them.
 */
export function callRaw(client: grpc.Client, path: string, request: Uint8Array, opts?: RpcCallOptions): Promise<Buffer> {
  const body = Buffer.isBuffer(request) ? request : Buffer.from(request.buffer, request.byteOffset, request.byteLength);
  return new Promise((resolve, reject) => {
    const options: grpc.CallOptions = { ...opts?.callOptions };
    if (opts?.deadline !== undefined) options.deadline = opts.deadline;
    client.makeUnaryRequest(path, passBytes, passBytes, body, opts?.metadata ?? new grpc.Metadata(), options, (err, resp) =>
      err ? reject(err) : resolve(resp ?? Buffer.alloc(0)),
    );
  });
}

/** Opens a channel to `address` (`host:port`, insecure unless credentials are given) and returns a promise client. */
export function createClient<M extends Methods<M>>(
  svc: GrpcService<M>,
  address: string,
  opts: { credentials?: grpc.ChannelCredentials; channelOptions?: grpc.ChannelOptions } = {},
): GrpcClient<M> {
  const grpcClient = new grpc.Client(address, opts.credentials ?? grpc.credentials.createInsecure(), opts.channelOptions);
  const methods = wrapClient(svc, grpcClient);
  return Object.assign(methods, { grpcClient, close: () => grpcClient.close() }) as GrpcClient<M>;
}
