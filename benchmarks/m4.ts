/**
 * M4 Hourly benchmark (issue 16): the 414 hourly series of the M4
 * competition (data/m4-hourly/, copied unchanged from ../shared/data), on the published
 * protocol: fit on the whole train row, forecast the 48 test hours, MASE
 * scaled by the in-sample seasonal naive at m = 24, sMAPE, and the coverage of
 * the 80 % and 95 % intervals. Every fit goes through the service's own fit
 * task (src/engine/fit-task.ts: the model, then the plausibility check a pool
 * worker runs before anything is served) with the context POST
 * /api/v1/forecast gives it (detected seasons, seed 42, horizon 48, 120 s
 * limit), so a failure here is a failed request there.
 *
 * Dev/holdout: the series are split by a fixed seeded shuffle (--split-seed,
 * default 16) into a dev half, on which `auto`'s choices were tuned, and a
 * holdout half, never looked at while tuning; both are reported beside the
 * whole set.
 *
 *   npx tsx benchmarks/m4.ts [--models snaive,mstl,sarima,auto] [--sample N --sample-seed S [--rest]] [--split-seed 16] [--out m4]
 *     [--shard k/n] [--time-budget-minutes M] [--merge a,b] [--auto-cross-check off]
 *
 * Writes benchmarks/out/<out>.json. lstm is left out by default (one fit
 * takes longer than the rest of a series together; see benchmarks/lstm-fit.ts).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { maseScale } from '../src/models/evaluation/metrics.js';
import { scoreForecast } from '../src/models/evaluation/rolling-origin.js';
import { runFitTask } from '../src/engine/fit-task.js';
import type { Forecaster } from '../src/models/forecaster.js';
import { createAutoForecaster } from '../src/models/auto.js';
import { forecasters } from '../src/models/registry.js';
import { seasonalNaive } from '../src/models/seasonal-naive.js';
import { detectSeasonalPeriods } from '../src/series/seasonality.js';
import { loadAtStart, loadNote } from './machine-load.js';
import { seededSplit, seededSample } from './split.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '..', 'data', 'm4-hourly');
const HORIZON = 48;
const STEP_SECONDS = 3600;
const SCALE_PERIOD = 24;
const LEVELS = [0.8, 0.95];
/** Any fixed start: M4 publishes no timestamps; the route defaults to a start that ends at "now". */
const START_MS = Date.UTC(2020, 0, 1);

export interface M4Series {
  readonly id: string;
  readonly train: readonly number[];
  readonly test: readonly number[];
}

function parseRows(text: string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const line of text.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    const id = cells[0] as string;
    rows.set(id, cells.slice(1).filter((c) => c !== '').map(Number));
  }
  return rows;
}

/** The 414 series, train and test, in the file's order (H1 … H414). */
export async function readM4Hourly(dir = DATA): Promise<M4Series[]> {
  const train = parseRows(await readFile(join(dir, 'Hourly-train.csv'), 'utf8'));
  const test = parseRows(await readFile(join(dir, 'Hourly-test.csv'), 'utf8'));
  return [...train].map(([id, values]) => ({ id, train: values, test: test.get(id) ?? [] }));
}

/** Seasonal naive at m = 24 whatever is detected: the published baseline (1.193). */
const snaive24: Forecaster = {
  name: 'snaive-24',
  minLength: () => SCALE_PERIOD + 1,
  fit: (values, ctx) => seasonalNaive.fit(values, { ...ctx, seasonalPeriods: [SCALE_PERIOD] }),
};

interface SeriesScore {
  readonly mase: number;
  readonly smape: number;
  readonly coverage80: number;
  readonly coverage95: number;
  readonly fitMs: number;
  readonly chosen?: string;
  readonly error?: string;
}

export interface M4Summary {
  readonly series: number;
  readonly failures: number;
  readonly meanMase: number;
  readonly medianMase: number;
  readonly meanSmape: number;
  readonly coverage80: number;
  readonly coverage95: number;
  readonly medianFitSeconds: number;
}

function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

function mean(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite);
  return s.length === 0 ? Number.NaN : s.reduce((a, b) => a + b, 0) / s.length;
}

