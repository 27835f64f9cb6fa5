import { describeMessage, listServices, messageCodec, type JsonObject } from '../../src/protocol/pb.js';
import { CodeError } from '../../src/protocol/errors.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Discovery } from '../../src/discovery/discovery.js';
import { createClient } from '../../src/rpc/grpc-client.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { grpcServices, type GrpcService, type Methods } from '../../src/rpc/services.js';

/** Short service keys users type, with the discovery name each is registered under. */
const serviceKeys: Record<string, { svc: GrpcService<Methods<unknown>>; discoveryName: string; defaultAddr?: string }> = {
  msggateway: { svc: grpcServices.msgGateway as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.messageGateway, defaultAddr: `127.0.0.1:${defaultConfig().hubPort}` },
  auth: { svc: grpcServices.auth as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.auth },
  user: { svc: grpcServices.user as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.user },
  msg: { svc: grpcServices.msg as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.msg },
  push: { svc: grpcServices.push as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.push },
  pushmsgservice: { svc: grpcServices.push as unknown as GrpcService<Methods<unknown>>, discoveryName: defaultConfig().serviceNames.push },
};

/** A resolved `service.Method` target. */
export interface CallTarget {
  service: string;
  method: string;
  requestType: string;
  responseType: string;
  discoveryName: string;
  defaultAddr?: string;
}

/** Error with a stable CLI code and a suggestion. */
export class CallError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly suggestion?: string,
  ) {
    super(message);
  }
}

/**
 * Resolves `msgGateway.GetUsersOnlineStatus`, `auth.parseToken` or a full
 * `openim.auth.Auth/parseToken`; service and method match case-insensitively.
 */
export function resolveTarget(spec: string): CallTarget {
  const m = /^(.+)[./]([^./]+)$/.exec(spec);
  if (!m) throw new CallError(`'${spec}' is not service.Method`, 'MSGGW_CALL_TARGET', "write it like msgGateway.GetUsersOnlineStatus (see 'msggw call --list')");
  const [, svcPart, methodPart] = m as unknown as [string, string, string];
  const key = svcPart.toLowerCase().split('.').pop()!;
  const entry = serviceKeys[key] ?? Object.values(serviceKeys).find((e) => e.svc.name.toLowerCase() === svcPart.toLowerCase());
  if (!entry) throw new CallError(`unknown service '${svcPart}'`, 'MSGGW_CALL_SERVICE', `one of: ${listServices().map((s) => s.name).join(', ')}`);
  const desc = listServices().find((s) => s.name === entry.svc.name)!;
  const method = desc.methods.find((x) => x.name.toLowerCase() === methodPart.toLowerCase());
  if (!method) throw new CallError(`${desc.name} has no method '${methodPart}'`, 'MSGGW_CALL_METHOD', `one of: ${desc.methods.map((x) => x.name).join(', ')}`);
  return {
    service: desc.name,
    method: method.name,
    requestType: method.requestType,
    responseType: method.responseType,
    discoveryName: entry.discoveryName,
    ...(entry.defaultAddr ? { defaultAddr: entry.defaultAddr } : {}),
  };
}

/** Every service, method and request field, for `--list`. */
export function describeAll(): { service: string; methods: { name: string; request: string; fields: string[] }[] }[] {
  return listServices().map((s) => ({
    service: s.name,
    methods: s.methods.map((m) => ({
      name: m.name,
      request: m.requestType,
      fields: describeMessage(m.requestType).map((f) => `${f.name}: ${f.mapKey ? `map<${f.mapKey}, ${short(f.type)}>` : `${f.repeated ? 'repeated ' : ''}${short(f.type)}`}`),
    })),
  }));
}

function short(type: string): string {
  return type.replace(/^openim\.[a-z]+\./, '');
}

/** Sends one call with a JSON request (protobuf JSON mapping); resolves with the JSON reply. */
export async function callJSON(
  target: CallTarget,
  requestJSON: string,
  o: { addr?: string; discovery?: Discovery; ctx: RpcContext; timeoutMs: number },
): Promise<{ address: string; reply: JsonObject }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(requestJSON || '{}');
  } catch (e) {
    throw new CallError(`request is not JSON: ${(e as Error).message}`, 'MSGGW_CALL_JSON', `quote it for the shell: '{"userIDs":["u1"]}'`);
  }
  const reqCodec = messageCodec(target.requestType);
  const respCodec = messageCodec(target.responseType);
  let request: JsonObject;
  try {
    request = reqCodec.fromJSON(parsed) as JsonObject;
  } catch (e) {
    throw new CallError(`request does not fit ${target.requestType}: ${(e as Error).message}`, 'MSGGW_CALL_REQUEST', `fields: ${describeMessage(target.requestType).map((f) => f.name).join(', ')}`);
  }
  let address = o.addr;
  if (!address && o.discovery) {
    const addrs = await o.discovery.resolve(target.discoveryName);
    if (addrs.length === 0) throw new CallError(`no ${target.discoveryName} registered in discovery`, 'MSGGW_CALL_NOT_FOUND', 'is the node running and registered? check --discovery');
    address = addrs[0];
  }
  address ??= target.defaultAddr;
  if (!address) throw new CallError(`no address for ${target.service}`, 'MSGGW_CALL_ADDR', 'pass --addr host:port (msggw serve prints every address) or --discovery etcd://host:port');
  const svc = Object.values(serviceKeys).find((e) => e.svc.name === target.service)!.svc;
  const client = createClient(svc, address);
  try {
    const method = (client as unknown as Record<string, (req: unknown, ctx: RpcContext, opts: { timeoutMs: number }) => Promise<unknown>>)[target.method]!;
    const reply = await method(request, o.ctx, { timeoutMs: o.timeoutMs });
    return { address, reply: respCodec.toJSON(reply as JsonObject) };
  } catch (e) {
    if (e instanceof CodeError) throw e;
    throw e;
  } finally {
    client.close();
  }
}
