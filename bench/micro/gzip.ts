/**
 * Micro-benchmark of the gzip implementations on the gateway's frame sizes (`node
 * dist/bench/micro/gzip.js`): Node's one-shot `gzipSync`/`gunzipSync` (a new zlib context per
 * frame), one zlib context per direction kept and reset between frames (src/protocol/gzip.ts),
 * and fflate (pure JS). Prints µs of CPU per call, interleaving the variants so that other work on
 * the machine hits them alike; each variant is measured in several rounds and the median kept.
 */
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { gunzipSync as fGunzip, gzipSync as fGzip } from 'fflate';
import { getCodec } from '../../src/protocol/codecs.js';
import { makeReq } from '../../src/protocol/envelope.js';
import { gunzipFrame, gzipFrame, ZlibContext } from '../../src/protocol/gzip.js';
import type { sdkws } from '../../src/protocol/pb-types.js';
import { benchMsg, pushFrames } from '../lib/frames.js';

const gob = getCodec('gob', 'sdk');
const frames: [string, Buffer][] = [
  ['2004 request (gob)', gob.encodeReq(makeReq({ reqIdentifier: 2004, sendID: 'bench_user_00001', operationID: 'bench-1', msgIncr: '1', data: Buffer.from([8, 1, 16, 1]) }))],
  ['2001 push, 100-char text (gob)', pushFrames(benchMsg(100) as sdkws.MsgData, 'bench-push')[0]!],
  ['2001 push, 1 KiB text (gob)', pushFrames(benchMsg(1024) as sdkws.MsgData, 'bench-push')[0]!],
  ['2001 push, 16 KiB text (gob)', pushFrames(benchMsg(16_384) as sdkws.MsgData, 'bench-push')[0]!],
];

const small = new ZlibContext(() => createGzip({ memLevel: 5 }));
const fast = new ZlibContext(() => createGzip({ memLevel: 5, level: 1 }));
type Fn = (b: Uint8Array) => Uint8Array;
const variants: [string, Fn, Fn][] = [
  ['zlib one-shot (gzipSync/gunzipSync)', (b) => gzipSync(b), (b) => gunzipSync(b)],
  ['zlib context kept, reset per frame', gzipFrame, (b) => gunzipFrame(b)],
  ['zlib context kept, memLevel 5', (b) => small.run(b, 1 << 30), (b) => gunzipFrame(b)],
  ['zlib context kept, memLevel 5, level 1', (b) => fast.run(b, 1 << 30), (b) => gunzipFrame(b)],
  ['fflate (level 6)', (b) => fGzip(b, { level: 6 }), (b) => fGunzip(b)],
];

/** CPU time per call (user + system of this process), so that other processes' load does not count. */
function timeUs(fn: Fn, input: Uint8Array, minMs: number): number {
  let n = 0;
  const c0 = process.cpuUsage();
  let us = 0;
  do {
    for (let i = 0; i < 200; i++) fn(input);
    n += 200;
    const c = process.cpuUsage(c0);
    us = c.user + c.system;
  } while (us / 1000 < minMs);
  return us / n;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const out: Record<string, Record<string, { gzipUs: number; gunzipUs: number; gzBytes: number }>> = {};
for (const [fname, raw] of frames) {
  const samples = variants.map(() => ({ gz: [] as number[], gun: [] as number[] }));
  const compressed = variants.map(([, g]) => g(raw));
  for (let r = 0; r < ROUNDS; r++) {
    variants.forEach(([, g, u], i) => {
      samples[i]!.gz.push(timeUs(g, raw, 60));
      samples[i]!.gun.push(timeUs(u, compressed[i]!, 60));
    });
  }
  out[`${fname}, ${raw.length} B`] = Object.fromEntries(
    variants.map(([vname], i) => [vname, { gzipUs: median(samples[i]!.gz), gunzipUs: median(samples[i]!.gun), gzBytes: compressed[i]!.length }]),
  );
}
if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
else {
  for (const [f, vs] of Object.entries(out)) {
    process.stdout.write(`\n${f}\n`);
    for (const [v, r] of Object.entries(vs)) process.stdout.write(`  ${v.padEnd(40)} gzip ${r.gzipUs.toFixed(2).padStart(7)} µs  gunzip ${r.gunzipUs.toFixed(2).padStart(7)} µs  ${r.gzBytes} B\n`);
  }
}
