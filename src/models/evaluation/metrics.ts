/**
 * Forecast accuracy metrics (DESIGN.md §5). Pure functions over arrays of the
 * same length; the caller aligns actuals and forecasts. Non-finite actuals are
 * not expected here (series are regularised before they reach a model).
 */
import { PrescientError } from '../../errors.js';
import type { Forecast } from '../forecaster.js';

function requireSameLength(a: readonly number[], b: readonly number[], what: string): void {
  if (a.length !== b.length) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `${what}: lengths differ (${a.length} vs ${b.length})`);
  }
  if (a.length === 0) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `${what}: no values to score`);
}

/**
 * The MASE scale: in-sample mean absolute error of the seasonal naive
 * forecast at `periodSteps` over `history` (Hyndman & Koehler 2006). When the
 * history is not longer than one period, lag 1 (the naive forecast) is used
 * instead, so a scale exists for any history of two or more values.
 *
 * A history that repeats itself exactly at that lag (flat, constant, all
 * zeros, perfectly periodic) has a scale of 0, and every error on it would
 * score an infinite MASE: a model selection would then exclude every
 * candidate that misses by a hair, and the scores would not be numbers. So
 * a zero scale falls back to the naive (lag-1) MAE, then to 1 % of the
 * history's mean absolute level (0.01 for an all-zero history): MASE stays
 * finite and still ranks forecasts by their error.
 * @param periodSteps the seasonal period in steps (e.g. 288 = one day of 5-minute data), ≥ 1
 * @returns the scale, > 0 for any finite history
 * @throws PrescientError PRESCIENT_ERR_VALIDATION when history has fewer than 2 values or the period is not a positive integer
 */
export function maseScale(history: readonly number[], periodSteps: number): number {
  if (!Number.isInteger(periodSteps) || periodSteps < 1) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `MASE period must be a positive integer of steps, got ${periodSteps}`);
  }
  if (history.length < 2) throw new PrescientError('PRESCIENT_ERR_VALIDATION', 'MASE scale needs at least 2 history values');
  const seasonal = laggedMae(history, history.length > periodSteps ? periodSteps : 1);
  if (seasonal > 0) return seasonal;
  const naive = laggedMae(history, 1);
  if (naive > 0) return naive;
  const level = history.reduce((sum, v) => sum + Math.abs(v), 0) / history.length;
  return 0.01 * (level > 0 ? level : 1);
}

function laggedMae(history: readonly number[], lag: number): number {
  let sum = 0;
  for (let i = lag; i < history.length; i++) sum += Math.abs((history[i] as number) - (history[i - lag] as number));
  return sum / (history.length - lag);
}

/** Mean absolute error. @throws PrescientError PRESCIENT_ERR_VALIDATION on length mismatch or empty input */
export function meanAbsoluteError(actual: readonly number[], forecast: readonly number[]): number {
  requireSameLength(actual, forecast, 'MAE');
  let sum = 0;
  for (let i = 0; i < actual.length; i++) sum += Math.abs((actual[i] as number) - (forecast[i] as number));
  return sum / actual.length;
}

/**
 * Mean absolute scaled error: MAE of the forecast divided by `scale` (from
 * {@link maseScale}). Below 1 means better than the in-sample seasonal naive.
 * A zero scale (a perfectly repeating history) gives 0 when the forecast is
 * exact and Infinity otherwise.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION on length mismatch or empty input
 */
export function mase(actual: readonly number[], forecast: readonly number[], scale: number): number {
  const mae = meanAbsoluteError(actual, forecast);
  if (scale > 0) return mae / scale;
  return mae === 0 ? 0 : Number.POSITIVE_INFINITY;
}

/**
 * Symmetric MAPE in percent, on the 0–200 % convention:
 * `200/n · Σ |a − f| / (|a| + |f|)`. A term where actual and forecast are
 * both 0 counts as 0 (a perfect forecast), not as NaN.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION on length mismatch or empty input
 */
export function smape(actual: readonly number[], forecast: readonly number[]): number {
  requireSameLength(actual, forecast, 'sMAPE');
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const f = forecast[i] as number;
    const denominator = Math.abs(a) + Math.abs(f);
    if (denominator > 0) sum += Math.abs(a - f) / denominator;
  }
  return (200 * sum) / actual.length;
}

/**
 * Share of actuals inside [lower, upper] (bounds included), a fraction in [0, 1].
 * @throws PrescientError PRESCIENT_ERR_VALIDATION on length mismatch or empty input
 */
export function coverage(actual: readonly number[], lower: readonly number[], upper: readonly number[]): number {
  requireSameLength(actual, lower, 'coverage');
  requireSameLength(actual, upper, 'coverage');
  let inside = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    if (a >= (lower[i] as number) && a <= (upper[i] as number)) inside++;
  }
  return inside / actual.length;
}

/**
 * Mean pinball (quantile) loss of a forecast of the `quantile`:
 * `q·(a − f)` when the actual is above, `(1 − q)·(f − a)` when below. In the
 * units of the series; divide by {@link maseScale} to compare across series.
 * @param quantile in (0, 1)
 * @throws PrescientError PRESCIENT_ERR_VALIDATION on length mismatch, empty input or a quantile outside (0, 1)
 */
export function pinballLoss(actual: readonly number[], quantileForecast: readonly number[], quantile: number): number {
  if (!(quantile > 0 && quantile < 1)) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `quantile must be in (0, 1), got ${quantile}`);
  }
  requireSameLength(actual, quantileForecast, 'pinball loss');
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = (actual[i] as number) - (quantileForecast[i] as number);
    sum += diff >= 0 ? quantile * diff : (quantile - 1) * diff;
  }
  return sum / actual.length;
}

/** The central interval level whose upper bound is the `quantile` (0.9 → 0.8). */
export function levelForQuantile(quantile: number): number {
  // Rounded so that 2·0.9 − 1 matches a configured 0.8 exactly.
  return Math.round((2 * quantile - 1) * 1e9) / 1e9;
}

/**
 * The forecast of `quantile` taken from a Forecast: the point for 0.5, the
 * upper bound of the interval at level 2q − 1 above it, the lower bound of
 * the interval at level 1 − 2q below it.
 * @throws PrescientError PRESCIENT_ERR_LEVEL_UNAVAILABLE when the forecast has no such interval
 */
export function quantileFromForecast(forecast: Forecast, quantile: number): number[] {
  if (quantile === 0.5) return [...forecast.point];
  const level = levelForQuantile(quantile >= 0.5 ? quantile : 1 - quantile);
  const interval = forecast.intervals.find((i) => Math.abs(i.level - level) < 1e-9);
  if (!interval) {
    throw new PrescientError(
      'PRESCIENT_ERR_LEVEL_UNAVAILABLE',
      `quantile ${quantile} needs the ${level} interval; forecast has ${forecast.intervals.map((i) => i.level).join(', ')}`,
    );
  }
  return quantile >= 0.5 ? [...interval.upper] : [...interval.lower];
}
