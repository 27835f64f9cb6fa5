/**
 * Pins the in-process transport (src/rpc/local.ts) to real gRPC: the same server, called once
 * over the network (the default of createClient) and once in-process (`inProcess: true`, what
 * the node's and the simulators' pools use), sees the same request bytes, the
 * same context metadata and deadline, and the callers get the same replies, reply bytes and
 * errors (CodeError code, message and ErrorInfo detail; operationID missing; deadline exceeded;
 * unimplemented). A stopped server is no longer reached in-process.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeError, errs } from '../../src/protocol/errors.js';
import { pb } from '../../src/protocol/pb.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { localTarget } from '../../src/rpc/local.js';
import { implement, listenGrpc, stopGrpc } from '../../src/rpc/server.js';
import { authService, msgGatewayService, type AuthMethods, type MsgGatewayMethods } from '../../src/rpc/services.js';

/** Headers grpc-js adds on the wire that are transport, not the caller's context. */
const TRANSPORT_KEYS = new Set(['user-agent', 'grpc-accept-encoding', 'accept-encoding', 'grpc-encoding', 'te', 'content-type', 'grpc-timeout']);

interface Seen {
  requestBytes: string[];
  replyBytes: string[];
  metadata: Record<string, unknown>[];
  deadlines: number[];
  network: boolean[];
}

/** The service definition with (de)serializers that record the bytes the server read and wrote. */
function recording(def: ServiceDefinition, seen: Seen): ServiceDefinition {
  const out: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [name, m] of Object.entries(def) as [string, MethodDefinition<unknown, unknown>][]) {
    out[name] = {
      ...m,
      requestDeserialize: (b: Buffer) => {
        seen.requestBytes.push(Buffer.from(b).toString('hex'));
        return m.requestDeserialize(b);
      },
      responseSerialize: (v: unknown) => {
        const b = m.responseSerialize(v);
        seen.replyBytes.push(Buffer.from(b).toString('hex'));
        return b;
      },
    };
  }
  return out;
}

