import { PrescientError } from '../errors.js';
import type { Fitted, Forecast, Forecaster } from './forecaster.js';
import { zForLevel } from './intervals.js';

/**
 * Seasonal naive: each step repeats the value one season earlier (the
 * shortest seasonal period), or the last value when there is no season.
 * Intervals follow Hyndman & Athanasopoulos (FPP3 §5.5): the residual
 * standard deviation grows with the square root of the number of whole
 * seasons ahead. It is the baseline every other model must beat and the
 * bottom of the fallback ladder, so it must fit anything with two values.
 */
export const seasonalNaive: Forecaster = {
  name: 'snaive',
  minLength(ctx) {
    const period = ctx.seasonalPeriods[0];
    return period === undefined ? 2 : period + 1;
  },
  async fit(values, ctx) {
    const period = ctx.seasonalPeriods[0] ?? 1;
    if (values.length < this.minLength(ctx)) {
      throw new PrescientError(
        'PRESCIENT_ERR_SERIES_TOO_SHORT',
        `snaive with period ${period} needs at least ${this.minLength(ctx)} values, got ${values.length}`,
      );
    }
    const lastSeason = values.slice(values.length - period);
    let sumSquares = 0;
    let count = 0;
    for (let i = period; i < values.length; i++) {
      const residual = (values[i] as number) - (values[i - period] as number);
      sumSquares += residual * residual;
      count++;
    }
    const sigma = count > 1 ? Math.sqrt(sumSquares / (count - 1)) : 0;
    return new FittedSeasonalNaive(lastSeason, period, sigma);
  },
};

class FittedSeasonalNaive implements Fitted {
  readonly info;

  constructor(
    private readonly lastSeason: readonly number[],
    private readonly period: number,
    private readonly sigma: number,
  ) {
    this.info = { model: 'snaive', notes: period === 1 ? ['no season: repeats the last value'] : [] };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const point: number[] = [];
    const spread: number[] = [];
    for (let h = 0; h < horizon; h++) {
      point.push(this.lastSeason[h % this.period] as number);
      const seasonsAhead = Math.floor(h / this.period) + 1;
      spread.push(this.sigma * Math.sqrt(seasonsAhead));
    }
    const intervals = levels.map((level) => {
      const z = zForLevel(level);
      return {
        level,
        lower: point.map((p, h) => p - z * (spread[h] as number)),
        upper: point.map((p, h) => p + z * (spread[h] as number)),
      };
    });
    return { point, intervals };
  }

  dispose(): void {}
}
