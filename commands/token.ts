import { Command, Flags } from '@oclif/core';
import { mintToken } from '../simulators/services/jwt.js';
import { defaultConfig } from '../src/config/config.js';
import { platformName } from '../src/protocol/platforms.js';
import { platformFlag } from './support/flags.js';
import { ApiCallError, issuedToken, provisionSuggestion } from '../simulators/provision/index.js';
import { fail } from './support/errors.js';

export default class Token extends Command {
  static override summary = 'Mint an OpenIM token (JWT HS256) for a user and platform, or ask a server for one (--api).';
  static override description = `Signs a token exactly as OpenIM's auth service does, with the shared secret.
The embedded auth simulator accepts it once it has seen it: a gateway started by \`msggw serve\`
registers tokens minted with its secret on first use (see the README section "msggw token").

With --api, the token comes from a running OpenIM REST API instead (a real OpenIM, or
\`msggw serve\`, whose --strict-tokens accepts nothing else): the user is registered (an existing
one is fine) and get_user_token issues the token, using an admin token asked for with --secret
(or given with --admin-token).`;
  static override examples = [
    '<%= config.bin %> token --user u1 --platform web',
    '<%= config.bin %> token --user u1 --platform ios --secret mySecret --json',
    '<%= config.bin %> token --user u1 --api http://127.0.0.1:10002 --secret openIM123',
    '<%= config.bin %> token --user u1 --api http://openim.example:10002 --admin-token "$ADMIN" --json',
    'TOKEN=$(<%= config.bin %> token --user u1 --platform 5) && wscat -c "ws://127.0.0.1:10001/?sendID=u1&platformID=5&operationID=op1&sdkType=js&isBackground=false&token=$TOKEN"',
  ];
  static override flags = {
    user: Flags.string({ char: 'u', summary: 'User ID (the token\'s UserID claim).', required: true }),
    platform: platformFlag({ summary: 'Platform: an ID 1-11 or a name in any case (1 ios, 2 android, 3 windows, 4 osx, 5 web, ...).', default: 5 }),
    secret: Flags.string({ summary: 'Signing secret (share.yml `secret`).', default: defaultConfig().secret }),
    'expire-days': Flags.integer({ summary: 'Lifetime in days.', default: defaultConfig().tokenExpireDays }),
    json: Flags.boolean({ summary: 'Print {token,userID,platformID,platform,expireTimeSeconds} as JSON.' }),
    api: Flags.string({ summary: 'Ask this OpenIM REST API for a server-issued token instead of minting (http://host:10002).' }),
    'admin-token': Flags.string({ summary: 'With --api: an admin token to ask with (default: get one with --secret).' }),
    'admin-user': Flags.string({ summary: 'With --api: the admin user --secret asks a token for (share.yml imAdminUserID).', default: 'imAdmin' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Token);
    if (flags.user.trim() === '') {
      fail(this, 'MSGGW_TOKEN_USER', '--user is empty: a token names the user it is for');
    }
    let token: string;
    let expireTimeSeconds = flags['expire-days'] * 86400;
    if (flags.api) {
      try {
        const r = await issuedToken({ api: flags.api, secret: flags.secret, ...(flags['admin-token'] ? { adminToken: flags['admin-token'] } : {}), adminUserID: flags['admin-user'], userID: flags.user, platformID: flags.platform });
        token = r.token;
        expireTimeSeconds = r.expireTimeSeconds;
      } catch (e) {
        if (!(e instanceof ApiCallError)) throw e;
        fail(this, 'MSGGW_API_CALL', `asking ${flags.api} for a token failed: ${e.message}`, [provisionSuggestion(e, flags.api)]);
      }
    } else {
      token = mintToken(flags.secret, flags.user, flags.platform, flags['expire-days']);
    }
    if (flags.json) {
      this.log(JSON.stringify({ token, userID: flags.user, platformID: flags.platform, platform: platformName(flags.platform), expireTimeSeconds }));
    } else {
      this.log(token);
    }
  }
}
