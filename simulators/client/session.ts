import { OpenIMClient } from './sdk-client.js';
import { LINE_HELP, parseLine, runAction, type ClientAction } from './actions.js';
import { describeFrame, describePresence, describePush, roundMs, type Printed } from './print.js';
import { tokenFor } from './token.js';
import { handshakeAdvice } from './errors.js';

/** What one hand-driven client session does (the `msggw client` command). */
export interface SessionOptions {
  url: string;
  userID: string;
  platformID: number;
  sdkType: 'go' | 'js';
  gzip: boolean;
  token?: string;
  secret: string;
  /** Where plain interactive lines go (and a one-shot `send` action's default target). */
  peer: { recvID?: string; groupID?: string };
  /** Requests to send once connected, in order. */
  actions: ClientAction[];
  /** Log in with the background flag set. */
  background?: boolean;
  /** Lines typed by the user (interactive mode): each is a message or a /command. */
  lines?: AsyncIterable<string>;
  /** Stay connected this long after the actions (or after the input ended), ms; Infinity = until stopped. */
  stayMs: number;
  /** Show every frame sent and received. */
  frames: boolean;
  /** Where each line of output goes (one JSON object per line with --json). */
  print: (line: string) => void;
  json: boolean;
  /** Resolves when the caller wants to stop (Ctrl-C). */
  stopped: Promise<void>;
}

/**
 * Connects one simulated client, sends the requested actions, then (interactive mode) the
 * typed lines, printing each reply decoded and whatever arrives (pushes, presence changes,
 * kicks) until told to stop. Returns the exit code: 0, or 1 when the handshake or a one-shot
 * action failed (a failed interactive line is printed and the session goes on).
 */
export async function runSession(o: SessionOptions): Promise<number> {
  const show = (p: Printed) => {
    if (o.json) o.print(JSON.stringify(p.json));
    else for (const l of p.human) o.print(l);
  };
  const out = (human: string, json: Record<string, unknown>) => show({ human: [human], json });
  const client = new OpenIMClient({
    url: o.url,
    userID: o.userID,
    platformID: o.platformID,
    token: o.token ?? tokenFor(o.userID, o.platformID, { secret: o.secret }),
    sdkType: o.sdkType,
    gzip: o.gzip,
    background: o.background ?? false,
    reconnect: { enabled: false },
    ...(o.frames ? { onFrame: (f) => show(describeFrame(f)) } : {}),
  });
  client.on('push', (e) => show(describePush(e.conversationID, e.msg, e.notification)));
  client.on('presence', (e) => {
    for (const s of e.tips.subscribers) show(describePresence(s, e.reply));
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
    const advice = handshakeAdvice(e, o.url);
    // A network failure has no gateway answer (errCode 0): say what was tried instead of "0 connect ECONNREFUSED".
    const answer = err.errCode ? `${err.errCode} ${err.errMsg ?? err.message}${err.errDlt ? ` (${err.errDlt})` : ''}` : (err.errMsg ?? err.message);
    out(`handshake failed: ${answer}${advice ? `\n  ${advice}` : ''}`, { event: 'error', stage: 'handshake', errCode: err.errCode, errMsg: err.errMsg ?? err.message, errDlt: err.errDlt, ...(advice ? { hint: advice } : {}) });
    return 1;
  }
  out(`connected as ${o.userID} on platform ${o.platformID} (${o.sdkType}${o.gzip ? '+gzip' : ''}) in ${roundMs(client.handshakeMs)} ms`, { event: 'open', userID: o.userID, platformID: o.platformID, handshakeMs: roundMs(client.handshakeMs) });
  const fail = (e: unknown, stage: string) => {
    const err = e as Error & { errCode?: number; errMsg?: string };
    out(`request failed: ${err.message}`, { event: 'error', stage, message: err.message, ...(err.errCode !== undefined ? { errCode: err.errCode, errMsg: err.errMsg } : {}) });
  };
  let code = 0;
  for (const a of o.actions) {
    if (client.state !== 'open') break;
    try {
      await runAction(client, a, show);
    } catch (e) {
      fail(e, 'request');
      code = 1;
      break;
    }
  }
  let quit = false;
  if (o.lines && code === 0 && client.state === 'open') {
    const peerName = o.peer.groupID ? `group ${o.peer.groupID}` : o.peer.recvID;
    if (!o.json) o.print(`interactive: ${peerName ? `lines are sent to ${peerName}; ` : ''}/help lists the commands`);
    const reading = (async () => {
      for await (const line of o.lines!) {
        if (client.state !== 'open') break;
        let cmd;
        try {
          cmd = parseLine(line, o.peer);
        } catch (e) {
          out(`✗ ${(e as Error).message}`, { event: 'error', stage: 'input', message: (e as Error).message });
          continue;
        }
        if (cmd.kind === 'none') continue;
        if (cmd.kind === 'quit') {
          quit = true;
          break;
        }
        if (cmd.kind === 'help') {
          show({ human: LINE_HELP.map(([k, d]) => `  ${k.padEnd(28)} ${d}`), json: { event: 'help', commands: LINE_HELP.map(([k, d]) => ({ command: k, does: d })) } });
          continue;
        }
        try {
          await runAction(client, cmd.action, show);
        } catch (e) {
          fail(e, 'request');
        }
      }
    })();
    await Promise.race([reading, o.stopped, closed]);
  }
  if (!quit && client.state === 'open') {
    const stay = Number.isFinite(o.stayMs) ? new Promise<void>((r) => setTimeout(r, o.stayMs).unref()) : new Promise<void>(() => undefined);
    await Promise.race([stay, o.stopped, closed]);
  }
  await client.close().catch(() => undefined);
  return code;
}
