import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip } from 'node:zlib';
import { CodeError, errs } from '../../src/protocol/errors.js';
import type { MessageCodec } from '../../src/protocol/pb.js';
import { API_HEADERS, ApiErrCode, TOKEN_WHITELIST, UNSUPPORTED_PREFIXES, type ApiReply } from './contract.js';

/** Who is calling, as the token middleware found out (upstream's opUserID / opUserPlatform). */
export interface ApiContext {
  operationID: string;
  /** '' on whitelisted routes. */
  opUserID: string;
  platformID: number;
  isAdmin: boolean;
}

/** A route's work: the parsed body in, the reply's `data` out (throw a CodeError for an error reply). */
export type ApiHandler = (body: Record<string, unknown>, ctx: ApiContext) => Promise<unknown>;

export interface ApiRoute {
  path: string;
  handler: ApiHandler;
  /**
   * Protobuf bodies accepted besides JSON (the jssdk routes): with Content-Type
   * application/(x-)protobuf the body is decoded with `req` and the reply's data is the base64
   * of `resp`'s encoding, as upstream's jssdk `call` does.
   */
  protobuf?: { req: MessageCodec<object>; resp: MessageCodec<object> };
}

/** One finished call, for the admin event stream and logs. */
export interface ApiCallInfo {
  path: string;
  userID: string;
  operationID: string;
  errCode: number;
  ms: number;
}

export interface ApiServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Listen on a free port when `port` is taken (the default port on a busy machine), saying so in the log. */
  fallbackToFreePort?: boolean;
  routes: readonly ApiRoute[];
  /** The token check (the auth service's ParseToken): resolves the caller or throws a CodeError. */
  parseToken: (token: string, operationID: string) => Promise<{ userID: string; platformID: number }>;
  adminUserIDs: readonly string[];
  /** Largest request body, bytes, after gunzip too (default 1 MiB). */
  maxBodyBytes?: number;
  onCall?: (e: ApiCallInfo) => void;
  log?: (line: string) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Upstream's CORS answer (openimsdk/tools mw.CorsHandler): anything from anywhere, no credentials. */
const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Expose-Headers': 'Content-Length, Access-Control-Allow-Origin, Access-Control-Allow-Headers,Cache-Control,Content-Language,Content-Type,Expires,Last-Modified,Pragma',
  'Access-Control-Max-Age': '172800',
  'Access-Control-Allow-Credentials': 'false',
};

class BodyTooLarge extends Error {}

/**
 * OpenIM's REST API on node:http, with upstream's conventions: POST + JSON body, `operationID`
 * and `token` headers (the token checked by the auth service except on the whitelist), every
 * answer an `{errCode, errMsg, errDlt, data}` envelope with HTTP 200, gzip request bodies,
 * CORS with preflight. Bodies are capped (upstream has no cap; an SDK never comes close).
 */
export class ApiServer {
  private server: Server | undefined;
  private readonly routes = new Map<string, ApiRoute>();
  private readonly maxBody: number;
  port = 0;

