import { defineConfig } from 'vitest/config';

/**
 * The suites Stryker runs against each mutant (stryker.config.mjs): every
 * test of the mutated modules, without those that train models, drive a
 * browser or start a Prometheus (minutes per run, and they kill no mutant of
 * these modules that a faster test does not).
 */
export default defineConfig({
  test: {
    include: [
      'test/scaling/**/*.test.ts',
      'test/keda/**/*.test.ts',
      'test/api/scaling-routes.test.ts',
      'test/api/auth*.test.ts',
      'test/store/**/*.test.ts',
      'test/models/conformal.test.ts',
      'test/backtest/hpa-model.test.ts',
      'test/backtest/replay.test.ts',
      'test/telemetry/**/*.test.ts',
      'test/engine/levels.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
