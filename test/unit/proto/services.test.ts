import { describe, expect, it } from 'vitest';
import { listServices, pb } from '../../../src/protocol/pb.js';
import { grpcServices, msgGatewayService } from '../../../src/rpc/services.js';

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


describe('wire bytes', () => {
  it('of a call equal the pb codec', () => {
    const def = msgGatewayService.definition['KickUserOffline']!;
    const bytes = def.requestSerialize({ platformID: 5, kickUserIDList: ['u'] });
    expect(bytes.toString('hex')).toBe(pb.msggateway.KickUserOfflineReq.encode({ platformID: 5, kickUserIDList: ['u'] }).toString('hex'));
  });
});
