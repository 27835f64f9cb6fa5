import { Command, Flags } from '@oclif/core';
import { runSession } from '../simulators/client/session.js';
import { defaultConfig } from '../src/config/config.js';
import { parseDuration } from '../simulators/scenarios/units.js';
import { fail } from './support/errors.js';

export default class Client extends Command {
  static override summary = 'Connect one simulated OpenIM client: send a message, watch presence, print what arrives.';
  static override description = `A single client speaking the real protocol (gob or JSON envelopes, optional gzip), for trying a
gateway by hand. It prints pushes (2001), presence changes (2005) and kicks (2002) as they arrive,
one line each (JSON lines with --json), until Ctrl-C or --stay runs out.`;
  static override examples = [
    '<%= config.bin %> client --user u2                       # listen as u2 (Web, JSON envelopes)',
    '<%= config.bin %> client --user u1 --platform 1 --send u2 --text "hello" --stay 1s',
    '<%= config.bin %> client --user a --subscribe b          # watch b come and go',
    '<%= config.bin %> client --user u1 --group team --text hi --sdk go --gzip --stay 2s',
  ];
  static override flags = {
    url: Flags.string({ summary: 'Gateway WebSocket URL.', default: `ws://127.0.0.1:${defaultConfig().wsPort}/` }),
    user: Flags.string({ char: 'u', summary: 'User ID to log in as.', required: true }),
    platform: Flags.integer({ char: 'p', summary: 'Platform ID (1 iOS, 2 Android, 3 Windows, 5 Web, ...).', default: 5 }),
    sdk: Flags.string({ summary: 'Envelope encoding: go (gob, like the Go SDK) or js (JSON, like the JS SDK).', options: ['go', 'js'], default: 'js' }),
    gzip: Flags.boolean({ summary: 'Gzip every frame (compression=gzip).' }),
    token: Flags.string({ summary: 'Token to use (default: minted with --secret).' }),
    secret: Flags.string({ summary: 'Secret to mint the token with.', default: defaultConfig().secret }),
    send: Flags.string({ summary: 'Send one text message to this user.' }),
    group: Flags.string({ summary: 'Send one text message to this group instead.' }),
    text: Flags.string({ summary: 'Text of the message.', default: 'hello from msggw' }),
    subscribe: Flags.string({ summary: 'Watch the presence of these users (comma separated).' }),
    stay: Flags.string({ summary: "How long to stay connected after the actions: e.g. 5s, 500ms, 'forever'.", default: 'forever' }),
    json: Flags.boolean({ summary: 'Print one JSON object per line.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Client);
    let stayMs = Infinity;
    if (flags.stay !== 'forever') {
      try {
        stayMs = parseDuration(flags.stay, '--stay');
      } catch (e) {
        fail(this, 'MSGGW_BAD_DURATION', (e as Error).message);
      }
    }
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
      ...(flags.token ? { token: flags.token } : {}),
      secret: flags.secret,
      ...(flags.send ? { sendTo: flags.send } : {}),
      ...(flags.group ? { sendToGroup: flags.group } : {}),
      text: flags.text,
      subscribe: (flags.subscribe ?? '').split(',').map((s) => s.trim()).filter(Boolean),
      stayMs,
      print: (l) => this.log(l),
      json: flags.json,
      stopped,
    });
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    if (code !== 0) this.exit(code);
  }
}
