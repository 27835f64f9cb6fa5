import type { ApiReply } from '../../simulators/api/contract.js';

/** One raw REST call as an SDK makes it: POST, JSON body, operationID (and token) headers. */
export async function apiPost<T = Record<string, unknown>>(
  base: string,
  path: string,
  body: unknown,
  o: { token?: string; operationID?: string | null; headers?: Record<string, string>; raw?: string | Uint8Array } = {},
): Promise<{ status: number; reply: ApiReply<T>; headers: Headers }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(o.headers ?? {}) };
  if (o.operationID !== null) headers.operationID = o.operationID ?? `test-${Math.random().toString(36).slice(2)}`;
  if (o.token) headers.token = o.token;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: o.raw ?? JSON.stringify(body) });
  return { status: res.status, reply: (await res.json()) as ApiReply<T>, headers: res.headers };
}
