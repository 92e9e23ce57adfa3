// @ts-check
/**
 * Mutation testing (issue 17): `npm run test:mutation` mutates the modules
 * whose bugs cost production capacity or data and runs the tests that cover
 * them against each mutant. Slow and CPU-hungry: not part of `npm test` or CI.
 * Score one module at a time against the tests that cover it:
 *   bash scripts/mutation-module.sh src/scaling/policy.ts test/scaling/policy.test.ts …
 * (the list below is the whole set); the per-module scores and the command
 * that reproduces each are in test/mutation/REPORT.md.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  // The suites that cover these modules, without the model-training and browser ones (vitest.mutation.config.ts).
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  // scripts/mutation-module.sh may point the checker at a program of the module and its tests only
  // (MUTATION_CHECKER=module): a schema's mutant otherwise re-checks every file that imports it.
  tsconfigFile: process.env.MUTATION_TSCONFIG ?? 'tsconfig.json',
  // Mutants that do not compile are discarded by the checker instead of run.
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'src/scaling/**/*.ts',
    'src/backtest/hpa-model.ts',
    'src/backtest/replay.ts',
    // The world every replayed policy runs in (split out of replay.ts): the HPA's inputs, the forecast in force, headroom.
    'src/backtest/replay-world.ts',
    'src/keda/**/*.ts',
    'src/api/auth.ts',
    'src/store/**/*.ts',
    // The persisted document the stores read and write (moved out of src/store to break an import circle).
    'src/engine/persisted.ts',
    'src/models/conformal.ts',
    'src/models/validate.ts',
    'src/feedback/watchdog.ts',
  ],
  coverageAnalysis: 'perTest',
  // Only source and tests are code; data/ holds HTML and CSV that Stryker would try to parse.
  disableTypeChecks: '{src,test}/**/*.{js,ts,mjs}',
  ignorePatterns: ['benchmarks/out', 'reports', 'models/*.json', 'dist'],
  // Re-runs only mutants whose code or tests changed since the last run (the file stays local, git-ignored).
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  // Two cores shared with other developers' work: one test process at a time.
  concurrency: 1,
  timeoutMS: 30_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  thresholds: { high: 90, low: 85, break: null },
};
export default config;
