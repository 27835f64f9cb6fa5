import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeError, ErrCode, errs } from '../../../src/protocol/errors.js';
import { pb } from '../../../src/protocol/pb.js';
import { createClient, type RpcClient } from '../../../src/rpc/grpc-client.js';
import type { RpcContext } from '../../../src/rpc/context.js';
import { implement } from '../../../src/rpc/server.js';
import { authService, msgGatewayService, type AuthMethods, type MsgGatewayMethods } from '../../../src/rpc/services.js';

/** Real gRPC on loopback: our server wrapper and our client wrapper, both directions of the interceptors. */
describe('rpc interceptors over real gRPC', () => {
  const server = new grpc.Server();
  let port = 0;
  let gw: RpcClient<MsgGatewayMethods>;
  let auth: RpcClient<AuthMethods>;
  let seenCtx: RpcContext | undefined;
  const observed: { name: string; code: number }[] = [];

  beforeAll(async () => {
    server.addService(
      msgGatewayService.definition,
      implement(
        msgGatewayService,
        {
          SuperGroupOnlineBatchPushOneMsg: async (req, ctx) => {
            seenCtx = ctx;
            return { singlePushResult: req.pushToUserIDs.map((userID) => ({ userID, onlinePush: true, resp: [{ RecvPlatFormID: 1 }] })) };
          },
          KickUserOffline: () => {
            throw errs.tokenKicked('kicked by test');
          },
          MultiTerminalLoginCheck: () => {
            throw new Error('boom');
          },
        },
        (e) => observed.push({ name: e.name, code: e.code }),
      ),
    );
    server.addService(
      authService.definition,
      implement(authService, { parseToken: (req) => ({ userID: req.token.split('-')[1], platformID: 5, expireTimeSeconds: 2 ** 33 }) }),
    );
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    gw = createClient(msgGatewayService, `127.0.0.1:${port}`);
    auth = createClient(authService, `127.0.0.1:${port}`);
  });

  afterAll(() => {
    gw?.close();
    auth?.close();
    server.forceShutdown();
  });

  it('carries the context as metadata and typed values both ways', async () => {
    const ctx: RpcContext = { operationID: 'op-1', opUserID: 'admin', platform: 'Web', connID: 'c1', custom: { 'x-tenant': ['t1'] } };
    const resp = await gw.SuperGroupOnlineBatchPushOneMsg({ msgData: { sendID: 'a', seq: 2 ** 35 }, pushToUserIDs: ['u1', 'u2'] }, ctx);
    expect(seenCtx).toEqual(ctx);
    expect(resp.singlePushResult.map((r) => r.userID)).toEqual(['u1', 'u2']);
    expect(resp.singlePushResult[0]!.resp[0]).toEqual({ RecvPlatFormID: 1, ResultCode: 0, RecvID: '' });
  });

  it('rejects a call without operationID with ArgsError 1001', async () => {
    const raw = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const def = authService.definition['parseToken']!;
    const err = await new Promise<grpc.ServiceError>((resolve) =>
      raw.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, { token: 'x-u1' }, new grpc.Metadata(), (e) => resolve(e!)),
    );
    raw.close();
    expect(err.code).toBe(ErrCode.ArgsError);
  });

  it('turns a CodeError into a status with ErrorInfo and back', async () => {
    const e = await gw.KickUserOffline({ platformID: 1 }, { operationID: 'op-2' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CodeError);
    expect(e).toMatchObject({ code: ErrCode.TokenKickedError, message: 'TokenKickedError', detail: 'kicked by test' });
  });

  it('maps an uncoded error to ServerInternalError 500', async () => {
    const e = await gw.MultiTerminalLoginCheck({ userID: 'u' }, { operationID: 'op-3' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 500, detail: 'boom' });
  });

  it('answers UNIMPLEMENTED for methods without a handler', async () => {
    const e = await gw.OnlinePushMsg({}, { operationID: 'op-4' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  it('reports every call to the observer with its code', () => {
    expect(observed).toEqual(
      expect.arrayContaining([
        { name: 'SuperGroupOnlineBatchPushOneMsg', code: 0 },
        { name: 'KickUserOffline', code: ErrCode.TokenKickedError },
        { name: 'MultiTerminalLoginCheck', code: 500 },
      ]),
    );
  });

  it('forwards raw bytes, unknown fields included', async () => {
    // parseTokenReq{token:"x-u7"} plus an unknown field 9 (varint 1) a newer peer might send.
    const req = Buffer.concat([pb.auth.parseTokenReq.encode({ token: 'x-u7' }), Buffer.from('4801', 'hex')]);
    const resp = await auth.raw('parseToken', req, { operationID: 'op-5' });
    expect(pb.auth.parseTokenResp.decode(resp)).toEqual({ userID: 'u7', platformID: 5, expireTimeSeconds: 2 ** 33 });
  });

  it('a dead address fails with a CodeError carrying the transport code', async () => {
    const dead = createClient(authService, '127.0.0.1:1');
    const e = await dead.parseToken({ token: 'x' }, { operationID: 'op-6' }, { timeoutMs: 2000 }).catch((x: unknown) => x);
    dead.close();
    expect(e).toBeInstanceOf(CodeError);
    expect([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]).toContain((e as CodeError).code);
  });
});
