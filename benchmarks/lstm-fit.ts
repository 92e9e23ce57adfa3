/**
 * LSTM benchmark (issue 3): fit time for 14 and 28 days of 5-minute data and
 * 28 days of hourly data (goal < 60 s on 2 cores), prediction time (goal
 * < 50 ms), and accuracy against seasonal naive on daily-seasonal series of
 * data/: rolling origins one day apart over the last days, horizon one day,
 * at most 28 days of history; MASE scaled by the in-sample MAE of the daily
 * seasonal naive, and coverage of the 80 % and 95 % intervals.
 *
 * Run: npx tsx benchmarks/lstm-fit.ts [--speed-only | --accuracy-only] [--origins 7] [--series a,b]
 * (all nine series, seven origins: 63 fits, about 15 to 30 minutes on 2 cores)
 * Writes benchmarks/out/lstm-fit.json. Figures depend on machine load: the
 * load average is recorded with them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FitContext } from '../src/models/forecaster.js';
import { fitLstm, initTensorflow } from '../src/models/lstm.js';
import { seasonalNaive } from '../src/models/seasonal-naive.js';
import { tensorflowInfo } from '../src/models/tf/backend.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { readSamplesFile } from '../src/sources/file.js';
import { ACCURACY_SERIES } from './accuracy-series.js';

const here = dirname(fileURLToPath(import.meta.url));
const DAY_SECONDS = 86_400;

interface SeriesSpec {
  readonly name: string;
  readonly file: string;
  readonly stepSeconds: number;
  readonly column?: string;
}

interface OriginRow {
  readonly origin: string;
  readonly historyDays: number;
  readonly maseLstm: number;
  readonly maseSnaive: number;
  readonly coverage80: number;
  readonly coverage95: number;
  readonly fitSeconds: number;
  readonly bestEpoch: number | undefined;
  readonly correctionWeight: number | undefined;
  readonly weekly: boolean;
  /** The baseline the network corrects, chosen on the validation tail. */
  readonly baseline: 'seasonal naive' | 'level profile';
}

async function load(spec: SeriesSpec): Promise<Series> {
  const samples = await readSamplesFile(join(here, '..', 'data', spec.file), spec.column === undefined ? {} : { column: spec.column });
  return regularize(samples, { stepSeconds: spec.stepSeconds }).series;
}

function lastDays(series: Series, days: number): Series {
  const count = Math.round((days * DAY_SECONDS) / series.stepSeconds);
  const from = Math.max(0, series.values.length - count);
  return { startMs: series.startMs + from * series.stepSeconds * 1000, stepSeconds: series.stepSeconds, values: series.values.slice(from) };
}

