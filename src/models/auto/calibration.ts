/**
 * `auto`'s interval calibration: split conformal from the chosen
 * candidate's backtest residuals (conformal.ts), and the first hour's from
 * the forecasts served since, scored against the actuals that came.
 */
import {
  calibrate,
  empiricalCoverage,
  tailFactor,
  tailReference,
  type CalibrationSample,
  type ConformalCalibration,
  type TailReference,
} from '../conformal.js';
import type { FitContext, Fitted, Forecast, ServedStart } from '../forecaster.js';
import { medianForecast } from './ensemble.js';
import { BACKTEST_LEVELS, CROSS_CHECK_SLACK, MIN_SERVED_RESIDUALS, REFERENCE_LEVEL, SECONDS_PER_DAY, type AutoOptions } from './options.js';

/** The day-ahead calibration with the first hour's from the served forecasts, when there is one. */
export function withNear(calibration: ConformalCalibration | undefined, near: ConformalCalibration | undefined): ConformalCalibration | undefined {
  return calibration && near ? { ...calibration, near } : calibration;
}

/** The first `steps` steps of a candidate's own forecast (before calibration), at the reference level. */
export function servedStart(fitted: readonly Fitted[], steps: number, startMs: number): ServedStart {
  const forecasts = fitted.map((f) => f.predict(steps, [REFERENCE_LEVEL]));
  return { startMs, forecast: forecasts.length === 1 ? (forecasts[0] as Forecast) : medianForecast(forecasts) };
}

/** The served starts whose actuals are (partly) in `values`, paired with them. */
function observedSamples(served: readonly ServedStart[], values: readonly number[], ctx: FitContext): CalibrationSample[] {
  const stepMs = ctx.stepSeconds * 1000;
  return served.flatMap((s) => {
    const first = Math.round((s.startMs - ctx.startMs) / stepMs);
    if (first < 0) return [];
    const actual = values.slice(first, Math.min(values.length, first + s.forecast.point.length));
    return actual.length === 0 ? [] : [{ actual, forecast: s.forecast }];
  });
}


function servedWindowSeconds(options: AutoOptions): number {
  return (options.nearHorizon === false ? undefined : options.nearHorizon?.servedWindowSeconds) ?? SECONDS_PER_DAY;
}

export function nearStepsFor(options: AutoOptions, ctx: FitContext): number {
  return options.nearHorizon === false ? 0 : (options.nearHorizon?.steps ?? Math.max(3, Math.ceil(3600 / ctx.stepSeconds)));
}

/**
 * Widening of the first-hour bands: the history's hour-scale differences
 * against the last day's (a calm day before an incident under-covers).
 */
function nearTail(options: AutoOptions, values: readonly number[], ctx: FitContext): TailReference | undefined {
  if (options.tailWidening === false) return undefined;
  const window = Math.max(1, Math.round(servedWindowSeconds(options) / ctx.stepSeconds));
  return tailReference(values, nearStepsFor(options, ctx), window, 3, { blockSteps: window, method: options.tailMethod ?? 'max' });
}

/**
 * Online calibration of the first hour: the forecasts served over the
 * last day (ModelSelection.served) scored against the actuals that came,
 * once there are enough of them. The day-ahead backtest's origins all
 * start at the same time of day, so its first bucket holds the errors of
 * the same few hours of three days, whatever the time of day the service
 * refits: an incident in those hours set the near-term band all day
 * (replay benchmark: asg_misconfiguration's 95 % bound one step ahead was
 * 3.5× the model's own), and a burst pattern that had stopped kept it
 * wide for days (ec2_network_in_257a54). The served forecasts' errors are
 * those of the model as served, at every time of day, with the last load
 * known, and leave the window a day later. No refits. Returns the served
 * starts still in the window, and the calibration when there are enough
 * scored steps.
 */
export function servedNear(
  options: AutoOptions,
  served: readonly ServedStart[] | undefined,
  values: readonly number[],
  ctx: FitContext,
  endMs: number,
  notes: string[],
): { kept: ServedStart[]; near?: ConformalCalibration } {
  if (options.nearHorizon === false || !served) return { kept: [] };
  const windowSeconds = servedWindowSeconds(options);
  const kept = served.filter((s) => s.startMs >= endMs - windowSeconds * 1000 && s.startMs < endMs);
  const samples = observedSamples(kept, values, ctx);
  const count = samples.reduce((sum, s) => sum + s.actual.length, 0);
  if (count < MIN_SERVED_RESIDUALS) return { kept };
  const tail = nearTail(options, values, ctx);
  const near = calibrate(samples, { referenceLevel: REFERENCE_LEVEL, ...(tail === undefined ? {} : { tail }) });
  if (!near) return { kept };
  notes.push(
    `first ${near.horizonSteps} steps calibrated on ${count} scored steps of the ${samples.length} forecasts served over the last ${(windowSeconds / 3600).toFixed(0)} h (${near.mode})`,
  );
  return { kept, near };
}

export function decideCalibration(
  samples: { actual: readonly number[]; forecast: Forecast }[],
  opts: AutoOptions,
  notes: string[],
  tail: ReturnType<typeof tailReference>,
): ConformalCalibration | undefined {
  const mode = opts.calibration ?? 'always';
  if (mode === 'never') return undefined;
  const tolerance = opts.coverageTolerance ?? 0.03;
  const own = BACKTEST_LEVELS.map((level) => ({ level, covered: empiricalCoverage(samples, level) }));
  const off = own.filter((o) => !(Math.abs(o.covered - o.level) <= tolerance));
  const under = own.filter((o) => !(o.covered >= o.level - tolerance));
  if (mode === 'when-off' && off.length === 0) return undefined;
  if (mode === 'widen-only' && under.length === 0) return undefined;
  const calibration = calibrate(samples, {
    referenceLevel: REFERENCE_LEVEL,
    crossCheck: opts.crossCheck ?? true,
    crossCheckSlack: opts.crossCheckSlack ?? CROSS_CHECK_SLACK,
    crossCheckEffectiveSize: opts.crossCheckEffectiveSize ?? true,
    ...(opts.minPerBucket === undefined ? {} : { minPerBucket: opts.minPerBucket }),
    ...(tail === undefined ? {} : { tail }),
  });
  if (calibration) {
    const owned = own.map((o) => `${Math.round(o.level * 100)} % covered ${(o.covered * 100).toFixed(1)} %`).join(', ');
    notes.push(
      `intervals calibrated by split conformal (${calibration.mode}, ${calibration.count} backtest residuals); model's own: ${owned}`,
    );
    if (tail) {
      const widened = BACKTEST_LEVELS.map((level) => `${Math.round(level * 100)} % ×${tailFactor(tail, level).toFixed(2)}`).join(', ');
      notes.push(`conformal bands widened where the history shows a heavier tail than the backtest days: ${widened}`);
    }
  }
  return calibration;
}
