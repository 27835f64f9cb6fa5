/**
 * Flag kinds every command shares, so a duration, a platform or an address is read the same
 * way in serve, sim, client, call, token and tui (one parser each, one error each). Each is an
 * oclif flag definition: `durationFlag({ summary, default: 10_000, defaultHelp: '10s' })`.
 */
import { Errors, Flags } from '@oclif/core';
import { DurationError, parseDuration } from '../../src/util/duration.js';
import { parsePlatform, PlatformError } from '../../src/protocol/platforms.js';
import { AddrError, checkHostPort, checkWsUrl } from '../../src/util/addr.js';

/**
 * A usage error raised while oclif parses one flag. oclif prefixes the message with "Parsing
 * --flag"; `plain` keeps ours so the CLI's error handler prints it unwrapped.
 */
export class FlagValueError extends Errors.CLIError {
  constructor(
    readonly plain: string,
    code: string,
    suggestion: string,
  ) {
    super(plain, { code, exit: 2, suggestions: [suggestion] });
  }
}

/** Runs a parser, turning its coded error into a {@link FlagValueError}. */
function coded<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DurationError || e instanceof PlatformError || e instanceof AddrError) throw new FlagValueError(e.message, e.code, e.suggestion);
    throw e;
  }
}

/** A duration in milliseconds (src/util/duration.ts: `10s`, `500ms`, `1m30s`; a bare number is seconds). */
export const durationFlag = Flags.custom<number>({
  helpValue: '<duration>',
  parse: async (input, _ctx, opts) => coded(() => parseDuration(input, `--${opts.name}`)),
});

/** A duration or `forever` (Infinity). */
export const durationOrForeverFlag = Flags.custom<number>({
  helpValue: '<duration|forever>',
  parse: async (input, _ctx, opts) => (input.trim() === 'forever' ? Infinity : coded(() => parseDuration(input, `--${opts.name}`))),
});

/** A platform: an ID 1-11 or a name in any case (`web`, `IOS`), parsed to the ID. */
export const platformFlag = Flags.custom<number>({
  helpValue: '<id|name>',
  parse: async (input, _ctx, opts) => coded(() => parsePlatform(input, `--${opts.name}`)),
});

/** A gRPC address: host:port, checked (a bare host is refused rather than dialled on 443). */
export const hostPortFlag = Flags.custom<string>({
  helpValue: '<host:port>',
  parse: async (input, _ctx, opts) => coded(() => checkHostPort(input, `--${opts.name}`)),
});

/** A gateway URL: ws://host:port/ (a bare host:port gets "put ws:// in front"). */
export const wsUrlFlag = Flags.custom<string>({
  helpValue: '<ws://host:port/>',
  parse: async (input, _ctx, opts) => coded(() => checkWsUrl(input, `--${opts.name}`)),
});

/** The `--sdk` default of every command: the Go SDK's encoding (gob), which OpenIM's own clients speak. */
export const DEFAULT_SDK = 'go';
