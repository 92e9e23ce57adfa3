import { PrescientError } from '../errors.js';
import type { Forecast } from './forecaster.js';

/**
 * How far outside the history's range a forecast may go, in multiples of
 * that range: values above max + k·range or below min − k·range are
 * rejected. k = 3 leaves room for honest growth and wide 95 % bands over a
 * day (a random-walk band can reach a couple of ranges) while catching the
 * failures seen with the `arima` package (1e+25, 1e+200).
 */
export const PLAUSIBLE_RANGE_MULTIPLE = 3;

/**
 * Slack for lower ≤ point ≤ upper: rounding in a library's interval
 * arithmetic may put a bound a few ulps on the wrong side of the point.
 */
const ORDER_TOLERANCE = 1e-9;

/**
 * Rejects a forecast that no one should be served: any non-finite point or
 * bound, a lower bound above the point or an upper bound below it (beyond
 * rounding), a wrong length, or any value outside
 * [min − k·range, max + k·range] of the history (k = PLAUSIBLE_RANGE_MULTIPLE;
 * for a constant history the range is taken as max(|level|, 1) so a flat
 * series still allows some movement).
 * @param forecast the model's output
 * @param history the values the model was fitted on (finite)
 * @throws PrescientError PRESCIENT_ERR_MODEL_OUTPUT_INVALID naming the first problem found
 */
export function assertPlausibleForecast(forecast: Forecast, history: readonly number[]): void {
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

  const check = (value: number, what: string, step: number): void => {
    if (!Number.isFinite(value)) throw invalid(`${what} at step ${step} is ${value}`);
    if (value < low || value > high) {
      throw invalid(
        `${what} at step ${step} is ${value}, outside the plausible range [${low}, ${high}] (history ${min}…${max}, ±${PLAUSIBLE_RANGE_MULTIPLE}× range)`,
      );
    }
  };
  forecast.point.forEach((p, h) => check(p, 'point', h));
  for (const interval of forecast.intervals) {
    const name = `${Math.round(interval.level * 1000) / 10} % interval`;
    if (interval.lower.length !== horizon || interval.upper.length !== horizon) {
      throw invalid(`${name} has ${interval.lower.length}/${interval.upper.length} bounds for ${horizon} points`);
    }
    for (let h = 0; h < horizon; h++) {
      const lower = interval.lower[h] as number;
      const upper = interval.upper[h] as number;
      const point = forecast.point[h] as number;
      check(lower, `${name} lower bound`, h);
      check(upper, `${name} upper bound`, h);
      if (lower > point + tolerance || upper < point - tolerance) {
        throw invalid(`${name} at step ${h} is [${lower}, ${upper}], which does not contain the point ${point}`);
      }
    }
  }
}

function invalid(message: string): PrescientError {
  return new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `implausible forecast: ${message}`);
}
