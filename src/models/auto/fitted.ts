/**
 * What `auto` returns: the chosen model (or median ensemble) with its
 * calibrated intervals and a seasonal-naive backup for predict-time
 * failures, or, on a cold start, seasonal naive with widened intervals.
 */
import { toPrescientError, PrescientError } from '../../errors.js';
import { applyCalibration, type ConformalCalibration } from '../conformal.js';
import type { FitContext, FitInfo, Fitted, Forecast } from '../forecaster.js';
import { zForLevel } from '../intervals.js';
import { seasonalNaive } from '../seasonal-naive.js';
import { isFiniteForecast, medianForecast, pickLevels } from './ensemble.js';
import { standardDeviation, withLevels } from './options.js';

/** A fitted model (or median ensemble) with optional conformal intervals. */
export class FittedAuto implements Fitted {
  private current: { name: string; fitted: readonly Fitted[] };
  private fallbackFrom: string | undefined;
  private readonly extraNotes: string[] = [];

  constructor(
    private readonly chosen: { name: string; fitted: readonly Fitted[] },
    private readonly backup: Fitted | undefined,
    private readonly calibration: ConformalCalibration | undefined,
    private readonly baseInfo: Omit<FitInfo, 'model'>,
    private readonly widenOnly = false,
  ) {
    this.current = chosen;
    this.fallbackFrom = baseInfo.fallbackFrom;
  }

  get info(): FitInfo {
    // A choice that failed at predict time is not one to carry into the next fit.
    const { selection, ...base } = this.baseInfo;
    return {
      ...base,
      ...(selection !== undefined && this.current === this.chosen ? { selection } : {}),
      model: this.current.name,
      ...(this.fallbackFrom === undefined ? {} : { fallbackFrom: this.fallbackFrom }),
      notes: [...this.baseInfo.notes, ...this.extraNotes],
    };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const asked = this.calibration ? withLevels(levels, [this.calibration.referenceLevel]) : [...levels];
    try {
      return this.predictWith(this.current.fitted, horizon, levels, asked);
    } catch (err) {
      if (!this.backup || (this.current.fitted.length === 1 && this.current.fitted[0] === this.backup)) throw err;
      // The chosen model failed at predict time: serve the seasonal-naive backup, uncalibrated.
      this.fallbackFrom = this.current.name;
      this.extraNotes.push(`${this.current.name} failed at predict time (${toPrescientError(err).message}); serving snaive`);
      this.current = { name: 'snaive', fitted: [this.backup] };
      const forecast = this.backup.predict(horizon, levels);
      return forecast;
    }
  }

  private predictWith(fitted: readonly Fitted[], horizon: number, levels: readonly number[], asked: readonly number[]): Forecast {
    const forecasts = fitted.map((f) => f.predict(horizon, asked));
    const raw = forecasts.length === 1 ? (forecasts[0] as Forecast) : medianForecast(forecasts);
    if (!isFiniteForecast(raw, horizon)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `${this.current.name} returned a non-finite forecast`);
    }
    if (!this.calibration || this.current !== this.chosen) return pickLevels(raw, levels);
    const calibrated = applyCalibration(raw, this.calibration, levels);
    if (!this.widenOnly) return calibrated;
    const own = pickLevels(raw, levels);
    return {
      point: calibrated.point,
      intervals: calibrated.intervals.map((interval, k) => ({
        level: interval.level,
        lower: interval.lower.map((l, h) => Math.min(l, own.intervals[k]?.lower[h] as number)),
        upper: interval.upper.map((u, h) => Math.max(u, own.intervals[k]?.upper[h] as number)),
      })),
    };
  }

  dispose(): void {
    for (const f of this.chosen.fitted) f.dispose();
    this.backup?.dispose();
  }
}

/** Widens intervals to at least ±z·(standard deviation of the history): for cold starts. */
export class FittedWide implements Fitted {
  constructor(
    private readonly inner: Fitted,
    private readonly spread: number,
    readonly info: FitInfo,
  ) {}

  predict(horizon: number, levels: readonly number[]): Forecast {
    const forecast = this.inner.predict(horizon, levels);
    const intervals = forecast.intervals.map((interval) => {
      const z = zForLevel(interval.level);
      return {
        level: interval.level,
        lower: forecast.point.map((p, h) => Math.min(interval.lower[h] as number, p - z * this.spread)),
        upper: forecast.point.map((p, h) => Math.max(interval.upper[h] as number, p + z * this.spread)),
      };
    });
    return { point: forecast.point, intervals };
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/**
 * Seasonal naive at the first seasonal period the history holds (or the last
 * value), with intervals widened to the spread of the history: what `auto`
 * serves when it has nothing to backtest or nothing passed the backtest.
 */
export async function coldStart(
  values: readonly number[],
  ctx: FitContext,
  reason: string,
  earlier: readonly string[] = [],
  scores?: FitInfo['scores'],
): Promise<Fitted> {
  const period = ctx.seasonalPeriods.find((p) => values.length >= p + 1);
  const fitted = await seasonalNaive.fit(values, { ...ctx, seasonalPeriods: period === undefined ? [] : [period] });
  const spread = standardDeviation(values);
  const what = period === undefined ? 'the last value' : `seasonal naive at ${period} steps`;
  return new FittedWide(fitted, spread, {
    model: 'snaive',
    ...(scores === undefined ? {} : { scores }),
    notes: [...earlier, `${reason}: serving ${what} with intervals widened to the spread of the history`],
  });
}
