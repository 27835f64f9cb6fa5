#!/usr/bin/env node
// Runs the compiled CLI (dist/). `npm install` builds it (the `prepare` script); `npm run build` rebuilds it.
import { existsSync } from 'node:fs';
import { flush, handle, run } from '@oclif/core';

if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  process.stderr.write('msggw: the CLI is not built yet (no dist/commands).\nTry this: run `npm run build` in the msggw folder, then run the command again.\n');
  process.exit(1);
}
// What execute() does, with our wording of flag errors (unknown flag: did you mean ...) in between.
const { explainCliError } = await import('../dist/commands/support/parse-errors.js');
try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (e) {
  await handle(explainCliError(e));
}
