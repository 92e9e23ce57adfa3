import { defineConfig } from 'vitest/config';

// Suites named *.slow.test.ts start real servers or train models; `npm run test:fast` skips them.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
