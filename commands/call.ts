import { Args, Command, Flags } from '@oclif/core';
import { randomUUID } from 'node:crypto';
import { CodeError, errCodeName } from '../src/protocol/errors.js';
import { readFileSync } from 'node:fs';
import { CallError, callJSON, describeAll, describeTarget, resolveTarget } from '../simulators/tools/rpc-call.js';
import { createDiscovery, parseDiscoveryFlag } from '../src/discovery/index.js';
import { fail, failWith } from './support/errors.js';
import { durationFlag, hostPortFlag } from './support/flags.js';
import { parseServiceNames, RPC_SERVICE_NAMES } from '../src/config/service-names.js';

export default class Call extends Command {
  static override summary = 'Call any RPC of the hub or the OpenIM services with a JSON request (like grpcurl).';
  static override description = `Sends one unary gRPC call with OpenIM's metadata (operationID, opUserID, customHeader keys) and
prints the reply as JSON. Errors show the OpenIM code, message and detail, and exit non-zero.

The request is checked against the method's protobuf message first, as grpcurl does: an unknown
field is refused with a did-you-mean, a value of the wrong type names its field. 'call describe'
prints a method's request and response (or one message) with an example JSON. The body comes as
the second argument, or from -d: -d '{...}', -d @file.json, -d @- (stdin).

With --discovery, the hub methods that OpenIM's push service sends to every gateway
(GetUsersOnlineStatus, KickUserOffline, the pushes, MultiTerminalLoginCheck) go to every
registered instance and the replies are merged; --instance ADDR asks one. The note on stderr
says how many instances exist and which were asked.`;
  static override examples = [
    '<%= config.bin %> call --list',
    '<%= config.bin %> call --list kick                     # methods whose name contains "kick"',
    '<%= config.bin %> call describe msgGateway.KickUserOffline',
    '<%= config.bin %> call describe sdkws.MsgData',
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus -d @request.json`,
    `echo '{"userIDs":["u1"]}' | <%= config.bin %> call msgGateway.GetUsersOnlineStatus -d @-`,
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}'`,
    `<%= config.bin %> call msgGateway.KickUserOffline '{"platformID":5,"kickUserIDList":["u1"]}' --addr 127.0.0.1:10140`,
    `<%= config.bin %> call auth.parseToken '{"token":"eyJ..."}' --addr 127.0.0.1:40001`,
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}' --discovery etcd://127.0.0.1:2379 --json`,
    `<%= config.bin %> call msgGateway.KickUserOffline '{"platformID":5,"kickUserIDList":["u1"]}' --discovery etcd://127.0.0.1:2379 --instance 10.0.0.2:10140`,
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}' --discovery etcd://127.0.0.1:2379 --service-names v3.8`,
  ];
  static override args = {
    target: Args.string({ ignoreStdin: true, description: "service.Method, e.g. msgGateway.GetUsersOnlineStatus; 'describe'; or with --list a filter" }),
    request: Args.string({ ignoreStdin: true, description: "request as JSON (protobuf JSON mapping; default {}); after 'describe', a method or message" }),
  };
  static override flags = {
    list: Flags.boolean({ char: 'l', summary: 'List every service, method and request field (the first argument filters by name).' }),
    data: Flags.string({ char: 'd', summary: "The request: JSON, @file to read a file, or @- to read stdin." }),
    instance: Flags.string({ summary: 'With --discovery: ask this registered instance (host:port) only.' }),
    addr: hostPortFlag({ char: 'a', summary: 'host:port to call (default: the hub at 127.0.0.1:10140 for msgGateway).' }),
    discovery: Flags.string({ summary: "Find the service through discovery: 'etcd://host:port'." }),
    'service-names': Flags.string({ summary: 'Names to look services up under: v3.8, rpc-service (default) and/or key=name pairs, as serve takes them.' }),
    'op-user': Flags.string({ summary: 'opUserID metadata (the caller; admin-only methods need an admin).', default: 'imAdmin' }),
    'operation-id': Flags.string({ summary: 'operationID metadata (default: generated).' }),
    metadata: Flags.string({ char: 'm', summary: 'Extra metadata key=value, sent as a customHeader key (repeatable).', multiple: true }),
    timeout: durationFlag({ summary: 'Call timeout, e.g. 5s or 500ms (a bare number is seconds).', default: 10_000, defaultHelp: async () => '10s' }),
    json: Flags.boolean({ summary: 'Compact JSON output (one line), errors as JSON too.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Call);
    if (flags.list) {
      const all = describeAll(args.target ?? '');
      if (all.length === 0) fail(this, 'MSGGW_CALL_METHOD', `no service or method matches '${args.target}'`, ['msggw call --list shows them all']);
      if (flags.json) return this.log(JSON.stringify(all));
      for (const s of all) {
        this.log(s.service);
        for (const m of s.methods) this.log(`  ${m.name}(${m.fields.join(', ')})`);
      }
      return;
    }
    if (!args.target) fail(this, 'MSGGW_CALL_TARGET', 'which RPC? give service.Method', ['msggw call --list', `msggw call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}'`]);
    if (args.target === 'describe') return this.describe(args.request, flags.json);
    if (flags.data !== undefined && args.request !== undefined) fail(this, 'MSGGW_CALL_JSON', 'the request was given twice: as an argument and with -d', ['keep one of them']);
    const body = flags.data !== undefined ? this.readBody(flags.data) : (args.request ?? '{}');
    const custom: Record<string, string[]> = {};
    for (const kv of flags.metadata ?? []) {
      const i = kv.indexOf('=');
      if (i <= 0) fail(this, 'MSGGW_CALL_METADATA', `--metadata ${kv}: expected key=value`);
      (custom[kv.slice(0, i).toLowerCase()] ??= []).push(kv.slice(i + 1));
    }
    const ctx = {
      operationID: flags['operation-id'] ?? `msggw-call-${randomUUID()}`,
      opUserID: flags['op-user'],
      ...(Object.keys(custom).length > 0 ? { custom } : {}),
    };
    const discovery = flags.discovery ? createDiscovery(parseDiscoveryFlag(flags.discovery)) : undefined;
    try {
      const target = resolveTarget(args.target);
      if (flags['service-names'] !== undefined) {
        let names;
        try {
          names = parseServiceNames(flags['service-names'], RPC_SERVICE_NAMES);
        } catch (e) {
          throw new CallError((e as Error).message, 'MSGGW_CALL_SERVICE_NAMES');
        }
        const key = (Object.keys(RPC_SERVICE_NAMES) as (keyof typeof RPC_SERVICE_NAMES)[]).find((k) => RPC_SERVICE_NAMES[k] === target.discoveryName);
        if (key) target.discoveryName = names[key];
      }
      const r = await callJSON(target, body, { addr: flags.addr, discovery, instance: flags.instance, ctx, timeoutMs: flags.timeout });
      this.log(flags.json ? JSON.stringify(r.reply) : JSON.stringify(r.reply, null, 2));
      const where = r.merged
        ? `asked all ${r.instances} instances (${r.addresses.join(', ')}), replies merged`
        : `at ${r.addresses[0]}${r.instances > 1 ? `, 1 of ${r.instances} instances${flags.instance ? '' : ' (--instance picks another)'}` : ''}`;
      if (!flags.json || r.instances > 1) this.logToStderr(`(${target.service}/${target.method} ${where}, operationID ${ctx.operationID})`);
    } catch (e) {
      if (e instanceof CodeError && isTransportStatus(e.code)) {
        // A gRPC status, not an OpenIM errCode: the call never reached an OpenIM handler.
        const t = transportFailure(e.code, e.message, flags.addr ?? (flags.discovery ? 'the address discovery gave' : 'the default address'));
        if (flags.json) this.log(JSON.stringify({ grpcStatus: e.code, name: t.name, message: t.message }));
        fail(this, 'MSGGW_CALL_UNREACHABLE', t.message, [t.suggestion]);
      }
      if (e instanceof CodeError) {
        const out = { errCode: e.code, errMsg: e.message, errDlt: e.detail, name: errCodeName(e.code) };
        if (flags.json) this.log(JSON.stringify(out));
        this.error(`${e.code} ${e.message}${e.detail ? `: ${e.detail}` : ''}`, { code: `OPENIM_${e.code}`, exit: 1 });
      }
      if (e instanceof CallError) failWith(this, e.code, e.message, e.suggestion);
      throw e;
    } finally {
      await discovery?.close();
    }
  }

  /** The request body of -d: JSON as it is, @file read from a file, @- from stdin. */
  private readBody(data: string): string {
    if (!data.startsWith('@')) return data;
    const from = data.slice(1);
    try {
      return readFileSync(from === '-' ? 0 : from, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
      fail(this, 'MSGGW_CALL_JSON', `could not read the request from ${from === '-' ? 'stdin' : from}: ${why}`, ['-d @file.json reads a file, -d @- reads stdin']);
    }
  }

  /** `call describe <method|message>`: fields and an example JSON of the request and response. */
  private describe(name: string | undefined, json: boolean): void {
    if (!name) fail(this, 'MSGGW_CALL_TARGET', 'describe what? give service.Method or a message name', ['msggw call describe msgGateway.GetUsersOnlineStatus', 'msggw call describe sdkws.MsgData']);
    let d;
    try {
      d = describeTarget(name);
    } catch (e) {
      if (e instanceof CallError) failWith(this, e.code, e.message, e.suggestion);
      throw e;
    }
    if (json) return this.log(JSON.stringify(d));
    this.log(d.title);
    for (const s of d.sections) {
      this.log('');
      this.log(s.heading);
      for (const f of s.fields) this.log(`  ${f}`);
      this.log('  example:');
      for (const l of JSON.stringify(s.example, null, 2).split('\n')) this.log(`    ${l}`);
    }
  }
}

/** gRPC status names (OpenIM's own errCodes start at 500, so 1-16 can only be gRPC's). */
const GRPC_STATUS: Record<number, string> = {
  1: 'CANCELLED',
  2: 'UNKNOWN',
  4: 'DEADLINE_EXCEEDED',
  8: 'RESOURCE_EXHAUSTED',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};

function isTransportStatus(code: number): boolean {
  return GRPC_STATUS[code] !== undefined;
}

/** A sentence for a call that failed in gRPC itself: what was tried, what happened, what to do. */
function transportFailure(code: number, raw: string, where: string): { name: string; message: string; suggestion: string } {
  const name = GRPC_STATUS[code]!;
  const errno = /\b(E[A-Z]{3,})\b/.exec(raw)?.[1];
  switch (code) {
    case 14:
      return {
        name,
        message: `could not reach ${where}: no gRPC connection (${errno ?? 'unavailable'})`,
        suggestion: 'is the service running there? msggw serve prints every address (hub, auth, user, msg, push); pass the right one with --addr host:port',
      };
    case 4:
      return { name, message: `${where} did not answer within --timeout`, suggestion: 'raise --timeout (e.g. --timeout 30s), or check that --addr is the service you mean' };
    case 12:
      return { name, message: `${where} does not serve this method (gRPC UNIMPLEMENTED)`, suggestion: '--addr points at another service: msggw call --list shows which service has the method' };
    default:
      return { name, message: `the call to ${where} failed in gRPC (${name}): ${raw.split('\n')[0]}`, suggestion: 'check --addr and that the service is an OpenIM one' };
  }
}
