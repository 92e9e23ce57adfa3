import { PrescientError } from '../errors.js';
import { reseasonalisedForecast, takeOutSeasons, type SeasonalIndex } from './classical-season.js';
import type { Fitted, Forecast, Forecaster } from './forecaster.js';

/**
 * Damped-trend exponential smoothing (Gardner & McKenzie 1985; ETS(A,Ad,N)
 * in Hyndman's taxonomy) on the seasonally adjusted series, re-seasonalised:
 * the "Damped" benchmark of the M3 and M4 competitions, one third of their
 * "Comb". A level and a trend are smoothed; the trend's extrapolation is
 * damped by φ a step, so a forecast h steps ahead adds
 * (φ + φ² + … + φʰ)·b, which levels off at φ/(1 − φ)·b.
 *
 * Why a member of `auto`: it is the one model here whose forecast bends — a
 * trend that is followed for a while, then flattened — where theta
 * extrapolates a fixed drift, sarima a differenced one and the others none.
 *
 * Seasons: classical decomposition (classical-season.ts), as theta. The
 * smoothing weights α (level), β (trend, as a share of the level's change)
 * and φ are chosen by least squares of the in-sample errors 1 … one season
 * ahead, not one step (see fitDamped): fitted one step ahead, smooth hourly
 * loads give α ≈ 1 and a steep trend, and the forecast then carries the
 * last hour's swing for days. Intervals: normal, with the spread of the
 * same in-sample errors per step ahead; `auto` recalibrates them from its
 * backtest.
 */
export const damped: Forecaster = {
  name: 'damped',
  minLength() {
    return 2;
  },
  async fit(values, ctx) {
    if (values.length < 2) {
      throw new PrescientError('PRESCIENT_ERR_SERIES_TOO_SHORT', `damped needs at least 2 values, got ${values.length}`);
    }
    const notes: string[] = [];
    const { adjusted, seasons, multiplicative } = takeOutSeasons(values, ctx.seasonalPeriods, notes);
    const n = adjusted.length;
    const horizon = Math.max(1, Math.min(ctx.seasonalPeriods[0] ?? 1, Math.floor(n / 3)));
    const fit = fitDamped(adjusted, horizon);
    if (![fit.level, fit.trend, ...fit.sigma].every(Number.isFinite)) {
      throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', 'damped: the smoothing did not give finite values');
    }
    notes.push(
      `α ${fit.alpha.toFixed(3)}, β ${fit.beta.toFixed(3)}, φ ${fit.phi.toFixed(2)}, trend ${fit.trend.toPrecision(3)} per step${seasons.length > 0 ? `, ${multiplicative ? 'multiplicative' : 'additive'} season${seasons.length > 1 ? 's' : ''} of ${seasons.map((s) => s.factors.length).join(', ')} steps` : ''}`,
    );
    return new FittedDamped(fit, n, seasons, notes);
  },
};

export interface DampedFit {
  readonly alpha: number;
  readonly beta: number;
  readonly phi: number;
  /** Level and trend after the last value. */
  readonly level: number;
  readonly trend: number;
  /** Standard deviation of the in-sample errors 1 … `sigma.length` steps ahead (non-decreasing). */
  readonly sigma: readonly number[];
}

/** Weights tried: a grid wide enough for slow and fast loads; φ below 0.8 is hardly a trend, 1 is Holt's undamped one. */
export const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9];
export const BETAS = [0.01, 0.03, 0.1, 0.3];
export const PHIS = [0.8, 0.9, 0.95, 0.98];

/** Levels and trends after each value (index t: after values[0..t]). */
export function smooth(
  values: readonly number[],
  alpha: number,
  beta: number,
  phi: number,
  trend0: number,
): { levels: Float64Array; trends: Float64Array } {
  const n = values.length;
  const levels = new Float64Array(n);
  const trends = new Float64Array(n);
  let level = values[0] as number;
  let trend = trend0;
  levels[0] = level;
  trends[0] = trend;
  for (let t = 1; t < n; t++) {
    const previous = level;
    level = alpha * (values[t] as number) + (1 - alpha) * (previous + phi * trend);
    trend = beta * (level - previous) + (1 - beta) * phi * trend;
    levels[t] = level;
    trends[t] = trend;
  }
  return { levels, trends };
}

/** φ + φ² + … + φʰ. */
export function dampedSum(phi: number, h: number): number {
  return (phi * (1 - phi ** h)) / (1 - phi);
}

/** Least-squares slope of the first values (up to two seasons' worth): the trend the smoothing starts from. */
export function initialTrend(values: readonly number[], horizon: number): number {
  const m = Math.min(values.length, Math.max(3, 2 * horizon));
  if (m < 2) return 0;
  const tMean = (m - 1) / 2;
  let yMean = 0;
  for (let t = 0; t < m; t++) yMean += values[t] as number;
  yMean /= m;
  let num = 0;
  let den = 0;
  for (let t = 0; t < m; t++) {
    num += (t - tMean) * ((values[t] as number) - yMean);
    den += (t - tMean) ** 2;
  }
  return den > 0 ? num / den : 0;
}