export function summarise(scores: readonly SeriesScore[]): M4Summary {
  const ok = scores.filter((s) => s.error === undefined);
  return {
    series: scores.length,
    failures: scores.length - ok.length,
    meanMase: mean(ok.map((s) => s.mase)),
    medianMase: median(ok.map((s) => s.mase)),
    meanSmape: mean(ok.map((s) => s.smape)),
    // Every series has 48 test hours, so the mean over series is the pooled coverage.
    coverage80: mean(ok.map((s) => s.coverage80)),
    coverage95: mean(ok.map((s) => s.coverage95)),
    medianFitSeconds: median(scores.map((s) => s.fitMs / 1000)),
  };
}

async function scoreOne(model: string | Forecaster, s: M4Series): Promise<SeriesScore> {
  const ctx = {
    stepSeconds: STEP_SECONDS,
    startMs: START_MS,
    seasonalPeriods: detectSeasonalPeriods(s.train, STEP_SECONDS),
    deadlineMs: Date.now() + 120_000,
    seed: 42,
    horizonSteps: HORIZON,
  };
  const started = performance.now();
  if (typeof model !== 'string') {
    // A benchmark-only baseline, not in the registry: fitted the same way, checked the same way.
    const { reviewForecast } = await import('../src/models/validate.js');
    try {
      const fitted = await model.fit(s.train, ctx);
      const forecast = fitted.predict(HORIZON, LEVELS);
      fitted.dispose();
      return score(s, reviewForecast(forecast, s.train).forecast, performance.now() - started);
    } catch (err) {
      return failed(performance.now() - started, err);
    }
  }
  const outcome = await runFitTask({ model, values: s.train, ctx, horizon: HORIZON, levels: LEVELS });
  const fitMs = performance.now() - started;
  if (!outcome.ok) return { ...failed(fitMs, outcome.error), error: `${outcome.error.code}: ${outcome.error.message}`.slice(0, 200) };
  return { ...score(s, outcome.forecast, fitMs), chosen: outcome.info.model };
}

function score(s: M4Series, forecast: Parameters<typeof scoreForecast>[1], fitMs: number): SeriesScore {
  const m = scoreForecast(s.test, forecast, maseScale(s.train, SCALE_PERIOD), 0.9);
  return { mase: m.mase, smape: m.smape, coverage80: m.coverage['0.8'] ?? Number.NaN, coverage95: m.coverage['0.95'] ?? Number.NaN, fitMs };
}

function failed(fitMs: number, err: unknown): SeriesScore {
  const nan = Number.NaN;
  return { mase: nan, smape: nan, coverage80: nan, coverage95: nan, fitMs, error: String(err instanceof Error ? err.message : JSON.stringify(err)).slice(0, 200) };
}

