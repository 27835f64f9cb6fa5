#!/usr/bin/env node
// `npm start` runs `msggw serve`; `npm start -- tui` (or any other command) runs that command instead.
import { execute } from '@oclif/core';

const args = process.argv.slice(2);
const first = args[0];
const argv = first === undefined || first.startsWith('-') ? ['serve', ...args] : args;
await execute({ dir: import.meta.url, args: argv });
