/**
 * True seasonal ARIMA through the `arima` package, for short periods only
 * (s ≤ MAX_PACKAGE_PERIOD, e.g. a daily cycle of hourly data): a small,
 * bounded search over seasonal-MA orders with one seasonal difference,
 * compared by the package's AIC (all candidates share d = 0, D = 1, so
 * their likelihoods cover the same differenced series).
 */

import { fitPackageSarima, MAX_PACKAGE_PERIOD, type PackageSarimaFit, type SarimaOrder } from './arima-package.js';

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
export function fitShortSeasonal(values: readonly number[], period: number, deadlineMs: number, nowMs: () => number): PackageSarimaFit | undefined {
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
