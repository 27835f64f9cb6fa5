import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import {
  allMessageTypes,
  describeMessage,
  localName,
  messageCodec,
  namespaceOf,
  pb,
  ProtoDecodeError,
  protoDir,
  root,
} from '../../../src/protocol/pb.js';
import type { MsgData } from '../../../src/protocol/pb-types.js';

type Obj = Record<string, unknown>;

const INT_TYPES = new Set(['int32', 'sint32', 'sfixed32', 'int64', 'sint64', 'sfixed64']);
const UINT_TYPES = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);

/** A value for one field element, never the type's zero value, distinct per field. */
function sampleScalar(field: protobuf.FieldBase, n: number): unknown {
  if (field.resolvedType instanceof protobuf.Enum) return 1;
  const t = field.type;
  if (t === 'string') return `${field.name}-${n}`;
  if (t === 'bool') return true;
  if (t === 'bytes') return Buffer.from([field.id, n, 0xff]);
  if (t === 'double' || t === 'float') return 1.5 + n;
  const big = t.endsWith('64') ? 2 ** 40 : 0; // beyond 32 bits where the wire type allows it
  if (INT_TYPES.has(t)) return n % 2 === 0 ? -(field.id + big + n) : field.id + big + n;
  if (UINT_TYPES.has(t)) return field.id + big + n;
  throw new Error(`no sample for ${t}`);
}

