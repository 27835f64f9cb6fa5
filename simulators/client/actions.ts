/**
 * The requests a person sends by hand through `msggw client`: one type for the one-shot flags
 * and the interactive lines, parsers for both, and the runner that sends one through a client
 * and prints the decoded reply.
 */
import type { OpenIMClient } from './sdk-client.js';
import { ResponseError } from './errors.js';
import { encodeRequestData, requestShape } from './requests.js';
import { describeReply, describeSignalRefused, type Printer } from './print.js';
import { ErrCode } from '../../src/protocol/errors.js';
import { ReqIdentifier } from '../../src/protocol/identifiers.js';

/** A seq range of one conversation: `si_u1_u2:1-20` or `si_u1_u2:7`. */
export interface ConvRange {
  conversationID: string;
  begin: number;
  end: number;
}

/** One request to send. */
export type ClientAction =
  | { kind: 'seq' }
  | { kind: 'pull'; ranges: ConvRange[] }
  | { kind: 'pull-msg'; ranges: ConvRange[] }
  | { kind: 'send'; recvID?: string; groupID?: string; text: string; signal: boolean }
  | { kind: 'subscribe'; add: string[]; remove: string[] }
  | { kind: 'background'; on: boolean | 'toggle' }
  | { kind: 'raw'; reqIdentifier: number; data: unknown }
  | { kind: 'logout' };

/** Most seqs one range may span (the client caps a whole 1005 request the same way). */
const MAX_RANGE = 10_000;

