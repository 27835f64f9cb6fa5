/**
 * The JS SDK's text heartbeats (upstream `TextMessage`): `{"type":"ping","body":...}` is answered
 * with `{"type":"pong","body":<the same body>}`; `pong` needs no answer. Pure: text in, values out.
 */

/** Largest text frame accepted: a heartbeat is a few dozen bytes, and every ping's body is echoed. */
export const MAX_TEXT_FRAME_BYTES = 1024;

/** The ping a client sends. */
export const PING_TEXT = '{"type":"ping"}';

/** A text frame, parsed: a ping (with the body to echo), a pong, or why it is not a heartbeat. */
export type TextHeartbeat = { type: 'ping'; body: unknown } | { type: 'pong' } | { type: 'invalid'; why: string };

/** Parses one text frame as a heartbeat. */
export function parseTextHeartbeat(text: string): TextHeartbeat {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { type: 'invalid', why: 'text frame is not JSON' };
  }
  const type = msg && typeof msg === 'object' ? (msg as { type?: unknown }).type : undefined;
  if (type === 'pong') return { type: 'pong' };
  if (type === 'ping') return { type: 'ping', body: (msg as { body?: unknown }).body };
  return { type: 'invalid', why: `not support message type ${String(type)}` };
}

/** The pong answering a ping with `body` (upstream echoes it; `null` when there was none). */
export function pongText(body: unknown): string {
  return `{"type":"pong","body":${body === undefined ? 'null' : JSON.stringify(body)}}`;
}
