/**
 * Accuracy benchmark (DESIGN.md §5, issue 3): rolling origins over the last
 * 7 days (one a day), horizon one day, at most 28 days of history, on the
 * sample series of data/. Scores every registered model and `auto` with the
 * same evaluation code the service and the backtest CLI use.
 *
 * Run: npx tsx benchmarks/accuracy.ts [--series a,b] [--models snaive,mstl,sarima,lstm,auto] [--fit-limit-ms 120000]
 *   [--auto-origins 3] [--auto-calibration always|when-off|widen-only|never] [--auto-tail-widening on|off] [--auto-min-per-bucket 100] [--auto-tail-method ratio|rolling|max] [--auto-cross-check on|off] [--no-fit-timing | --fit-timing-only]
 *   [--merge part1,part2,…] (parts written by runs on subsets of the series, or by --fit-timing-only)
 *   [--origins 7] [--horizon-hours 24] [--spacing-hours 24] [--out accuracy]
 * Writes benchmarks/out/<out>.json (default accuracy.json). Other protocols
 * (e.g. --horizon-hours 6 --spacing-hours 12) check that calibration holds
 * beyond the one it is reported on; the auto fit timings run only with the default protocol.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { aggregateOrigins, evaluate, scoreForecast, type EvaluationResult, type OriginResult } from '../src/models/evaluation/rolling-origin.js';
import { createAutoForecaster, type AutoOptions } from '../src/models/auto.js';
import type { Forecaster } from '../src/models/forecaster.js';
import { forecasters, getForecaster } from '../src/models/registry.js';
import { seasonalNaive } from '../src/models/seasonal-naive.js';
import { regularize } from '../src/series/regularize.js';
import { detectSeasonalPeriods } from '../src/series/seasonality.js';
import { readSamplesFile } from '../src/sources/file.js';
import { loadAtStart, loadNote } from './machine-load.js';
import { seededSplit } from './split.js';
import { ACCURACY_SERIES, type BenchmarkSeries } from './accuracy-series.js';
import {
  accuracyVerdicts,
  assembleResult,
  formatAccuracyTable,
  median,
  type AccuracyBenchmarkResult,
  type ModelSeriesScore,
  type SeriesResult,
} from './accuracy-report.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAY_SECONDS = 86_400;

export interface AccuracyBenchmarkOptions {
  /** Default: data/ beside benchmarks/. */
  readonly dataDir?: string;
  /** Series names to run (default: all of ACCURACY_SERIES). */
  readonly series?: readonly string[];
  /**
   * Models (default: every registered model, auto included, except lstm:
   * 63 LSTM fits take far longer than the rest together, and
   * benchmarks/lstm-fit.ts scores it on this protocol; pass it explicitly to include it).
   */
  readonly models?: readonly string[];
  /** Origins, one a day (default 7). */
  readonly origins?: number;
  /** Default one day. */
  readonly horizonSeconds?: number;
  /** Time between origins (default: the horizon). */
  readonly spacingSeconds?: number;
  /** Default 28 days. */
  readonly historyCapSeconds?: number;
  readonly levels?: readonly number[];
  readonly scalingQuantile?: number;
  /** Also score seasonal naive at one day ('snaive-1d') as a reference baseline (default true). */
  readonly dailyBaseline?: boolean;
  /** Options for `auto` (default: the registered auto with its defaults). */
  readonly autoOptions?: AutoOptions;
  /**
   * Time limit per fit, ms (default 120 000). auto's internal budget is
   * derived from it; below 180 s auto does not try lstm.
   */
  readonly fitTimeLimitMs?: number;
  readonly onProgress?: (line: string) => void;
}
/**
 * Seasonal naive at one day whatever was detected: the textbook baseline (and
 * the MASE scale's model). The registry's snaive uses the detected periods,
 * so on a series with no detected season it is the naive last-value forecast.
 */
export function dailySeasonalNaive(stepSeconds: number): Forecaster {
  const day = Math.round(DAY_SECONDS / stepSeconds);
  return {
    name: 'snaive-1d',
    minLength: () => day + 1,
    fit: (values, ctx) => seasonalNaive.fit(values, { ...ctx, seasonalPeriods: [day] }),
  };
}