describe('in-process transport vs real gRPC', () => {
  const seen: Seen = { requestBytes: [], replyBytes: [], metadata: [], deadlines: [], network: [] };
  let server: Awaited<ReturnType<typeof listenGrpc>>['server'];
  let address = '';
  let net: RpcClient<MsgGatewayMethods>;
  let local: RpcClient<MsgGatewayMethods>;
  let netAuth: RpcClient<AuthMethods>;
  let localAuth: RpcClient<AuthMethods>;

  beforeAll(async () => {
    const started = await listenGrpc('127.0.0.1', 0, (s) => {
      s.addService(
        recording(msgGatewayService.definition, seen),
        implement(msgGatewayService, {
          SuperGroupOnlineBatchPushOneMsg: async (req, _ctx, call) => {
            const md = call.metadata.getMap();
            seen.network.push('user-agent' in md);
            seen.metadata.push(Object.fromEntries(Object.entries(md).filter(([k]) => !TRANSPORT_KEYS.has(k)).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : v])));
            seen.deadlines.push(call.deadline ? call.deadline.getTime() : -1);
            if (req.pushToUserIDs[0] === 'hang') await new Promise((r) => setTimeout(r, 600));
            return { singlePushResult: req.pushToUserIDs.map((userID) => ({ userID, onlinePush: true, resp: [{ RecvPlatFormID: 5, ResultCode: -1 }] })) };
          },
          KickUserOffline: () => {
            throw errs.tokenKicked('kicked by the test');
          },
          MultiTerminalLoginCheck: () => {
            throw new Error('not a CodeError');
          },
        }),
      );
      s.addService(authService.definition, implement(authService, { parseToken: (req) => ({ userID: req.token, platformID: 5, expireTimeSeconds: 2 ** 33 }) }));
    });
    server = started.server;
    address = `127.0.0.1:${started.port}`;
    net = createClient(msgGatewayService, address);
    local = createClient(msgGatewayService, address, undefined, { inProcess: true });
    netAuth = createClient(authService, address);
    localAuth = createClient(authService, address, undefined, { inProcess: true });
  });

  afterAll(async () => {
    for (const c of [net, local, netAuth, localAuth]) c?.close();
    if (server) await stopGrpc(server, 100);
  });

  const reset = (): void => {
    for (const k of Object.keys(seen) as (keyof Seen)[]) seen[k].length = 0;
  };

  const errorOf = async (p: Promise<unknown>): Promise<{ code: number; message: string; detail: string }> => {
    try {
      await p;
    } catch (e) {
      expect(e).toBeInstanceOf(CodeError);
      const ce = e as CodeError;
      return { code: ce.code, message: ce.message, detail: ce.detail };
    }
    throw new Error('expected the call to fail');
  };

  it('registers the server for in-process calls on the address it listens on', () => {
    expect(localTarget(address, '/openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg')).toBeDefined();
    expect(localTarget(address.replace('127.0.0.1', 'localhost'), '/openim.auth.Auth/parseToken')).toBeDefined();
    expect(localTarget('10.255.255.1:' + address.split(':')[1], '/openim.auth.Auth/parseToken')).toBeUndefined();
    expect(localTarget(address, '/openim.auth.Auth/noSuchMethod')).toBeUndefined();
  });

  it('the server reads the same request bytes and context metadata, and answers the same bytes', async () => {
    const ctx: RpcContext = { operationID: 'op-pin', opUserID: 'imAdmin', platform: 'Web', connID: 'conn-1', custom: { 'x-tenant': ['t1', 't2'] } };
    const req = { msgData: { sendID: 'a', recvID: 'b', seq: 2 ** 35, content: Buffer.from('héllo'), options: { history: true } }, pushToUserIDs: ['u1', 'u2'] };
    reset();
    const t0 = Date.now();
    const viaNet = await net.SuperGroupOnlineBatchPushOneMsg(req, ctx, { timeoutMs: 5000 });
    const viaLocal = await local.SuperGroupOnlineBatchPushOneMsg(req, ctx, { timeoutMs: 5000 });
    expect(seen.network).toEqual([true, false]);
    expect(seen.requestBytes[0]).toBe(seen.requestBytes[1]);
    expect(seen.replyBytes[0]).toBe(seen.replyBytes[1]);
    expect(seen.metadata[1]).toEqual(seen.metadata[0]);
    expect(seen.metadata[0]).toMatchObject({ operationid: 'op-pin', opuserid: 'imAdmin', platform: 'Web', connid: 'conn-1' });
    for (const d of seen.deadlines) expect(Math.abs(d - (t0 + 5000))).toBeLessThan(1500);
    expect(viaLocal).toEqual(viaNet);
    const rawReq = pb.msggateway.OnlineBatchPushOneMsgReq.encode(req);
    const rawNet = await net.raw('SuperGroupOnlineBatchPushOneMsg', rawReq, ctx);
    const rawLocal = await local.raw('SuperGroupOnlineBatchPushOneMsg', rawReq, ctx);
    expect(rawLocal.equals(rawNet)).toBe(true);
    expect(seen.network.slice(2)).toEqual([true, false]);
    expect(await localAuth.parseToken({ token: 'u9' }, ctx)).toEqual(await netAuth.parseToken({ token: 'u9' }, ctx));
  });

  it('errors are the same: CodeError with detail, a plain error (500), an empty operationID served, unimplemented, deadline', async () => {
    const ctx: RpcContext = { operationID: 'op-err' };
    expect(await errorOf(local.KickUserOffline({ kickUserIDList: ['x'], platformID: 1 }, ctx))).toEqual(await errorOf(net.KickUserOffline({ kickUserIDList: ['x'], platformID: 1 }, ctx)));
    expect(await errorOf(local.MultiTerminalLoginCheck({ userID: 'x', platformID: 1, token: 't' }, ctx))).toEqual(
      await errorOf(net.MultiTerminalLoginCheck({ userID: 'x', platformID: 1, token: 't' }, ctx)),
    );
    // An empty operationID reaches the handler on both paths (upstream's interceptor only counts the values).
    const noOp: RpcContext = { operationID: '' };
    const a = await errorOf(net.KickUserOffline({ kickUserIDList: [], platformID: 1 }, noOp));
    expect(a.code).toBe(1506);
    expect(await errorOf(local.KickUserOffline({ kickUserIDList: [], platformID: 1 }, noOp))).toEqual(a);
    const un = await errorOf(net.GetUsersOnlineStatus({ userIDs: ['x'] }, ctx));
    expect(un.code).toBe(12);
    expect(await errorOf(local.GetUsersOnlineStatus({ userIDs: ['x'] }, ctx))).toEqual(un);
    const slow = { msgData: {}, pushToUserIDs: ['hang'] };
    expect((await errorOf(net.SuperGroupOnlineBatchPushOneMsg(slow, ctx, { timeoutMs: 150 }))).code).toBe(4);
    expect((await errorOf(local.SuperGroupOnlineBatchPushOneMsg(slow, ctx, { timeoutMs: 150 }))).code).toBe(4);
  });

  it('a stopped server is not reached in-process any more', async () => {
    const other = await listenGrpc('127.0.0.1', 0, (s) => s.addService(authService.definition, implement(authService, { parseToken: () => ({ userID: 'x', platformID: 1, expireTimeSeconds: 1 }) })));
    const addr = `127.0.0.1:${other.port}`;
    expect(localTarget(addr, '/openim.auth.Auth/parseToken')).toBeDefined();
    await stopGrpc(other.server, 100);
    expect(localTarget(addr, '/openim.auth.Auth/parseToken')).toBeUndefined();
    const c = createClient(authService, addr, undefined, { inProcess: true });
    const e = await errorOf(c.parseToken({ token: 't' }, { operationID: 'op' }, { timeoutMs: 1000 }));
    expect([4, 14]).toContain(e.code);
    c.close();
  });
});
