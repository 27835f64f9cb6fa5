/**
 * "could not start": one place that turns what a node, the simulators or an in-process sim
 * target threw at start into a coded CLI error whose "Try this" fits the cause (a taken port, an
 * unreachable backend, a Redis without AOF...), instead of one suggestion for every cause.
 */
import type { Command } from '@oclif/core';
import { BackendUnreachableError } from '../../src/startup/backends.js';
import { fail } from './errors.js';

/** The suggestion an error (or the error it wraps) carries, if any. */
function ownSuggestion(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 4; cur = cur.cause, depth++) {
    const s = (cur as { suggestion?: unknown }).suggestion;
    if (typeof s === 'string' && s !== '') return s;
  }
  return undefined;
}

/** Ends the command for an error thrown while starting; `what` prefixes the message ("could not start"). */
export function failStart(cmd: Command, e: unknown, what: string, ports: string): never {
  const msg = e instanceof Error ? e.message : String(e);
  const own = ownSuggestion(e);
  const unreachable = e instanceof BackendUnreachableError || (e instanceof Error && e.cause instanceof BackendUnreachableError);
  if (unreachable) fail(cmd, 'MSGGW_BACKEND_UNREACHABLE', msg, own ? [own] : []);
  if (own) fail(cmd, 'MSGGW_START_FAILED', `${what}: ${msg}`, [own]);
  if (/EADDRINUSE/.test(msg)) fail(cmd, 'MSGGW_START_FAILED', `${what}: ${msg}`, [`another process holds a port: ${ports}`]);
  fail(cmd, 'MSGGW_START_FAILED', `${what}: ${msg}`);
}
