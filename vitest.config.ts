import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Suites named *.slow.test.ts start real servers or train models; `npm run test:fast` skips them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default is one file at a time on 2 cores (cores − 1). Much of a file's time is spent waiting
    // (on pool threads starting, servers, child processes), so two files at once use both cores better.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default'],
  },
});
