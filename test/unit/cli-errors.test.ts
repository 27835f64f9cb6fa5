/**
 * The MSGGW_* table (commands/support/errors.ts) is the only list of CLI error codes: every code
 * any module raises is in it, every entry is used and documented in README.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI_ERRORS } from '../../commands/support/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(name)) out.push(p);
  }
  return out;
}

/** Codes written as string literals (environment variables such as MSGGW_PROTO_DIR are never quoted). */
function usedCodes(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const dir of ['src', 'simulators', 'harness', 'commands']) {
    for (const file of sources(join(ROOT, dir))) {
      if (file.endsWith(join('commands', 'support', 'errors.ts'))) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/['"`](MSGGW_[A-Z0-9_]+)['"`]/g)) {
        const list = used.get(m[1]!) ?? [];
        list.push(file.slice(ROOT.length + 1));
        used.set(m[1]!, list);
      }
    }
  }
  return used;
}

const table = Object.keys(CLI_ERRORS);
const used = usedCodes();

describe('CLI error codes', () => {
  it('every code raised anywhere is in the table', () => {
    expect(used.size).toBeGreaterThan(10);
    expect([...used.keys()].filter((c) => !table.includes(c))).toEqual([]);
  });

  it('every code in the table is raised somewhere', () => {
    expect(table.filter((c) => !used.has(c))).toEqual([]);
  });

  it('every code has a message, a suggestion and an exit status', () => {
    for (const [code, spec] of Object.entries(CLI_ERRORS)) {
      expect(spec.message.length, code).toBeGreaterThan(5);
      expect(spec.suggestion.length, code).toBeGreaterThan(5);
      expect([1, 2, 3], code).toContain(spec.exit);
    }
  });

  it('README.md documents exactly the codes of the table', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('\n## ', readme.indexOf('## Error codes') + 1));
    const documented = [...section.matchAll(/^\| `(MSGGW_[A-Z0-9_]+)` \| (\d) \|/gm)].map((m) => ({ code: m[1]!, exit: Number(m[2]) }));
    expect(documented.map((d) => d.code).sort()).toEqual([...table].sort());
    for (const d of documented) expect(d.exit, d.code).toBe(CLI_ERRORS[d.code as keyof typeof CLI_ERRORS].exit);
  });
});
