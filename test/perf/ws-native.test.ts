/**
 * Pins which native helpers ws runs with (bench/RESULTS.md, "ws native helpers"): bufferutil
 * unmasks the clients' frames (installed prebuilt, its install script approved in package.json
 * `allowScripts`), and UTF-8 validation is Node's own `buffer.isUtf8`, which ws prefers to
 * utf-8-validate, so that package is not installed.
 */
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
/** ws's internals (not in its exports map): where ws picked its helpers. */
const wsLib = (file: string): unknown => require(join(dirname(require.resolve('ws')), 'lib', file));

describe('ws native helpers', () => {
  it('bufferutil loads its native binding, and ws uses it to unmask frames of 32 bytes and more', () => {
    const bu = require('bufferutil') as { unmask: (b: Buffer, m: Buffer) => void };
    expect(bu.unmask.toString()).toContain('[native code]');
    const wsBuf = wsLib('buffer-util.js') as { unmask: (b: Buffer, m: Buffer) => void };
    expect(wsBuf.unmask.toString()).toContain('bufferUtil.unmask');
    const data = Buffer.from('a frame long enough for the native path: 0123456789');
    const masked = Buffer.from(data);
    const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    wsBuf.unmask(masked, mask);
    expect(masked.equals(data)).toBe(false);
    wsBuf.unmask(masked, mask);
    expect(masked.equals(data)).toBe(true);
  });

  it('UTF-8 validation is buffer.isUtf8 (utf-8-validate would be ignored)', () => {
    expect(typeof isUtf8).toBe('function');
    const validation = wsLib('validation.js') as { isValidUTF8: (b: Buffer) => boolean };
    expect(validation.isValidUTF8.toString()).toContain('isUtf8');
    expect(() => require.resolve('utf-8-validate')).toThrow();
  });
});
