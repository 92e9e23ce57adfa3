/**
 * Replay benchmark (issue 5 goals):
 * 1. On the daily-seasonal series of data/, with pod start-up delays of 120 s
 *    and 300 s: the predictive policy's under-provisioned minutes and
 *    replica-hours as ratios to the reactive HPA's, and against the
 *    seasonal-naive policy. Goal: ≤ 0.15× the under-provisioned minutes at
 *    ≤ 1.10× the replica-hours, and better than seasonal naive on both.
 * 2. Speed: one backtest (28 days of 5-minute data, 7 origins, 4 models,
 *    with the replay) in under 60 s.
 *
 *   npx tsx benchmarks/replay.ts [--series name,…] [--model auto] [--quantile 0.9]
 *     [--policy-utilisation 0.7] [--refit-every-hours 24] [--out FILE] [--skip-speed | --speed-only]
 *
 * Writes benchmarks/out/replay.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../data/generate.js';
import { replay, type PolicyResult } from '../src/backtest/replay.js';
import { evaluate, originIndicesFor } from '../src/backtest/rolling-origin.js';
import { defaultModels, runBacktest } from '../src/backtest/run.js';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { ACCURACY_SERIES, type BenchmarkSeries } from './accuracy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400;

// The same series as the accuracy benchmark (data/README.md), each at a step that divides a day.
const DAILY_SERIES: readonly BenchmarkSeries[] = ACCURACY_SERIES;

const STARTUP_DELAYS = [120, 300] as const;

interface SeriesOutcome {
  series: string;
  startupDelaySeconds: number;
  model: string;
  policies: Record<string, { underProvisionedMinutes: number; replicaHours: number; shortfallLoadMinutes: number; scaleEvents: number; underRatio: number | null; replicaHoursRatio: number | null }>;
  goalUnder: boolean;
  goalReplicaHours: boolean;
  beatsSnaive: boolean;
  seconds: number;
}

async function load(entry: BenchmarkSeries): Promise<Series> {
  const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
  return regularize(samples, { stepSeconds: entry.stepSeconds }).series;
}

function summarise(p: PolicyResult) {
  return {
    underProvisionedMinutes: p.stats.underProvisionedMinutes,
    replicaHours: p.stats.replicaHours,
    shortfallLoadMinutes: p.stats.shortfallLoadMinutes,
    scaleEvents: p.stats.scaleEvents,
    underRatio: p.ratiosToReactive.underProvisionedMinutes,
    replicaHoursRatio: p.ratiosToReactive.replicaHours,
  };
}

interface Knobs {
  readonly quantile?: number;
  readonly policyUtilisation?: number;
  /** Refit cadence of the predictive policy (default one day, reusing the accuracy origins). */
  readonly refitEverySeconds?: number;
}

async function replaySeries(name: string, series: Series, model: string, knobs: Knobs): Promise<SeriesOutcome[]> {
  const stepSeconds = series.stepSeconds;
  const daySteps = DAY / stepSeconds;
  const historyCapSteps = 28 * daySteps;
  // The last 7 days, one origin a day (as the accuracy benchmark), daily and weekly seasons.
  const originIndices = originIndicesFor(series.values.length, 7, daySteps, daySteps);
  // Daily refits reuse the scored origins' forecasts; any other cadence refits inside the replay.
  const refitSteps = Math.max(1, Math.round((knobs.refitEverySeconds ?? DAY) / stepSeconds));
  const seasonalPeriods = [daySteps, 7 * daySteps];
  const started = performance.now();
  const evaluation = refitSteps !== daySteps ? undefined : await evaluate({
    series,
    models: [model],
    origins: originIndices,
    horizonSteps: daySteps,
    historyCapSteps,
    seasonalPeriods,
    ...(knobs.quantile === undefined ? {} : { scalingQuantile: knobs.quantile }),
  });
  const precomputed = evaluation?.models[0];
  const fitSeconds = (performance.now() - started) / 1000;
  const outcomes: SeriesOutcome[] = [];
  for (const startupDelaySeconds of STARTUP_DELAYS) {
    const t0 = performance.now();
    const r = await replay({
      series,
      startIndex: originIndices[0] as number,
      model,
      seasonalPeriods,
      refitEverySteps: refitSteps,
      historyCapSteps,
      startupDelaySeconds,
      ...(knobs.quantile === undefined ? {} : { quantile: knobs.quantile }),
      ...(knobs.policyUtilisation === undefined ? {} : { policyUtilisation: knobs.policyUtilisation }),
      ...(precomputed ? { precomputed } : {}),
    });
    const by = Object.fromEntries(r.policies.map((p) => [p.policy, p])) as Record<string, PolicyResult>;
    const reactive = by.reactive as PolicyResult;
    const predictive = by.predictive as PolicyResult;
    const snaive = by.snaive as PolicyResult;
    const under = predictive.stats.underProvisionedMinutes;
    outcomes.push({
      series: name,
      startupDelaySeconds,
      model: r.params.model,
      policies: Object.fromEntries(r.policies.map((p) => [p.policy, summarise(p)])),
      goalUnder: under <= 0.15 * reactive.stats.underProvisionedMinutes,
      goalReplicaHours: predictive.stats.replicaHours <= 1.1 * reactive.stats.replicaHours,
      beatsSnaive: under <= snaive.stats.underProvisionedMinutes && predictive.stats.replicaHours <= snaive.stats.replicaHours,
      seconds: fitSeconds + (performance.now() - t0) / 1000,
    });
  }
  return outcomes;
}

