import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most suites wait on sockets and child processes rather than burn CPU: two files at a time
    // (vitest's default here is one, on two cores) halves the wall clock without starving them.
    maxWorkers: 2,
    // A run that executes no test must fail (vitest's default), and CI shows every file.
    passWithNoTests: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
