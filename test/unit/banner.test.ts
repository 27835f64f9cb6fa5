/** The serve banner's hints dial a gateway that listens on every interface through loopback. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/config.js';
import { dialable, startBanner } from '../../commands/support/banner.js';

describe('serve banner hints', () => {
  it('turn a wildcard listen address into one to dial', () => {
    expect(dialable('ws://0.0.0.0:10001/')).toBe('ws://127.0.0.1:10001/');
    expect(dialable('0.0.0.0:12141')).toBe('127.0.0.1:12141');
    expect(dialable('http://[::]:10002')).toBe('http://127.0.0.1:10002');
    expect(dialable('ws://10.0.0.5:10001/')).toBe('ws://10.0.0.5:10001/');
  });

  it('show the listen address as it is, and hints that dial loopback', () => {
    const text = startBanner(defaultConfig(), { ws: 'ws://0.0.0.0:10001/', hub: '10.0.0.5:10140', api: '0.0.0.0:10002' });
    expect(text).toContain('websocket  ws://0.0.0.0:10001/');
    expect(text).toContain('npx msggw sim chat --url ws://127.0.0.1:10001/');
    expect(text).toMatch(/e\.g\. ws:\/\/127\.0\.0\.1:10001\/\?sendID=u1&token=/);
    expect(text).toContain("login({ apiAddr: 'http://127.0.0.1:10002', wsAddr: 'ws://127.0.0.1:10001/'");
  });
});
