import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeError } from '../../src/protocol/errors.js';
import { pb } from '../../src/protocol/pb.js';
import type { RpcContext } from '../../src/rpc/context.js';
import { createClient, type RpcClient } from '../../src/rpc/grpc-client.js';
import { implement, listenGrpc, stopGrpc } from '../../src/rpc/server.js';
import { msgService, type MsgMethods } from '../../src/rpc/services.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, startNode, type RawClient } from '../helpers/gateway.js';

const EMPTY = new Uint8Array(0);
const text = (s: string) => Buffer.from(JSON.stringify({ content: s }));
const single = (sendID: string, recvID: string, s: string) => pb.sdkws.MsgData.encode({ sendID, recvID, sessionType: 1, contentType: 101, content: text(s), senderPlatformID: 1 });

/**
 * Upstream's msg service checks the caller (opUserID in the RPC metadata) with
 * authverify.CheckAccessV3: only admins act for others. The gateway puts the connection's user
 * there; the msg simulator enforces it.
 */
describe('access control as upstream msg service enforces it', () => {
  let node: Harness;
  let msg: RpcClient<MsgMethods>;
  const open: RawClient[] = [];
  const connect = async (user: string) => {
    const c = await connectOk(node, { user, platform: 1 });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    node = await startNode({ multiLogin: { policy: 0 } });
    msg = createClient(msgService, node.addresses.msg!);
  });
  afterAll(async () => {
    for (const c of open) c.close();
    msg.close();
    await node.close();
  });

  it('a client cannot send as someone else (MsgData.sendID is checked against the connection user)', async () => {
    const mallory = await connect('ac-mallory');
    const carol = await connect('ac-carol');
    const forged = await mallory.request(1003, single('ac-alice', 'ac-carol', 'I am alice'));
    expect(forged.errCode).toBe(1002);
    const own = await mallory.request(1003, single('ac-mallory', 'ac-carol', 'hello'));
    expect(own.errCode).toBe(0);
    // The only push carol sees is mallory's own message.
    const push = await carol.waitFor((f) => f.reqIdentifier === 2001);
    const msgs = Object.values(pb.sdkws.PushMessages.decode(push.data ?? EMPTY).msgs).flatMap((p) => p.Msgs);
    expect(msgs.map((m) => m.sendID)).toEqual(['ac-mallory']);
  });

  it("a client cannot read another user's seqs or pull another user's conversation", async () => {
    const alice = await connect('ac-alice2');
    const mallory = await connect('ac-mallory2');
    expect((await alice.request(1003, single('ac-alice2', 'ac-bob2', 'secret'))).errCode).toBe(0);
    const conv = 'si_ac-alice2_ac-bob2';
    // GetNewestSeq for alice: refused.
    const seq = await mallory.request(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: 'ac-alice2' }));
    expect(seq.errCode).toBe(1002);
    // Pull as alice: refused; pull alice's conversation as herself: nothing comes back.
    const asAlice = await mallory.request(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'ac-alice2', seqRanges: [{ conversationID: conv, begin: 1, end: 10, num: 10 }], order: 0 }));
    expect(asAlice.errCode).toBe(1002);
    const asSelf = await mallory.request(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'ac-mallory2', seqRanges: [{ conversationID: conv, begin: 1, end: 10, num: 10 }], order: 0 }));
    expect(asSelf.errCode).toBe(0);
    expect(pb.sdkws.PullMessageBySeqsResp.decode(asSelf.data ?? EMPTY).msgs[conv]).toBeUndefined();
    const bySeq = await mallory.request(1005, pb.msg.GetSeqMessageReq.encode({ userID: 'ac-mallory2', conversations: [{ conversationID: conv, seqs: [1] }], order: 0 }));
    expect(bySeq.errCode).toBe(0);
    expect(pb.msg.GetSeqMessageResp.decode(bySeq.data ?? EMPTY).msgs[conv]).toBeUndefined();
    const last = await mallory.request(1007, pb.msg.GetLastMessageReq.encode({ userID: 'ac-mallory2', conversationIDs: [conv] }));
    expect(last.errCode).toBe(0);
    expect(pb.msg.GetLastMessageResp.decode(last.data ?? EMPTY).msgs[conv]).toBeUndefined();
    // Alice reads her own.
    const mine = await alice.request(1002, pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'ac-alice2', seqRanges: [{ conversationID: conv, begin: 1, end: 10, num: 10 }], order: 0 }));
    expect(pb.sdkws.PullMessageBySeqsResp.decode(mine.data ?? EMPTY).msgs[conv]!.Msgs).toHaveLength(1);
  });

  it('over gRPC only an admin acts for others', async () => {
    const as = (opUserID: string): RpcContext => ({ operationID: `op-${opUserID}`, opUserID });
    const code = (e: unknown) => (e instanceof CodeError ? e.code : -1);
    expect(code(await msg.GetMaxSeq({ userID: 'ac-alice2' }, as('ac-mallory2')).catch((e: unknown) => e))).toBe(1002);
    expect(code(await msg.GetMaxSeq({ userID: 'ac-alice2' }, { operationID: 'op-none' }).catch((e: unknown) => e))).toBe(1002);
    expect(Object.keys((await msg.GetMaxSeq({ userID: 'ac-alice2' }, as('imAdmin'))).maxSeqs)).toContain('si_ac-alice2_ac-bob2');
    const sendAs = (op: string) => msg.SendMsg({ msgData: pb.sdkws.MsgData.decode(single('ac-alice2', 'ac-bob2', 'x')) }, as(op));
    expect(code(await sendAs('ac-mallory2').catch((e: unknown) => e))).toBe(1002);
    expect((await sendAs('imAdmin')).serverMsgID).toMatch(/^[0-9a-f]{32}$/);
    const pulled = await msg.PullMessageBySeqs({ userID: 'ac-bob2', seqRanges: [{ conversationID: 'si_ac-alice2_ac-bob2', begin: 1, end: 10, num: 10 }], order: 0 }, as('imAdmin'));
    expect(pulled.msgs['si_ac-alice2_ac-bob2']!.Msgs.length).toBe(2);
  });
});

describe('the gateway forwards the connection user as opUserID', () => {
  it('whatever the request body names', async () => {
    const seen: (string | undefined)[] = [];
    const handlers: Partial<Parameters<typeof implement<MsgMethods>>[1]> = {
      GetMaxSeq: (_req, ctx) => {
        seen.push(ctx.opUserID);
        return { maxSeqs: {}, minSeqs: {} };
      },
      SendMsg: (_req, ctx) => {
        seen.push(ctx.opUserID);
        return { serverMsgID: 's', clientMsgID: 'c', sendTime: 1 };
      },
    };
    const { server, port } = await listenGrpc('127.0.0.1', 0, (s) => s.addService(msgService.definition, implement<MsgMethods>(msgService, handlers)));
    const node = await startNode({ serviceAddrs: { msg: `127.0.0.1:${port}` } });
    try {
      const c = await connectOk(node, { user: 'fw-bob', platform: 1 });
      expect((await c.request(1001, pb.sdkws.GetMaxSeqReq.encode({ userID: 'fw-alice' }))).errCode).toBe(0);
      expect((await c.request(1003, single('fw-alice', 'fw-carol', 'x'))).errCode).toBe(0);
      expect(seen).toEqual(['fw-bob', 'fw-bob']);
      c.close();
    } finally {
      await node.close();
      await stopGrpc(server);
    }
  });
});
