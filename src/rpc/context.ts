import { randomUUID } from 'node:crypto';
import { Metadata } from '@grpc/grpc-js';
import { errs } from '../protocol/errors.js';

/**
 * What travels with every RPC as gRPC metadata (PROTOCOL.md section 7): the trace ID, the
 * acting user, their platform name, the connection, and `customHeader` extra keys.
 */
export interface RpcContext {
  operationID: string;
  opUserID?: string;
  /** The platform NAME (e.g. "Web"), as upstream's `platform` key carries it. */
  platform?: string;
  connID?: string;
  /** Extra keys listed in `customHeader`, copied verbatim. */
  custom?: Record<string, string[]>;
}

const KEY_OPERATION_ID = 'operationid';
const KEY_OP_USER_ID = 'opuserid';
const KEY_PLATFORM = 'platform';
const KEY_CONN_ID = 'connid';
const KEY_CUSTOM_HEADER = 'customheader';

/** A fresh operation ID for calls the gateway starts itself (timers, batches). */
export function newOperationID(prefix = 'msggw'): string {
  return `${prefix}-${randomUUID()}`;
}

/** A context for internal work that has no client request behind it. */
export function internalContext(opUserID?: string): RpcContext {
  return { operationID: newOperationID(), ...(opUserID ? { opUserID } : {}) };
}

/** Builds outgoing metadata from a context (the client interceptor's half). */
export function contextToMetadata(ctx: RpcContext): Metadata {
  const md = new Metadata();
  md.set(KEY_OPERATION_ID, ctx.operationID);
  if (ctx.opUserID !== undefined) md.set(KEY_OP_USER_ID, ctx.opUserID);
  if (ctx.platform !== undefined) md.set(KEY_PLATFORM, ctx.platform);
  if (ctx.connID !== undefined) md.set(KEY_CONN_ID, ctx.connID);
  if (ctx.custom) {
    const keys = Object.keys(ctx.custom);
    for (const key of keys) for (const v of ctx.custom[key] ?? []) md.add(key, v);
    for (const key of keys) md.add(KEY_CUSTOM_HEADER, key);
  }
  return md;
}

function strings(md: Metadata, key: string): string[] {
  return md.get(key).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

/**
 * Reads incoming metadata into a context (the server interceptor's half).
 * A call without exactly one operationID is an ArgsError. An empty one is accepted, as upstream's
 * server interceptor counts the values only: a client request with an empty operationID is served.
 */
export function metadataToContext(md: Metadata): RpcContext {
  const ops = strings(md, KEY_OPERATION_ID);
  if (ops.length !== 1) throw errs.args('operationID error: the operationID metadata key is required');
  const ctx: RpcContext = { operationID: ops[0]! };
  const one = (key: string): string | undefined => {
    const v = strings(md, key);
    return v.length === 1 ? v[0] : undefined;
  };
  const opUserID = one(KEY_OP_USER_ID);
  if (opUserID !== undefined) ctx.opUserID = opUserID;
  const platform = one(KEY_PLATFORM);
  if (platform !== undefined) ctx.platform = platform;
  const connID = one(KEY_CONN_ID);
  if (connID !== undefined) ctx.connID = connID;
  const customKeys = strings(md, KEY_CUSTOM_HEADER);
  if (customKeys.length > 0) {
    ctx.custom = {};
    for (const key of customKeys) {
      const values = strings(md, key.toLowerCase());
      if (values.length === 0) throw errs.args(`missing metadata key ${key}`);
      ctx.custom[key] = values;
    }
  }
  return ctx;
}