/**
 * Chooses α, β and φ on a grid by the sum of squared in-sample errors of the
 * forecasts 1 … `horizon` steps ahead from every origin. O(n) per triple:
 * with S_h = φ + … + φʰ, Σ_h (y − l − S_h·b)² expands into sums of y ahead
 * (prefix sums), of φʰ·y ahead (a backward recursion per φ) and of S_h, S_h²
 * (prefix sums per φ), so no forecast is formed.
 */
export function fitDamped(values: readonly number[], horizon: number): DampedFit {
  const n = values.length;
  const trend0 = initialTrend(values, horizon);
  const prefix = new Float64Array(n + 1);
  for (let t = 0; t < n; t++) prefix[t + 1] = (prefix[t] as number) + (values[t] as number);
  let best = { value: Number.POSITIVE_INFINITY, alpha: ALPHAS[0] as number, beta: BETAS[0] as number, phi: PHIS[0] as number };
  for (const phi of PHIS) {
    // weighted[t] = Σ_{h=1..H} φʰ·y[t+h], values past the end counting as 0.
    const weighted = new Float64Array(n);
    const phiH1 = phi ** (horizon + 1);
    for (let t = n - 2; t >= 0; t--) {
      const next = values[t + 1] as number;
      const leaving = t + 1 + horizon < n ? (values[t + 1 + horizon] as number) : 0;
      weighted[t] = phi * next + phi * (weighted[t + 1] as number) - phiH1 * leaving;
    }
    const sumS = new Float64Array(horizon + 1);
    const sumS2 = new Float64Array(horizon + 1);
    for (let h = 1; h <= horizon; h++) {
      const s = dampedSum(phi, h);
      sumS[h] = (sumS[h - 1] as number) + s;
      sumS2[h] = (sumS2[h - 1] as number) + s * s;
    }
    const ratio = phi / (1 - phi);
    for (const alpha of ALPHAS) {
      for (const beta of BETAS) {
        const { levels, trends } = smooth(values, alpha, beta, phi, trend0);
        let total = 0;
        for (let t = 0; t < n - 1; t++) {
          const steps = Math.min(horizon, n - 1 - t);
          const ahead = (prefix[t + 1 + steps] as number) - (prefix[t + 1] as number);
          const aheadS = ratio * (ahead - (weighted[t] as number));
          const l = levels[t] as number;
          const b = trends[t] as number;
          total += steps * l * l + 2 * l * b * (sumS[steps] as number) + b * b * (sumS2[steps] as number) - 2 * l * ahead - 2 * b * aheadS;
        }
        if (total < best.value) best = { value: total, alpha, beta, phi };
      }
    }
  }
  const { alpha, beta, phi } = best;
  const { levels, trends } = smooth(values, alpha, beta, phi, trend0);
  const sumSquares = new Float64Array(horizon);
  const counts = new Float64Array(horizon);
  for (let t = 0; t < n - 1; t++) {
    for (let h = 1; h <= Math.min(horizon, n - 1 - t); h++) {
      const error = (values[t + h] as number) - (levels[t] as number) - dampedSum(phi, h) * (trends[t] as number);
      sumSquares[h - 1] = (sumSquares[h - 1] as number) + error * error;
      counts[h - 1] = (counts[h - 1] as number) + 1;
    }
  }
  const sigma: number[] = [];
  for (let h = 0; h < horizon; h++) {
    const c = counts[h] as number;
    const own = c > 1 ? Math.sqrt((sumSquares[h] as number) / (c - 1)) : c === 1 ? Math.sqrt(sumSquares[h] as number) : 0;
    sigma.push(Math.max(own, sigma[h - 1] ?? 0));
  }
  return { alpha, beta, phi, level: levels[n - 1] as number, trend: trends[n - 1] as number, sigma };
}

class FittedDamped implements Fitted {
  readonly info;

  constructor(
    private readonly fit: DampedFit,
    private readonly n: number,
    private readonly seasons: readonly SeasonalIndex[],
    notes: readonly string[],
  ) {
    this.info = { model: 'damped', notes };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const { alpha, phi, level, trend, sigma } = this.fit;
    // A trend seen over n values is extrapolated at most n steps ahead, then held: two values do not make a trend for a day.
    const adjustedPoint = Array.from({ length: horizon }, (_, k) => level + dampedSum(phi, Math.min(k + 1, this.n)) * trend);
    return reseasonalisedForecast(adjustedPoint, sigma, alpha, this.seasons, this.n, levels);
  }

  dispose(): void {}
}
