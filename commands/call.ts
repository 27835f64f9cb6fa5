import { Args, Command, Flags } from '@oclif/core';
import { randomUUID } from 'node:crypto';
import { CodeError, errCodeName } from '../src/protocol/errors.js';
import { CallError, callJSON, describeAll, resolveTarget } from '../simulators/tools/rpc-call.js';
import { createDiscovery, parseDiscoveryFlag } from '../src/discovery/index.js';
import { fail, failWith } from './support/errors.js';
import { durationFlag, hostPortFlag } from './support/flags.js';
import { parseServiceNames, RPC_SERVICE_NAMES } from '../src/config/service-names.js';

export default class Call extends Command {
  static override summary = 'Call any RPC of the hub or the OpenIM services with a JSON request (like grpcurl).';
  static override description = `Sends one unary gRPC call with OpenIM's metadata (operationID, opUserID, customHeader keys) and
prints the reply as JSON. Errors show the OpenIM code, message and detail, and exit non-zero.`;
  static override examples = [
    '<%= config.bin %> call --list',
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}'`,
    `<%= config.bin %> call msgGateway.KickUserOffline '{"platformID":5,"kickUserIDList":["u1"]}' --addr 127.0.0.1:10140`,
    `<%= config.bin %> call auth.parseToken '{"token":"eyJ..."}' --addr 127.0.0.1:40001`,
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}' --discovery etcd://127.0.0.1:2379 --json`,
    `<%= config.bin %> call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}' --discovery etcd://127.0.0.1:2379 --service-names v3.8`,
  ];
  static override args = {
    target: Args.string({ description: 'service.Method, e.g. msgGateway.GetUsersOnlineStatus' }),
    request: Args.string({ description: 'request as JSON (protobuf JSON mapping; default {})' }),
  };
  static override flags = {
    list: Flags.boolean({ char: 'l', summary: 'List every service, method and request field.' }),
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
      const all = describeAll();
      if (flags.json) return this.log(JSON.stringify(all));
      for (const s of all) {
        this.log(s.service);
        for (const m of s.methods) this.log(`  ${m.name}(${m.fields.join(', ')})`);
      }
      return;
    }
    if (!args.target) fail(this, 'MSGGW_CALL_TARGET', 'which RPC? give service.Method', ['msggw call --list', `msggw call msgGateway.GetUsersOnlineStatus '{"userIDs":["u1"]}'`]);
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
      const { address, reply } = await callJSON(target, args.request ?? '{}', { addr: flags.addr, discovery, ctx, timeoutMs: flags.timeout });
      this.log(flags.json ? JSON.stringify(reply) : JSON.stringify(reply, null, 2));
      if (!flags.json) this.logToStderr(`(${target.service}/${target.method} at ${address}, operationID ${ctx.operationID})`);
    } catch (e) {
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
}
