/**
 * The accuracy benchmark's protocol (benchmarks/accuracy.ts: 7 daily
 * origins, horizon one day, ≤ 28 days of history), cached as
 * benchmarks/m4-dump.ts caches M4: at each origin, every candidate of
 * `auto` with its backtest forecasts (auto's own inner origins) and its
 * forecast of the scored day. benchmarks/m4-offline.ts replays `auto`'s
 * choice and calibration variants on it, so a variant tuned on M4 is
 * checked on data/ + realTweets without refitting.
 *
 *   npx tsx benchmarks/accuracy-dump.ts [--series a,b] [--models a,b] --out <name>
 *
 * --models: only these candidates (and their @1d variants), as m4-dump.ts.
 *
 * Writes benchmarks/out/dump/<name>.json (one entry per series and origin).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { evaluate } from '../src/models/evaluation/rolling-origin.js';
import type { Forecaster } from '../src/models/forecaster.js';
import { withSeason } from '../src/models/auto/candidates.js';
import { OPT_IN } from '../src/models/auto/options.js';
import { forecasters } from '../src/models/registry.js';
import { regularize } from '../src/series/regularize.js';
import { detectSeasonalPeriods } from '../src/series/seasonality.js';
import { readSamplesFile } from '../src/sources/file.js';
import { ACCURACY_SERIES } from './accuracy-series.js';
import { dumpCandidates } from './dump-candidates.js';
import type { DumpSeries } from './m4-dump.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DAY_SECONDS = 86_400;
const ORIGINS = 7;
const LEVELS = [0.8, 0.95];

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { series: { type: 'string' }, models: { type: 'string' }, out: { type: 'string', default: 'acc' } } });
  const wanted = args.series?.split(',');
  const only = args.models?.split(',');
  const out: DumpSeries[] = [];
  await mkdir(join(HERE, 'out', 'dump'), { recursive: true });
  for (const spec of ACCURACY_SERIES.filter((s) => !wanted || wanted.includes(s.name))) {
    const samples = await readSamplesFile(join(HERE, '..', 'data', spec.file), spec.column === undefined ? {} : { column: spec.column });
    const { series } = regularize(samples, { stepSeconds: spec.stepSeconds });
    const day = Math.round(DAY_SECONDS / spec.stepSeconds);
    const cap = 28 * day;
    const firstOrigin = series.values.length - day * ORIGINS;
    const detected = detectSeasonalPeriods(series.values.slice(Math.max(0, firstOrigin - cap), firstOrigin), spec.stepSeconds);
    for (let k = 0; k < ORIGINS; k++) {
      const origin = firstOrigin + k * day;
      const history = series.values.slice(Math.max(0, origin - cap), origin);
      const actual = series.values.slice(origin, origin + day);
      // auto.ts on this history: the weekly season needs two weeks; candidates also with a daily season when none was given.
      const periods = history.length * spec.stepSeconds < 14 * DAY_SECONDS ? detected.filter((p) => p * spec.stepSeconds < 7 * DAY_SECONDS) : detected;
      const startMs = series.startMs + (origin - history.length) * spec.stepSeconds * 1000;
      const ctx = { stepSeconds: spec.stepSeconds, startMs, seasonalPeriods: periods, deadlineMs: Date.now() + 600_000, seed: 1 };
      const named: Forecaster[] = [...forecasters.values()].filter((f) => f.name !== 'auto' && (only ? only.includes(f.name) : !OPT_IN.has(f.name)));
      if (!periods.includes(day)) named.push(...named.map((f) => withSeason(f, day, '@1d')));
      const inner = Math.min(3, Math.floor((history.length - day - 1) / day));
      const models = named.filter((f) => f.minLength(ctx) <= history.length - inner * day);
      const evaluation = await evaluate({
        series: { startMs, stepSeconds: spec.stepSeconds, values: history },
        models,
        origins: inner,
        horizonSteps: day,
        spacingSteps: day,
        levels: LEVELS,
        seasonalPeriods: periods,
        scalingQuantile: 0.9,
        seed: 1,
      });
      const candidates = await dumpCandidates(evaluation, models, history, ctx, day, LEVELS);
      out.push({ id: `${spec.name}#${k}`, periods, candidates, day, history, actual });
      await writeFile(join(HERE, 'out', 'dump', `${args.out}.json`), JSON.stringify(out));
      console.error(`${spec.name} origin ${k + 1}/${ORIGINS}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