function ratio(r: number | null): string {
  return r === null ? '—' : r.toFixed(3);
}

async function speed(): Promise<{
  seconds: number;
  accuracySeconds: number;
  replaySeconds: number;
  models: string[];
  meanFitSecondsByModel: Record<string, number | null>;
  points: number;
}> {
  const synthetic = generateSynthetic({ days: 28, stepSeconds: 300, seed: 42 });
  const { series, filledGaps } = regularize(synthetic, { stepSeconds: 300 });
  const models = defaultModels();
  const started = performance.now();
  const result = await runBacktest({ series, filledGaps, source: 'synthetic 28 d', models, origins: 7 });
  return {
    seconds: (performance.now() - started) / 1000,
    accuracySeconds: result.timings.accuracyMs / 1000,
    replaySeconds: result.timings.replayMs / 1000,
    models,
    meanFitSecondsByModel: Object.fromEntries(result.models.map((m) => [m.model, m.fitTimeMs === null ? null : m.fitTimeMs / 1000])),
    points: series.values.length,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string' },
      model: { type: 'string', default: 'auto' },
      quantile: { type: 'string' },
      'policy-utilisation': { type: 'string' },
      'refit-every-hours': { type: 'string' },
      out: { type: 'string' },
      'skip-speed': { type: 'boolean' },
      'speed-only': { type: 'boolean' },
    },
  });
  const knobs: Knobs = {
    ...(values.quantile === undefined ? {} : { quantile: Number(values.quantile) }),
    ...(values['policy-utilisation'] === undefined ? {} : { policyUtilisation: Number(values['policy-utilisation']) }),
    ...(values['refit-every-hours'] === undefined ? {} : { refitEverySeconds: Number(values['refit-every-hours']) * 3600 }),
  };
  const wanted = values.series?.split(',');
  const entries = values['speed-only'] ? [] : DAILY_SERIES.filter((e) => !wanted || wanted.includes(e.name));
  const outcomes: SeriesOutcome[] = [];
  for (const entry of entries) {
    const series = await load(entry);
    const rows = await replaySeries(entry.name, series, values.model, knobs);
    for (const o of rows) {
      const p = o.policies;
      process.stdout.write(
        `${o.series.padEnd(24)} start-up ${String(o.startupDelaySeconds).padStart(3)} s  under-prov min: reactive ${p.reactive?.underProvisionedMinutes.toFixed(1)}, ` +
          `predictive ${p.predictive?.underProvisionedMinutes.toFixed(1)} (${ratio(p.predictive?.underRatio ?? null)}×), snaive ${p.snaive?.underProvisionedMinutes.toFixed(1)}, oracle ${p.oracle?.underProvisionedMinutes.toFixed(1)}; ` +
          `replica-h ratio: predictive ${ratio(p.predictive?.replicaHoursRatio ?? null)}, snaive ${ratio(p.snaive?.replicaHoursRatio ?? null)}, oracle ${ratio(p.oracle?.replicaHoursRatio ?? null)}; ` +
          `goal ${o.goalUnder && o.goalReplicaHours ? 'met' : 'missed'}, beats snaive ${o.beatsSnaive ? 'yes' : 'no'} (${o.seconds.toFixed(1)} s)\n`,
      );
    }
    outcomes.push(...rows);
  }
  const met = outcomes.filter((o) => o.goalUnder && o.goalReplicaHours).length;
  const beats = outcomes.filter((o) => o.beatsSnaive).length;
  process.stdout.write(`\ngoal (≤ 0.15× under-provisioned minutes at ≤ 1.10× replica-hours) met in ${met}/${outcomes.length} runs; beats seasonal naive on both in ${beats}/${outcomes.length}\n`);

  const speedResult = values['skip-speed'] ? null : await speed();
  if (speedResult) {
    process.stdout.write(
      `speed: backtest of ${speedResult.points} 5-min points, 7 origins, models ${speedResult.models.join(', ')} + replay: ${speedResult.seconds.toFixed(1)} s (accuracy ${speedResult.accuracySeconds.toFixed(1)} s, replay ${speedResult.replaySeconds.toFixed(1)} s; goal < 60 s); mean fit per origin: ${Object.entries(speedResult.meanFitSecondsByModel).map(([m, t]) => `${m} ${t?.toFixed(2) ?? '—'} s`).join(', ')}\n`,
    );
  }
  mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
  writeFileSync(
    values.out ?? join(ROOT, 'benchmarks', 'out', values['speed-only'] ? 'backtest-speed.json' : 'replay.json'),
    `${JSON.stringify({ benchmark: 'replay', model: values.model, knobs, goalMet: `${met}/${outcomes.length}`, beatsSnaive: `${beats}/${outcomes.length}`, outcomes, speed: speedResult }, null, 2)}\n`,
  );
}

await main();
