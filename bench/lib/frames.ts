/**
 * What the load sends and the baseline broadcasts: the bench message, request frames as the
 * Go/JS SDKs encode them, and push frames exactly as the gateway encodes them.
 */
import { randomBytes } from 'node:crypto';
import { codecFor, getCodec } from '../../src/protocol/codecs.js';
import { makeReq } from '../../src/protocol/envelope.js';
import { gzipFrame } from '../../src/protocol/gzip.js';
import type { Init, sdkws } from '../../src/protocol/pb-types.js';
import { pushResp } from '../../src/hub/push.js';

/** A group text message of about `contentBytes` content (random text: gzip cannot shrink it to nothing). */
export function benchMsg(contentBytes: number, seq = 1): Init<sdkws.MsgData> {
  const text = randomBytes(Math.ceil((contentBytes * 3) / 4)).toString('base64').slice(0, contentBytes);
  return {
    sendID: 'bench_sender',
    groupID: 'bench_group',
    clientMsgID: randomBytes(16).toString('hex'),
    serverMsgID: randomBytes(16).toString('hex'),
    senderPlatformID: 1,
    senderNickname: 'bench sender',
    sessionType: 3,
    msgFrom: 100,
    contentType: 101,
    content: Buffer.from(JSON.stringify({ content: text }), 'utf8'),
    seq,
    sendTime: Date.now(),
    createTime: Date.now(),
    status: 2,
  };
}

/** The 2001 frame of `msg` for each (codec, gzip) variant 0..3, as the gateway encodes it. */
export function pushFrames(msg: sdkws.MsgData, operationID: string): Buffer[] {
  const resp = pushResp(msg, operationID);
  const gob = getCodec('gob', 'server').encodeResp(resp);
  const json = getCodec('json', 'server').encodeResp(resp);
  return [gob, gzipFrame(gob), json, gzipFrame(json)];
}

/** The baseline's `/broadcast` body: four (u32 length, bytes) records. */
export function broadcastBody(frames: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (let v = 0; v < 4; v++) {
    const f = frames[v];
    const len = Buffer.alloc(4);
    len.writeUInt32BE(f ? f.length : 0);
    parts.push(len);
    if (f) parts.push(f);
  }
  return Buffer.concat(parts);
}

/** One request frame as an SDK of `sdkType` writes it (gzipped when asked). */
export function requestFrame(sdkType: 'go' | 'js', gzip: boolean, userID: string, reqIdentifier: number, data: Uint8Array, msgIncr: string): Buffer {
  const codec = codecFor(sdkType, 'sdk');
  const raw = codec.encodeReq(makeReq({ reqIdentifier, sendID: userID, operationID: `bench-${msgIncr}`, msgIncr, data }));
  return gzip ? gzipFrame(raw) : raw;
}
