import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listServices, pb } from '../../../src/protocol/pb.js';
import {
  addService,
  authService,
  callRaw,
  createClient,
  grpcServices,
  msgGatewayService,
  type GrpcClient,
  type MsgGatewayMethods,
  type AuthMethods,
} from '../../../src/rpc/services.js';

describe('service names and paths', () => {
  it('match upstream exactly', () => {
    const paths = Object.fromEntries(listServices().map((s) => [s.name, s.methods.map((m) => m.path)]));
    expect(paths).toEqual({
      'openim.msggateway.msgGateway': [
        '/openim.msggateway.msgGateway/OnlinePushMsg',
        '/openim.msggateway.msgGateway/GetUsersOnlineStatus',
        '/openim.msggateway.msgGateway/OnlineBatchPushOneMsg',
        '/openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg',
        '/openim.msggateway.msgGateway/KickUserOffline',
        '/openim.msggateway.msgGateway/MultiTerminalLoginCheck',
      ],
      'openim.auth.Auth': [
        '/openim.auth.Auth/getAdminToken',
        '/openim.auth.Auth/getUserToken',
        '/openim.auth.Auth/forceLogout',
        '/openim.auth.Auth/parseToken',
        '/openim.auth.Auth/invalidateToken',
        '/openim.auth.Auth/kickTokens',
        '/openim.auth.Auth/getExistingToken',
      ],
      'openim.user.user': [
        '/openim.user.user/getUserStatus',
        '/openim.user.user/setUserStatus',
        '/openim.user.user/setUserOnlineStatus',
        '/openim.user.user/getAllOnlineUsers',
      ],
      'openim.msg.msg': [
        '/openim.msg.msg/GetMaxSeq',
        '/openim.msg.msg/PullMessageBySeqs',
        '/openim.msg.msg/GetSeqMessage',
        '/openim.msg.msg/SendMsg',
        '/openim.msg.msg/GetConversationsHasReadAndMaxSeq',
        '/openim.msg.msg/GetLastMessage',
      ],
      'openim.push.PushMsgService': ['/openim.push.PushMsgService/PushMsg', '/openim.push.PushMsgService/DelUserPushToken'],
    });
  });

  it('are exposed per service with their definitions', () => {
    expect(grpcServices.msgGateway.name).toBe('openim.msggateway.msgGateway');
    expect(grpcServices.auth.paths.parseToken).toBe('/openim.auth.Auth/parseToken');
    expect(grpcServices.user.paths.setUserOnlineStatus).toBe('/openim.user.user/setUserOnlineStatus');
    expect(grpcServices.msg.paths.SendMsg).toBe('/openim.msg.msg/SendMsg');
    expect(grpcServices.push.paths.DelUserPushToken).toBe('/openim.push.PushMsgService/DelUserPushToken');
    expect(msgGatewayService.definition['SuperGroupOnlineBatchPushOneMsg']?.path).toBe(
      '/openim.msggateway.msgGateway/SuperGroupOnlineBatchPushOneMsg',
    );
    expect(msgGatewayService.Client.serviceName).toBe('openim.msggateway.msgGateway');
  });
});

