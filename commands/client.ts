import { Command, Flags } from '@oclif/core';
import { createInterface } from 'node:readline';
import { runSession } from '../simulators/client/session.js';
import { parseConvRange, parseRaw, type ClientAction } from '../simulators/client/actions.js';
import { defaultConfig } from '../src/config/config.js';
import { DEFAULT_SDK, durationOrForeverFlag, platformFlag, wsUrlFlag } from './support/flags.js';
import { ApiCallError, issuedToken, provisionSuggestion } from '../simulators/provision/index.js';
import { fail } from './support/errors.js';

export default class Client extends Command {
  static override summary = 'Connect one simulated OpenIM client and send any request by hand (like wscat for OpenIM).';
  static override description = `A single client speaking the real protocol (gob or JSON envelopes, optional gzip), for trying a
gateway by hand. Every request identifier has a flag: --seq (1001), --pull (1002), --send (1003),
--signal (1004), --pull-msg (1005), --logout (2003), --background (2004), --subscribe (2005) and
--raw for anything else; each reply is printed decoded. It prints pushes (2001), presence changes
(2005) and kicks (2002) as they arrive, one line each (JSON lines with --json).

With --interactive, lines typed on stdin are sent as text messages to the --send peer (or
--group), and /commands do the rest: /seq, /pull <conv> <from>-<to>, /sub u2, /bg, /logout,
/raw <json>, /help. --frames shows every envelope sent (>) and received (<).

It stays connected until Ctrl-C when it only listens or watches (--subscribe), and leaves after
its requests otherwise (after the input ends with --interactive); --stay sets how long to stay.`;
  static override examples = [
    '<%= config.bin %> client --user u2                       # listen as u2 (Web, gob envelopes)',
    '<%= config.bin %> client --user u1 --platform ios --send u2 --text "hello" --stay 1s',
    '<%= config.bin %> client --user a --subscribe b          # watch b come and go',
    '<%= config.bin %> client --user u1 --group team --text hi --sdk go --gzip --stay 2s',
    '<%= config.bin %> client --user u1 --seq                 # max seq of every conversation (1001)',
    '<%= config.bin %> client --user u1 --pull si_u1_u2:1-20  # messages 1..20 with their seqs (1002)',
    '<%= config.bin %> client --user u1 --pull-msg si_u1_u2:3-5 --logout',
    `<%= config.bin %> client --user u1 --raw '{"reqIdentifier":1001,"data":{"userID":"u1"}}' --frames`,
    '<%= config.bin %> client --user u1 --send u2 --interactive  # type lines to chat with u2, /help for more',
    '<%= config.bin %> client --user u1 --send u2 --api http://127.0.0.1:10002 --secret openIM123  # a server-issued token',
  ];
  static override flags = {
    url: wsUrlFlag({ summary: 'Gateway WebSocket URL.', default: `ws://127.0.0.1:${defaultConfig().wsPort}/` }),
    user: Flags.string({ char: 'u', summary: 'User ID to log in as.', required: true }),
    platform: platformFlag({ summary: 'Platform: an ID or a name in any case (1 ios, 2 android, 3 windows, 5 web, ...).', default: 5 }),
    sdk: Flags.string({ summary: 'Envelope encoding: go (gob, like the Go SDK) or js (JSON, like the JS SDK).', options: ['go', 'js'], default: DEFAULT_SDK }),
    gzip: Flags.boolean({ summary: 'Gzip every frame (compression=gzip).' }),
    token: Flags.string({ summary: 'Token to use (default: minted with --secret, or issued by --api).' }),
    secret: Flags.string({ summary: 'Secret to mint the token with (with --api: to ask for an admin token).', default: defaultConfig().secret }),
    api: Flags.string({ summary: 'Get a server-issued token from this OpenIM REST API (registers the user), as a real OpenIM requires.' }),
    'admin-token': Flags.string({ summary: 'With --api: an admin token to ask with (default: get one with --secret).' }),
    send: Flags.string({ summary: 'Send one text message to this user (1003); with --interactive, where typed lines go.' }),
    group: Flags.string({ summary: 'Send one text message to this group instead (session type 3).' }),
    text: Flags.string({ summary: 'Text of the message (default "hello from msggw").' }),
    signal: Flags.boolean({ summary: "Send the message as 1004 SendSignalMsg instead of 1003. OpenIM's gateway answers every 1004 with 1001 ArgsError (nothing is delivered); the answer is printed." }),
    subscribe: Flags.string({ summary: 'Watch the presence of these users (comma separated, 2005).' }),
    seq: Flags.boolean({ summary: 'Ask the newest seq of every conversation (1001 GetNewestSeq).' }),
    pull: Flags.string({ summary: 'Pull messages CONV:FROM-TO by seq range (1002 PullMsgBySeqList); repeatable.', multiple: true }),
    'pull-msg': Flags.string({ summary: 'Pull messages CONV:FROM-TO by seq list (1005 PullMsg); repeatable.', multiple: true }),
    background: Flags.boolean({ summary: 'Set the background flag after connecting (2004).' }),
    raw: Flags.string({ summary: 'Send a raw request: \'{"reqIdentifier":N,"data":{...}}\' (data as JSON of its request type, or base64); repeatable.', multiple: true }),
    logout: Flags.boolean({ summary: 'Log out last (2003); the gateway closes the connection.' }),
    interactive: Flags.boolean({ summary: 'Read lines from stdin: text goes to --send/--group, /help lists the /commands.' }),
    frames: Flags.boolean({ summary: 'Show every frame sent (>) and received (<), envelope and Data decoded.' }),
    stay: durationOrForeverFlag({ summary: "How long to stay connected after the requests: e.g. 5s, 500ms (a bare number is seconds), 'forever'." }),
    json: Flags.boolean({ summary: 'Print one JSON object per line.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Client);
    const actions: ClientAction[] = [];
    try {
      if (flags.subscribe) actions.push({ kind: 'subscribe', add: flags.subscribe.split(',').map((s) => s.trim()).filter(Boolean), remove: [] });
      if (flags.background) actions.push({ kind: 'background', on: true });
      // With --interactive, --send only names the peer unless a --text is given too.
      if ((flags.send || flags.group) && (!flags.interactive || flags.text !== undefined)) {
        const text = flags.text ?? 'hello from msggw';
        actions.push({ kind: 'send', ...(flags.group ? { groupID: flags.group } : { recvID: flags.send! }), text, signal: flags.signal });
      }
      if (flags.seq) actions.push({ kind: 'seq' });
      if (flags.pull?.length) actions.push({ kind: 'pull', ranges: flags.pull.map(parseConvRange) });
      if (flags['pull-msg']?.length) actions.push({ kind: 'pull-msg', ranges: flags['pull-msg'].map(parseConvRange) });
      for (const r of flags.raw ?? []) actions.push(parseRaw(r));
      if (flags.logout) actions.push({ kind: 'logout' });
    } catch (e) {
      fail(this, 'MSGGW_CLIENT_ARGS', (e as Error).message);
    }
    // Listening or watching stays until Ctrl-C; requests alone leave once answered.
    const stayMs = flags.stay ?? (flags.interactive || actions.some((a) => a.kind !== 'subscribe') ? 0 : Infinity);
    let token = flags.token;
    if (flags.api && !token) {
      try {
        token = (await issuedToken({ api: flags.api, secret: flags.secret, ...(flags['admin-token'] ? { adminToken: flags['admin-token'] } : {}), userID: flags.user, platformID: flags.platform })).token;
      } catch (e) {
        if (!(e instanceof ApiCallError)) throw e;
        fail(this, 'MSGGW_API_CALL', `asking ${flags.api} for a token failed: ${e.message}`, [provisionSuggestion(e, flags.api)]);
      }
    }
    const rl = flags.interactive ? createInterface({ input: process.stdin, terminal: false }) : undefined;
    // Asking for the iterator now makes readline buffer the lines typed (or piped) while connecting.
    const lines = rl?.[Symbol.asyncIterator]();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const code = await runSession({
      url: flags.url,
      userID: flags.user,
      platformID: flags.platform,
      sdkType: flags.sdk as 'go' | 'js',
      gzip: flags.gzip,
      ...(token ? { token } : {}),
      secret: flags.secret,
      peer: flags.group ? { groupID: flags.group } : flags.send ? { recvID: flags.send } : {},
      actions,
      ...(lines ? { lines: { [Symbol.asyncIterator]: () => lines } } : {}),
      frames: flags.frames,
      stayMs,
      print: (l) => this.log(l),
      json: flags.json,
      stopped,
    });
    rl?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (code !== 0) this.exit(code);
  }
}
