import { defineConfig } from 'vitest/config';

/**
 * The suites Stryker runs against each mutant (stryker.config.mjs).
 *
 * A module is scored on its own, against the test files that cover it, so a
 * run takes minutes instead of hours: `MUTATION_TESTS` lists those files
 * (comma-separated paths or globs), e.g.
 *   MUTATION_TESTS=test/scaling/policy.test.ts npx stryker run --mutate src/scaling/policy.ts
 * The commands per module are in test/mutation/REPORT.md. Without it, every
 * suite of the mutated modules below runs, without those that train models,
 * drive a browser or start a Prometheus (minutes per run, and they kill no
 * mutant of these modules that a faster test does not).
 */
const explicit = process.env.MUTATION_TESTS?.split(',')
  .map((path) => path.trim())
  .filter((path) => path.length > 0);

export default defineConfig({
  test: {
    include:
      explicit !== undefined && explicit.length > 0
        ? explicit
        : [
            'test/scaling/**/*.test.ts',
            'test/keda/**/*.test.ts',
            'test/api/scaling-routes.test.ts',
            'test/api/auth*.test.ts',
            'test/store/**/*.test.ts',
            'test/feedback/persistence.test.ts',
            'test/feedback/watchdog*.test.ts',
            'test/models/conformal*.test.ts',
            'test/models/validate.test.ts',
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
