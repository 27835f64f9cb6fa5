import { expect } from 'vitest';
import { pb } from '../../src/protocol/pb.js';
import type { Harness } from '../../harness/harness.js';
import { connectOk, type RawClient } from './gateway.js';
import { ReqIdentifier } from '../../src/protocol/identifiers.js';

/** The platform lists carried by the 2005 pushes a client received about `userID`, in order. */
export function presencePushes(c: RawClient, userID: string): number[][] {
  return c.frames
    .filter((f) => f.reqIdentifier === ReqIdentifier.WsSubUserOnlineStatus && f.msgIncr === '')
    .map((f) => pb.sdkws.SubUserOnlineStatusTips.decode(f.data!).subscribers)
    .flat()
    .filter((s) => s.userID === userID)
    .map((s) => s.onlinePlatformIDs);
}

/** Waits until the 2005 pushes about `userID` equal `want`. */
export async function expectPresence(c: RawClient, userID: string, want: number[][], timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (JSON.stringify(presencePushes(c, userID)) !== JSON.stringify(want)) {
    if (Date.now() > deadline) expect(presencePushes(c, userID)).toEqual(want);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The core presence flow: A (on `nodeA`) subscribes to B; B connects on two platforms (on
 * `nodeB`) and drops one: A is told [5], then [3,5]... in order, and B's reply lists are right.
 */
export async function subscribeAndWatch(nodeA: Harness, nodeB: Harness, tag: string): Promise<void> {
  const A = `watcher-${tag}`;
  const B = `watched-${tag}`;
  const a = await connectOk(nodeA, { user: A, platform: 5, sdkType: 'js' });
  const sub = await a.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: [B] }));
  expect(sub.errCode).toBe(0);
  expect(pb.sdkws.SubUserOnlineStatusTips.decode(sub.data!).subscribers).toEqual([{ userID: B, onlinePlatformIDs: [] }]);

  const web = await connectOk(nodeB, { user: B, platform: 5 });
  await expectPresence(a, B, [[5]]);
  const win = await connectOk(nodeB, { user: B, platform: 3 });
  await expectPresence(a, B, [[5], [3, 5]]);
  web.close();
  await expectPresence(a, B, [[5], [3, 5], [3]]);

  // A second subscriber gets the current state in its reply.
  const late = await connectOk(nodeA, { user: `late-${tag}`, platform: 1 });
  const r = await late.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ subscribeUserID: [B] }));
  expect(pb.sdkws.SubUserOnlineStatusTips.decode(r.data!).subscribers).toEqual([{ userID: B, onlinePlatformIDs: [3] }]);

  // Unsubscribing stops the pushes.
  await a.request(2005, pb.sdkws.SubUserOnlineStatus.encode({ unsubscribeUserID: [B] }));
  win.close();
  await expectPresence(late, B, [[]]);
  expect(presencePushes(a, B)).toEqual([[5], [3, 5], [3]]);
  a.close();
  late.close();
}
