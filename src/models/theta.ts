import { PrescientError } from '../errors.js';
import type { Fitted, Forecast, Forecaster } from './forecaster.js';
import { reseasonalisedForecast, takeOutSeasons, type SeasonalIndex } from './classical-season.js';

/**
 * The Theta method (Assimakopoulos & Nikolopoulos 2000), in the form of
 * Hyndman & Billah (2003): simple exponential smoothing with a drift of
 * half the slope of the linear trend, on the seasonally adjusted series,
 * re-seasonalised. It won the M3 competition and was the statistical
 * benchmark of M4 that few entries beat.
 *
 * Why a member of `auto`: it extrapolates differently from the others —
 * a level that follows recent values (SES) plus a damped share of the
 * long-run trend, with a season that is averaged over the whole history
 * (classical decomposition) rather than fitted (sarima), smoothed (mstl),
 * repeated (snaive) or averaged over the last week only (smean). Combining
 * models that err differently is what makes a combination beat its members.
 *
 * Seasons: each of the context's periods, shortest first, is taken out by
 * classical decomposition (centred moving average, mean ratio per phase,
 * over the last 7 cycles) when the history holds three of its cycles and its autocorrelation at
 * that lag passes the 90 % test of the M4 Theta benchmark; multiplicative
 * when every value is positive, additive otherwise (zeros, negative values).
 * SES's α is fitted to the errors over one season ahead, not one step
 * (see fitSes). Intervals: normal, with the spread of the same in-sample
 * errors per step ahead (growing as SES's beyond them), re-seasonalised;
 * `auto` recalibrates them from its backtest.
 */
export const theta: Forecaster = {
  name: 'theta',
  minLength() {
    return 2;
  },
  async fit(values, ctx) {
    if (values.length < 2) {
      throw new PrescientError('PRESCIENT_ERR_SERIES_TOO_SHORT', `theta needs at least 2 values, got ${values.length}`);
    }
    const notes: string[] = [];
    const { adjusted, seasons, multiplicative } = takeOutSeasons(values, ctx.seasonalPeriods, notes);
    const slope = trendSlope(adjusted);
    const n = adjusted.length;
    // α is fitted to the errors over one season ahead (the shortest), or one step without a season (fitSes).
    const horizon = Math.max(1, Math.min(ctx.seasonalPeriods[0] ?? 1, Math.floor(n / 3)));
    const ses = fitSes(adjusted, horizon, slope);
    if (![ses.level, slope, ...ses.sigma].every(Number.isFinite)) {
      throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', 'theta: the smoothing did not give finite values');
    }
    notes.push(
      `SES α ${ses.alpha.toFixed(3)}, drift ${(slope / 2).toPrecision(3)} per step${seasons.length > 0 ? `, ${multiplicative ? 'multiplicative' : 'additive'} season${seasons.length > 1 ? 's' : ''} of ${seasons.map((s) => s.factors.length).join(', ')} steps` : ''}`,
    );
    return new FittedTheta(ses, slope, n, seasons, notes);
  },
};

/** Ordinary least-squares slope of the values against their index. */
function trendSlope(values: readonly number[]): number {
  const n = values.length;
  const tMean = (n - 1) / 2;
  const yMean = values.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((v, t) => {
    num += (t - tMean) * (v - yMean);
    den += (t - tMean) * (t - tMean);
  });
  return den > 0 ? num / den : 0;
}

interface Ses {
  readonly alpha: number;
  /** Level after the last value. */
  readonly level: number;
  /** Standard deviation of the in-sample errors 1 … `sigma.length` steps ahead (non-decreasing). */
  readonly sigma: readonly number[];
}

/** Lowest smoothing weight tried: below it the drift correction (1/α) dominates the forecast. */
const MIN_ALPHA = 0.01;

/** Levels after each value (index t: after values[0..t]), starting from the first value. */
function sesLevels(values: readonly number[], alpha: number): number[] {
  const levels: number[] = [];
  let level = values[0] as number;
  for (const v of values) {
    level += alpha * (v - level);
    levels.push(level);
  }
  return levels;
}

/** The theta line's offset from the SES level, `h` steps after `observed` values (Hyndman & Billah 2003, eq. 5). */
function drift(slope: number, alpha: number, observed: number, h: number): number {
  return (slope / 2) * (h - 1 + 1 / alpha - (1 - alpha) ** observed / alpha);
}

