/**
 * The forecasts the replay benchmark (benchmarks/replay.ts) feeds its
 * policies, made once per series and kept in benchmarks/out/replay-forecasts/
 * so that every policy, knob setting and start-up delay is replayed on the
 * same forecasts, and a change to the policy does not refit 19 series:
 *
 * - `week`: the replayed span (the last `replayDays` days, default 1),
 *   refitted at the service's
 *   refresh interval (15 min) with auto's selection carried from one refit
 *   to the next, as the engine does; each forecast reaches the next refit
 *   plus the longest lead window;
 * - `tuning`: the 3 days before that span, one day-ahead forecast a day,
 *   each chosen afresh: what auto's selection backtest makes (3 origins one
 *   day apart), on which the budget's knob setting is chosen without seeing
 *   the replayed week.
 *
 * Levels: every level a frontier setting may scale or guard on
 * (FRONTIER_LEVELS in src/backtest/frontier.ts). Seasonal periods: one day
 * and one week, as a target that names them (the series are listed as
 * daily-seasonal); nothing is detected on the replayed week.
 *
 * A cached file records the commit and a hash of the model code it was made
 * with; `--fresh` remakes it. The benchmark prints both, so a figure can be
 * traced to the models that made it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FRONTIER_LEVELS } from '../src/backtest/frontier.js';
import type { PrecomputedForecasts } from '../src/backtest/replay.js';
import { evaluate, originIndicesFor } from '../src/models/evaluation/rolling-origin.js';
import { getForecaster } from '../src/models/registry.js';
import { DEFAULT_REFRESH_SECONDS } from '../src/config/schema.js';
import type { Series } from '../src/series/series.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400;
/** The longest lead time replayed (start-up 300 s + metric lag 60 s). */
export const LONGEST_LEAD_SECONDS = 360;
export const TUNING_DAYS = 3;
/**
 * Days replayed per series by default. One, not the 7 of the previous
 * protocol: at the service's cadence that is 96 refits per 5-minute
 * series, 19 series, on a machine shared by eight developers.
 */
export const DEFAULT_REPLAY_DAYS = 1;

export interface SeriesForecasts {
  readonly series: string;
  readonly commit: string;
  readonly modelsHash: string;
  readonly protocol: Protocol;
  readonly startIndex: number;
  readonly refitEverySteps: number;
  readonly seasonalPeriods: readonly number[];
  readonly historyCapSteps: number;
  readonly fitSeconds: number;
  readonly week: PrecomputedForecasts;
  /** Day-ahead forecasts at the tuning origins (one a day before startIndex). */
  readonly tuning: PrecomputedForecasts;
  readonly tuningStartIndex: number;
}

interface Protocol {
  readonly model: string;
  readonly refitEverySeconds: number;
  readonly levels: readonly number[];
  readonly longestLeadSeconds: number;
  readonly tuningDays: number;
  readonly replayDays: number;
}

function hashDir(hash: ReturnType<typeof createHash>, dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashDir(hash, path);
    else hash.update(name).update(readFileSync(path));
  }
}

