import { PrescientError } from '../errors.js';
import type { Forecaster } from './forecaster.js';
import { FittedRepeat, residualSpread } from './seasonal-naive.js';

/**
 * Local-period seasonal naive (`lnaive`): seasonal naive whose lag is the
 * period the last few cycles show, not only the nominal one.
 *
 * Why: on M4 Hourly, 16 of 414 series repeat every 23 hours, not 24 (the
 * daily profile arrives one hour earlier each day), some for their whole
 * history (H247, H325), some only for their last days (H228, H261: the
 * series with the worst MASE of every model). A season of 24 then misses
 * the whole profile by an hour per day ahead, and with these series' tiny
 * in-sample scale that is a MASE of 5–8. Repeating what the recent cycles
 * repeat is the robust fix: no period is assumed beyond the nominal one,
 * and the shifted lag is used only when it fits the recent cycles clearly
 * better.
 *
 * Rule: over the last WINDOW_CYCLES cycles of the nominal period s, the
 * mean absolute difference y[t] − y[t − L] is measured for every lag L
 * within s ± max(1, round(s / 12)) (one hour either way of a day at 5-minute or
 * hourly steps: ±2 steps of 24, ±24 of 288). The best L replaces s only
 * when its error is below MARGIN × the error at s: a noise-level difference
 * never moves the lag, so on most series this is exactly `snaive`.
 * Intervals: the spread of the lag-L residuals over that window, growing
 * with the square root of the cycles ahead (as snaive).
 */
export const WINDOW_CYCLES = 3;
export const MARGIN = 0.7;

/** The lag the last WINDOW_CYCLES cycles repeat, or `period` (see above). */
export function localLag(values: readonly number[], period: number): number {
  const reach = Math.max(1, Math.round(period / 12));
  const window = WINDOW_CYCLES * period;
  const n = values.length;
  if (period < 2 || n < window + period + reach + 1) return period;
  const error = (lag: number): number => {
    let sum = 0;
    for (let t = n - window; t < n; t++) sum += Math.abs((values[t] as number) - (values[t - lag] as number));
    return sum / window;
  };
  const nominal = error(period);
  let best = period;
  let bestError = nominal;
  for (let lag = Math.max(2, period - reach); lag <= period + reach; lag++) {
    if (lag === period) continue;
    const e = error(lag);
    if (e < bestError) {
      best = lag;
      bestError = e;
    }
  }
  return bestError < MARGIN * nominal ? best : period;
}

/** Cycles over which `dnaive` measures the recent drift (and after which it holds it). */
export const DRIFT_CYCLES = 7;

/** Mean change per cycle of the last `cycles` cycles at `lag` (y[t] − y[t − lag], averaged). */
export function recentDrift(values: readonly number[], lag: number, cycles: number): number {
  const n = values.length;
  const from = Math.max(lag, n - cycles * lag);
  if (from >= n) return 0;
  let sum = 0;
  for (let t = from; t < n; t++) sum += (values[t] as number) - (values[t - lag] as number);
  return sum / (n - from);
}

function localForecaster(name: string, withDrift: boolean): Forecaster {
  return {
    name,
    minLength() {
      return 2;
    },
    async fit(values, ctx) {
      if (values.length < 2) {
        throw new PrescientError('PRESCIENT_ERR_SERIES_TOO_SHORT', `${name} needs at least 2 values, got ${values.length}`);
      }
      const season = ctx.seasonalPeriods[0];
      const nominal = season !== undefined && values.length > season ? season : 1;
      const lag = nominal > 1 ? localLag(values, nominal) : 1;
      const drift = withDrift ? recentDrift(values, lag, DRIFT_CYCLES) : 0;
      // The drift is held after as many cycles ahead as it was measured over (two values do not make a week's trend).
      const holdAfter = Math.max(1, Math.min(DRIFT_CYCLES, Math.floor((values.length - lag) / lag)));
      // Residuals of the lag actually used, over the window that chose it (the whole history when the lag is the
      // nominal one; the drift's own window with drift).
      const from = withDrift
        ? Math.max(lag, values.length - DRIFT_CYCLES * lag)
        : lag === nominal
          ? lag
          : Math.max(lag, values.length - WINDOW_CYCLES * nominal);
      const sigma = residualSpread(values, lag, from, drift);
      const notes = [
        ...(lag === 1 ? ['no season: repeats the last value'] : []),
        ...(lag !== nominal && nominal > 1 ? [`the last ${WINDOW_CYCLES} cycles repeat every ${lag} steps, not ${nominal}`] : []),
        ...(withDrift ? [`drift ${drift.toPrecision(3)} per cycle (mean of the last ${DRIFT_CYCLES}), held after ${holdAfter} cycles ahead`] : []),
      ];
      return new FittedRepeat(name, values, lag, drift, holdAfter, sigma, notes);
    },
  };
}

/** Seasonal naive at the local lag (see above). */
export const localNaive: Forecaster = localForecaster('lnaive', false);

/**
 * `dnaive`: lnaive plus the mean change per cycle of the last DRIFT_CYCLES
 * cycles, added once per cycle ahead and held after DRIFT_CYCLES cycles
 * (or as many as the history held).
 * Why: about a third of M4 Hourly's series are smooth daily profiles on a
 * slowly moving level (scale/sd < 0.05), whose in-sample seasonal-naive
 * error is tiny, so a level that creeps by a tenth a day is a MASE of 2–5
 * for any model that holds the last day.
 */
export const driftNaive: Forecaster = localForecaster('dnaive', true);
