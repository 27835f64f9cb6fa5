/** The REST API's configuration: flags, openim-api.yml from -c, and how its events read in the TUI. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromFlags, type ServeFlagValues } from '../../src/config/from-flags.js';
import { eventLine } from '../../simulators/tui/event-line.js';

const base: ServeFlagValues = { listen: '127.0.0.1', simulators: true, gateway: true };

describe('REST API config', () => {
  it('serve runs it on 10002 by default; --no-api, --no-simulators, --api-port and --strict-tokens', () => {
    expect(configFromFlags(base).api).toMatchObject({ enable: true, port: 10002, strictTokens: false });
    expect(configFromFlags({ ...base, api: false }).api.enable).toBe(false);
    expect(configFromFlags({ ...base, simulators: false }).api.enable).toBe(false);
    expect(configFromFlags({ ...base, 'api-port': 0, 'strict-tokens': true }).api).toMatchObject({ enable: true, port: 0, strictTokens: true });
  });

  it('reads the port of openim-api.yml from -c (flags still win)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msggw-api-cfg-'));
    writeFileSync(join(dir, 'openim-api.yml'), 'api:\n  listenIP: 0.0.0.0\n  ports: [ 20002 ]\n  compressionLevel: 0\n');
    const cfg = configFromFlags({ ...base, config: dir });
    expect(cfg.api.port).toBe(20002);
    // The REST API binds the address everything else binds, not openim-api.yml's 0.0.0.0.
    expect(cfg.listenIP).toBe('127.0.0.1');
    expect(configFromFlags({ ...base, config: dir, 'api-port': 0 }).api.port).toBe(0);
  });

  it('an api event reads as path, user, errCode and ms in the events pane', () => {
    expect(eventLine({ type: 'api', at: 1, path: '/user/get_users_info', userID: 'u1', errCode: 0, ms: 1.25 })).toEqual({ kind: 'api', color: 'blue', text: 'u1 /user/get_users_info ok 1.3 ms' });
    expect(eventLine({ type: 'api', at: 1, path: '/user/user_register', userID: '', errCode: 1002, ms: 0.5 })).toMatchObject({ kind: 'api-error', color: 'red', text: '- /user/user_register errCode 1002 (0.5 ms)' });
  });
});
