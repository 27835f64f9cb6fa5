/**
 * How `msggw client` shows what happens: each event once as human lines and once as a JSON
 * object (one per line with --json). Times are rounded to 0.1 ms; message content is shown as
 * its text when it is a text message's `{"content": ...}`.
 */
import type { Resp } from '../../src/protocol/envelope.js';
import type { msg as msgpb, sdkws } from '../../src/protocol/pb-types.js';
import { platformName } from '../../src/protocol/platforms.js';
import type { FrameEvent } from './sdk-client.js';
import { decodeData, requestShape } from './requests.js';
import { ReqIdentifier } from '../../src/protocol/identifiers.js';

/** One thing to print: human lines, and the JSON object --json prints instead. */
export interface Printed {
  human: string[];
  json: Record<string, unknown>;
}

/** Where {@link Printed} things go. */
export type Printer = (p: Printed) => void;

/** A time in ms rounded to 0.1 (JSON output never shows 1.2345678). */
export function roundMs(ms: number): number {
  return Number.isFinite(ms) ? Math.round(ms * 10) / 10 : ms;
}

/** The text of a message: a text message's content, else its content bytes as UTF-8. */
export function msgText(m: sdkws.MsgData): string {
  const raw = Buffer.from(m.content).toString('utf8');
  try {
    const j = JSON.parse(raw) as { content?: unknown };
    if (j && typeof j === 'object' && typeof j.content === 'string') return j.content;
  } catch {
    // Not JSON: show the bytes as they are.
  }
  return raw;
}

function msgJSON(m: sdkws.MsgData, notification: boolean): Record<string, unknown> {
  return {
    seq: m.seq,
    sendID: m.sendID,
    recvID: m.recvID,
    groupID: m.groupID,
    sessionType: m.sessionType,
    contentType: m.contentType,
    text: msgText(m),
    serverMsgID: m.serverMsgID,
    clientMsgID: m.clientMsgID,
    sendTime: m.sendTime,
    ...(notification ? { notification } : {}),
  };
}

function msgLine(m: sdkws.MsgData, notification: boolean): string {
  return `  seq ${m.seq} from ${m.sendID}${notification ? ' (notification)' : ''} [${m.contentType}]: ${msgText(m)}`;
}

/** Platforms as names, or "offline" when there are none. */
export function platformsLabel(ids: readonly number[]): string {
  return ids.length === 0 ? 'offline' : `online on ${ids.map((id) => platformName(id) || String(id)).join(', ')}`;
}

function tag(id: number, rttMs: number): string {
  return `(${id} ${requestShape(id).name}, ${roundMs(rttMs)} ms)`;
}

type PullResp = sdkws.PullMessageBySeqsResp | msgpb.GetSeqMessageResp;

/**
 * The answer upstream's gateway gives every 1004 SendSignalMsg: it calls msg's SendMsg with an
 * empty request, refused with 1001 ArgsError. Shown as that answer (not as a failed command), with
 * what to do instead.
 */
export function describeSignalRefused(errCode: number, errMsg: string, rttMs: number): Printed {
  const id = ReqIdentifier.SendSignalMsg;
  return {
    human: [
      `signal answered errCode=${errCode} ${errMsg} ${tag(id, rttMs)}: not delivered. OpenIM's gateway answers every 1004 so ` +
        '(it calls SendMsg with an empty request); send without --signal (1003) to deliver the message',
    ],
    json: { event: 'signal', reqIdentifier: id, delivered: false, errCode, errMsg, rttMs: roundMs(rttMs) },
  };
}

