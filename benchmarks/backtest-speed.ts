/**
 * Backtest speed (issue 5 goal): one backtest of 28 days of 5-minute data
 * with 7 origins and the 4 default models (auto, snaive, mstl, sarima),
 * replay included, in under 60 s on this machine. The series is the seeded
 * synthetic one (data/generate.ts), so the run repeats exactly.
 *
 *   npx tsx benchmarks/backtest-speed.ts
 *
 * Writes benchmarks/out/backtest-speed.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSynthetic } from '../data/generate.js';
import { defaultModels, runBacktest } from '../src/backtest/run.js';
import { regularize } from '../src/series/regularize.js';
import { loadAtStart, loadNote } from './machine-load.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_SECONDS = 60;

const synthetic = generateSynthetic({ days: 28, stepSeconds: 300, seed: 42 });
const { series, filledGaps } = regularize(synthetic, { stepSeconds: 300 });
const models = defaultModels();
const startLoad = loadAtStart();
const started = performance.now();
const result = await runBacktest({ series, filledGaps, source: 'synthetic 28 d', models, origins: 7 });
const seconds = (performance.now() - started) / 1000;
const speed = {
  benchmark: 'backtest-speed',
  command: 'npx tsx benchmarks/backtest-speed.ts',
  verdicts: [{ goal: `28-day 5-min backtest, 7 origins, default models, replay included, < ${GOAL_SECONDS} s`, figure: `${seconds.toFixed(1)} s`, met: seconds < GOAL_SECONDS }],
  loadNote: loadNote(startLoad),
  points: series.values.length,
  origins: 7,
  models,
  seconds,
  accuracySeconds: result.timings.accuracyMs / 1000,
  replaySeconds: result.timings.replayMs / 1000,
  meanFitSecondsByModel: Object.fromEntries(result.models.map((m) => [m.model, m.fitTimeMs === null ? null : m.fitTimeMs / 1000])),
  goal: { seconds: GOAL_SECONDS },
  met: seconds < GOAL_SECONDS,
};
process.stdout.write(
  `backtest of ${speed.points} 5-min points, 7 origins, models ${models.join(', ')} + replay: ${seconds.toFixed(1)} s ` +
    `(accuracy ${speed.accuracySeconds.toFixed(1)} s, replay ${speed.replaySeconds.toFixed(1)} s; goal < ${GOAL_SECONDS} s: ${speed.met ? 'met' : 'NOT met'}); ` +
    `mean fit per origin: ${Object.entries(speed.meanFitSecondsByModel).map(([m, t]) => `${m} ${t?.toFixed(2) ?? '—'} s`).join(', ')}\n`,
);
mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
writeFileSync(join(ROOT, 'benchmarks', 'out', 'backtest-speed.json'), `${JSON.stringify(speed, null, 2)}\n`);
