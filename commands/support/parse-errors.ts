/**
 * Turns oclif's flag-parsing errors into short, coded ones: an unknown flag names the closest
 * known flags and points at `--help` instead of dumping the whole help (oclif's default), and
 * a bad flag value prints our message without oclif's "Parsing --flag" wrapper.
 * bin/run.js passes every error through {@link explainCliError} before oclif prints it.
 */
import { Errors } from '@oclif/core';
import { FlagValueError } from './flags.js';

/** How oclif's unknown-flag error looks (duck-typed: oclif does not export its class). */
interface UnknownFlagsLike {
  flags: string[];
  parse: { input: { flags: Record<string, { char?: string; allowNo?: boolean }>; context?: { id?: string } } };
}

function isUnknownFlags(e: unknown): e is UnknownFlagsLike {
  const x = e as Partial<UnknownFlagsLike> | null;
  return typeof x === 'object' && x !== null && Array.isArray(x.flags) && typeof x.parse?.input?.flags === 'object';
}

/** Levenshtein distance (flags are short: the quadratic table is nothing). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The known flags closest to `given` (without dashes), best first, at most `max`: close in
 * spelling, or sharing a prefix (`--user` -> `--users`, `--user-addr`).
 */
export function closestFlags(given: string, known: readonly string[], max = 3): string[] {
  const g = given.replace(/^-+/, '').split('=')[0]!.toLowerCase();
  const scored = known
    .map((k) => {
      const d = editDistance(g, k.toLowerCase());
      const prefix = k.startsWith(g) || g.startsWith(k);
      return { k, score: prefix ? Math.min(d, 1) : d };
    })
    .filter((s) => s.score <= Math.max(2, Math.floor(g.length / 3)))
    .sort((a, b) => a.score - b.score || a.k.length - b.k.length || a.k.localeCompare(b.k));
  return scored.slice(0, max).map((s) => s.k);
}

/** The commands, as people type them (test/cli/readme-examples checks this list against oclif's). */
export const COMMANDS = ['call', 'client', 'serve', 'sim', 'sim merge', 'token', 'tui'] as const;

/** The error to print instead of `err` (or `err` itself when it is not one of ours to explain). */
export function explainCliError(err: unknown): unknown {
  const unknown = err instanceof Error ? /^command (\S+) not found$/.exec(err.message) : null;
  if (unknown) {
    const typed = unknown[1]!.replaceAll(':', ' ');
    const near = closestFlags(typed, COMMANDS.filter((c) => !c.includes(' ')), 2);
    return new Errors.CLIError(`unknown command ${typed}${near.length ? `: did you mean ${near.join(', ')}?` : ''}`, { code: 'MSGGW_UNKNOWN_COMMAND', exit: 2, suggestions: [`msggw --help lists the commands: ${COMMANDS.join(', ')}`] });
  }
  if (err instanceof FlagValueError) {
    // oclif prepended "Parsing --x \n\t" and appended "See more help with --help".
    return new Errors.CLIError(err.plain, { code: err.code, exit: 2, suggestions: err.suggestions });
  }
  if (isUnknownFlags(err)) {
    const defs = err.parse.input.flags;
    const known = Object.entries(defs).flatMap(([name, d]) => (d.allowNo ? [name, `no-${name}`] : [name]));
    // Command ids are topic:command inside oclif; people type them with a space (topicSeparator).
    const cmd = err.parse.input.context?.id?.replaceAll(':', ' ');
    const help = `see msggw${cmd ? ` ${cmd}` : ''} --help`;
    const lines = err.flags.map((f) => {
      const near = f.startsWith('--') ? closestFlags(f, known) : [];
      return near.length > 0 ? `unknown flag ${f}: did you mean ${near.map((n) => `--${n}`).join(', ')}?` : `unknown flag ${f}`;
    });
    return new Errors.CLIError(lines.join('\n'), { code: 'MSGGW_UNKNOWN_FLAG', exit: 2, suggestions: [help] });
  }
  return err;
}
