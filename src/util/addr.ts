/**
 * Checks of the addresses people type: `host:port` for gRPC services (a bare host would make
 * gRPC dial port 443 silently) and `ws://host:port/` for gateways (`127.0.0.1:10001` alone is
 * not a URL).
 */

/** A malformed address, with what to write instead. */
export class AddrError extends Error {
  constructor(
    message: string,
    readonly suggestion: string,
    readonly code = 'MSGGW_BAD_ADDR',
  ) {
    super(message);
  }
}

const HOST_PORT = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** `s` when it is host:port with a port 1-65535; throws {@link AddrError} naming `what` otherwise. */
export function checkHostPort(s: string, what: string): string {
  const m = HOST_PORT.exec(s.trim());
  if (m !== null && Number(m[1]) >= 1 && Number(m[1]) <= 65535) return s.trim();
  if (/^[a-z]+:\/\//i.test(s)) throw new AddrError(`${what} ${s}: expected host:port, not a URL`, `drop the scheme: ${what} ${s.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')}`);
  if (!s.includes(':')) throw new AddrError(`${what} ${s}: no port given (gRPC would dial ${s}:443)`, `give host:port, e.g. ${what} ${s || '127.0.0.1'}:10140 (msggw serve prints every address)`);
  throw new AddrError(`${what} ${s}: expected host:port with a port 1-65535`, `e.g. ${what} 127.0.0.1:10140`);
}

/**
 * `s` as a WebSocket URL: `ws://` or `wss://` with a host. A bare `host:port` gets a
 * suggestion with `ws://` in front. Throws {@link AddrError}.
 */
export function checkWsUrl(s: string, what: string): string {
  const t = s.trim();
  if (/^wss?:\/\//i.test(t)) {
    try {
      const u = new URL(t);
      if (u.hostname) return t;
    } catch {
      /* reported below */
    }
    throw new AddrError(`${what} ${s}: not a valid WebSocket URL`, `e.g. ${what} ws://127.0.0.1:10001/`, 'MSGGW_BAD_URL');
  }
  if (/^[a-z]+:\/\//i.test(t)) throw new AddrError(`${what} ${s}: a gateway URL starts with ws:// or wss://`, `e.g. ${what} ${t.replace(/^[a-z]+:\/\//i, 'ws://')}`, 'MSGGW_BAD_URL');
  throw new AddrError(`${what} ${s}: not a URL (no ws:// in front)`, `${what} ws://${t}${t.endsWith('/') ? '' : '/'}`, 'MSGGW_BAD_URL');
}
