import { PrescientError } from '../errors.js';
import type { Fitted, Forecast, Forecaster } from './forecaster.js';
import { zForLevel } from './intervals.js';

/** Most whole seasons averaged: a week of a daily season. */
const MAX_CYCLES = 7;
/** Lags averaged when there is no season (the last few values). */
const NO_SEASON_WINDOW = 6;

/** Mean of the values, dropping the lowest and the highest when there are five or more (an incident day weighs nothing). */
function trimmedMean(xs: readonly number[]): number {
  if (xs.length < 5) return xs.reduce((s, x) => s + x, 0) / xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const kept = sorted.slice(1, -1);
  return kept.reduce((s, x) => s + x, 0) / kept.length;
}

/**
 * Seasonal mean: each step is the trimmed mean of the same phase over the
 * last whole seasons (up to a week of a daily season), or of the last few
 * values when there is no season. A member of `auto`'s combination that
 * differs by construction from the others: seasonal naive repeats one
 * (noisy) season, MSTL and sarima extrapolate a fitted level and trend;
 * this averages several seasons and extrapolates nothing, so a single
 * incident day or a spurious trend does not move it. Intervals: the
 * standard deviation of its own in-sample errors, growing with the square
 * root of the seasons ahead (as seasonal naive's; auto recalibrates them).
 */
export const seasonalMean: Forecaster = {
  name: 'smean',
  minLength(ctx) {
    const period = ctx.seasonalPeriods[0];
    return period === undefined ? 2 : period + 1;
  },
  async fit(values, ctx) {
    const period = ctx.seasonalPeriods[0];
    if (values.length < this.minLength(ctx)) {
      throw new PrescientError(
        'PRESCIENT_ERR_SERIES_TOO_SHORT',
        `smean with period ${period ?? 'none'} needs at least ${this.minLength(ctx)} values, got ${values.length}`,
      );
    }
    // Without a season, lag 1 … NO_SEASON_WINDOW play the role of the cycles.
    const lag = period ?? 1;
    const cycles = Math.max(1, Math.min(period === undefined ? NO_SEASON_WINDOW : MAX_CYCLES, Math.floor(values.length / lag)));
    const n = values.length;
    const estimate = (end: number, phase: number): number => {
      const xs: number[] = [];
      for (let k = 1; k <= cycles; k++) {
        const i = period === undefined ? end - k : end - k * lag + phase;
        if (i >= 0) xs.push(values[i] as number);
      }
      return trimmedMean(xs);
    };
    // The shape is averaged over the seasons, the level is the last season's: a load that grew
    // over the week is not pulled back to the week's mean.
    const profileAt = (end: number): number[] => {
      const shape = Array.from({ length: lag }, (_, phase) => estimate(end, phase));
      if (period === undefined) return shape;
      return shape.map((v) => v + mean(values.slice(end - lag, end)) - mean(shape));
    };
    const profile = profileAt(n);
    // In-sample errors of the same forecaster, issued at each season's start for the season after.
    let sumSquares = 0;
    let count = 0;
    for (let origin = cycles * lag; origin < n; origin += lag) {
      const ahead = profileAt(origin);
      for (let i = origin; i < Math.min(n, origin + lag); i++) {
        const residual = (values[i] as number) - (ahead[i - origin] as number);
        sumSquares += residual * residual;
        count++;
      }
    }
    const sigma = count > 1 ? Math.sqrt(sumSquares / (count - 1)) : standardDeviation(values);
    return new FittedSeasonalMean(profile, period === undefined, sigma, cycles);
  },
};

function mean(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / Math.max(1, values.length - 1));
}

class FittedSeasonalMean implements Fitted {
  readonly info;

  constructor(
    private readonly profile: readonly number[],
    private readonly flat: boolean,
    private readonly sigma: number,
    cycles: number,
  ) {
    this.info = { model: 'smean', notes: [flat ? `no season: mean of the last ${cycles} values` : `trimmed mean of the last ${cycles} seasons`] };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const period = this.profile.length;
    const point = Array.from({ length: horizon }, (_, h) => this.profile[this.flat ? 0 : h % period] as number);
    const spread = point.map((_, h) => this.sigma * Math.sqrt(Math.floor(h / period) + 1));
    const intervals = levels.map((level) => {
      const z = zForLevel(level);
      return { level, lower: point.map((p, h) => p - z * (spread[h] as number)), upper: point.map((p, h) => p + z * (spread[h] as number)) };
    });
    return { point, intervals };
  }

  dispose(): void {}
}
