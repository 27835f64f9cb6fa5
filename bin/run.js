#!/usr/bin/env node
// Runs the compiled CLI (dist/). `npm run build` (or `npm start`, which builds first) makes it.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
