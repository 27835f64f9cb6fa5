import { afterEach, describe, expect, it } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, startNode, type RawClient } from '../helpers/gateway.js';

const text = (content: string) => Buffer.from(JSON.stringify({ content }));

/** Sends `n` messages to oneself's peer and returns, per message, whether the 1003 reply came before the 2001 echo. */
async function order(node: Harness, tag: string, n: number): Promise<string[]> {
  const a: RawClient = await connectOk(node, { user: `ord-a-${tag}`, platform: 1 });
  try {
    const seen: string[] = [];
    for (let i = 0; i < n; i++) {
      const before = a.frames.length;
      const sent = await a.request(1003, pb.sdkws.MsgData.encode({ sendID: `ord-a-${tag}`, recvID: `ord-b-${tag}`, sessionType: 1, contentType: 101, content: text(`m${i}`), clientMsgID: `c${i}` }));
      expect(sent.errCode).toBe(0);
      await a.waitFor((f) => f.reqIdentifier === 2001 && pb.sdkws.PushMessages.decode(f.data!).msgs[`si_ord-a-${tag}_ord-b-${tag}`]?.Msgs[0]?.clientMsgID === `c${i}`);
      seen.push(
        a.frames
          .slice(before)
          .map((f) => f.reqIdentifier)
          .filter((r) => r === 1003 || r === 2001)
          .join(','),
      );
    }
    return seen;
  } finally {
    a.close();
  }
}

describe('the msg simulator answers SendMsg before it pushes, as upstream', () => {
  let node: Harness | undefined;
  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  it.each([{ inProcessRpc: false }, { inProcessRpc: true }])('the 1003 reply reaches the sender before its own 2001 echo (inProcessRpc=$inProcessRpc)', async ({ inProcessRpc }) => {
    node = await startNode({ inProcessRpc });
    const seen = await order(node, `r${inProcessRpc}`, 20);
    expect(seen).toEqual(Array(20).fill('1003,2001'));
  });

  it('--push-before-reply reorders on purpose: the echo comes first', async () => {
    node = await startNode({ pushBeforeReply: true });
    const seen = await order(node, 'p', 5);
    expect(seen).toEqual(Array(5).fill('2001,1003'));
  });
});
