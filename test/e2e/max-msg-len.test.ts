import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Harness } from '../../harness/harness.js';
import { loadServeConfig } from '../../src/config/from-flags.js';
import { defaultConfig } from '../../src/config/config.js';
import { connectOk, startNode } from '../helpers/gateway.js';

/**
 * longConnSvr.websocketMaxMsgLen is the largest frame a connection may send. Upstream reads the key
 * and ignores it (the limit is its constant maxMessageSize, 51200); msggw honours it.
 */
describe('websocketMaxMsgLen', () => {
  let small: Harness;
  let standard: Harness;
  beforeAll(async () => {
    small = await startNode({ websocketMaxMsgLen: 1000 });
    standard = await startNode({});
  });
  afterAll(async () => {
    await small?.close();
    await standard?.close();
  });

  it('defaults to upstream effective 51200, and is read from the folder and --max-msg-len', () => {
    expect(defaultConfig().websocketMaxMsgLen).toBe(51_200);
    const dir = mkdtempSync(join(tmpdir(), 'msggw-maxlen-'));
    cpSync(join(import.meta.dirname, '..', '..', 'fixtures', 'openim-config', 'main'), dir, { recursive: true });
    expect(loadServeConfig({ gateway: true, config: dir }).config.websocketMaxMsgLen).toBe(4096);
    expect(loadServeConfig({ gateway: true, config: dir, 'max-msg-len': 9000 }).config.websocketMaxMsgLen).toBe(9000);
    expect(() => loadServeConfig({ gateway: true, 'max-msg-len': 0 })).toThrow(/--max-msg-len: 0 must be a whole number >= 1/);
  });

  it('closes a connection that sends a frame over the limit, and takes one under it', async () => {
    const over = await connectOk(small, { user: 'big', platform: 3 });
    over.ws.send(Buffer.alloc(2000, 1));
    const { code } = await over.closed;
    expect(code).toBe(1009);
    // The same 2000 bytes are fine under the default limit (they just do not decode as a request).
    const ok = await connectOk(standard, { user: 'big2', platform: 3 });
    const r = await ok.request(1001, Buffer.alloc(1500, 0x41));
    expect(r).toBeDefined();
    ok.close();
  });
});
