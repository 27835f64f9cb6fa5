/**
 * The incremental version sync as the 3.8 SDKs drive it, replaying the requests
 * @openim/client-sdk sends at login (fixtures/api/sdk-login-requests.json): the first answers
 * are `full`, later ones carry the same versionID, a higher version and the change as a delta
 * (a user joins a group, a friend is imported, a conversation appears), and a caught-up client
 * gets no delta.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from '../../harness/harness.js';
import { pb } from '../../src/protocol/pb.js';
import { API_PATHS } from '../../simulators/api/contract.js';
import { Provisioner } from '../../simulators/provision/provisioner.js';
import { apiPost } from '../helpers/api.js';
import { startNode } from '../helpers/gateway.js';

interface Recorded {
  path: string;
  contentType: string;
  body: Record<string, unknown> & { protobufBase64?: string };
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/api/sdk-login-requests.json', import.meta.url), 'utf8')) as { requests: Recorded[] };
const recorded = (path: string): Recorded => {
  const r = fixture.requests.find((x) => x.path === path);
  if (!r) throw new Error(`the fixture has no ${path}`);
  return r;
};

interface Incr {
  version?: number;
  versionID?: string;
  full?: boolean;
  insert?: Record<string, unknown>[];
  update?: Record<string, unknown>[];
  delete?: string[];
}

describe('version sync against recorded SDK requests', () => {
  let h: Harness;
  let base: string;
  let prov: Provisioner;
  let token: string;
  const heads = new Map<string, { version: number; versionID: string }>();

  /** Replays a recorded request as it was (first sync), or with the head the last answer gave (a reconnect). */
  const replay = async <T = Incr>(path: string, reconnect: boolean): Promise<T> => {
    const body = { ...recorded(path).body };
    if (reconnect) Object.assign(body, heads.get(path));
    const { reply } = await apiPost<T>(base, path, body, { token });
    expect(reply.errCode, `${path}: ${reply.errMsg} ${reply.errDlt}`).toBe(0);
    return reply.data as T;
  };
  const remember = (path: string, r: Incr) => heads.set(path, { version: r.version!, versionID: r.versionID! });

  beforeAll(async () => {
    h = await startNode({ api: { enable: true, port: 0 } }, { redisMockKey: 700_000 + Math.floor(Math.random() * 100_000) });
    base = `http://${h.addresses.api}`;
    prov = new Provisioner({ api: base, secret: h.cfg.secret });
    await prov.registerUsers(['rec_a', 'rec_b', 'rec_c']);
    await prov.createGroup('rec_g', ['rec_b', 'rec_a']);
    token = (await prov.userTokens([{ userID: 'rec_a', platformID: 5 }])).get('rec_a:5')!;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('the first sync answers full, with a versionID and a version', async () => {
    for (const path of [API_PATHS.friend.getIncrementalFriends, API_PATHS.group.getIncrementalJoinGroups, API_PATHS.conversation.getIncrementalConversations]) {
      const r = await replay(path, false);
      expect(r.full, path).toBe(true);
      expect(r.versionID, path).toMatch(/^[0-9a-f]{24}$/);
      expect(r.version, path).toBeGreaterThanOrEqual(1);
      remember(path, r);
    }
    const batch = await replay<{ respList: Record<string, Incr & { group?: { groupID: string; memberCount: number } }> }>(API_PATHS.group.getIncrementalGroupMembersBatch, false);
    expect(batch.respList.rec_g).toMatchObject({ full: true, group: { groupID: 'rec_g', memberCount: 2 } });
    const ids = await replay<{ groupIDs: string[] }>(API_PATHS.group.getFullJoinGroupIDs, false);
    expect(ids.groupIDs).toEqual(['rec_g']);
  });

  it('a reconnect without changes gets no delta', async () => {
    for (const path of [API_PATHS.friend.getIncrementalFriends, API_PATHS.group.getIncrementalJoinGroups, API_PATHS.conversation.getIncrementalConversations]) {
      const r = await replay(path, true);
      expect(r, path).toMatchObject({ ...heads.get(path) });
      expect(r.full ?? false, path).toBe(false);
      expect(r.insert ?? [], path).toEqual([]);
    }
  });

  it('after a group join, a friend import and a first message, the reconnect sees each as a delta', async () => {
    const admin = await prov.adminToken();
    await prov.createGroup('rec_g2', ['rec_c', 'rec_a']);
    expect((await apiPost(base, API_PATHS.friend.importFriend, { ownerUserID: 'rec_a', friendUserIDs: ['rec_b'] }, { token: admin })).reply.errCode).toBe(0);
    const sent = await apiPost(base, API_PATHS.msg.sendMsg, { sendID: 'rec_b', recvID: 'rec_a', sessionType: 1, contentType: 101, content: { content: 'hi' } }, { token: admin });
    expect(sent.reply.errCode).toBe(0);

    const groups = await replay(API_PATHS.group.getIncrementalJoinGroups, true);
    expect(groups).toMatchObject({ versionID: heads.get(API_PATHS.group.getIncrementalJoinGroups)!.versionID });
    expect(groups.full ?? false).toBe(false);
    expect(groups.version).toBeGreaterThan(heads.get(API_PATHS.group.getIncrementalJoinGroups)!.version);
    expect(groups.insert).toEqual([expect.objectContaining({ groupID: 'rec_g2', memberCount: 2 })]);

    const friends = await replay(API_PATHS.friend.getIncrementalFriends, true);
    expect(friends.full ?? false).toBe(false);
    expect(friends.insert).toEqual([expect.objectContaining({ ownerUserID: 'rec_a', friendUser: expect.objectContaining({ userID: 'rec_b' }) })]);

    const convs = await replay(API_PATHS.conversation.getIncrementalConversations, true);
    expect(convs.full ?? false).toBe(false);
    expect(convs.insert).toEqual([expect.objectContaining({ conversationID: 'si_rec_a_rec_b', conversationType: 1, userID: 'rec_b', maxSeq: 1 })]);

    // A kick from the group is a delete for the kicked user's joined groups.
    remember(API_PATHS.group.getIncrementalJoinGroups, groups);
    expect((await apiPost(base, API_PATHS.group.kickGroup, { groupID: 'rec_g2', kickedUserIDs: ['rec_a'] }, { token: admin })).reply.errCode).toBe(0);
    const after = await replay(API_PATHS.group.getIncrementalJoinGroups, true);
    expect(after.delete).toEqual(['rec_g2']);
  });

  it('a versionID from another life (or a version ahead) answers full', async () => {
    const path = API_PATHS.friend.getIncrementalFriends;
    const { reply } = await apiPost<Incr>(base, path, { userID: 'rec_a', versionID: 'ffffffffffffffffffffffff', version: 3 }, { token });
    expect(reply.data).toMatchObject({ full: true, versionID: heads.get(path)!.versionID });
    const ahead = await apiPost<Incr>(base, path, { userID: 'rec_a', ...heads.get(path), version: 10_000 }, { token });
    expect(ahead.reply.data?.full).toBe(true);
  });

  it('the jssdk protobuf route answers the recorded request with base64 protobuf', async () => {
    const rec = recorded(API_PATHS.jssdk.getActiveConversations);
    expect(rec.contentType).toBe('application/x-protobuf');
    const { reply } = await apiPost<string>(base, rec.path, undefined, { token, headers: { 'Content-Type': rec.contentType }, raw: Buffer.from(rec.body.protobufBase64!, 'base64') });
    expect(reply.errCode).toBe(0);
    const resp = pb.jssdk.GetActiveConversationsResp.decode(Buffer.from(reply.data!, 'base64'));
    expect(resp.conversations.map((c) => c.conversation?.conversationID)).toContain('si_rec_a_rec_b');
    const conv = resp.conversations.find((c) => c.conversation?.conversationID === 'si_rec_a_rec_b')!;
    expect(conv.lastMsg?.sendID).toBe('rec_b');
    expect(conv.user?.userID).toBe('rec_b');
    expect(conv.friend?.friendUserID).toBe('rec_b');
  });
});