export interface AutoFitTiming {
  readonly series: string;
  readonly days: number;
  readonly candidates: readonly string[];
  readonly fitSeconds: number;
  readonly chosen: string;
  readonly notes: readonly string[];
}

/**
 * Times one whole `auto` fit (backtest + final fit) on the last `days` days of
 * a 5-minute series, with the given candidates.
 */
export async function measureAutoFit(
  spec: BenchmarkSeries,
  days: number,
  candidates: readonly (string | Forecaster)[] | undefined,
  dataDir = join(here, '..', 'data'),
): Promise<AutoFitTiming> {
  const samples = await readSamplesFile(join(dataDir, spec.file), spec.column === undefined ? {} : { column: spec.column });
  const { series } = regularize(samples, { stepSeconds: spec.stepSeconds });
  const steps = Math.round((days * DAY_SECONDS) / spec.stepSeconds);
  const values = series.values.slice(-steps);
  const periods = detectSeasonalPeriods(values, spec.stepSeconds);
  const forecaster = createAutoForecaster(candidates ? { candidates } : {});
  const started = performance.now();
  const fitted = await forecaster.fit(values, {
    stepSeconds: spec.stepSeconds,
    startMs: series.startMs + (series.values.length - steps) * spec.stepSeconds * 1000,
    seasonalPeriods: periods,
    // The service's fit limit (config pool.fitTimeoutMs default): auto tries lstm only with 180 s left, so not here.
    deadlineMs: Date.now() + 120_000,
    seed: 1,
  });
  const fitSeconds = (performance.now() - started) / 1000;
  const result = {
    series: spec.name,
    days,
    candidates: candidates ? candidates.map((c) => (typeof c === 'string' ? c : c.name)) : ['(auto defaults)'],
    fitSeconds,
    chosen: fitted.info.model,
    notes: fitted.info.notes,
  };
  fitted.dispose();
  return result;
}

