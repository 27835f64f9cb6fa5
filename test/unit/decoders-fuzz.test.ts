import { describe, expect, it } from 'vitest';
import { parseHandshake } from '../../src/gateway/handshake.js';
import { CodeError } from '../../src/protocol/errors.js';
import { allMessageTypes, messageCodec, ProtoDecodeError, pb } from '../../src/protocol/pb.js';
import { parseOnlineChange } from '../../src/redis/online.js';
import { verifyToken } from '../../simulators/services/jwt.js';

/** A seeded PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(r: () => number, max: number): Buffer {
  const n = Math.floor(r() * max);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

function mutate(r: () => number, src: Buffer): Buffer {
  const b = Buffer.from(src);
  const op = Math.floor(r() * 4);
  if (b.length === 0) return randomBytes(r, 16);
  if (op === 0) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
  if (op === 1) return b.subarray(0, Math.floor(r() * b.length));
  if (op === 2) return Buffer.concat([b, randomBytes(r, 8)]);
  if (op === 3) b[Math.floor(r() * b.length)] = 0xff;
  return b;
}

describe('every other decoder survives random and mutated input with a typed error', () => {
  it('protobuf decoders of every message type: a ProtoDecodeError or a value, never anything else', () => {
    const r = rng(7);
    const samples = [
      pb.sdkws.MsgData.encode({ sendID: 'a', recvID: 'b', seq: 123456789, content: Buffer.from('hello'), options: { x: true }, atUserIDList: ['q'] }),
      pb.sdkws.PushMessages.encode({ msgs: { si_a_b: { Msgs: [{ sendID: 'a', seq: 1 }] } } }),
      pb.sdkws.PullMessageBySeqsReq.encode({ userID: 'u', seqRanges: [{ conversationID: 'c', begin: 1, end: 9, num: 9 }] }),
    ];
    const types = allMessageTypes().map((t) => messageCodec(t.fullName.replace(/^\./, '')));
    let n = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = i % 2 ? randomBytes(r, 64) : mutate(r, samples[i % samples.length]!);
      const codec = types[i % types.length]!;
      try {
        codec.decode(input);
      } catch (e) {
        expect(e).toBeInstanceOf(ProtoDecodeError);
      }
      n++;
    }
    expect(n).toBe(20_000);
  });

  it('the handshake parser: a CodeError or valid args', () => {
    const r = rng(11);
    const keys = ['sendID', 'token', 'platformID', 'operationID', 'sdkType', 'compression', 'isMsgResp', 'isBackground', 'v', 'sdkVersion'];
    const pick = (): string => {
      const k = Math.floor(r() * 6);
      if (k === 0) return randomBytes(r, 12).toString('latin1');
      if (k === 1) return String(Math.floor(r() * 20) - 5);
      if (k === 2) return ['true', 'false', '1', 'x', ''][Math.floor(r() * 5)]!;
      if (k === 3) return Buffer.from(JSON.stringify({ token: 't', userID: 'u', platformID: Math.floor(r() * 14), operationID: r() > 0.2 ? 'o' : '', sdkType: ['go', 'js', 'x'][Math.floor(r() * 3)] })).toString('base64url');
      if (k === 4) return randomBytes(r, 20).toString('base64url');
      return ['go', 'js', 'gzip', 'u1'][Math.floor(r() * 4)]!;
    };
    for (let i = 0; i < 20_000; i++) {
      const url = new URL('http://gw/');
      for (const k of keys) if (r() > 0.3) url.searchParams.set(k, pick());
      try {
        const a = parseHandshake(url, {});
        expect(a.token).not.toBe('');
        expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).toContain(a.platformID);
      } catch (e) {
        expect(e).toBeInstanceOf(CodeError);
      }
    }
  });

  it('online_change payloads and tokens: undefined / CodeError, never a crash', () => {
    const r = rng(13);
    for (let i = 0; i < 20_000; i++) {
      const s = randomBytes(r, 24).toString('latin1');
      const p = parseOnlineChange(s);
      if (p) expect(p.platformIDs.every(Number.isInteger)).toBe(true);
      try {
        verifyToken('openIM123', i % 2 ? s : `${s}.${s}.${s}`);
      } catch (e) {
        expect(e).toBeInstanceOf(CodeError);
      }
    }
  });
});
