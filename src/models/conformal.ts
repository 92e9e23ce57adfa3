/**
 * Split-conformal interval calibration from rolling-origin backtest
 * residuals. A model's own intervals are often too narrow (or too wide) on
 * capacity data; conformal calibration makes the served 80 % / 95 % bands
 * cover about 80 % / 95 % of what came in the backtest, whatever the model.
 *
 * Residuals are normalised by the model's own interval half-width at a
 * reference level (locally weighted conformal), so the calibrated bands keep
 * the model's shape (widening with the horizon, asymmetry) and only their
 * scale is learnt; where the model gives no usable width, raw residuals are
 * used. Residuals are pooled per horizon bucket (a few hours each), since
 * errors grow with the horizon but a few origins give too few residuals per
 * single step.
 */
import type { Forecast, Interval } from './forecaster.js';

export interface CalibrationSample {
  /** Actuals over the scored horizon (may be shorter than the forecast). */
  readonly actual: readonly number[];
  readonly forecast: Forecast;
}

export interface ConformalCalibration {
  /** 'scaled': residuals in units of the model's own half-width; 'absolute': raw residuals. */
  readonly mode: 'scaled' | 'absolute';
  /** Level of the model's own interval used as the unit in 'scaled' mode. */
  readonly referenceLevel: number;
  /** Horizon steps per bucket. */
  readonly bucketSteps: number;
  /** Sorted signed scores per bucket (actual − point, normalised in 'scaled' mode). */
  readonly buckets: readonly (readonly number[])[];
  /** Residuals used in all. */
  readonly count: number;
}

export interface CalibrateOptions {
  /** The model's interval level used as the unit (default 0.8); it must be in each sample's forecast. */
  readonly referenceLevel?: number;
  /** Fewest residuals per bucket (default 100). */
  readonly minPerBucket?: number;
  /** Most buckets (default 24). */
  readonly maxBuckets?: number;
}

function findInterval(forecast: Forecast, level: number): Interval | undefined {
  return forecast.intervals.find((i) => Math.abs(i.level - level) < 1e-9);
}

/** Half-widths above and below the point at step h, or undefined when either is not positive. */
function halfWidths(forecast: Forecast, interval: Interval, h: number): { up: number; down: number } | undefined {
  const point = forecast.point[h] as number;
  const up = (interval.upper[h] as number) - point;
  const down = point - (interval.lower[h] as number);
  const tiny = 1e-9 * Math.max(1, Math.abs(point));
  return up > tiny && down > tiny ? { up, down } : undefined;
}

/**
 * Builds a calibration from backtest samples (one per origin). Returns
 * undefined when there is nothing to learn from (no scored steps).
 */
export function calibrate(samples: readonly CalibrationSample[], options: CalibrateOptions = {}): ConformalCalibration | undefined {
  const referenceLevel = options.referenceLevel ?? 0.8;
  const scored = samples.filter((s) => s.actual.length > 0);
  const count = scored.reduce((sum, s) => sum + s.actual.length, 0);
  if (count === 0) return undefined;
  const horizon = Math.max(...scored.map((s) => s.actual.length));
  const bucketCount = Math.max(1, Math.min(options.maxBuckets ?? 24, horizon, Math.floor(count / (options.minPerBucket ?? 100))));
  const bucketSteps = Math.ceil(horizon / bucketCount);

  // Scaled mode only when every scored step has a usable own interval.
  const scaled = scored.every((s) => {
    const interval = findInterval(s.forecast, referenceLevel);
    return interval !== undefined && s.actual.every((_, h) => halfWidths(s.forecast, interval, h) !== undefined);
  });
  const buckets: number[][] = Array.from({ length: Math.ceil(horizon / bucketSteps) }, () => []);
  for (const s of scored) {
    const interval = findInterval(s.forecast, referenceLevel);
    s.actual.forEach((a, h) => {
      const residual = a - (s.forecast.point[h] as number);
      let score = residual;
      if (scaled && interval) {
        const w = halfWidths(s.forecast, interval, h) as { up: number; down: number };
        score = residual >= 0 ? residual / w.up : residual / w.down;
      }
      (buckets[Math.floor(h / bucketSteps)] as number[]).push(score);
    });
  }
  for (const b of buckets) b.sort((x, y) => x - y);
  return { mode: scaled ? 'scaled' : 'absolute', referenceLevel, bucketSteps, buckets, count };
}

/**
 * Conformal quantile with the finite-sample correction: the ⌈(n+1)p⌉-th
 * smallest score for an upper bound, the ⌊(n+1)p⌋-th for a lower one,
 * clamped to the sample's range.
 */
function conformalQuantile(sorted: readonly number[], p: number, side: 'upper' | 'lower'): number {
  const n = sorted.length;
  const rank = side === 'upper' ? Math.ceil((n + 1) * p) : Math.floor((n + 1) * p);
  const index = Math.min(n, Math.max(1, rank)) - 1;
  return sorted[index] as number;
}

/**
 * Replaces a forecast's intervals by calibrated ones at `levels`. In
 * 'scaled' mode the forecast must carry the calibration's reference level;
 * steps where its width is not positive, and steps beyond the calibrated
 * horizon, use the nearest usable bucket and raw-score fallback. Bounds are
 * clamped so that lower ≤ point ≤ upper.
 */
export function applyCalibration(forecast: Forecast, calibration: ConformalCalibration, levels: readonly number[]): Forecast {
  const reference = findInterval(forecast, calibration.referenceLevel);
  const lastBucket = calibration.buckets.length - 1;
  const intervals = levels.map((level) => {
    const lower: number[] = [];
    const upper: number[] = [];
    forecast.point.forEach((point, h) => {
      const bucket = calibration.buckets[Math.min(lastBucket, Math.floor(h / calibration.bucketSteps))] as number[];
      const qHigh = Math.max(0, conformalQuantile(bucket, (1 + level) / 2, 'upper'));
      const qLow = Math.min(0, conformalQuantile(bucket, (1 - level) / 2, 'lower'));
      let up = 1;
      let down = 1;
      if (calibration.mode === 'scaled') {
        const w = reference ? halfWidths(forecast, reference, h) : undefined;
        // No usable own width here: fall back to the median width of the forecast.
        const fallback = reference ? medianHalfWidth(forecast, reference) : 0;
        up = w?.up ?? fallback;
        down = w?.down ?? fallback;
      }
      upper.push(point + qHigh * up);
      lower.push(point + qLow * down);
    });
    return { level, lower, upper };
  });
  return { point: [...forecast.point], intervals };
}

function medianHalfWidth(forecast: Forecast, interval: Interval): number {
  const widths = forecast.point.map((_, h) => ((interval.upper[h] as number) - (interval.lower[h] as number)) / 2).sort((a, b) => a - b);
  return Math.max(0, widths[Math.floor(widths.length / 2)] ?? 0);
}

/**
 * Share of actuals inside each level's interval over the samples, a
 * fraction per level (NaN when a level is missing from the forecasts).
 */
export function empiricalCoverage(samples: readonly CalibrationSample[], level: number): number {
  let inside = 0;
  let total = 0;
  for (const s of samples) {
    const interval = findInterval(s.forecast, level);
    if (!interval) return Number.NaN;
    s.actual.forEach((a, h) => {
      total++;
      if (a >= (interval.lower[h] as number) && a <= (interval.upper[h] as number)) inside++;
    });
  }
  return total === 0 ? Number.NaN : inside / total;
}
