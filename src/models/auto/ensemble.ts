/**
 * Median of members' forecasts (selections persisted before auto served
 * combinations name median ensembles), and the fit of a candidate's
 * members on the full history (one member for a single model).
 */
import { PrescientError } from '../../errors.js';
import type { FitContext, Fitted, Forecast, Forecaster, Interval } from '../forecaster.js';

export function pickLevels(forecast: Forecast, levels: readonly number[]): Forecast {
  const intervals = levels.map((level) => {
    const interval = forecast.intervals.find((i) => Math.abs(i.level - level) < 1e-9);
    if (!interval) throw new PrescientError('PRESCIENT_ERR_INTERNAL', `interval at level ${level} missing`);
    return interval;
  });
  return { point: forecast.point, intervals };
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** Median, step by step, of the members' points and interval bounds. */
export function medianForecast(forecasts: readonly Forecast[]): Forecast {
  const first = forecasts[0];
  if (!first) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'median of no forecasts');
  const point = first.point.map((_, h) => median(forecasts.map((f) => f.point[h] as number)));
  const intervals: Interval[] = first.intervals.map((interval, k) => ({
    level: interval.level,
    lower: point.map((_, h) => median(forecasts.map((f) => f.intervals[k]?.lower[h] as number))),
    upper: point.map((_, h) => median(forecasts.map((f) => f.intervals[k]?.upper[h] as number))),
  }));
  return { point, intervals };
}

export function isFiniteForecast(forecast: Forecast, horizon: number): boolean {
  const ok = (xs: readonly number[]): boolean => xs.length === horizon && xs.every(Number.isFinite);
  return ok(forecast.point) && forecast.intervals.every((i) => ok(i.lower) && ok(i.upper));
}

/**
 * Fits every member of a candidate on the full history and checks a trial
 * forecast is finite. Throws (having disposed what it fitted) on failure.
 */
export async function fitMembers(
  name: string,
  members: readonly Forecaster[],
  values: readonly number[],
  ctx: FitContext,
  horizonSteps: number,
  levels: readonly number[],
): Promise<Fitted[]> {
  const fitted: Fitted[] = [];
  try {
    for (const member of members) fitted.push(await member.fit(values, ctx));
    const trial = fitted.map((f) => f.predict(horizonSteps, levels));
    const raw = trial.length === 1 ? (trial[0] as Forecast) : medianForecast(trial);
    if (!isFiniteForecast(raw, horizonSteps)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `${name} returned a non-finite forecast`);
    }
    return fitted;
  } catch (err) {
    for (const f of fitted) f.dispose();
    throw err;
  }
}