/** NAB's labelled incident windows for a data file, [startMs, endMs] (timestamps without zone, read as UTC). */
async function incidentWindows(dataDir: string, file: string): Promise<[number, number][]> {
  if (!file.startsWith('nab/')) return [];
  const labels = JSON.parse(await readFile(join(dataDir, 'nab', 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const key = Object.keys(labels).find((k) => basename(k) === basename(file));
  const utc = (text: string): number => Date.parse(`${text.replace(' ', 'T').replace(/\.\d+$/, '')}Z`);
  return (key ? (labels[key] ?? []) : []).map(([from, to]) => [utc(from), utc(to)]);
}

/** Rescores every origin on its steps outside the windows; undefined when no scored step falls in one. */
function scoreOutsideWindows(evaluation: EvaluationResult, windows: readonly [number, number][], scalingQuantile: number): SeriesResult['outsideIncidents'] {
  const stepMs = evaluation.stepSeconds * 1000;
  const inWindow = (tMs: number): boolean => windows.some(([from, to]) => tMs >= from && tMs <= to);
  let stepsScored = 0;
  let stepsExcluded = 0;
  const models: Record<string, { mase: number; coverage80: number; coverage95: number; originsScored: number }> = {};
  evaluation.models.forEach((m, k) => {
    const origins: OriginResult[] = m.origins.map((o) => {
      const keep = o.actual.map((_, h) => !inWindow(o.originMs + h * stepMs));
      if (k === 0) {
        stepsScored += keep.filter(Boolean).length;
        stepsExcluded += keep.filter((x) => !x).length;
      }
      if (!o.forecast || !keep.some(Boolean)) return { ...o, metrics: undefined };
      const pick = (xs: readonly number[]): number[] => xs.filter((_, h) => keep[h]);
      const actual = pick(o.actual);
      const forecast = { point: pick(o.forecast.point), intervals: o.forecast.intervals.map((i) => ({ level: i.level, lower: pick(i.lower), upper: pick(i.upper) })) };
      return { ...o, actual, metrics: scoreForecast(actual, forecast, o.scale, scalingQuantile) };
    });
    const a = aggregateOrigins(origins);
    models[m.model] = { mase: a.mase, coverage80: a.coverage['0.8'] ?? Number.NaN, coverage95: a.coverage['0.95'] ?? Number.NaN, originsScored: a.originsScored };
  });
  return stepsExcluded === 0 ? undefined : { stepsScored, stepsExcluded, models };
}
function scoresOf(evaluation: EvaluationResult): Record<string, ModelSeriesScore> {
  const out: Record<string, ModelSeriesScore> = {};
  for (const m of evaluation.models) {
    const a = m.aggregate;
    const chosen: Record<string, number> = {};
    if (m.model === 'auto') for (const o of m.origins) if (o.info) chosen[o.info.model] = (chosen[o.info.model] ?? 0) + 1;
    out[m.model] = {
      mase: a.mase,
      smape: a.smape,
      coverage80: a.coverage['0.8'] ?? Number.NaN,
      coverage95: a.coverage['0.95'] ?? Number.NaN,
      pinball90: a.pinball,
      scaledPinball90: a.scaledPinball,
      fitTimeMs: a.fitTimeMs,
      failures: a.failures,
      ...(m.model === 'auto' ? { chosen } : {}),
    };
  }
  return out;
}

/** Runs the benchmark and returns its result (no printing, no files). */
export async function runAccuracyBenchmark(options: AccuracyBenchmarkOptions = {}): Promise<AccuracyBenchmarkResult> {
  const started = performance.now();
  const dataDir = options.dataDir ?? join(here, '..', 'data');
  const originCount = options.origins ?? 7;
  const horizonSeconds = options.horizonSeconds ?? DAY_SECONDS;
  const spacingSeconds = options.spacingSeconds ?? horizonSeconds;
  const historyCapSeconds = options.historyCapSeconds ?? 28 * DAY_SECONDS;
  const levels = options.levels ?? [0.8, 0.95];
  const scalingQuantile = options.scalingQuantile ?? 0.9;
  const models = options.models ?? [...forecasters.keys()].filter((name) => name !== 'lstm');
  const chosenSeries = ACCURACY_SERIES.filter((s) => !options.series || options.series.includes(s.name));
  const results: SeriesResult[] = [];

  for (const spec of chosenSeries) {
    const seriesStarted = performance.now();
    const samples = await readSamplesFile(join(dataDir, spec.file), spec.column === undefined ? {} : { column: spec.column });
    const { series } = regularize(samples, { stepSeconds: spec.stepSeconds });
    const horizonSteps = Math.round(horizonSeconds / spec.stepSeconds);
    const spacingSteps = Math.max(1, Math.round(spacingSeconds / spec.stepSeconds));
    const historyCapSteps = Math.round(historyCapSeconds / spec.stepSeconds);
    const firstOrigin = series.values.length - horizonSteps - spacingSteps * (originCount - 1);
    // Seasons detected on the history before the first origin only: no look-ahead.
    const seasonalPeriods = detectSeasonalPeriods(
      series.values.slice(Math.max(0, firstOrigin - historyCapSteps), firstOrigin),
      spec.stepSeconds,
    );
    const autoForecaster = options.autoOptions ? createAutoForecaster(options.autoOptions) : undefined;
    const evaluation = await evaluate({
      series,
      models: [
        ...models.map((m): Forecaster => (m === 'auto' && autoForecaster ? autoForecaster : getForecaster(m))),
        ...(options.dailyBaseline === false ? [] : [dailySeasonalNaive(spec.stepSeconds)]),
      ],
      origins: originCount,
      spacingSteps,
      horizonSteps,
      historyCapSteps,
      levels,
      seasonalPeriods,
      scalingQuantile,
      fitTimeLimitMs: options.fitTimeLimitMs ?? 120_000,
      onProgress: (p) => options.onProgress?.(`${spec.name}: ${p.done}/${p.total} (${p.model})`),
    });
    const outsideIncidents = scoreOutsideWindows(evaluation, await incidentWindows(dataDir, spec.file), scalingQuantile);
    results.push({
      name: spec.name,
      stepSeconds: spec.stepSeconds,
      length: series.values.length,
      seasonalPeriods,
      originsScored: evaluation.originIndices.length,
      models: scoresOf(evaluation),
      ...(outsideIncidents ? { outsideIncidents } : {}),
      wallTimeMs: performance.now() - seriesStarted,
    });
  }

  return assembleResult(results, [...models, ...(options.dailyBaseline === false ? [] : ['snaive-1d'])], {
    origins: originCount,
    horizonSeconds,
    spacingSeconds,
    historyCapSeconds,
    levels,
    scalingQuantile,
  }, performance.now() - started);
}
function argValue(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The seed of the dev/holdout split of the series (earlier tuning looked at the dev half only). */
const SPLIT_SEED = 16;

async function main(): Promise<void> {
  const startLoad = loadAtStart();
  const args = process.argv.slice(2);
  const series = argValue(args, '--series')?.split(',');
  const models = argValue(args, '--models')?.split(',');
  const fitLimit = argValue(args, '--fit-limit-ms');
  const autoOrigins = argValue(args, '--auto-origins');
  const calibration = argValue(args, '--auto-calibration') as AutoOptions['calibration'] | undefined;
  const tailWidening = argValue(args, '--auto-tail-widening');
  const minPerBucket = argValue(args, '--auto-min-per-bucket');
  const tailMethod = argValue(args, '--auto-tail-method') as AutoOptions['tailMethod'] | undefined;
  const crossCheck = argValue(args, '--auto-cross-check');
  const timeFits = !args.includes('--no-fit-timing');
  const origins = argValue(args, '--origins');
  const horizonHours = argValue(args, '--horizon-hours');
  const spacingHours = argValue(args, '--spacing-hours');
  const outName = argValue(args, '--out') ?? 'accuracy';
  const defaultProtocol = origins === undefined && horizonHours === undefined && spacingHours === undefined;
  const autoOptions: AutoOptions = {
    ...(autoOrigins ? { origins: Number(autoOrigins) } : {}),
    ...(calibration ? { calibration } : {}),
    ...(tailWidening ? { tailWidening: tailWidening !== 'off' } : {}),
    ...(minPerBucket ? { minPerBucket: Number(minPerBucket) } : {}),
    ...(tailMethod ? { tailMethod } : {}),
    ...(crossCheck ? { crossCheck: crossCheck !== 'off' } : {}),
  };
  // --fit-timing-only: only the 14-day auto fit timings, as a part to --merge with the accuracy runs (the
  // timings are a speed figure, best taken on a quiet machine; the accuracy parts may run in parallel).
  if (args.includes('--fit-timing-only')) {
    const timingStarted = performance.now();
    const timings: AutoFitTiming[] = [];
    for (const spec of ACCURACY_SERIES.filter((s) => s.stepSeconds === 300 && (!series || series.includes(s.name)))) {
      const timing = await measureAutoFit(spec, 14, undefined);
      timings.push(timing);
      console.log(`auto fit, ${spec.name}, 14 days at 5 min: ${timing.fitSeconds.toFixed(2)} s, served ${timing.chosen}`);
    }
    await mkdir(join(here, 'out'), { recursive: true });
    const part = { command: `npx tsx benchmarks/accuracy.ts ${args.join(' ')}`, series: [], summary: {}, protocol: 'auto fit timing only', wallTimeMs: performance.now() - timingStarted, loadNote: loadNote(startLoad), autoFitTimings: timings };
    await writeFile(join(here, 'out', `${outName}.json`), JSON.stringify(part, null, 2));
    console.log(`median ${median(timings.map((t) => t.fitSeconds))} s; wrote benchmarks/out/${outName}.json (merge it with --merge)`);
    return;
  }
  // --merge a,b: runs made on parts of the series (--series … --out a), reported as one run (no fitting).
  const merge = argValue(args, '--merge')?.split(',');
  const parts = merge
    ? await Promise.all(merge.map(async (part) => JSON.parse(await readFile(join(here, 'out', `${part}.json`), 'utf8')) as AccuracyBenchmarkResult & { autoFitTimings?: AutoFitTiming[] }))
    : [];
  const first = parts[0];
  const result = first
    ? assembleResult(
        // JSON turned NaN into null: back to NaN for the summaries.
        parts.flatMap((p) => p.series).map((s) => ({ ...s, models: Object.fromEntries(Object.entries(s.models).map(([m, v]) => [m, Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? Number.NaN : x]))])) }) as SeriesResult),
        Object.keys(first.summary),
        first.protocol,
        parts.reduce((t, p) => t + p.wallTimeMs, 0),
      )
    : await runAccuracyBenchmark({
    ...(series ? { series } : {}),
    ...(models ? { models } : {}),
    ...(fitLimit ? { fitTimeLimitMs: Number(fitLimit) } : {}),
    ...(origins ? { origins: Number(origins) } : {}),
    ...(horizonHours ? { horizonSeconds: Number(horizonHours) * 3600 } : {}),
    ...(spacingHours ? { spacingSeconds: Number(spacingHours) * 3600 } : {}),
    ...(Object.keys(autoOptions).length > 0 ? { autoOptions } : {}),
    // A live line on a terminal; nothing per fit when piped (the table says it all).
    onProgress: (line) => {
      if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(70)}`);
    },
  });
  process.stderr.write('\n');
  console.log(formatAccuracyTable(result));
  // Issue 16: the whole default auto fit (backtest + final fit) on the last 14 days of every 5-minute series.
  const timings: AutoFitTiming[] = parts.flatMap((p) => p.autoFitTimings ?? []);
  for (const spec of defaultProtocol && !merge && timeFits ? ACCURACY_SERIES.filter((s) => s.stepSeconds === 300 && (!series || series.includes(s.name))) : []) {
    const timing = await measureAutoFit(spec, 14, undefined);
    timings.push(timing);
    console.log(`auto fit, ${spec.name}, 14 days at 5 min: ${timing.fitSeconds.toFixed(2)} s, served ${timing.chosen}`);
  }
  const fitSeconds = timings.map((t) => t.fitSeconds).sort((a, b) => a - b);
  const medianFitSeconds = fitSeconds.length === 0 ? Number.NaN : median(fitSeconds);
  const { dev } = seededSplit(ACCURACY_SERIES.map((s) => s.name), SPLIT_SEED);
  const splitSummary = (names: ReadonlySet<string>): Record<string, number> =>
    Object.fromEntries(
      Object.keys(result.summary).map((model) => [model, median(result.series.filter((s) => names.has(s.name)).map((s) => s.models[model]?.mase ?? Number.NaN))]),
    );
  const devSet = new Set(dev);
  const holdoutSet = new Set(ACCURACY_SERIES.map((s) => s.name).filter((n) => !devSet.has(n)));
  const split = {
    rule: `seeded shuffle (seed ${SPLIT_SEED}) of the ${ACCURACY_SERIES.length} series: ${dev.length} dev (choices tuned on them), ${holdoutSet.size} holdout (never looked at while tuning)`,
    dev,
    medianMaseDev: splitSummary(devSet),
    medianMaseHoldout: splitSummary(holdoutSet),
  };
  console.log(`split: ${split.rule}`);
  console.log(`median MASE, dev: ${JSON.stringify(split.medianMaseDev)}`);
  console.log(`median MASE, holdout: ${JSON.stringify(split.medianMaseHoldout)}`);
  const verdicts = accuracyVerdicts(result, medianFitSeconds);
  for (const v of verdicts) console.log(`${v.met ? 'met    ' : 'NOT met'}  ${v.goal}: ${v.figure}`);
  const own = `npx tsx benchmarks/accuracy.ts${args.length > 0 ? ` ${args.join(' ')}` : ''}`;
  // A merge is reproduced by its parts' runs, then the merge itself.
  const command = merge ? [...parts.map((p) => (p as { command?: string }).command ?? '?'), own].join(' ; ') : own;
  const outDir = join(here, 'out');
  await mkdir(outDir, { recursive: true });
  // JSON has no NaN/Infinity: they become null.
  await writeFile(
    join(outDir, `${outName}.json`),
    JSON.stringify({ command, verdicts, ...result, split, autoFitMedianSeconds14Days: medianFitSeconds, loadNote: merge ? `parts: ${parts.map((p) => (p as { loadNote?: string }).loadNote ?? '?').join(' | ')}` : loadNote(startLoad), autoFitTimings: timings }, null, 2),
  );
  console.log(`wrote ${join(outDir, `${outName}.json`)}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
