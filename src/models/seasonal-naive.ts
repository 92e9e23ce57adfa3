import { PrescientError } from '../errors.js';
import type { Fitted, Forecast, Forecaster } from './forecaster.js';
import { zForLevel } from './intervals.js';

/**
 * Seasonal naive: each step repeats the value one season earlier (the
 * shortest seasonal period), or the last value when there is none or the
 * history does not hold one season and one more value. Intervals follow Hyndman &
 * Athanasopoulos (FPP3 §5.5): the residual standard deviation grows with
 * the square root of the number of whole seasons ahead. It is the baseline
 * every other model must beat and the bottom of the fallback ladder, so it
 * fits any finite series of two values or more: a history shorter than its
 * season is forecast by the last value, with a note, not refused.
 */
export const seasonalNaive: Forecaster = {
  name: 'snaive',
  minLength() {
    return 2;
  },
  async fit(values, ctx) {
    if (values.length < 2) {
      throw new PrescientError('PRESCIENT_ERR_SERIES_TOO_SHORT', `snaive needs at least 2 values, got ${values.length}`);
    }
    const season = ctx.seasonalPeriods[0];
    const period = season !== undefined && values.length > season ? season : 1;
    const sigma = residualSpread(values, period, period, 0);
    const notes = [
      ...(period === 1 ? ['no season: repeats the last value'] : []),
      ...(season !== undefined && period === 1 ? [`${values.length} values do not hold a season of ${season} steps and one more`] : []),
    ];
    return new FittedRepeat('snaive', values, period, 0, 1, sigma, notes);
  },
};

/**
 * Standard deviation of y[t] − y[t − lag] − drift for t from `from` on. One residual (two values, no season) is
 * its own spread: an interval of width 0 would claim certainty.
 */
export function residualSpread(values: readonly number[], lag: number, from: number, drift: number): number {
  let sumSquares = 0;
  let count = 0;
  for (let i = from; i < values.length; i++) {
    const residual = (values[i] as number) - (values[i - lag] as number) - drift;
    sumSquares += residual * residual;
    count++;
  }
  return count > 1 ? Math.sqrt(sumSquares / (count - 1)) : Math.sqrt(sumSquares);
}

/**
 * The last `lag` values repeated, plus `drift` once per cycle ahead for at most `holdAfter` cycles; bands
 * grow with the square root of the cycles ahead. snaive (no drift) and ./local-naive.ts's lnaive and dnaive.
 */
export class FittedRepeat implements Fitted {
  readonly info;
  private readonly lastCycle: readonly number[];

  constructor(
    model: string,
    values: readonly number[],
    private readonly lag: number,
    private readonly drift: number,
    private readonly holdAfter: number,
    private readonly sigma: number,
    notes: readonly string[],
  ) {
    this.lastCycle = values.slice(values.length - lag);
    this.info = { model, notes };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const point: number[] = [];
    const spread: number[] = [];
    for (let h = 0; h < horizon; h++) {
      const cycles = Math.floor(h / this.lag) + 1;
      point.push((this.lastCycle[h % this.lag] as number) + this.drift * Math.min(cycles, this.holdAfter));
      spread.push(this.sigma * Math.sqrt(cycles));
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
