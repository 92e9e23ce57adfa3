/**
 * The forecasts the replay benchmark's choices are judged on over the tuning
 * days (`--tuning`), so the knobs can be chosen on forecasts like the ones
 * they will be applied to (issue 13: the selection backtest's day-ahead
 * forecasts have wide high quantiles, the service serves 15-minute refits):
 *
 * - `day-ahead`: one forecast a day, chosen afresh (what auto's selection
 *   backtest makes; what the service judges on before a target's served
 *   record holds 3 days);
 * - `refits`: 15-minute refits over the tuning days, auto's selection
 *   carried (benchmarks/replay-forecasts.ts `tuningRefits`), read as the
 *   replayed day's refits are;
 * - `scored` (replay.ts's default): the same refits as the service's served record keeps them
 *   (src/feedback/served-record.ts): each step's bounds from the forecast
 *   served at the policy's lead time for it (the `scored` columns, a week
 *   long), read as one forecast over the tuning days.
 */
import type { PrecomputedForecasts } from '../src/backtest/replay.js';
import { servedAt, type ServedForecastLike } from '../src/backtest/replay-world.js';
import { FRONTIER_LEVELS } from '../src/backtest/frontier.js';
import { recordOptions } from '../src/feedback/live-accuracy.js';
import { ServedRecord } from '../src/feedback/served-record.js';
import type { ForecastLike } from '../src/scaling/policy.js';
import { servedStretch, stretchAsForecast } from '../src/backtest/served-stretch.js';
import type { Series } from '../src/series/series.js';

export const TUNING_MODES = ['day-ahead', 'refits', 'scored'] as const;
export type TuningMode = (typeof TUNING_MODES)[number];

const DAY_MS = 86_400_000;

/** Precomputed forecasts (the tuning days' day-ahead ones, or refits) as the policy reads them. */
export function asServed(series: Series, pre: PrecomputedForecasts): ServedForecastLike[] {
  return pre.origins.map((o) => {
    const startMs = series.startMs + o.originIndex * series.stepSeconds * 1000;
    const base = { startMs, stepSeconds: series.stepSeconds, lastObserved: { atMs: startMs, value: Number.NaN } };
    return o.forecast
      ? { ...base, model: o.info?.model ?? pre.model, point: o.forecast.point, intervals: o.forecast.intervals }
      : { ...base, model: pre.model, point: [], intervals: [], error: o.error?.message ?? 'no forecast' };
  });
}

/**
 * The refits as the service's served record keeps them: each refit recorded
 * when served (after the actuals before it were scored, as the engine does
 * at each refresh), then the actuals up to `endIndex` scored; the scored
 * columns over [startIndex, endIndex) read as the service reads them
 * (src/backtest/served-stretch.ts): one forecast on the series' grid, NaN
 * where no step was scored (no usable forecast there).
 */
export function scoredAsForecast(series: Series, refits: PrecomputedForecasts, startIndex: number, endIndex: number, leadTimeSeconds: number, refreshIntervalSeconds: number): ForecastLike {
  const stepMs = series.stepSeconds * 1000;
  const record = new ServedRecord(recordOptions({ stepSeconds: series.stepSeconds, levels: FRONTIER_LEVELS, leadTimeSeconds, refreshIntervalSeconds }));
  const daySteps = Math.round(DAY_MS / stepMs);
  const upTo = (index: number): Series => ({ startMs: series.startMs, stepSeconds: series.stepSeconds, values: series.values.slice(0, index) });
  for (const o of refits.origins) {
    record.observe(upTo(o.originIndex), daySteps);
    if (!o.forecast) continue;
    const startMs = series.startMs + o.originIndex * stepMs;
    record.record({ generatedAtMs: startMs, startMs, stepSeconds: series.stepSeconds, point: o.forecast.point, intervals: o.forecast.intervals, lastObserved: { atMs: startMs - stepMs } });
  }
  record.observe(upTo(endIndex), daySteps);
  // The service's reading of the record (src/backtest/served-stretch.ts): the last days of scored steps as one forecast.
  const stretch = servedStretch(record.columns(), record.options, FRONTIER_LEVELS, (endIndex - startIndex) * series.stepSeconds);
  if (!stretch) throw new Error(`the served record scored too few of the tuning days' steps`);
  if (stretch.startMs !== series.startMs + startIndex * stepMs) throw new Error('the served stretch does not start at the tuning days');
  return stretchAsForecast(stretch, refits.model);
}

/** The forecast in force at each time of the tuning days, by `mode`. */
export function tuningForecastAt(
  mode: TuningMode,
  series: Series,
  f: { readonly tuning: PrecomputedForecasts; readonly tuningStartIndex: number; readonly startIndex: number; readonly refitEverySteps: number },
  refits: PrecomputedForecasts | undefined,
  leadTimeSeconds: number,
): (tMs: number) => ForecastLike | undefined {
  const startMs = series.startMs + f.tuningStartIndex * series.stepSeconds * 1000;
  if (mode === 'day-ahead') return servedAt(asServed(series, f.tuning), startMs, DAY_MS);
  if (!refits) throw new Error(`--tuning ${mode} needs the tuning days' refits`);
  const refitEveryMs = f.refitEverySteps * series.stepSeconds * 1000;
  if (mode === 'refits') return servedAt(asServed(series, refits), startMs, refitEveryMs);
  const one = scoredAsForecast(series, refits, f.tuningStartIndex, f.startIndex, leadTimeSeconds, f.refitEverySteps * series.stepSeconds);
  return (tMs) => (tMs >= one.startMs ? one : undefined);
}