  constructor(private readonly o: ApiServerOptions) {
    for (const r of o.routes) this.routes.set(r.path, r);
    this.maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  async start(): Promise<number> {
    const server = (this.server = createServer((req, res) => void this.handle(req, res)));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    server.requestTimeout = 30_000;
    const listen = (port: number) =>
      new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.o.host, () => {
          server.off('error', reject);
          resolve();
        });
      });
    try {
      await listen(this.o.port);
    } catch (e) {
      if (!(this.o.fallbackToFreePort && (e as NodeJS.ErrnoException).code === 'EADDRINUSE')) throw e;
      await listen(0);
      this.o.log?.(`REST API port ${this.o.port} is taken; the REST API listens on ${(server.address() as AddressInfo).port} instead (--api-port picks one)`);
    }
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0]!;
    const operationID = headerOf(req, API_HEADERS.operationID);
    let userID = '';
    const finish = (status: number, reply: ApiReply) => {
      send(res, status, reply);
      this.o.onCall?.({ path, userID, operationID, errCode: reply.errCode, ms: Math.round((performance.now() - started) * 100) / 100 });
    };
    try {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { ...CORS_HEADERS, 'Content-Type': 'application/json' });
        res.end('"Options Request!"');
        req.resume();
        return;
      }
      const route = this.routes.get(path);
      if (!route || req.method !== 'POST') {
        req.resume();
        if (UNSUPPORTED_PREFIXES.some((p) => path.startsWith(p))) {
          return finish(200, errorReply(new CodeError(ApiErrCode.NotSupported, 'NotSupportedByMsggw', `${path} is not supported by msggw (uploads, push tokens, logs and statistics need a real OpenIM)`)));
        }
        return finish(404, errorReply(new CodeError(ApiErrCode.RouteNotFound, 'RouteNotFound', `${req.method ?? ''} ${path} is not an OpenIM API route`)));
      }
      if (!operationID) {
        req.resume();
        return finish(200, errorReply(errs.args('header must have operationID')));
      }
      const ctx: ApiContext = { operationID, opUserID: '', platformID: 0, isAdmin: false };
      if (!TOKEN_WHITELIST.some((p) => path.startsWith(p))) {
        const token = headerOf(req, API_HEADERS.token);
        if (!token) {
          req.resume();
          return finish(200, errorReply(errs.args('header must have token')));
        }
        const who = await this.o.parseToken(token, operationID);
        userID = ctx.opUserID = who.userID;
        ctx.platformID = who.platformID;
        ctx.isAdmin = this.o.adminUserIDs.includes(who.userID);
      }
      let raw: Buffer;
      try {
        raw = await readBody(req, this.maxBody);
      } catch (e) {
        if (e instanceof BodyTooLarge) return finish(413, errorReply(errs.args(`request body over ${this.maxBody} bytes`)));
        return finish(200, errorReply(errs.args(`request body unreadable: ${(e as Error).message}`)));
      }
      const isProto = route.protobuf !== undefined && /application\/(x-)?protobuf/.test(req.headers['content-type'] ?? '');
      let body: Record<string, unknown>;
      if (isProto) {
        try {
          body = route.protobuf!.req.decode(raw) as Record<string, unknown>;
        } catch (e) {
          return finish(200, errorReply(errs.args(`protobuf body: ${(e as Error).message}`)));
        }
      } else {
        const parsed = parseJsonBody(raw);
        if (parsed instanceof CodeError) return finish(200, errorReply(parsed));
        body = parsed;
      }
      const data = await route.handler(body, ctx);
      const out = isProto ? Buffer.from(route.protobuf!.resp.encode(data as object)).toString('base64') : data === undefined ? undefined : (omitEmpty(data) ?? {});
      finish(200, { errCode: 0, errMsg: '', errDlt: '', ...(out === undefined ? {} : { data: out }) });
    } catch (e) {
      if (!CodeError.is(e)) this.o.log?.(`api ${path}: ${(e as Error).stack ?? String(e)}`);
      // A refused token leaves the body unread: drain it so the keep-alive connection stays usable.
      if (!req.readableEnded) req.resume();
      if (!res.headersSent) finish(200, errorReply(e));
    }
  }
}

function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name.toLowerCase()];
  return (Array.isArray(v) ? v[0] : v) ?? '';
}

function send(res: ServerResponse, status: number, reply: ApiReply): void {
  const json = JSON.stringify(reply);
  res.writeHead(status, { ...CORS_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

/** Upstream's apiresp.ParseError: a coded error keeps its code; anything else is a 500. */
export function errorReply(e: unknown): ApiReply {
  if (CodeError.is(e)) return { errCode: e.code, errMsg: e.message, errDlt: e.detail };
  return { errCode: ApiErrCode.ServerInternalError, errMsg: 'ServerInternalError', errDlt: (e as Error)?.message ?? String(e) };
}

/** Reads the body, gunzipping `Content-Encoding: gzip`, refusing more than `max` bytes either way. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) {
    req.resume();
    return Promise.reject(new BodyTooLarge());
  }
  const gz = /gzip/i.test(String(req.headers['content-encoding'] ?? ''));
  const source = gz ? req.pipe(createGunzip()) : req;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      req.resume();
      if (gz) source.destroy();
      reject(e);
    };
    source.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) return fail(new BodyTooLarge());
      chunks.push(c);
    });
    source.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, n));
    });
    source.on('error', (e) => fail(e));
    req.on('error', (e) => fail(e));
  });
}

/** JSON object body; an empty body counts as `{}` (upstream binds it to a zero request). */
function parseJsonBody(raw: Buffer): Record<string, unknown> | CodeError {
  if (raw.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    return errs.args(`body is not JSON: ${(e as Error).message}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return errs.args('body must be a JSON object');
  return v as Record<string, unknown>;
}

/**
 * Go's encoding/json with the protos' `omitempty` tags: zero scalars ('' / 0 / false), empty
 * arrays and null are left out of objects. Objects stay, even empty (a non-nil message pointer
 * is `{}` in Go; a handler leaves out what Go would leave nil). Bytes become base64, as in Go.
 */
export function omitEmpty(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => omitEmpty(x) ?? (typeof x === 'object' ? {} : x));
  if (v instanceof Uint8Array) return v.length === 0 ? undefined : Buffer.from(v).toString('base64');
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = omitEmpty(x);
      if (y === undefined) continue;
      out[k] = y;
    }
    return out;
  }
  if (v === '' || v === 0 || v === false || v === null || v === undefined) return undefined;
  return v;
}
