#!/usr/bin/env node
// Runs the compiled CLI (dist/). `npm install` builds it (the `prepare` script); `npm run build` rebuilds it.
import { existsSync } from 'node:fs';
import { execute } from '@oclif/core';

if (!existsSync(new URL('../dist/commands', import.meta.url))) {
  process.stderr.write('msggw: the CLI is not built yet (no dist/commands).\nTry this: run `npm run build` in the msggw folder, then run the command again.\n');
  process.exit(1);
}
await execute({ dir: import.meta.url });
