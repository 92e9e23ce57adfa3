import { PrescientError } from '../errors.js';
import type { Forecast, Interval } from './forecaster.js';

/**
 * How far outside the history's range a forecast may go, in multiples of
 * that range: beyond max + k·range or min − k·range it is no longer a
 * forecast of this series. k = 3 leaves room for honest growth while
 * catching the failures seen with the `arima` package (1e+25, 1e+200).
 */
export const PLAUSIBLE_RANGE_MULTIPLE = 3;

/**
 * Slack for lower ≤ point ≤ upper: rounding in a library's interval
 * arithmetic may put a bound a few ulps on the wrong side of the point.
 */
const ORDER_TOLERANCE = 1e-9;

/**
 * Values a target's load cannot leave (a property of the target, e.g.
 * CPU % in [0, 100]). `lower`: a number bounds below; null means no lower
 * bound; absent means 0 when the whole history is ≥ 0 (request rates, CPU,
 * memory cannot go negative), none otherwise. `upper`: none when absent.
 */
export interface ForecastBounds {
  readonly lower?: number | null;
  readonly upper?: number;
}

/** What {@link reviewForecast} had to change; each kind is counted on /metrics. */
export type AdjustmentKind = 'interval_clipped' | 'bounds_clipped';

export interface ReviewedForecast {
  readonly forecast: Forecast;
  /** Plain-language notes for FitInfo.notes, one per adjustment made. */
  readonly notes: readonly string[];
  readonly adjustments: readonly AdjustmentKind[];
}

/** The bounds in force for a history: the configured ones, with the default lower bound resolved. */
export function resolveBounds(bounds: ForecastBounds | undefined, history: readonly number[]): { lower?: number; upper?: number } {
  const lower = bounds?.lower === undefined ? (history.every((v) => !(v < 0)) ? 0 : undefined) : (bounds.lower ?? undefined);
  return { ...(lower === undefined ? {} : { lower }), ...(bounds?.upper === undefined ? {} : { upper: bounds.upper }) };
}

/**
 * Makes a model's forecast fit to serve, or refuses it:
 * - refused with PRESCIENT_ERR_MODEL_OUTPUT_INVALID: a non-finite point or
 *   bound, a wrong length, an empty forecast, a band that does not contain
 *   its point (beyond rounding) — nothing here can be repaired honestly;
 * - refused with PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE: a point outside
 *   [min − k·range, max + k·range] of the history (k =
 *   PLAUSIBLE_RANGE_MULTIPLE; a constant history's range is
 *   max(|level|, 1)): the model has lost the series, and the next model of
 *   the ladder serves instead (the ladder's last, seasonal naive, forecasts
 *   values of the history, which are always inside);
 * - clipped, with a note: interval bounds outside that range (a band merely
 *   wider than the history can support), then point and bands to the
 *   target's bounds ({@link resolveBounds}).
 * Clipping is monotone, so lower ≤ point ≤ upper still holds afterwards.
 * @param forecast the model's output (not modified)
 * @param history the values the model was fitted on (finite)
 * @throws PrescientError PRESCIENT_ERR_MODEL_OUTPUT_INVALID, PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE naming the first problem
 */
export function reviewForecast(forecast: Forecast, history: readonly number[], bounds?: ForecastBounds): ReviewedForecast {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of history) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (min > max) throw invalid('the history has no finite value to judge the forecast against');
  const range = max > min ? max - min : Math.max(Math.abs(max), 1);
  const low = min - PLAUSIBLE_RANGE_MULTIPLE * range;
  const high = max + PLAUSIBLE_RANGE_MULTIPLE * range;
  const tolerance = ORDER_TOLERANCE * Math.max(range, Math.abs(max), Math.abs(min));
  const horizon = forecast.point.length;
  if (horizon === 0) throw invalid('the forecast has no points');
  const plausible = `[${low}, ${high}] (history ${min}…${max}, ±${PLAUSIBLE_RANGE_MULTIPLE}× range)`;

  forecast.point.forEach((p, h) => {
    if (!Number.isFinite(p)) throw invalid(`point at step ${h} is ${p}`);
    if (p < low || p > high) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', `implausible forecast: point at step ${h} is ${p}, outside the plausible range ${plausible}`);
    }
  });
  for (const interval of forecast.intervals) {
    const name = `${Math.round(interval.level * 1000) / 10} % interval`;
    if (interval.lower.length !== horizon || interval.upper.length !== horizon) {
      throw invalid(`${name} has ${interval.lower.length}/${interval.upper.length} bounds for ${horizon} points`);
    }
    for (let h = 0; h < horizon; h++) {
      const lower = interval.lower[h] as number;
      const upper = interval.upper[h] as number;
      const point = forecast.point[h] as number;
      if (!Number.isFinite(lower) || !Number.isFinite(upper)) throw invalid(`${name} at step ${h} is [${lower}, ${upper}]`);
      if (lower > point + tolerance || upper < point - tolerance) {
        throw invalid(`${name} at step ${h} is [${lower}, ${upper}], which does not contain the point ${point}`);
      }
    }
  }

  const notes: string[] = [];
  const adjustments: AdjustmentKind[] = [];
  let reviewed = forecast;
  const wide = countOutside(forecast.intervals, low, high);
  if (wide > 0) {
    reviewed = clip(reviewed, low, high, false);
    notes.push(`${wide} interval bounds beyond the plausible range ${plausible} clipped to it`);
    adjustments.push('interval_clipped');
  }
  const { lower, upper } = resolveBounds(bounds, history);
  const floor = lower ?? Number.NEGATIVE_INFINITY;
  const ceiling = upper ?? Number.POSITIVE_INFINITY;
  const outside = countOutside(reviewed.intervals, floor, ceiling) + reviewed.point.filter((p) => p < floor || p > ceiling).length;
  if (outside > 0) {
    reviewed = clip(reviewed, floor, ceiling, true);
    const which = [lower === undefined ? undefined : `lower ${lower}`, upper === undefined ? undefined : `upper ${upper}`].filter(Boolean).join(', ');
    notes.push(`${outside} values clipped to the target's bounds (${which}${bounds?.lower === undefined && lower === 0 ? ': the history is never negative' : ''})`);
    adjustments.push('bounds_clipped');
  }
  return { forecast: reviewed, notes, adjustments };
}

function countOutside(intervals: readonly Interval[], low: number, high: number): number {
  let count = 0;
  for (const interval of intervals) {
    for (const v of interval.lower) if (v < low || v > high) count++;
    for (const v of interval.upper) if (v < low || v > high) count++;
  }
  return count;
}

function clip(forecast: Forecast, low: number, high: number, points: boolean): Forecast {
  const c = (v: number): number => Math.min(high, Math.max(low, v));
  return {
    point: points ? forecast.point.map(c) : [...forecast.point],
    intervals: forecast.intervals.map((i) => ({ level: i.level, lower: i.lower.map(c), upper: i.upper.map(c) })),
  };
}

function invalid(message: string): PrescientError {
  return new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `invalid forecast: ${message}`);
}