function contextFor(series: Series, seed = 1): FitContext {
  const day = DAY_SECONDS / series.stepSeconds;
  const days = (series.values.length * series.stepSeconds) / DAY_SECONDS;
  return {
    stepSeconds: series.stepSeconds,
    startMs: series.startMs,
    seasonalPeriods: days >= 14 ? [day, 7 * day] : [day],
    deadlineMs: Date.now() + 300_000,
    seed,
  };
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

await initTensorflow();
const result: Record<string, unknown> = {
  benchmark: 'lstm-fit',
  date: new Date().toISOString(),
  tensorflow: await tensorflowInfo(),
  loadAverageAtStart: loadavg(),
};

if (!args.includes('--accuracy-only')) {
  const speedCases: { name: string; spec: SeriesSpec; days: number }[] = [
    {
      name: '14 days at 5 min (rds_cpu_utilization_e47b3b)',
      spec: { name: 'rds', file: 'nab/rds_cpu_utilization_e47b3b.csv', stepSeconds: 300 },
      days: 14,
    },
    {
      name: '28 days at 5 min (cpu_utilization_asg_misconfiguration)',
      spec: { name: 'asg', file: 'nab/cpu_utilization_asg_misconfiguration.csv', stepSeconds: 300 },
      days: 28,
    },
    {
      name: '28 days hourly (worldcup98)',
      spec: { name: 'worldcup98', file: 'worldcup98/invocation_count.csv', stepSeconds: 3600 },
      days: 28,
    },
  ];
  const speed = [];
  for (const c of speedCases) {
    const series = lastDays(await load(c.spec), c.days);
    const started = performance.now();
    const fitted = await fitLstm(series.values, contextFor(series));
    const fitSeconds = (performance.now() - started) / 1000;
    const horizon = DAY_SECONDS / series.stepSeconds;
    fitted.predict(horizon, [0.8, 0.95]);
    const predictStarted = performance.now();
    const repeats = 10;
    for (let i = 0; i < repeats; i++) fitted.predict(horizon, [0.8, 0.95]);
    const predictMs = (performance.now() - predictStarted) / repeats;
    const row = {
      case: c.name,
      points: series.values.length,
      fitSeconds,
      predictOneDayMs: predictMs,
      training: fitted.training,
      loadAverage: loadavg()[0],
    };
    console.log(JSON.stringify(row));
    speed.push(row);
    fitted.dispose();
  }
  result['speed'] = speed;
}

if (!args.includes('--speed-only')) {
  // The same series as the accuracy benchmark (issue 3).
  const all: readonly SeriesSpec[] = ACCURACY_SERIES;
  const wanted = flag('--series')?.split(',');
  const origins = Number(flag('--origins') ?? 7);
  const accuracy = [];
  for (const spec of all.filter((s) => !wanted || wanted.includes(s.name))) {
    const full = await load(spec);
    const day = DAY_SECONDS / spec.stepSeconds;
    const rows: OriginRow[] = [];
    for (let k = origins; k >= 1; k--) {
      const originIndex = full.values.length - k * day;
      const historyStart = Math.max(0, originIndex - 28 * day);
      const history: Series = {
        startMs: full.startMs + historyStart * spec.stepSeconds * 1000,
        stepSeconds: spec.stepSeconds,
        values: full.values.slice(historyStart, originIndex),
      };
      const actual = full.values.slice(originIndex, originIndex + day);
      const ctx = contextFor(history);
      let scale = 0;
      for (let i = day; i < history.values.length; i++)
        scale += Math.abs((history.values[i] as number) - (history.values[i - day] as number));
      scale /= history.values.length - day;
      const mae = (p: readonly number[]): number => p.reduce((s, x, i) => s + Math.abs(x - (actual[i] as number)), 0) / actual.length;
      const cover = (lower: readonly number[], upper: readonly number[]): number =>
        actual.filter((a, i) => a >= (lower[i] as number) && a <= (upper[i] as number)).length / actual.length;
      const naive = await seasonalNaive.fit(history.values, { ...ctx, seasonalPeriods: [day] });
      const naiveForecast = naive.predict(day, [0.8, 0.95]);
      const started = performance.now();
      const fitted = await fitLstm(history.values, ctx);
      const fitSeconds = (performance.now() - started) / 1000;
      const forecast = fitted.predict(day, [0.8, 0.95]);
      const [i80, i95] = forecast.intervals;
      const row: OriginRow = {
        origin: new Date(history.startMs + history.values.length * spec.stepSeconds * 1000).toISOString(),
        historyDays: (history.values.length * spec.stepSeconds) / DAY_SECONDS,
        maseLstm: mae(forecast.point) / scale,
        maseSnaive: mae(naiveForecast.point) / scale,
        coverage80: cover(i80?.lower ?? [], i80?.upper ?? []),
        coverage95: cover(i95?.lower ?? [], i95?.upper ?? []),
        fitSeconds,
        bestEpoch: fitted.training?.bestEpoch,
        correctionWeight: fitted.training?.correctionWeight,
        weekly: fitted.state.layout.weeklySteps > 0,
        baseline: fitted.state.layout.levelSteps > 0 ? 'level profile' : 'seasonal naive',
      };
      console.log(spec.name, JSON.stringify(row));
      rows.push(row);
      fitted.dispose();
    }
    const mean = (key: 'maseLstm' | 'maseSnaive' | 'coverage80' | 'coverage95'): number =>
      rows.reduce((s, r) => s + r[key], 0) / rows.length;
    const summary = {
      series: spec.name,
      stepSeconds: spec.stepSeconds,
      origins: rows.length,
      maseLstm: mean('maseLstm'),
      maseSnaive: mean('maseSnaive'),
      lstmBeatsSnaive: mean('maseLstm') < mean('maseSnaive'),
      coverage80: mean('coverage80'),
      coverage95: mean('coverage95'),
      rows,
    };
    console.log(JSON.stringify({ ...summary, rows: undefined }));
    accuracy.push(summary);
  }
  result['accuracy'] = accuracy;
  result['seriesWhereLstmBeatsSnaive'] = `${accuracy.filter((a) => a.lstmBeatsSnaive).length} of ${accuracy.length}`;
  const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
  const median = (xs: number[]): number => {
    const s = sorted(xs);
    const m = s.length >> 1;
    return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  };
  result['medianMaseRatioLstmToSnaive'] = median(accuracy.map((a) => a.maseLstm / a.maseSnaive));
  const allRows = accuracy.flatMap((a) => a.rows);
  result['meanCoverage80'] = allRows.reduce((s, r) => s + r.coverage80, 0) / allRows.length;
  result['meanCoverage95'] = allRows.reduce((s, r) => s + r.coverage95, 0) / allRows.length;
  result['maxFitSeconds'] = Math.max(...allRows.map((r) => r.fitSeconds));
  console.log(
    `lstm beats daily seasonal naive on ${result['seriesWhereLstmBeatsSnaive']} series; median MASE ratio ${(result['medianMaseRatioLstmToSnaive'] as number).toFixed(3)}`,
  );
}

result['loadAverageAtEnd'] = loadavg();
await mkdir(join(here, 'out'), { recursive: true });
await writeFile(join(here, 'out', 'lstm-fit.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote benchmarks/out/lstm-fit.json`);