/** Parses `conv:FROM-TO` (or `conv:SEQ`); the conversation ID may itself hold colons. */
export function parseConvRange(text: string): ConvRange {
  const m = /^(.+):(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not CONVERSATION:FROM-TO, e.g. si_u1_u2:1-20`);
  const begin = Number(m[2]);
  const end = m[3] === undefined ? begin : Number(m[3]);
  if (end < begin) throw new Error(`'${text}': the range ends before it begins`);
  if (end - begin + 1 > MAX_RANGE) throw new Error(`'${text}': at most ${MAX_RANGE} seqs per range`);
  return { conversationID: m[1]!, begin, end };
}

/** Parses a raw request: `{"reqIdentifier":1001,"data":{...}}` (data as the request's JSON, or base64). */
export function parseRaw(text: string): Extract<ClientAction, { kind: 'raw' }> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`raw request is not JSON (${(e as Error).message}): e.g. {"reqIdentifier":1001,"data":{"userID":"u1"}}`);
  }
  const o = v as { reqIdentifier?: unknown; data?: unknown };
  if (!v || typeof v !== 'object' || typeof o.reqIdentifier !== 'number' || !Number.isInteger(o.reqIdentifier)) {
    throw new Error('raw request needs a numeric reqIdentifier, e.g. {"reqIdentifier":1001,"data":{"userID":"u1"}}');
  }
  return { kind: 'raw', reqIdentifier: o.reqIdentifier, data: o.data ?? null };
}

/** What an interactive line asks for. */
export type LineCommand = { kind: 'action'; action: ClientAction } | { kind: 'help' } | { kind: 'quit' } | { kind: 'none' };

/** The interactive commands, as /help lists them. */
export const LINE_HELP: readonly [string, string][] = [
  ['<text>', 'send <text> to the --send peer (or --group) (1003)'],
  ['/send <user> <text>', 'send a text to a user (1003)'],
  ['/group <group> <text>', 'send a text to a group (1003)'],
  ['/signal <user> <text>', "send as 1004 SendSignalMsg (OpenIM's gateway answers 1001 ArgsError: not delivered)"],
  ['/seq', 'newest seq of every conversation (1001)'],
  ['/pull <conv> <from>-<to>', 'pull a range by seq list (1002)'],
  ['/pullmsg <conv> <from>-<to>', 'pull by seqs (1005 PullMsg)'],
  ['/sub <user>...', 'watch users come and go (2005)'],
  ['/unsub <user>...', 'stop watching users (2005)'],
  ['/bg [on|off]', 'set the background flag; no argument toggles it (2004)'],
  ['/logout', 'log out (2003); the gateway closes the connection'],
  ['/raw <json>', 'any request: {"reqIdentifier":1001,"data":{"userID":"u1"}}'],
  ['/help, /quit', 'this list; leave'],
];

/** Parses one interactive line; `peer` is where plain text goes. Throws with what to type instead. */
export function parseLine(line: string, peer: { recvID?: string; groupID?: string }): LineCommand {
  const text = line.trim();
  if (text === '') return { kind: 'none' };
  if (!text.startsWith('/')) {
    if (!peer.recvID && !peer.groupID) throw new Error('no peer for plain text: start with --send USER (or --group G), or type /send USER TEXT');
    return { kind: 'action', action: { kind: 'send', ...(peer.groupID ? { groupID: peer.groupID } : { recvID: peer.recvID! }), text, signal: false } };
  }
  const sp = text.indexOf(' ');
  const cmd = (sp < 0 ? text : text.slice(0, sp)).toLowerCase();
  const rest = sp < 0 ? '' : text.slice(sp + 1).trim();
  const words = rest.split(/[\s,]+/).filter(Boolean);
  const act = (action: ClientAction): LineCommand => ({ kind: 'action', action });
  const target = (usage: string): [string, string] => {
    const m = /^(\S+)\s+(.+)$/.exec(rest);
    if (!m) throw new Error(`usage: ${usage}`);
    return [m[1]!, m[2]!];
  };
  switch (cmd) {
    case '/help':
    case '/?':
      return { kind: 'help' };
    case '/quit':
    case '/exit':
      return { kind: 'quit' };
    case '/seq':
      return act({ kind: 'seq' });
    case '/pull':
    case '/pullmsg': {
      if (words.length === 0) throw new Error(`usage: ${cmd} <conv> <from>-<to> (or conv:from-to)`);
      // `conv 1-5` or `conv:1-5`, several allowed: `/pull a 1-3 b:2-4`.
      const ranges: ConvRange[] = [];
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        const next = words[i + 1];
        if (next !== undefined && /^\d+(-\d+)?$/.test(next) && !/:\d+(-\d+)?$/.test(w)) {
          ranges.push(parseConvRange(`${w}:${next}`));
          i++;
        } else ranges.push(parseConvRange(w));
      }
      return act({ kind: cmd === '/pull' ? 'pull' : 'pull-msg', ranges });
    }
    case '/send': {
      const [to, body] = target('/send <user> <text>');
      return act({ kind: 'send', recvID: to, text: body, signal: false });
    }
    case '/group': {
      const [to, body] = target('/group <group> <text>');
      return act({ kind: 'send', groupID: to, text: body, signal: false });
    }
    case '/signal': {
      const [to, body] = target('/signal <user> <text>');
      return act({ kind: 'send', recvID: to, text: body, signal: true });
    }
    case '/sub':
    case '/unsub':
      if (words.length === 0) throw new Error(`usage: ${cmd} <user>...`);
      return act(cmd === '/sub' ? { kind: 'subscribe', add: words, remove: [] } : { kind: 'subscribe', add: [], remove: words });
    case '/bg': {
      const w = words[0]?.toLowerCase();
      if (w !== undefined && !['on', 'off', 'true', 'false'].includes(w)) throw new Error('usage: /bg [on|off]');
      return act({ kind: 'background', on: w === undefined ? 'toggle' : w === 'on' || w === 'true' });
    }
    case '/fg':
      return act({ kind: 'background', on: false });
    case '/logout':
      return act({ kind: 'logout' });
    case '/raw':
      if (!rest) throw new Error('usage: /raw {"reqIdentifier":1001,"data":{"userID":"u1"}}');
      return act(parseRaw(rest));
    default:
      throw new Error(`unknown command ${cmd}: /help lists them`);
  }
}

/** Sends one action and prints its decoded reply. Rejects (after printing nothing) when it failed. */
export async function runAction(client: OpenIMClient, a: ClientAction, print: Printer): Promise<void> {
  switch (a.kind) {
    case 'seq': {
      const r = await client.getNewestSeq();
      print(describeReply(ReqIdentifier.GetNewestSeq, r.data, r.rttMs));
      return;
    }
    case 'pull': {
      const r = await client.pullBySeqList(a.ranges);
      print(describeReply(ReqIdentifier.PullMsgBySeqList, r.data, r.rttMs));
      return;
    }
    case 'pull-msg': {
      const r = await client.pullMsg(a.ranges);
      print(describeReply(ReqIdentifier.PullMsg, r.data, r.rttMs));
      return;
    }
    case 'send': {
      const msg = a.groupID ? { groupID: a.groupID, sessionType: 3, text: a.text } : { recvID: a.recvID!, sessionType: 1, text: a.text };
      const started = performance.now();
      let r;
      try {
        r = await client.sendMsg(msg, { signal: a.signal });
      } catch (e) {
        // Upstream's answer to every 1004 (ArgsError): the expected outcome, so shown, not failed.
        if (a.signal && e instanceof ResponseError && e.errCode === ErrCode.ArgsError) {
          print(describeSignalRefused(e.errCode, e.errMsg, performance.now() - started));
          return;
        }
        throw e;
      }
      print(describeReply(a.signal ? ReqIdentifier.SendSignalMsg : ReqIdentifier.SendMsg, r.data, r.rttMs));
      return;
    }
    case 'subscribe': {
      // The reply's current state arrives as a presence event (printed by the session).
      const r = await client.subscribe(a.add, a.remove);
      print(describeReply(ReqIdentifier.WsSubUserOnlineStatus, { watching: client.subscriptions, stopped: a.remove, subscribers: r.data.subscribers }, r.rttMs));
      return;
    }
    case 'background': {
      const on = a.on === 'toggle' ? !client.isBackground : a.on;
      const r = await client.setBackground(on);
      print(describeReply(ReqIdentifier.WsSetBackgroundStatus, { isBackground: on }, r.rttMs));
      return;
    }
    case 'logout': {
      const r = await client.logout();
      print(describeReply(ReqIdentifier.WsLogoutMsg, {}, r.rttMs));
      return;
    }
    case 'raw': {
      let data: Uint8Array | null;
      try {
        data = encodeRequestData(a.reqIdentifier, a.data);
      } catch (e) {
        throw new Error(`raw ${a.reqIdentifier} (${requestShape(a.reqIdentifier).name}): data does not fit: ${(e as Error).message}`);
      }
      const { resp, rttMs } = await client.request(a.reqIdentifier, data);
      if (resp.errCode !== 0) throw new ResponseError(a.reqIdentifier, resp.errCode, resp.errMsg);
      print(describeReply(-1, resp, rttMs));
      return;
    }
  }
}
