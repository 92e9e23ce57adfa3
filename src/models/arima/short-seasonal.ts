/**
 * True seasonal ARIMA through the `arima` package, for short periods only
 * (s ≤ MAX_PACKAGE_PERIOD, e.g. a daily cycle of hourly data): a small,
 * bounded search over seasonal-MA orders with one seasonal difference,
 * compared by the package's AIC (all candidates share d = 0, D = 1, so
 * their likelihoods cover the same differenced series).
 */

import { reviewForecast } from '../validate.js';
import { fitPackageSarima, MAX_PACKAGE_PERIOD, type PackageSarimaFit, type SarimaOrder } from './arima-package.js';
import { fitHarmonicRegression, forecastHarmonicRegression, type HarmonicRegressionFit } from './harmonic-regression.js';

/** Full seasonal cycles needed before the package is tried: one is lost to the seasonal difference. */
export const MIN_CYCLES = 4;

/** Candidate (p, q) for the non-seasonal part, tried in this order; all with (0, 1, 1)s. */
const CANDIDATES: ReadonlyArray<readonly [number, number]> = [
  [1, 0],
  [2, 0],
  [1, 1],
];

export function packageApplies(length: number, period: number): boolean {
  return period >= 2 && period <= MAX_PACKAGE_PERIOD && length >= MIN_CYCLES * period;
}

/**
 * Fits the candidates in turn while the deadline allows and keeps the best
 * by AIC; failed or non-finite fits are skipped.
 * @returns the best fit (caller disposes it), or undefined when none succeeded
 */
export function fitShortSeasonal(
  values: readonly number[],
  period: number,
  deadlineMs: number,
  nowMs: () => number,
): PackageSarimaFit | undefined {
  let best: PackageSarimaFit | undefined;
  for (const [p, q] of CANDIDATES) {
    if (nowMs() >= deadlineMs) break;
    const order: SarimaOrder = { p, d: 0, q, P: 0, D: 1, Q: 1, s: period };
    let fit: PackageSarimaFit;
    try {
      fit = fitPackageSarima(values, order);
    } catch {
      continue;
    }
    if (!best || fit.aic < best.aic) {
      best?.dispose();
      best = fit;
    } else {
      fit.dispose();
    }
  }
  return best;
}

/**
 * Where the shortest period is short enough for the `arima` package (hourly
 * data's 24), true SARIMA(p,0,q)(0,1,1)s competes with the harmonic
 * regression on a holdout of the last cycle: both are refitted without it,
 * and the one with the lower MAE on it wins and is refitted on everything.
 * The package ignores longer periods (a weekly cycle), so it wins only when
 * that costs less than its seasonal difference gains. Its holdout forecast
 * must also pass the plausibility check. Returns the package fit when it
 * wins (the caller disposes it), else undefined (notes say why).
 * @param y the series on the scale the harmonic regression was fitted on
 * @param cyclesPerSeason cycles a period needs to be used (for the holdout's shorter history)
 * @param notes receives what was tried and why it won or lost
 */
export function tryShortSeasonal(
  y: readonly number[],
  harmonic: HarmonicRegressionFit,
  periods: readonly number[],
  cyclesPerSeason: number,
  deadlineMs: number,
  nowMs: () => number,
  notes: string[],
): PackageSarimaFit | undefined {
  const period = periods[0];
  if (period === undefined || !packageApplies(y.length - period, period)) return undefined;
  if (nowMs() >= deadlineMs) {
    notes.push('seasonal ARIMA via the arima package not tried: deadline reached');
    return undefined;
  }
  const train = y.slice(0, y.length - period);
  const test = y.slice(y.length - period);
  const candidate = fitShortSeasonal(train, period, deadlineMs, nowMs);
  if (!candidate) {
    notes.push(`seasonal ARIMA via the arima package failed for period ${period}; harmonic regression kept`);
    return undefined;
  }
  const order = candidate.order;
  let packageMae: number;
  try {
    const { point, variance } = candidate.predict(period);
    const forecast = {
      point,
      intervals: [
        {
          level: 0.95,
          lower: point.map((p, h) => p - 1.96 * Math.sqrt(variance[h] as number)),
          upper: point.map((p, h) => p + 1.96 * Math.sqrt(variance[h] as number)),
        },
      ],
    };
    // Stricter than serving: a band the review would have to clip counts as the package failing here.
    if (reviewForecast(forecast, train, { lower: null }).adjustments.length > 0) throw new Error('band beyond the plausible range');
    packageMae = meanAbsoluteError(point, test);
  } catch {
    notes.push(`seasonal ARIMA via the arima package gave an implausible forecast for period ${period}; harmonic regression kept`);
    return undefined;
  } finally {
    candidate.dispose();
  }
  const trainPeriods = periods.filter((p) => train.length >= cyclesPerSeason * p);
  const harmonicHoldout = fitHarmonicRegression(train, { periods: trainPeriods, deadlineMs, nowMs });
  const harmonicMae = harmonicHoldout
    ? meanAbsoluteError(Array.from(forecastHarmonicRegression(harmonicHoldout, period).point), test)
    : Number.POSITIVE_INFINITY;
  const name = `SARIMA(${order.p},${order.d},${order.q})(${order.P},${order.D},${order.Q})${order.s}`;
  if (!(packageMae < harmonicMae)) {
    notes.push(
      `${name} via the arima package lost to the harmonic regression on the last ${period} steps (MAE ${round(packageMae)} vs ${round(harmonicMae)})`,
    );
    return undefined;
  }
  try {
    const fit = fitPackageSarima(y, order);
    notes.push(
      `${name} via the arima package beat the harmonic regression (${harmonic.arma.p},${harmonic.d},${harmonic.arma.q} errors) on the last ${period} steps (MAE ${round(packageMae)} vs ${round(harmonicMae)})`,
    );
    if (periods.length > 1)
      notes.push(
        `seasonal ARIMA models only the ${period}-step season; longer ones (${periods.slice(1).join(', ')}) are left to its errors`,
      );
    return fit;
  } catch {
    notes.push(`${name} via the arima package failed on the full history; harmonic regression kept`);
    return undefined;
  }
}

function meanAbsoluteError(forecast: readonly number[], actual: readonly number[]): number {
  let sum = 0;
  for (let h = 0; h < actual.length; h++) sum += Math.abs((forecast[h] as number) - (actual[h] as number));
  return sum / actual.length;
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}
