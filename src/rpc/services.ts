/**
 * gRPC service definitions (for @grpc/grpc-js) of the OpenIM services we serve or call,
 * built from the same protobufjs Root as `src/protocol/pb.ts`, so gRPC messages use exactly
 * the value model and encoding of `pb` (plain objects with defaults, int64 as numbers, zero
 * values not written, as Go's proto.Marshal). No .proto loading through @grpc/proto-loader
 * (not a dependency of ours): a grpc-js ServiceDefinition is only paths plus (de)serializers.
 *
 * Services and paths (upstream casing, case-sensitive):
 *   openim.msggateway.msgGateway  /openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg ...
 *   openim.auth.Auth              /openim.auth.Auth/parseToken ...
 *   openim.user.user              /openim.user.user/setUserOnlineStatus ...
 *   openim.msg.msg                /openim.msg.msg/SendMsg ...
 *   openim.push.PushMsgService    /openim.push.PushMsgService/DelUserPushToken ...
 *
 * Serving and calling with OpenIM's interceptor semantics (operationID, CodeError <-> status)
 * lives in ./server.ts (`implement`) and ./grpc-client.ts (`createClient`).
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

/** Per-call options of raw calls. */
export interface RpcCallOptions {
  /** Request metadata (OpenIM needs at least `operationID`). */
  metadata?: grpc.Metadata;
  /** Deadline: a Date or unix-ms number. */
  deadline?: grpc.Deadline;
  /** Any other grpc-js call option. */
  callOptions?: grpc.CallOptions;
}

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
