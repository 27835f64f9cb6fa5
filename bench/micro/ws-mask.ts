/**
 * Micro-benchmark of ws's frame unmasking on the gateway's frame sizes (`node
 * dist/bench/micro/ws-mask.js`): ws's JavaScript loop vs the native `bufferutil` (which ws uses
 * for frames of 32 bytes and more when it is installed). A server unmasks every frame a client
 * sends; a client (the sim, the bench load) masks every frame. Prints CPU ns per call.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const native = require('bufferutil') as { unmask(b: Buffer, m: Buffer): void };

/** ws's own fallback (lib/buffer-util.js `_unmask`). */
function jsUnmask(buffer: Buffer, mask: Buffer): void {
  for (let i = 0; i < buffer.length; i++) buffer[i]! ^= mask[i & 3]!;
}

const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
function ns(fn: (b: Buffer, m: Buffer) => void, buf: Buffer): number {
  const c0 = process.cpuUsage();
  let n = 0;
  let us = 0;
  do {
    for (let i = 0; i < 5000; i++) fn(buf, mask);
    n += 5000;
    const c = process.cpuUsage(c0);
    us = c.user + c.system;
  } while (us < 150_000);
  return (us / n) * 1000;
}

for (const [what, size] of [
  ['2004 request, gob+gzip', 151],
  ['2003 send, 100-char text, gob', 420],
  ['2003 send, 1 KiB text, gob', 1400],
  ['16 KiB frame', 16_384],
] as const) {
  const b = Buffer.alloc(size, 7);
  const js = Math.min(ns(jsUnmask, b), ns(jsUnmask, b));
  const nat = Math.min(ns(native.unmask, b), ns(native.unmask, b));
  process.stdout.write(`${what.padEnd(32)} ${String(size).padStart(6)} B  js ${js.toFixed(0).padStart(6)} ns  bufferutil ${nat.toFixed(0).padStart(5)} ns\n`);
}
