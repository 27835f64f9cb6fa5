import { OpenIMClient } from './sdk-client.js';
import { tokenFor } from './token.js';

/** What one interactive client session does (the `msggw client` command). */
export interface SessionOptions {
  url: string;
  userID: string;
  platformID: number;
  sdkType: 'go' | 'js';
  gzip: boolean;
  token?: string;
  secret: string;
  /** Send one text message to this user ... */
  sendTo?: string;
  /** ... or to this group (session type 3). */
  sendToGroup?: string;
  text: string;
  /** Watch these users' presence (2005). */
  subscribe: string[];
  /** Stay connected this long after the actions (ms); Infinity = until stopped. */
  stayMs: number;
  /** Where each line of output goes (one JSON object per line with --json). */
  print: (line: string) => void;
  json: boolean;
  /** Resolves when the caller wants to stop (Ctrl-C). */
  stopped: Promise<void>;
}

/**
 * Connects one simulated client, performs the requested actions and prints what arrives
 * (pushes, presence changes, kicks) until told to stop. Returns the exit code: 0, or 1 when the
 * handshake or an action failed.
 */
export async function runSession(o: SessionOptions): Promise<number> {
  const out = (human: string, obj: Record<string, unknown>) => o.print(o.json ? JSON.stringify(obj) : human);
  const client = new OpenIMClient({
    url: o.url,
    userID: o.userID,
    platformID: o.platformID,
    token: o.token ?? tokenFor(o.userID, o.platformID, { secret: o.secret }),
    sdkType: o.sdkType,
    gzip: o.gzip,
    reconnect: { enabled: false },
  });
  client.on('push', (e) => {
    const content = Buffer.from(e.msg.content).toString('utf8');
    out(`push  ${e.conversationID} seq=${e.msg.seq} from=${e.msg.sendID}: ${content}`, { event: 'push', conversationID: e.conversationID, seq: e.msg.seq, sendID: e.msg.sendID, content });
  });
  client.on('presence', (e) => {
    for (const s of e.tips.subscribers) {
      out(`presence ${s.userID} online on [${s.onlinePlatformIDs.join(',')}]${e.reply ? ' (current)' : ''}`, { event: 'presence', userID: s.userID, platformIDs: s.onlinePlatformIDs, reply: e.reply });
    }
  });
  client.on('kicked', () => out('kicked: another login took this session (2002)', { event: 'kicked' }));
  const closed = new Promise<void>((resolve) =>
    client.on('close', (e) => {
      out(`closed code=${e.code}${e.reason ? ` reason=${e.reason}` : ''}`, { event: 'close', code: e.code, reason: e.reason, kicked: e.kicked });
      resolve();
    }),
  );
  try {
    await client.connect();
  } catch (e) {
    const err = e as { errCode?: number; errMsg?: string; errDlt?: string; message: string };
    out(`handshake failed: ${err.errCode ?? ''} ${err.errMsg ?? err.message}${err.errDlt ? ` (${err.errDlt})` : ''}`, { event: 'error', stage: 'handshake', errCode: err.errCode, errMsg: err.errMsg ?? err.message, errDlt: err.errDlt });
    return 1;
  }
  out(`connected as ${o.userID} on platform ${o.platformID} (${o.sdkType}${o.gzip ? '+gzip' : ''}) in ${client.handshakeMs.toFixed(1)} ms`, { event: 'open', userID: o.userID, platformID: o.platformID, handshakeMs: client.handshakeMs });
  let code = 0;
  try {
    if (o.subscribe.length > 0) await client.subscribe(o.subscribe);
    if (o.sendTo || o.sendToGroup) {
      const r = await client.sendMsg(o.sendToGroup ? { groupID: o.sendToGroup, sessionType: 3, text: o.text } : { recvID: o.sendTo!, sessionType: 1, text: o.text });
      out(`sent  serverMsgID=${r.data.serverMsgID} in ${r.rttMs.toFixed(1)} ms`, { event: 'sent', serverMsgID: r.data.serverMsgID, clientMsgID: r.data.clientMsgID, rttMs: r.rttMs });
    }
  } catch (e) {
    out(`request failed: ${(e as Error).message}`, { event: 'error', stage: 'request', message: (e as Error).message });
    code = 1;
  }
  const stay = Number.isFinite(o.stayMs) ? new Promise<void>((r) => setTimeout(r, o.stayMs).unref()) : new Promise<void>(() => undefined);
  await Promise.race([stay, o.stopped, closed]);
  await client.close().catch(() => undefined);
  return code;
}