describe('gRPC round trip on loopback', () => {
  const server = new grpc.Server();
  let gw: GrpcClient<MsgGatewayMethods>;
  let auth: GrpcClient<AuthMethods>;
  const seen: { operationID?: string; msgSeq?: number } = {};

  beforeAll(async () => {
    addService(server, msgGatewayService, {
      OnlinePushMsg: () => ({}),
      GetUsersOnlineStatus: () => ({ successResult: [{ userID: 'u1', status: 1, detailPlatformStatus: [{ platformID: 5 }] }] }),
      OnlineBatchPushOneMsg: () => ({}),
      SuperGroupOnlineBatchPushOneMsg: async (req, call) => {
        seen.operationID = String(call.metadata.get('operationid')[0]);
        seen.msgSeq = req.msgData?.seq;
        return {
          singlePushResult: req.pushToUserIDs.map((userID) => ({
            userID,
            onlinePush: true,
            resp: [{ RecvPlatFormID: 1, ResultCode: 0 }],
          })),
        };
      },
      KickUserOffline: () => {
        throw Object.assign(new Error('token kicked'), { code: 1506 });
      },
      MultiTerminalLoginCheck: () => {
        throw new Error('boom');
      },
    });
    addService(server, authService, {
      getAdminToken: () => ({}),
      getUserToken: (req) => ({ token: `tok-${req.userID}-${req.platformID}`, expireTimeSeconds: 86400 }),
      forceLogout: () => ({}),
      parseToken: (req) => ({ userID: req.token.split('-')[1], platformID: 5, expireTimeSeconds: 2 ** 33 }),
      invalidateToken: () => ({}),
      kickTokens: () => ({}),
      getExistingToken: () => ({ tokenStates: { a: 0, b: 2 } }),
    });
    const port = await new Promise<number>((resolve, reject) =>
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

  it('carries typed requests, responses and metadata', async () => {
    const md = new grpc.Metadata();
    md.set('operationID', 'op-1');
    const resp = await gw.SuperGroupOnlineBatchPushOneMsg(
      { msgData: { sendID: 'a', seq: 2 ** 35, content: Buffer.from('x') }, pushToUserIDs: ['u1', 'u2'] },
      { metadata: md, deadline: Date.now() + 5000 },
    );
    expect(seen).toEqual({ operationID: 'op-1', msgSeq: 2 ** 35 });
    expect(resp.singlePushResult).toEqual([
      { userID: 'u1', onlinePush: true, resp: [{ RecvPlatFormID: 1, ResultCode: 0, RecvID: '' }] },
      { userID: 'u2', onlinePush: true, resp: [{ RecvPlatFormID: 1, ResultCode: 0, RecvID: '' }] },
    ]);
    const status = await gw.GetUsersOnlineStatus({ userIDs: ['u1'] });
    expect(status.successResult[0]?.detailPlatformStatus[0]).toEqual({ platformID: 5, connID: '', isBackground: false, token: '' });
    expect(status.failedResult).toEqual([]);
  });

  it('serves and calls Auth', async () => {
    const { token } = await auth.getUserToken({ userID: 'u9', platformID: 5 });
    expect(token).toBe('tok-u9-5');
    expect(await auth.parseToken({ token })).toEqual({ userID: 'u9', platformID: 5, expireTimeSeconds: 2 ** 33 });
    expect((await auth.getExistingToken({ userID: 'u9' })).tokenStates).toEqual({ a: 0, b: 2 });
    expect(await auth.kickTokens({ tokens: ['t'] })).toEqual({});
  });

  it('passes OpenIM error codes through and maps other errors to 500', async () => {
    await expect(gw.KickUserOffline({ platformID: 1 })).rejects.toMatchObject({ code: 1506, details: 'token kicked' });
    await expect(gw.MultiTerminalLoginCheck({ userID: 'u' })).rejects.toMatchObject({ code: 500, details: 'boom' });
  });

  it('forwards raw bytes, unknown fields included', async () => {
    // parseTokenReq{token:"tok-u7-5"} plus an unknown field 9 (varint 1) a newer peer might send.
    const req = Buffer.concat([pb.auth.parseTokenReq.encode({ token: 'tok-u7-5' }), Buffer.from('4801', 'hex')]);
    const resp = await callRaw(auth.grpcClient, authService.paths.parseToken, req);
    expect(pb.auth.parseTokenResp.decode(resp)).toEqual({ userID: 'u7', platformID: 5, expireTimeSeconds: 2 ** 33 });
  });

  it('wire bytes of a call equal the pb codec', () => {
    const def = msgGatewayService.definition['KickUserOffline']!;
    const bytes = def.requestSerialize({ platformID: 5, kickUserIDList: ['u'] });
    expect(bytes.toString('hex')).toBe(pb.msggateway.KickUserOfflineReq.encode({ platformID: 5, kickUserIDList: ['u'] }).toString('hex'));
  });
});
