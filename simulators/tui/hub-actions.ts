/**
 * The TUI's hub menu: the msgGateway RPCs a person wants to try on a live node, each sent
 * through the hub's gRPC with OpenIM's metadata and its answer turned into lines for the
 * Events pane (a short one for the status line first).
 */
import { randomBytes } from 'node:crypto';
import { newOperationID } from '../../src/rpc/context.js';
import type { RpcClient } from '../../src/rpc/grpc-client.js';
import type { MsgGatewayMethods } from '../../src/rpc/services.js';
import { tokenFor } from '../client/index.js';
import { platLabel } from './format.js';
import { short } from './event-line.js';

/** What a hub call produced: a summary for the status line and the details, one line each. */
export interface HubResult {
  summary: string;
  lines: string[];
}

type Hub = RpcClient<MsgGatewayMethods>;

const ctx = () => ({ operationID: newOperationID('tui'), opUserID: 'imAdmin' });
const TIMEOUT = { timeoutMs: 5000 };

/** GetUsersOnlineStatus for some users: each online user's connections (platform, connID, background). */
export async function onlineStatus(hub: Hub, userIDs: string[]): Promise<HubResult> {
  const r = await hub.GetUsersOnlineStatus({ userIDs }, ctx(), TIMEOUT);
  const lines: string[] = [];
  const online = new Set<string>();
  for (const s of r.successResult) {
    online.add(s.userID);
    const conns = s.detailPlatformStatus.map((d) => `${platLabel(d.platformID)} conn ${short(d.connID)}${d.isBackground ? ' bg' : ''}`);
    lines.push(`GetUsersOnlineStatus ${s.userID}: online, ${conns.length} conn(s): ${conns.join(' · ')}`);
  }
  for (const u of userIDs) if (!online.has(u)) lines.push(`GetUsersOnlineStatus ${u}: offline`);
  return { summary: `GetUsersOnlineStatus: ${online.size} of ${userIDs.length} online`, lines };
}

/** SuperGroupOnlineBatchPushOneMsg of a text to users: the result of every connection reached. */
export async function pushText(hub: Hub, userIDs: string[], text: string): Promise<HubResult> {
  const msgData = {
    sendID: 'imAdmin',
    groupID: 'tui',
    clientMsgID: randomBytes(16).toString('hex'),
    serverMsgID: randomBytes(16).toString('hex'),
    sessionType: 3,
    msgFrom: 100,
    contentType: 101,
    content: Buffer.from(JSON.stringify({ content: text }), 'utf8'),
    sendTime: Date.now(),
    createTime: Date.now(),
  };
  const r = await hub.SuperGroupOnlineBatchPushOneMsg({ msgData, pushToUserIDs: userIDs }, ctx(), TIMEOUT);
  // Upstream lists a result per iOS/Android connection, and per failed or iOS-background one;
  // a frame delivered to Web or PC is counted in the push event, not listed here.
  const lines: string[] = [];
  const codes: Record<string, number> = {};
  let online = 0;
  for (const u of r.singlePushResult) {
    if (u.onlinePush) online++;
    const each = u.resp.map((p) => {
      const code = p.ResultCode === 0 ? 'ok' : String(p.ResultCode);
      codes[code] = (codes[code] ?? 0) + 1;
      return `${platLabel(p.RecvPlatFormID)} ${code}`;
    });
    lines.push(`push ${u.userID}: onlinePush ${u.onlinePush}${each.length ? `, ${each.join(' · ')}` : ', no iOS/Android result listed'}`);
  }
  const listed = Object.entries(codes).map(([c, n]) => `${c}×${n}`).join(' ');
  return { summary: `SuperGroupOnlineBatchPushOneMsg → ${userIDs.length} user(s): onlinePush ${online}, ${listed || 'no result listed'}`, lines };
}

/** MultiTerminalLoginCheck as another node would send it for a login of `userID` on `platformID`. */
export async function multiLoginCheck(hub: Hub, userID: string, platformID: number, secret: string): Promise<HubResult> {
  const token = tokenFor(userID, platformID, { secret });
  await hub.MultiTerminalLoginCheck({ userID, platformID, token }, ctx(), TIMEOUT);
  return {
    summary: `MultiTerminalLoginCheck ${userID} ${platLabel(platformID)}: done (kicks, if the policy asks, show as events)`,
    lines: [`MultiTerminalLoginCheck ${userID} ${platLabel(platformID)} with a fresh token: ok`],
  };
}

/** KickUserOffline of a user on one platform. */
export async function kickUser(hub: Hub, userID: string, platformID: number, addr: string): Promise<HubResult> {
  await hub.KickUserOffline({ platformID, kickUserIDList: [userID] }, ctx(), TIMEOUT);
  return { summary: `KickUserOffline ${userID} ${platLabel(platformID)} sent to hub ${addr}`, lines: [] };
}
