import { Metadata, status as GrpcStatus, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { CodeError, ErrCode } from '../protocol/errors.js';
import { pb } from '../protocol/pb.js';

/**
 * CodeError <-> gRPC status, as OpenIM's interceptors do it: the gRPC status code IS the OpenIM
 * code, the message is the error text, and `grpc-status-details-bin` carries a google.rpc.Status
 * whose first detail is an `openim.protobuf.ErrorInfo{path, cause, ...}`.
 */

// google.rpc.Status and Any are Google's well-known types (not among OpenIM's protos).
const detailRoot = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
          },
        },
        protobuf: {
          nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } },
        },
      },
    },
  },
});
const StatusType = detailRoot.lookupType('google.rpc.Status');
const ErrorInfoCodec = pb.errinfo.ErrorInfo;
/** Upstream's errinfo.proto declares package `openim.protobuf`. */
const ERROR_INFO_URL = `type.googleapis.com/${ErrorInfoCodec.typeName}`;
const DETAILS_KEY = 'grpc-status-details-bin';


/** Turns any thrown value into the status a handler reports (non-CodeErrors become 500). */
export function toServiceError(e: unknown, path = ''): Partial<StatusObject> & { code: number; details: string } {
  const ce = e instanceof CodeError ? e : new CodeError(ErrCode.ServerInternalError, 'ServerInternalError', errorText(e));
  // gRPC codes must be positive 32-bit values; upstream maps anything else to 500 as well.
  const code = ce.code > 0 && ce.code <= 0xffffffff ? ce.code : ErrCode.ServerInternalError;
  const st = StatusType.encode(
    StatusType.create({
      code,
      message: ce.message,
      details: [{ type_url: ERROR_INFO_URL, value: ErrorInfoCodec.encode({ path, cause: ce.detail || ce.message }) }],
    }),
  ).finish();
  const metadata = new Metadata();
  metadata.set(DETAILS_KEY, Buffer.from(st));
  return { code, details: ce.message, metadata };
}

/** Turns a failed call's error back into a CodeError (the client interceptor's half). */
export function fromServiceError(e: unknown): CodeError {
  if (e instanceof CodeError) return e;
  const se = e as Partial<ServiceError> | undefined;
  if (!se || typeof se.code !== 'number') return new CodeError(ErrCode.ServerInternalError, 'ServerInternalError', errorText(e));
  if (se.code === GrpcStatus.OK) return new CodeError(ErrCode.ServerInternalError, 'ServerInternalError', se.details ?? '');
  const message = se.details ?? '';
  // Transport failures (unavailable, deadline...) keep their gRPC code, so callers can tell them apart.
  const detail = readErrorInfo(se.metadata);
  if (detail) return new CodeError(se.code, message, detail.warp.join('->') + detail.cause);
  return new CodeError(se.code, message);
}

function readErrorInfo(md: Metadata | undefined): { warp: string[]; cause: string } | undefined {
  const raw = md?.get(DETAILS_KEY)[0];
  if (!raw || typeof raw === 'string') return undefined;
  try {
    const st = StatusType.toObject(StatusType.decode(raw), { arrays: true }) as { details: { type_url: string; value: Uint8Array }[] };
    const first = st.details[0];
    if (!first || first.type_url !== ERROR_INFO_URL) return undefined;
    return ErrorInfoCodec.decode(first.value);
  } catch {
    return undefined;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