/** A message with every field set to a non-default value (nesting bounded). */
function sample(type: protobuf.Type, depth = 0): Obj {
  const out: Obj = {};
  for (const f of type.fieldsArray) {
    const sub = f.resolvedType instanceof protobuf.Type ? f.resolvedType : undefined;
    const one = (n: number): unknown => (sub ? (depth < 3 ? sample(sub, depth + 1) : {}) : sampleScalar(f, n));
    if (f instanceof protobuf.MapField) {
      const key = (n: number): string => (f.keyType === 'string' ? `k${n}` : f.keyType === 'bool' ? 'true' : String(n + 1));
      out[f.name] = { [key(1)]: one(1), [key(2)]: one(2) };
    } else if (f.repeated) {
      out[f.name] = [one(1), one(2)];
    } else {
      out[f.name] = one(1);
    }
  }
  return out;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('pb loading', () => {
  it('finds the proto dir from src/', () => {
    expect(protoDir.endsWith('/proto')).toBe(true);
  });

  it('exposes a codec for every message type, keyed by file and Go-style name', () => {
    const types = allMessageTypes();
    expect(types.length).toBeGreaterThan(50);
    const codecs = pb as unknown as Record<string, Record<string, { typeName: string }>>;
    for (const t of types) {
      expect(codecs[namespaceOf(t)]?.[localName(t)]?.typeName).toBe(t.fullName.slice(1));
    }
    expect(pb.errinfo.ErrorInfo.typeName).toBe('openim.protobuf.ErrorInfo');
    expect(pb.msggateway.GetUsersOnlineStatusResp_SuccessDetail.typeName).toBe(
      'openim.msggateway.GetUsersOnlineStatusResp.SuccessDetail',
    );
  });
});

describe('every message round-trips', () => {
  for (const type of allMessageTypes()) {
    const name = type.fullName.slice(1);
    it(name, () => {
      const codec = messageCodec(name);
      const value = sample(type);
      const bytes = codec.encode(value);
      expect(Buffer.isBuffer(bytes)).toBe(true);
      const decoded = codec.decode(bytes);
      expect(decoded).toEqual(codec.create(value));
      // Same bytes as protobufjs' own encoder for a message without zero values.
      expect(hex(bytes)).toBe(hex(type.encode(type.fromObject(value)).finish()));
      // Re-encoding the decoded message is stable.
      expect(hex(codec.encode(decoded))).toBe(hex(bytes));
      // JSON round trip.
      expect(codec.fromJSON(JSON.parse(JSON.stringify(codec.toJSON(decoded))))).toEqual(decoded);
    });
  }
});

describe('value model', () => {
  it('int64 fields decode as plain numbers', () => {
    const bytes = pb.sdkws.MsgData.encode({ seq: 2 ** 40 + 3, sendTime: 1_700_000_000_123, createTime: -5 });
    const m = pb.sdkws.MsgData.decode(bytes);
    expect(typeof m.seq).toBe('number');
    expect(m.seq).toBe(2 ** 40 + 3);
    expect(m.sendTime).toBe(1_700_000_000_123);
    expect(m.createTime).toBe(-5);
    const resp = pb.sdkws.GetMaxSeqResp.decode(pb.sdkws.GetMaxSeqResp.encode({ maxSeqs: { si_a_b: 9007199254740991 } }));
    expect(resp.maxSeqs).toEqual({ si_a_b: 9007199254740991 });
    expect(resp.minSeqs).toEqual({});
  });

  it('decode fills defaults and leaves absent sub-messages undefined', () => {
    const m: MsgData = pb.sdkws.MsgData.decode(new Uint8Array(0));
    expect(m).toEqual({
      sendID: '',
      recvID: '',
      groupID: '',
      clientMsgID: '',
      serverMsgID: '',
      senderPlatformID: 0,
      senderNickname: '',
      senderFaceURL: '',
      sessionType: 0,
      msgFrom: 0,
      contentType: 0,
      content: Buffer.alloc(0),
      seq: 0,
      sendTime: 0,
      createTime: 0,
      status: 0,
      isRead: false,
      options: {},
      offlinePushInfo: undefined,
      atUserIDList: [],
      attachedInfo: '',
      ex: '',
    });
    expect(m.content).toBeInstanceOf(Uint8Array);
    expect(Object.getPrototypeOf(m)).toBe(Object.prototype);
    // A present but empty sub-message stays present.
    const withEmpty = pb.msg.SendMsgReq.decode(Buffer.from('1a00', 'hex'));
    expect(withEmpty.msgData).toEqual(pb.sdkws.MsgData.create());
  });

  it('nested maps of messages decode to plain objects', () => {
    const msg = pb.sdkws.MsgData.create({ sendID: 'u1', recvID: 'u2', seq: 3, content: Buffer.from('hi') });
    const push = pb.sdkws.PushMessages.decode(
      pb.sdkws.PushMessages.encode({ msgs: { si_u1_u2: { Msgs: [msg], isEnd: false } } }),
    );
    expect(push.msgs['si_u1_u2']?.Msgs[0]).toEqual(msg);
    expect(push.notificationMsgs).toEqual({});
  });
});

describe('wire bytes equal Go proto.Marshal', () => {
  it('GetMaxSeqReq{userID:"u1"} is 0a027531', () => {
    expect(hex(pb.sdkws.GetMaxSeqReq.encode({ userID: 'u1' }))).toBe('0a027531');
    expect(pb.sdkws.GetMaxSeqReq.decode(Buffer.from('0a027531', 'hex'))).toEqual({ userID: 'u1' });
  });

  it('zero values and absent fields are not written', () => {
    expect(hex(pb.sdkws.GetMaxSeqReq.encode({ userID: '' }))).toBe('');
    expect(hex(pb.sdkws.MsgData.encode(pb.sdkws.MsgData.create()))).toBe('');
    expect(hex(pb.auth.parseTokenResp.encode({ userID: 'a', platformID: 0, expireTimeSeconds: 0 }))).toBe('0a0161');
  });

  it('field numbers, varints, packed repeated, maps and empty sub-messages', () => {
    // MsgData seq is field 14: tag 0x70, 300 = ac02.
    expect(hex(pb.sdkws.MsgData.encode({ sendID: 'a', seq: 300 }))).toBe('0a016170ac02');
    // proto3 packs repeated int32.
    expect(hex(pb.sdkws.SubUserOnlineStatusElem.encode({ userID: 'u', onlinePlatformIDs: [1, 5] }))).toBe(
      '0a0175120201' + '05',
    );
    // map<string,int64> entry: key = 1, value = 2.
    expect(hex(pb.sdkws.GetMaxSeqResp.encode({ maxSeqs: { c: 5 } }))).toBe('0a050a01631005');
    // A set but empty sub-message is written as tag + length 0; SendMsgReq.msgData is field 3.
    expect(hex(pb.msg.SendMsgReq.encode({ msgData: {} }))).toBe('1a00');
    // Negative int32 is a 10-byte varint, as in Go.
    expect(hex(pb.msggateway.KickUserOfflineReq.encode({ platformID: -1 }))).toBe('08ffffffffffffffffff01');
    // Repeated strings are not packed.
    expect(hex(pb.auth.kickTokensReq.encode({ tokens: ['a', 'b'] }))).toBe('0a01610a0162');
  });
});

describe('dynamic access', () => {
  it('looks types up by full or short name', () => {
    expect(messageCodec('openim.sdkws.MsgData').typeName).toBe('openim.sdkws.MsgData');
    expect(messageCodec('.openim.auth.parseTokenReq').typeName).toBe('openim.auth.parseTokenReq');
    expect(messageCodec('sdkws.PushMessages').typeName).toBe('openim.sdkws.PushMessages');
    expect(messageCodec('errinfo.ErrorInfo').typeName).toBe('openim.protobuf.ErrorInfo');
    expect(() => messageCodec('openim.sdkws.Nope')).toThrow(/unknown message type/);
  });

  it('converts JSON with int64 strings, base64 bytes and enum names', () => {
    const c = messageCodec('openim.sdkws.MsgData');
    const m = c.fromJSON({ sendID: 'u1', seq: '42', content: Buffer.from('hi').toString('base64') });
    expect(m['seq']).toBe(42);
    expect(Buffer.from(m['content'] as Uint8Array).toString()).toBe('hi');
    expect(c.toJSON(m)).toMatchObject({ sendID: 'u1', seq: 42, content: 'aGk=', offlinePushInfo: null });
    const req = pb.msg.GetSeqMessageReq.fromJSON({ userID: 'u', order: 'PullOrderDesc' });
    expect(req.order).toBe(1);
    expect(() => c.fromJSON('nope')).toThrow(ProtoDecodeError);
  });

  it('describes fields', () => {
    expect(describeMessage('openim.sdkws.GetMaxSeqResp')).toEqual([
      { name: 'maxSeqs', id: 1, type: 'int64', repeated: false, mapKey: 'string' },
      { name: 'minSeqs', id: 2, type: 'int64', repeated: false, mapKey: 'string' },
    ]);
    expect(describeMessage('openim.sdkws.PullMsgs')[0]).toEqual({
      name: 'Msgs',
      id: 1,
      type: 'openim.sdkws.MsgData',
      repeated: true,
    });
  });

  it('rejects malformed bytes with ProtoDecodeError', () => {
    expect(() => pb.sdkws.MsgData.decode(Buffer.from('0a05', 'hex'))).toThrow(ProtoDecodeError);
    expect(() => pb.sdkws.MsgData.decode(Buffer.from('ff', 'hex'))).toThrow(ProtoDecodeError);
  });

  it('root holds the packages', () => {
    expect(root.lookupService('openim.msggateway.msgGateway')).toBeTruthy();
  });
});

describe('decode strictness matches Go', () => {
  it('rejects a truncated string and invalid UTF-8', () => {
    expect(() => pb.sdkws.GetMaxSeqReq.decode(Buffer.from('0a05', 'hex'))).toThrow(/cannot decode openim.sdkws.GetMaxSeqReq/);
    expect(() => pb.sdkws.GetMaxSeqReq.decode(Buffer.from('0a02c328', 'hex'))).toThrow(/UTF-8/);
    expect(pb.sdkws.GetMaxSeqReq.decode(Buffer.from('0a03e282ac', 'hex')).userID).toBe('€');
  });

  it('accepts a Uint8Array that is not a Buffer and returns Buffer bytes', () => {
    const src = pb.sdkws.MsgData.encode({ content: Buffer.from('xyz') });
    const u8 = new Uint8Array(src.length + 2);
    u8.set(src, 1);
    const m = pb.sdkws.MsgData.decode(u8.subarray(1, 1 + src.length));
    expect(Buffer.isBuffer(m.content)).toBe(true);
    expect(Buffer.from(m.content).toString()).toBe('xyz');
  });
});
