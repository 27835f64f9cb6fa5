/**
 * The two envelopes of the long-connection protocol (PROTOCOL.md section 3).
 * `Req` is what a client sends, `Resp` what the gateway replies or pushes.
 * `data` is the protobuf payload; `null` stands for Go's nil slice (JSON `null`).
 */
export interface Req {
  reqIdentifier: number;
  token: string;
  sendID: string;
  operationID: string;
  msgIncr: string;
  data: Uint8Array | null;
}

export interface Resp {
  reqIdentifier: number;
  msgIncr: string;
  operationID: string;
  /** A Go `int`: 64-bit on the wire; values beyond 2^53 are not representable and rejected by decoders. */
  errCode: number;
  errMsg: string;
  data: Uint8Array | null;
}

/** Builds a Req with every omitted field at its zero value. */
export function makeReq(fields: Partial<Req>): Req {
  return {
    reqIdentifier: fields.reqIdentifier ?? 0,
    token: fields.token ?? '',
    sendID: fields.sendID ?? '',
    operationID: fields.operationID ?? '',
    msgIncr: fields.msgIncr ?? '',
    data: fields.data ?? null,
  };
}

/** Builds a Resp with every omitted field at its zero value. */
export function makeResp(fields: Partial<Resp>): Resp {
  return {
    reqIdentifier: fields.reqIdentifier ?? 0,
    msgIncr: fields.msgIncr ?? '',
    operationID: fields.operationID ?? '',
    errCode: fields.errCode ?? 0,
    errMsg: fields.errMsg ?? '',
    data: fields.data ?? null,
  };
}
