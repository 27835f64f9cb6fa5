import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A run that executes no test must fail (vitest's default), and CI shows every file.
    passWithNoTests: false,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
