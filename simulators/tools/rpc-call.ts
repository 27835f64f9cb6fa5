import { allMessageTypes, describeMessage, listServices, lookupMessageType, messageCodec, type JsonObject } from '../../src/protocol/pb.js';
import { defaultConfig } from '../../src/config/config.js';
import type { Discovery } from '../../src/discovery/discovery.js';
import { createClient } from '../../src/rpc/grpc-client.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { grpcServices, type GrpcService, type Methods } from '../../src/rpc/services.js';
import { checkRequest, exampleOf, isMessageType, shapeOf } from './call-schema.js';

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

/**
 * Every service, method and request field, for `--list`; `filter` keeps the services and methods
 * whose name contains it (case-insensitive): a service's name keeps all its methods.
 */
export function describeAll(filter = ''): { service: string; methods: { name: string; request: string; fields: string[] }[] }[] {
  const f = filter.toLowerCase();
  return listServices()
    .map((s) => ({ s, methods: !f || s.name.toLowerCase().includes(f) ? s.methods : s.methods.filter((m) => m.name.toLowerCase().includes(f) || `${s.name}.${m.name}`.toLowerCase().includes(f)) }))
    .filter((x) => x.methods.length > 0)
    .map(({ s, methods }) => ({
    service: s.name,
    methods: methods.map((m) => ({
      name: m.name,
      request: m.requestType,
      fields: describeMessage(m.requestType).map((f) => `${f.name}: ${f.mapKey ? `map<${f.mapKey}, ${short(f.type)}>` : `${f.repeated ? 'repeated ' : ''}${short(f.type)}`}`),
    })),
  }));
}

function short(type: string): string {
  return type.replace(/^openim\.[a-z]+\./, '');
}

/** Hub methods that ask every gateway instance and merge the answers, as OpenIM's push service does. */
const FAN_OUT = new Set(['GetUsersOnlineStatus', 'KickUserOffline', 'MultiTerminalLoginCheck', 'SuperGroupOnlineBatchPushOneMsg', 'OnlineBatchPushOneMsg', 'OnlinePushMsg']);

/** Whether `call --discovery` sends this method to every instance. */
export function fansOut(target: CallTarget): boolean {
  return target.service === grpcServices.msgGateway.name && FAN_OUT.has(target.method);
}

type Json = Record<string, unknown>;
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/**
 * Merges the replies of several gateway instances: a user's connections from every instance in
 * one entry (online status, push results), failures only for users no instance has; replies with
 * nothing to merge (a kick) are the first one.
 */
export function mergeReplies(method: string, replies: readonly Json[]): Json {
  if (replies.length === 1) return replies[0]!;
  switch (method) {
    case 'GetUsersOnlineStatus': {
      const byUser = new Map<string, Json>();
      for (const r of replies) {
        for (const s of list(r.successResult)) {
          const have = byUser.get(String(s.userID));
          if (have) have.detailPlatformStatus = [...list(have.detailPlatformStatus), ...list(s.detailPlatformStatus)];
          else byUser.set(String(s.userID), { ...s, detailPlatformStatus: [...list(s.detailPlatformStatus)] });
        }
      }
      const failed = new Map<string, Json>();
      for (const r of replies) for (const f of list(r.failedResult)) if (!byUser.has(String(f.userID))) failed.set(String(f.userID), f);
      return { successResult: [...byUser.values()], failedResult: [...failed.values()] };
    }
    case 'SuperGroupOnlineBatchPushOneMsg':
    case 'OnlineBatchPushOneMsg': {
      const byUser = new Map<string, Json>();
      for (const r of replies) {
        for (const u of list(r.singlePushResult)) {
          const have = byUser.get(String(u.userID));
          if (have) {
            have.onlinePush = Boolean(have.onlinePush) || Boolean(u.onlinePush);
            have.resp = [...list(have.resp), ...list(u.resp)];
          } else byUser.set(String(u.userID), { ...u, resp: [...list(u.resp)] });
        }
      }
      return { singlePushResult: [...byUser.values()] };
    }
    case 'OnlinePushMsg':
      return { resp: replies.flatMap((r) => list(r.resp)) };
    default:
      return replies[0]!;
  }
}

/** What {@link callJSON} answers: the (merged) reply, who was asked, and how many instances exist. */
export interface CallResult {
  reply: JsonObject;
  /** Addresses asked. */
  addresses: string[];
  /** Instances registered in discovery (1 with --addr or the default address). */
  instances: number;
  /** Every instance was asked and the replies merged. */
  merged: boolean;
}

