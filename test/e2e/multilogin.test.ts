import { afterEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/redis/keys.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, eventually, startNode, type RawClient } from '../helpers/gateway.js';

/** Connects `user` on each platform in order, returning which earlier connections got 2002 and closed. */
async function loginSequence(node: Harness, user: string, platforms: number[]): Promise<{ clients: RawClient[]; kicked: number[] }> {
  const clients: RawClient[] = [];
  for (const p of platforms) {
    clients.push(await connectOk(node, { user, platform: p }));
    await new Promise((r) => setTimeout(r, 30));
  }
  await new Promise((r) => setTimeout(r, 100));
  const kicked: number[] = [];
  clients.forEach((c, i) => {
    if (c.frames.some((f) => f.reqIdentifier === 2002)) kicked.push(i);
  });
  return { clients, kicked };
}

describe('multi-login policies on one node', () => {
  let node: Harness | undefined;
  afterEach(async () => {
    await node?.close();
    node = undefined;
  });

  it('policy 0 kicks nobody', async () => {
    node = await startNode({ multiLogin: { policy: 0 } });
    const { kicked } = await loginSequence(node, 'p0', [5, 5, 1, 1]);
    expect(kicked).toEqual([]);
    expect(node.view().registry.getAll('p0')).toHaveLength(4);
  });

  it('policy 1 kicks the same platform only, and invalidates the other tokens', async () => {
    node = await startNode({ multiLogin: { policy: 1 } });
    const { clients, kicked } = await loginSequence(node, 'p1', [5, 1, 5]);
    expect(kicked).toEqual([0]);
    await clients[0]!.closed;
    await eventually(() => node!.view().registry.getAll('p1').length === 2, 2000, 'kicked conn unregistered');
    // The kicked token is now refused by auth (InvalidateToken marked it kicked).
    const states = await node.stack!.redis.hgetall(redisKeys.tokenStatus('p1', 'Web'));
    expect(Object.values(states).sort()).toEqual(['0', '2']);
  });

  it('policy 1 never kicks a connection holding the same token (a reconnect elsewhere)', async () => {
    node = await startNode({ multiLogin: { policy: 1 } });
    const first = await connectOk(node, { user: 'same', platform: 5, token: undefined });
    const token = first.ws.url.match(/token=([^&]+)/)![1]!;
    const second = await connectOk(node, { user: 'same', platform: 5, token });
    await new Promise((r) => setTimeout(r, 100));
    expect(first.frames.some((f) => f.reqIdentifier === 2002)).toBe(false);
    expect(node.view().registry.getAll('same')).toHaveLength(2);
    first.close();
    second.close();
  });

  it('policy 4 kicks the same class (iOS kicks Android; iPad stays) and reports KickTokens', async () => {
    node = await startNode({ multiLogin: { policy: 4 } });
    const { kicked } = await loginSequence(node, 'p4', [2, 9, 3, 1]);
    expect(kicked).toEqual([0]);
    const android = await node.stack!.redis.hgetall(redisKeys.tokenStatus('p4', 'Android'));
    expect(Object.values(android)).toEqual(['2']);
  });

  it('policy 5: a PC never kicks; a non-PC kicks the other non-PC sessions', async () => {
    node = await startNode({ multiLogin: { policy: 5 } });
    const { kicked } = await loginSequence(node, 'p5', [3, 5, 7, 1]);
    // Windows(3) and Linux(7) are PC: never kick; iOS(1) kicks Web(5) but not the PCs.
    expect(kicked).toEqual([1]);
    expect(node.view().registry.platforms('p5')).toEqual([1, 3, 7]);
  });
});
