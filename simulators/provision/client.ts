import { randomUUID } from 'node:crypto';
import { API_HEADERS, type ApiCalls, type ApiReply } from '../api/contract.js';

/** A failed REST call: which endpoint, and upstream's errCode/errMsg/errDlt (or the transport error). */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly endpoint: string,
    readonly errCode: number,
    readonly errMsg: string,
    readonly errDlt = '',
  ) {
    super(`${endpoint}: errCode ${errCode} ${errMsg}${errDlt ? ` (${errDlt})` : ''}`);
  }
}

/** errCode of a call that never got an OpenIM reply (connection refused, timeout, not JSON). */
export const TRANSPORT_ERROR = -1;

export interface ApiClientOptions {
  /** Per-call timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** Prefix of the operationIDs sent (they show in the server's logs). */
  operationIDPrefix?: string;
}

/**
 * A client of OpenIM's REST API (real, or msggw's own): POST JSON with the `operationID` and
 * `token` headers, unwraps the `{errCode, errMsg, errDlt, data}` envelope, throws
 * {@link ApiCallError} for anything but errCode 0.
 */
export class ApiClient {
  readonly base: string;
  private readonly timeoutMs: number;
  private readonly opPrefix: string;
  private seq = 0;

  constructor(base: string, o: ApiClientOptions = {}) {
    this.base = base.replace(/\/+$/, '');
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.opPrefix = o.operationIDPrefix ?? `msggw-${randomUUID().slice(0, 8)}`;
  }

  async call<P extends keyof ApiCalls>(path: P, req: ApiCalls[P]['req'], token = ''): Promise<ApiCalls[P]['resp']> {
    const url = `${this.base}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', [API_HEADERS.operationID]: `${this.opPrefix}-${++this.seq}`, ...(token ? { [API_HEADERS.token]: token } : {}) },
        body: JSON.stringify(req),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiCallError(path, TRANSPORT_ERROR, `cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
    }
    const text = await res.text();
    let reply: ApiReply<ApiCalls[P]['resp']>;
    try {
      reply = JSON.parse(text) as ApiReply<ApiCalls[P]['resp']>;
    } catch {
      throw new ApiCallError(path, TRANSPORT_ERROR, `HTTP ${res.status}, not an OpenIM reply: ${text.slice(0, 120)}`);
    }
    if (typeof reply.errCode !== 'number') throw new ApiCallError(path, TRANSPORT_ERROR, `HTTP ${res.status}, no errCode in the reply`);
    if (reply.errCode !== 0) throw new ApiCallError(path, reply.errCode, reply.errMsg ?? '', reply.errDlt ?? '');
    return (reply.data ?? {}) as ApiCalls[P]['resp'];
  }
}