/** A hash of the code that makes forecasts (models, series handling, rolling-origin evaluation). */
function modelsHash(): string {
  const hash = createHash('sha256');
  for (const dir of ['src/models', 'src/series']) hashDir(hash, join(ROOT, dir));
  return hash.digest('hex').slice(0, 12);
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function toPrecomputed(model: string, origins: readonly { originIndex: number; forecast?: PrecomputedForecasts['origins'][number]['forecast']; info?: { model: string }; error?: { message: string } }[]): PrecomputedForecasts {
  return {
    model,
    origins: origins.map((o) => ({
      originIndex: o.originIndex,
      ...(o.forecast ? { forecast: { point: o.forecast.point, intervals: o.forecast.intervals } } : {}),
      ...(o.info ? { info: { model: o.info.model } } : {}),
      ...(o.error ? { error: { message: o.error.message } } : {}),
    })),
  };
}

/**
 * The series' forecasts, from the cache when it holds them for the same
 * protocol, else made now (minutes per series: 672 refits) and cached.
 */
export async function seriesForecasts(
  name: string,
  series: Series,
  model: string,
  options: { fresh?: boolean; replayDays?: number; log?: (line: string) => void } = {},
): Promise<SeriesForecasts> {
  const replayDays = options.replayDays ?? DEFAULT_REPLAY_DAYS;
  const protocol: Protocol = {
    model,
    refitEverySeconds: DEFAULT_REFRESH_SECONDS,
    levels: FRONTIER_LEVELS,
    longestLeadSeconds: LONGEST_LEAD_SECONDS,
    tuningDays: TUNING_DAYS,
    replayDays,
  };
  const dir = join(ROOT, 'benchmarks', 'out', 'replay-forecasts');
  const file = join(dir, `${name}.${model}.${replayDays}d.json`);
  if (!options.fresh && existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as SeriesForecasts;
    if (JSON.stringify(cached.protocol) === JSON.stringify(protocol) && cached.week.origins.length > 0) return cached;
  }
  // Read before fitting: the code loaded now is the code that fits.
  const madeWith = { commit: commit(), modelsHash: modelsHash() };
  const stepSeconds = series.stepSeconds;
  const daySteps = DAY / stepSeconds;
  const historyCapSteps = 28 * daySteps;
  const startIndex = originIndicesFor(series.values.length, replayDays, daySteps, daySteps)[0] as number;
  const refitEverySteps = Math.max(1, Math.round(DEFAULT_REFRESH_SECONDS / stepSeconds));
  const refitIndices: number[] = [];
  for (let i = startIndex; i < series.values.length; i += refitEverySteps) refitIndices.push(i);
  const seasonalPeriods = [daySteps, 7 * daySteps];
  const leadSteps = Math.ceil(LONGEST_LEAD_SECONDS / stepSeconds);
  const started = performance.now();
  const week = await evaluate({
    series,
    models: [getForecaster(model)],
    origins: refitIndices,
    horizonSteps: refitEverySteps + leadSteps + 1,
    historyCapSteps,
    levels: FRONTIER_LEVELS,
    seasonalPeriods,
    fitTimeLimitMs: 120_000,
    carrySelection: true,
    onProgress: (p) => {
      if (p.done % 48 === 0) options.log?.(`${name}: ${p.done}/${p.total} refits`);
    },
  });
  const tuningStartIndex = startIndex - TUNING_DAYS * daySteps;
  const tuningOrigins: number[] = [];
  for (let d = 0; d < TUNING_DAYS; d++) tuningOrigins.push(tuningStartIndex + d * daySteps);
  const tuning = await evaluate({
    series,
    models: [getForecaster(model)],
    origins: tuningOrigins,
    horizonSteps: daySteps + leadSteps + 1,
    historyCapSteps,
    levels: FRONTIER_LEVELS,
    seasonalPeriods,
    fitTimeLimitMs: 120_000,
  });
  const result: SeriesForecasts = {
    series: name,
    ...madeWith,
    protocol,
    startIndex,
    refitEverySteps,
    seasonalPeriods,
    historyCapSteps,
    fitSeconds: (performance.now() - started) / 1000,
    week: toPrecomputed(model, week.models[0]?.origins ?? []),
    tuning: toPrecomputed(model, tuning.models[0]?.origins ?? []),
    tuningStartIndex,
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(result)}\n`);
  return result;
}

/**
 * The tuning days as the service would have served them (issue 13, knobs
 * judged on served forecasts): refits every 15 minutes over the
 * `TUNING_DAYS` days before the replayed span, auto's selection carried
 * from one refit to the next, each reaching the next refit plus the longest
 * lead window: made the way `week` is, over the tuning days instead. Cached
 * apart from the series' forecasts (a file of its own, same protocol
 * check), so the day-ahead protocol's cache stays as it is.
 * Minutes per series: 3 × 96 refits of 5-minute data.
 */
export async function tuningRefits(f: SeriesForecasts, series: Series, options: { fresh?: boolean; log?: (line: string) => void } = {}): Promise<PrecomputedForecasts> {
  const dir = join(ROOT, 'benchmarks', 'out', 'replay-forecasts');
  const file = join(dir, `${f.series}.${f.protocol.model}.${f.protocol.replayDays}d.tuning-refits.json`);
  if (!options.fresh && existsSync(file)) {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { protocol: Protocol; tuningStartIndex: number; refits: PrecomputedForecasts };
    if (JSON.stringify(cached.protocol) === JSON.stringify(f.protocol) && cached.tuningStartIndex === f.tuningStartIndex && cached.refits.origins.length > 0) return cached.refits;
  }
  const madeWith = { commit: commit(), modelsHash: modelsHash() };
  const origins: number[] = [];
  for (let i = f.tuningStartIndex; i < f.startIndex; i += f.refitEverySteps) origins.push(i);
  const leadSteps = Math.ceil(LONGEST_LEAD_SECONDS / series.stepSeconds);
  const started = performance.now();
  const result = await evaluate({
    series,
    models: [getForecaster(f.protocol.model)],
    origins,
    horizonSteps: f.refitEverySteps + leadSteps + 1,
    historyCapSteps: f.historyCapSteps,
    levels: FRONTIER_LEVELS,
    seasonalPeriods: f.seasonalPeriods,
    fitTimeLimitMs: 120_000,
    carrySelection: true,
    onProgress: (p) => {
      if (p.done % 48 === 0) options.log?.(`${f.series}: ${p.done}/${p.total} tuning refits`);
    },
  });
  const refits = toPrecomputed(f.protocol.model, result.models[0]?.origins ?? []);
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify({ series: f.series, ...madeWith, protocol: f.protocol, tuningStartIndex: f.tuningStartIndex, fitSeconds: (performance.now() - started) / 1000, refits })}\n`);
  return refits;
}

export { modelsHash };