function fmt(x: number, digits = 3): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '—';
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      models: { type: 'string', default: 'snaive,smean,mstl,sarima,auto' },
      shard: { type: 'string' },
      merge: { type: 'string' },
      'time-budget-minutes': { type: 'string' },
      sample: { type: 'string' },
      rest: { type: 'boolean' },
      'sample-seed': { type: 'string', default: '1' },
      'split-seed': { type: 'string', default: '16' },
      out: { type: 'string', default: 'm4' },
      'auto-cross-check': { type: 'string' },
    },
  });
  const all = await readM4Hourly();
  const splitSeed = Number(args['split-seed']);
  const { dev } = seededSplit(all.map((s) => s.id), splitSeed);
  const devIds = new Set(dev);
  const seeded = args.sample ? seededSample(all, Number(args.sample), Number(args['sample-seed'])) : all;
  // --rest: the series outside that sample (a run of the sample plus one of the rest, merged, is all 414).
  const inSample = new Set(seeded.map((s) => s.id));
  const sampled = args.sample && args.rest ? all.filter((s) => !inSample.has(s.id)) : seeded;
  // --shard k/n: every n-th series from the k-th, so n processes share a run (merge with --merge).
  const [shardIndex, shardCount] = (args.shard ?? '0/1').split('/').map(Number) as [number, number];
  const chosen = sampled.filter((_, i) => i % shardCount === shardIndex);
  const budgetMs = args['time-budget-minutes'] ? Number(args['time-budget-minutes']) * 60_000 : Number.POSITIVE_INFINITY;
  const models = (args.models as string).split(',');
  const plainAuto = args['auto-cross-check'] === 'off' ? createAutoForecaster({ crossCheck: false }) : undefined;
  for (const m of models) if (!forecasters.has(m)) throw new Error(`unknown model ${m}`);
  const started = performance.now();
  const startLoad = loadAtStart();
  const perSeries: Record<string, Record<string, SeriesScore>> = {};
  await mkdir(join(HERE, 'out', 'detail'), { recursive: true });
  // --merge a,b: the per-series scores of shard runs, reported as one run (no fitting).
  for (const part of args.merge?.split(',') ?? []) {
    Object.assign(perSeries, JSON.parse(await readFile(join(HERE, 'out', 'detail', `${part}.json`), 'utf8')) as typeof perSeries);
  }
  for (const [k, s] of (args.merge ? [] : chosen).entries()) {
    // A time budget stops between series: the series done are a prefix of the seeded order, and the output says how many.
    if (performance.now() - started > budgetMs) break;
    const row: Record<string, SeriesScore> = { 'snaive-24': await scoreOne(snaive24, s) };
    // --auto-cross-check off: auto without the leave-one-origin-out level check (conformal.ts), fitted directly and reviewed as the fit task does.
    for (const m of models) row[m] = await scoreOne(m === 'auto' && plainAuto ? plainAuto : m, s);
    perSeries[s.id] = row;
    await writeFile(join(HERE, 'out', 'detail', `${args.out}.json`), JSON.stringify(perSeries));
    if (process.stderr.isTTY) process.stderr.write(`\r${k + 1}/${chosen.length} ${s.id}   `);
  }
  // A merge fits nothing: it reports each shard run's own wall time (out/<part>.json); how the shards overlapped is not known here.
  const shards = await Promise.all(
    (args.merge?.split(',') ?? []).map(async (part) => {
      try {
        return JSON.parse(await readFile(join(HERE, 'out', `${part}.json`), 'utf8')) as { wallSeconds?: number; loadNote?: string; command?: string };
      } catch {
        return {};
      }
    }),
  );
  const wallSeconds = args.merge ? undefined : (performance.now() - started) / 1000;
  const shardWallSeconds = args.merge ? shards.map((p) => p.wallSeconds ?? null) : undefined;
  const ids = Object.keys(perSeries);
  const summary = (filter: (id: string) => boolean): Record<string, M4Summary> =>
    Object.fromEntries(['snaive-24', ...models].map((m) => [m, summarise(ids.filter(filter).map((id) => perSeries[id]?.[m] as SeriesScore))]));
  const whole = summary(() => true);
  const result = {
    benchmark: 'm4',
    date: new Date().toISOString(),
    protocol: `M4 Hourly: train row → 48 test hours; MASE scale in-sample seasonal naive m=24; levels 80/95 %; fit through the service's fit task (detected seasons, seed 42, 120 s limit)`,
    series: Object.keys(perSeries).length,
    sample:
      (args.sample ? (args.rest ? `the ${sampled.length} series outside the seeded sample of ${args.sample} (seed ${args['sample-seed']})` : `seeded sample of ${sampled.length} (seed ${args['sample-seed']})`) : 'all 414') +
      (shardCount > 1 && !args.merge ? `, shard ${shardIndex}/${shardCount}: its ${chosen.length} series` : '') +
      (!args.merge && Object.keys(perSeries).length < chosen.length ? `, of which ${Object.keys(perSeries).length} scored before the time budget ran out` : ''),
    split: `dev/holdout by seeded shuffle (seed ${splitSeed}): ${dev.length} dev, ${all.length - dev.length} holdout (earlier tuning looked at its dev half only); the --sample 150 --sample-seed 1 evaluation sample's choices were tuned on series outside it (benchmarks/m4-dump.ts --set dev, benchmarks/m4-offline.ts)`,
    wallSeconds,
    shardWallSeconds,
    loadNote: args.merge ? `shards: ${shards.map((p) => p.loadNote ?? '?').join(' | ')}` : loadNote(startLoad),
    summary: whole,
    dev: summary((id) => devIds.has(id)),
    holdout: summary((id) => !devIds.has(id)),
    goals: {
      autoMeanMaseAtMost080: { figure: whole['auto']?.meanMase, goal: 0.8, met: (whole['auto']?.meanMase ?? Infinity) <= 0.8 },
      autoCoverageWithin2Points: {
        figure: [whole['auto']?.coverage80, whole['auto']?.coverage95],
        met: Math.abs((whole['auto']?.coverage80 ?? 0) - 0.8) <= 0.02 && Math.abs((whole['auto']?.coverage95 ?? 0) - 0.95) <= 0.02,
      },
      noFailure: { figure: Object.values(whole).reduce((s, m) => s + m.failures, 0), met: Object.values(whole).every((m) => m.failures === 0) },
    },
    failures: Object.fromEntries(ids.flatMap((id) => Object.entries(perSeries[id] ?? {}).filter(([, v]) => v.error).map(([m, v]) => [`${id}/${m}`, v.error]))),
    detail: `benchmarks/out/detail/${args.out}.json`,
  };
  const auto = whole['auto'];
  const bestSingle = Math.min(...models.filter((m) => m !== 'auto').map((m) => whole[m]?.meanMase ?? Infinity));
  const verdicts = auto
    ? [
        { goal: `auto mean MASE ≤ 0.80 (${result.sample})`, figure: fmt(auto.meanMase), met: auto.meanMase <= 0.8 },
        { goal: 'auto mean MASE ≤ best single model it combines', figure: `${fmt(auto.meanMase)} vs ${fmt(bestSingle)}`, met: auto.meanMase <= bestSingle },
        { goal: 'auto 80 % / 95 % coverage within 2 points', figure: `${fmt(auto.coverage80)} / ${fmt(auto.coverage95)}`, met: result.goals.autoCoverageWithin2Points.met },
        { goal: 'no failed fit (every model, every series)', figure: result.goals.noFailure.figure, met: result.goals.noFailure.met },
        { goal: 'auto median fit per series (informative; loaded machine)', figure: `${fmt(auto.medianFitSeconds, 2)} s`, met: true },
      ]
    : [];
  const own = `npx tsx benchmarks/m4.ts${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  // A merge is reproduced by its shards' runs, then the merge itself.
  const command = args.merge ? [...shards.map((p) => ('command' in p ? p.command : undefined) ?? '?'), own].join(' ; ') : own;
  console.log(`${result.sample}; ${result.split}`);
  console.log('model         set      n  fail  mean MASE  med MASE  mean sMAPE  cov80  cov95  med fit s');
  for (const [setName, set] of [['all', whole], ['dev', result.dev], ['holdout', result.holdout]] as const) {
    for (const [m, s] of Object.entries(set)) {
      console.log(
        `${m.padEnd(13)} ${setName.padEnd(7)} ${String(s.series).padStart(3)} ${String(s.failures).padStart(5)} ${fmt(s.meanMase).padStart(10)} ${fmt(s.medianMase).padStart(9)} ${fmt(s.meanSmape, 2).padStart(11)} ${fmt(s.coverage80).padStart(6)} ${fmt(s.coverage95).padStart(6)} ${fmt(s.medianFitSeconds, 2).padStart(10)}`,
      );
    }
  }
  console.log(`${wallSeconds === undefined ? `shards' wall ${shardWallSeconds?.map((w) => (w === null ? '?' : w.toFixed(0))).join(' + ')} s` : `wall ${wallSeconds.toFixed(0)} s`} (${result.loadNote})`);
  await mkdir(join(HERE, 'out', 'detail'), { recursive: true });
  // Per-series scores apart: benchmarks/run.ts lists every figure of out/*.json in RESULTS.md.
  await writeFile(join(HERE, 'out', 'detail', `${args.out}.json`), JSON.stringify(perSeries));
  await writeFile(join(HERE, 'out', `${args.out}.json`), JSON.stringify({ command, verdicts, ...result }, null, 1));
  console.log(`wrote benchmarks/out/${args.out}.json`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