/** Parses a request and checks it strictly against its message type (unknown fields, wrong types). */
export function parseRequest(target: CallTarget, requestJSON: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(requestJSON.trim() || '{}');
  } catch (e) {
    throw new CallError(`request is not JSON: ${(e as Error).message}`, 'MSGGW_CALL_JSON', `quote it for the shell: '{"userIDs":["u1"]}', or read it with -d @file.json`);
  }
  const problems = checkRequest(target.requestType, parsed);
  if (problems.length > 0) {
    throw new CallError(`request does not fit ${short(target.requestType)}: ${problems.join('; ')}`, 'MSGGW_CALL_REQUEST', `msggw call describe ${target.service.split('.').pop()}.${target.method} shows the fields with an example`);
  }
  try {
    return messageCodec(target.requestType).fromJSON(parsed) as JsonObject;
  } catch (e) {
    throw new CallError(`request does not fit ${target.requestType}: ${(e as Error).message}`, 'MSGGW_CALL_REQUEST', `fields: ${describeMessage(target.requestType).map((f) => f.name).join(', ')}`);
  }
}

/**
 * Sends one call with a JSON request (protobuf JSON mapping, checked strictly first); resolves
 * with the JSON reply. Through discovery a hub method that fans out goes to every instance and
 * the replies are merged; `instance` picks one instead.
 */
export async function callJSON(
  target: CallTarget,
  requestJSON: string,
  o: { addr?: string; discovery?: Discovery; instance?: string; ctx: RpcContext; timeoutMs: number },
): Promise<CallResult> {
  const request = parseRequest(target, requestJSON);
  let addresses: string[];
  let instances = 1;
  if (o.addr) addresses = [o.addr];
  else if (o.discovery) {
    const addrs = await o.discovery.resolve(target.discoveryName);
    if (addrs.length === 0) throw new CallError(`no ${target.discoveryName} registered in discovery`, 'MSGGW_CALL_NOT_FOUND', 'is the node running and registered? check --discovery');
    instances = addrs.length;
    if (o.instance) {
      if (!addrs.includes(o.instance)) throw new CallError(`${o.instance} is not a registered ${target.discoveryName} instance`, 'MSGGW_CALL_NOT_FOUND', `registered: ${addrs.join(', ')}`);
      addresses = [o.instance];
    } else addresses = fansOut(target) ? [...addrs] : [addrs[0]!];
  } else if (o.instance) addresses = [o.instance];
  else if (target.defaultAddr) addresses = [target.defaultAddr];
  else throw new CallError(`no address for ${target.service}`, 'MSGGW_CALL_ADDR', 'pass --addr host:port (msggw serve prints every address) or --discovery etcd://host:port');
  const respCodec = messageCodec(target.responseType);
  const svc = Object.values(serviceKeys).find((e) => e.svc.name === target.service)!.svc;
  const replies = await Promise.all(
    addresses.map(async (address) => {
      const client = createClient(svc, address);
      try {
        const method = (client as unknown as Record<string, (req: unknown, ctx: RpcContext, opts: { timeoutMs: number }) => Promise<unknown>>)[target.method]!;
        return respCodec.toJSON((await method(request, o.ctx, { timeoutMs: o.timeoutMs })) as JsonObject);
      } catch (e) {
        // Say which instance failed when several were asked.
        if (addresses.length > 1 && e instanceof Error) e.message = `${address}: ${e.message}`;
        throw e;
      } finally {
        client.close();
      }
    }),
  );
  return { reply: mergeReplies(target.method, replies) as JsonObject, addresses, instances, merged: addresses.length > 1 };
}

/** `call describe`: a method's request and response, or one message, with its fields and an example JSON. */
export function describeTarget(name: string): { title: string; sections: { heading: string; fields: string[]; example: Record<string, unknown> }[] } {
  const section = (heading: string, type: string) => ({ heading: `${heading} ${type}`, fields: shapeOf(type), example: exampleOf(type) });
  if (/[./]/.test(name) && !isMessageType(name)) {
    const t = resolveTarget(name);
    return { title: `${t.service}/${t.method} (discovery name ${t.discoveryName}${fansOut(t) ? '; --discovery asks every instance and merges' : ''})`, sections: [section('request', t.requestType), section('response', t.responseType)] };
  }
  const type = resolveMessageName(name);
  if (!type) throw new CallError(`no method or message '${name}'`, 'MSGGW_CALL_METHOD', 'msggw call --list shows the methods; messages go by name, e.g. GetUsersOnlineStatusReq or sdkws.MsgData');
  // The title names the message already: the one section is its fields.
  return { title: `message ${type}`, sections: [{ ...section('fields of', type), heading: 'fields' }] };
}

/** A message by full name, `file.Name`, or a bare name when only one file has it. */
function resolveMessageName(name: string): string | undefined {
  if (isMessageType(name)) return lookupMessageType(name)!.fullName.replace(/^\./, '');
  const hits = allMessageTypes().filter((t) => t.name === name || t.name.toLowerCase() === name.toLowerCase());
  return hits.length === 1 ? hits[0]!.fullName.replace(/^\./, '') : undefined;
}