/**
 * SES on the seasonally adjusted values, with α chosen by least squares
 * of the in-sample forecast errors 1 … `horizon` steps ahead (the theta
 * line's, drift included), not of the one-step errors only. Why: on smooth
 * loads (hourly request rates) the one-step fit gives α ≈ 1, and the
 * forecast then holds the last hour's deviation from the season for days
 * (that is Naive2 — the M4 competition's Theta scored 2.46 MASE on hourly
 * series, twice seasonal naive's); a forecast used a season ahead should
 * be fitted to be right a season ahead. The objective is O(n) per α:
 * with L_t the forecast's level from origin t and Z_t the sum of the
 * detrended values ahead, Σ_h (z − L_t)² = const − 2·L_t·Z_t + H_t·L_t².
 */
function fitSes(values: readonly number[], horizon: number, slope: number): Ses {
  const n = values.length;
  const prefix = [0];
  for (const v of values) prefix.push((prefix[prefix.length - 1] as number) + v);
  const steps: number[] = [];
  const ahead: number[] = [];
  for (let t = 0; t < n - 1; t++) {
    const h = Math.min(horizon, n - 1 - t);
    steps.push(h);
    ahead.push((prefix[t + h + 1] as number) - (prefix[t + 1] as number) - ((slope / 2) * h * (h - 1)) / 2);
  }
  const objective = (alpha: number): number => {
    const levels = sesLevels(values, alpha);
    let total = 0;
    for (let t = 0; t < n - 1; t++) {
      const level = (levels[t] as number) + drift(slope, alpha, t + 1, 1);
      total += (steps[t] as number) * level * level - 2 * level * (ahead[t] as number);
    }
    return total;
  };
  const grid = Array.from({ length: 20 }, (_, i) => MIN_ALPHA + ((1 - MIN_ALPHA) * i) / 19);
  let bestIndex = 0;
  let bestValue = Number.POSITIVE_INFINITY;
  grid.forEach((alpha, i) => {
    const value = objective(alpha);
    if (value < bestValue) [bestIndex, bestValue] = [i, value];
  });
  let lo = grid[Math.max(0, bestIndex - 1)] as number;
  let hi = grid[Math.min(grid.length - 1, bestIndex + 1)] as number;
  const ratio = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 30; k++) {
    const a = hi - ratio * (hi - lo);
    const b = lo + ratio * (hi - lo);
    if (objective(a) <= objective(b)) hi = b;
    else lo = a;
  }
  const alpha = (lo + hi) / 2;
  const levels = sesLevels(values, alpha);
  // Spread per step ahead, from the same in-sample forecasts.
  const sumSquares = Array<number>(Math.max(1, horizon)).fill(0);
  const counts = Array<number>(Math.max(1, horizon)).fill(0);
  for (let t = 0; t < n - 1; t++) {
    for (let h = 1; h <= Math.min(horizon, n - 1 - t); h++) {
      const error = (values[t + h] as number) - (levels[t] as number) - drift(slope, alpha, t + 1, h);
      sumSquares[h - 1] = (sumSquares[h - 1] as number) + error * error;
      counts[h - 1] = (counts[h - 1] as number) + 1;
    }
  }
  const sigma: number[] = [];
  for (let h = 0; h < sumSquares.length; h++) {
    const c = counts[h] as number;
    const own = c > 1 ? Math.sqrt((sumSquares[h] as number) / (c - 1)) : c === 1 ? Math.sqrt(sumSquares[h] as number) : 0;
    sigma.push(Math.max(own, sigma[h - 1] ?? 0));
  }
  return { alpha, level: levels[n - 1] as number, sigma };
}

class FittedTheta implements Fitted {
  readonly info;

  constructor(
    private readonly ses: Ses,
    private readonly slope: number,
    private readonly n: number,
    private readonly seasons: readonly SeasonalIndex[],
    notes: readonly string[],
  ) {
    this.info = { model: 'theta', notes };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const { alpha, level, sigma } = this.ses;
    // A trend seen over n values is extrapolated at most n steps ahead, then held: two values do not make a trend for a day.
    const adjustedPoint = Array.from({ length: horizon }, (_, k) => level + drift(this.slope, alpha, this.n, Math.min(k + 1, this.n)));
    return reseasonalisedForecast(adjustedPoint, sigma, alpha, this.seasons, this.n, levels);
  }

  dispose(): void {}
}