/** A decoded reply: 1001 max seqs, 1002/1005 messages with their seqs, 1003/1004 ids, 2003-2005, or a raw envelope (-1). */
export function describeReply(id: number, data: unknown, rttMs: number): Printed {
  const rtt = roundMs(rttMs);
  switch (id) {
    case ReqIdentifier.GetNewestSeq: {
      const d = data as sdkws.GetMaxSeqResp;
      const convs = Object.keys(d.maxSeqs).sort();
      const human = [`seq   ${convs.length} conversation(s) ${tag(id, rttMs)}`, ...convs.map((c) => `  ${c}  max ${d.maxSeqs[c]}  min ${d.minSeqs[c] ?? 0}`)];
      return { human, json: { event: 'seq', reqIdentifier: id, maxSeqs: d.maxSeqs, minSeqs: d.minSeqs, rttMs: rtt } };
    }
    case ReqIdentifier.PullMsgBySeqList:
    case ReqIdentifier.PullMsg: {
      const d = data as PullResp;
      const conversations: Record<string, unknown>[] = [];
      const human: string[] = [];
      let count = 0;
      for (const [byConv, notification] of [
        [d.msgs, false],
        [d.notificationMsgs, true],
      ] as const) {
        for (const conv of Object.keys(byConv).sort()) {
          const p = byConv[conv]!;
          count += p.Msgs.length;
          human.push(`  ${conv}: ${p.Msgs.length} message(s)${p.isEnd ? ', end' : ''}${notification ? ' (notifications)' : ''}`, ...p.Msgs.map((m) => msgLine(m, notification)));
          conversations.push({ conversationID: conv, notification, isEnd: p.isEnd, endSeq: p.endSeq, msgs: p.Msgs.map((m) => msgJSON(m, notification)) });
        }
      }
      return { human: [`pull  ${count} message(s) ${tag(id, rttMs)}`, ...human], json: { event: 'pull', reqIdentifier: id, messages: count, conversations, rttMs: rtt } };
    }
    case ReqIdentifier.SendMsg:
    case ReqIdentifier.SendSignalMsg: {
      const d = data as msgpb.SendMsgResp;
      return {
        human: [`sent  serverMsgID=${d.serverMsgID} clientMsgID=${d.clientMsgID} ${tag(id, rttMs)}`],
        json: { event: 'sent', reqIdentifier: id, serverMsgID: d.serverMsgID, clientMsgID: d.clientMsgID, sendTime: d.sendTime, rttMs: rtt },
      };
    }
    case ReqIdentifier.WsLogoutMsg:
      return { human: [`logged out ${tag(id, rttMs)}`], json: { event: 'logout', reqIdentifier: id, rttMs: rtt } };
    case ReqIdentifier.WsSetBackgroundStatus: {
      const on = (data as { isBackground: boolean }).isBackground;
      return { human: [`background ${on ? 'on' : 'off'} ${tag(id, rttMs)}`], json: { event: 'background', reqIdentifier: id, isBackground: on, rttMs: rtt } };
    }
    case ReqIdentifier.WsSubUserOnlineStatus: {
      const d = data as { watching: readonly string[]; stopped: readonly string[]; subscribers: sdkws.SubUserOnlineStatusElem[] };
      const human = [`watching ${d.watching.join(', ') || 'nobody'}${d.stopped.length ? ` (stopped ${d.stopped.join(', ')})` : ''} ${tag(id, rttMs)}`];
      // Each watched user's current state is printed as a presence event (the reply is one).
      return {
        human,
        json: { event: 'subscribed', reqIdentifier: id, watching: d.watching, stopped: d.stopped, current: d.subscribers.map((s) => ({ userID: s.userID, online: s.onlinePlatformIDs.length > 0, platformIDs: s.onlinePlatformIDs })), rttMs: rtt },
      };
    }
    default: {
      const resp = data as Resp;
      const shape = requestShape(resp.reqIdentifier);
      const decoded = safeDecode(resp.reqIdentifier, 'resp', resp.data);
      return {
        human: [`reply ${resp.reqIdentifier} ${shape.name} errCode=${resp.errCode} ${roundMs(rttMs)} ms${decoded === undefined ? '' : `: ${JSON.stringify(decoded)}`}`],
        json: { event: 'reply', reqIdentifier: resp.reqIdentifier, name: shape.name, errCode: resp.errCode, errMsg: resp.errMsg, data: decoded ?? null, rttMs: rtt },
      };
    }
  }
}

function safeDecode(id: number, side: 'req' | 'resp', data: Uint8Array | null): unknown {
  try {
    return decodeData(id, side, data);
  } catch {
    return data ? { base64: Buffer.from(data).toString('base64') } : undefined;
  }
}

/** One frame for --frames: `>` sent, `<` received, with the envelope and its Data decoded. */
export function describeFrame(f: FrameEvent): Printed {
  if (f.dir !== 'out' && f.dir !== 'in') {
    const dir = f.dir === 'out-text' ? '>' : '<';
    return { human: [`${dir} text ${f.text}`], json: { event: 'frame', dir: f.dir === 'out-text' ? 'out' : 'in', text: f.text } };
  }
  if (f.dir === 'out') {
    const r = f.req;
    const data = safeDecode(r.reqIdentifier, 'req', r.data);
    return {
      human: [`> ${r.reqIdentifier} ${requestShape(r.reqIdentifier).name} msgIncr=${r.msgIncr} op=${r.operationID} ${f.bytes} B${data === undefined ? '' : ` ${JSON.stringify(data)}`}`],
      json: { event: 'frame', dir: 'out', reqIdentifier: r.reqIdentifier, name: requestShape(r.reqIdentifier).name, msgIncr: r.msgIncr, operationID: r.operationID, sendID: r.sendID, bytes: f.bytes, data: data ?? null },
    };
  }
  const r = f.resp;
  const data = safeDecode(r.reqIdentifier, 'resp', r.data);
  return {
    human: [
      `< ${r.reqIdentifier} ${requestShape(r.reqIdentifier).name} msgIncr=${r.msgIncr} errCode=${r.errCode}${r.errMsg ? ` errMsg=${JSON.stringify(r.errMsg)}` : ''} ${f.bytes} B${data === undefined ? '' : ` ${JSON.stringify(data)}`}`,
    ],
    json: { event: 'frame', dir: 'in', reqIdentifier: r.reqIdentifier, name: requestShape(r.reqIdentifier).name, msgIncr: r.msgIncr, operationID: r.operationID, errCode: r.errCode, errMsg: r.errMsg, bytes: f.bytes, data: data ?? null },
  };
}

/** A pushed message (2001). */
export function describePush(conversationID: string, m: sdkws.MsgData, notification: boolean): Printed {
  return {
    human: [`push  ${conversationID} seq=${m.seq} from=${m.sendID}${notification ? ' (notification)' : ''}: ${msgText(m)}`],
    json: { event: 'push', conversationID, ...msgJSON(m, notification), content: Buffer.from(m.content).toString('utf8') },
  };
}

/** A presence change (2005 push, or the current state in a subscribe reply). */
export function describePresence(s: sdkws.SubUserOnlineStatusElem, reply: boolean): Printed {
  return {
    human: [`presence ${s.userID} ${platformsLabel(s.onlinePlatformIDs)}${reply ? ' (current)' : ''}`],
    json: { event: 'presence', userID: s.userID, online: s.onlinePlatformIDs.length > 0, platformIDs: s.onlinePlatformIDs, reply },
  };
}
