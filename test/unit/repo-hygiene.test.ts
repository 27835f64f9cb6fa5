import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** Parallel branches land here by merging: a conflict left unresolved must not reach main unnoticed. */
describe('the checkout', () => {
  it('has no merge-conflict markers in any tracked text file', () => {
    const files = execFileSync('git', ['ls-files'], { encoding: 'utf8' }).split('\n').filter((f) => /\.(ts|tsx|js|json|md|yml|yaml|proto|sh)$/.test(f) || f === '.ci/run');
    expect(files.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const f of files) {
      const lines = readFileSync(f, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/^(<{7}|>{7})( |$)/.test(line)) hits.push(`${f}:${i + 1}`);
      });
    }
    expect(hits).toEqual([]);
  });
});
