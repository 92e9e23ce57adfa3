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
import { PrescientError } from '../errors.js';
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
  /** Longest horizon the residuals cover, steps; later steps widen by √(horizons ahead). */
  readonly horizonSteps: number;
  /** Sorted signed scores per bucket (actual − point, normalised in 'scaled' mode). */
  readonly buckets: readonly (readonly number[])[];
  /** Residuals used in all. */
  readonly count: number;
  /** Long-run tail reference (see tailReference); absent: no widening for calmer-than-usual calibration windows. */
  readonly tail?: TailReference;
  /**
   * Calibration of the first `near.horizonSteps` steps, learnt elsewhere
   * (auto.ts: from the forecasts it served); later steps use this
   * calibration's own buckets.
   */
  readonly near?: ConformalCalibration;
  /**
   * The level each nominal level is calibrated at, found by leaving one
   * backtest origin out at a time (crossCheckedLevels); absent: each level
   * at itself.
   */
  readonly calibrateAt?: readonly { readonly level: number; readonly at: number }[];
}

/**
 * Lag-`lagSteps` differences of the series (the errors of a seasonal naive
 * forecast at that lag, which need no fitting) relative to the mean level
 * of the lag window before them, over the whole history and over the
 * recent window the backtest scored. They tell how much calmer or wilder
 * the calibration window was than the history as a whole, at each level.
 * Relative, so that growth or decline of the load (whose noise scales with
 * it) does not pass for a change in how wild the series is.
 */
export interface TailReference {
  readonly lagSteps: number;
  /** Sorted relative absolute differences over the whole history. */
  readonly longRun: readonly number[];
  /** Sorted relative absolute differences over the calibration window only. */
  readonly recent: readonly number[];
  /** Most a band may be widened by (default 3). */
  readonly maxFactor: number;
  /** The relative differences in time order (for the rolling replay). */
  readonly differences?: readonly number[];
  /** Steps each backtest origin forecast (one block of the rolling replay). */
  readonly blockSteps?: number;
  /**
   * 'ratio': long-run over recent quantile; 'rolling': the multiplier a
   * window as long as the calibration window needed, over the history, to
   * cover the next block at the level; 'max': the larger (default 'ratio').
   */
  readonly method?: 'ratio' | 'rolling' | 'max';
}

export interface CalibrateOptions {
  /** The model's interval level used as the unit (default 0.8); it must be in each sample's forecast. */
  readonly referenceLevel?: number;
  /** Fewest residuals per bucket (default 100). */
  readonly minPerBucket?: number;
  /** Most buckets (default 24). */
  readonly maxBuckets?: number;
  /** Long-run tail reference of the history (tailReference); bands widen by tailFactor at each level. */
  readonly tail?: TailReference;
  /** Check each level out of sample, one origin left out at a time, and raise it where it fell short (default false). */
  readonly crossCheck?: boolean;
  /**
   * How far the held-out coverage may fall short of a level before the
   * cross-check raises it, in binomial standard errors of a coverage
   * measured on that many residuals (default 0: any shortfall raises it).
   */
  readonly crossCheckSlack?: number;
  /**
   * Count the residuals as an AR(1) sample: the standard error of a coverage
   * is taken over n·(1 − ρ)/(1 + ρ) effective residuals, ρ the lag-1
   * autocorrelation of the scores within origins (default false: n).
   */
  readonly crossCheckEffectiveSize?: boolean;
}

/** Levels the cross-check adjusts; others interpolate between them. */
const CROSS_CHECK_LEVELS = [0.5, 0.8, 0.9, 0.95, 0.99];
/** Most origins the cross-check leaves out in turn (each costs a re-sort of the others' scores). */
const CROSS_CHECK_MAX_ORIGINS = 14;

function sortedQuantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Builds the long-run tail reference of a history whose last `recentSteps`
 * values are the ones a backtest scored. Returns undefined when the history
 * has too few differences to compare (fewer than twice the recent window).
 * Values are loads (≥ 0 in practice); levels are taken as absolute values.
 * @param lagSteps the seasonal lag of the reference differences (one day in steps, usually), ≥ 1
 * @param recentSteps values at the end of the history covered by the calibration residuals, ≥ 1
 */
export function tailReference(
  history: readonly number[],
  lagSteps: number,
  recentSteps: number,
  maxFactor = 3,
  rolling?: { readonly blockSteps: number; readonly method: 'ratio' | 'rolling' | 'max' },
): TailReference | undefined {
  if (recentSteps < 1 || history.length - lagSteps < 2 * recentSteps) return undefined;
  const differences: number[] = [];
  // Running mean of |value| over the lag window before each step.
  let windowSum = 0;
  for (let i = 0; i < lagSteps; i++) windowSum += Math.abs(history[i] as number);
  for (let i = lagSteps; i < history.length; i++) {
    const level = windowSum / lagSteps;
    const difference = Math.abs((history[i] as number) - (history[i - lagSteps] as number));
    // A window at zero level has no relative scale: its differences count as calm (0) or, if any, as wild.
    differences.push(level > 0 ? difference / level : difference > 0 ? Number.MAX_VALUE : 0);
    windowSum += Math.abs(history[i] as number) - Math.abs(history[i - lagSteps] as number);
  }
  const recent = differences.slice(differences.length - recentSteps).sort((a, b) => a - b);
  const ordered = rolling ? { differences: [...differences], blockSteps: rolling.blockSteps, method: rolling.method } : {};
  return { lagSteps, longRun: differences.sort((a, b) => a - b), recent, maxFactor, ...ordered };
}

/**
 * How much a band calibrated on the recent window should widen at `level`:
 * the long-run quantile of the reference differences over their recent
 * quantile, at least 1 (a wilder recent window keeps its own, wider, band)
 * and at most `maxFactor`. Split conformal assumes the next day is
 * exchangeable with the calibration days; on capacity data a few quiet
 * days are followed by incidents and level shifts that the whole history
 * shows but the last days do not, and this restores that part of the tail.
 */
export function tailFactor(tail: TailReference, level: number): number {
  const method = tail.method ?? 'ratio';
  if (method === 'ratio') return ratioFactor(tail, level);
  const rolling = rollingFactor(tail, level);
  return method === 'rolling' ? rolling : Math.max(rolling, ratioFactor(tail, level));
}

/**
 * Replays the calibration on the history's own differences: a window of
 * the recent window's length before each block gives that block's band
 * (its quantile at `level`); the factor is the quantile at `level` of each
 * difference over its band, so that the band times the factor would have
 * covered `level` of the blocks. Near 1 where the series is exchangeable
 * day to day; above it where quiet days are followed by incidents.
 */
function rollingFactor(tail: TailReference, level: number): number {
  const d = tail.differences;
  const block = tail.blockSteps;
  const window = tail.recent.length;
  if (!d || !block || d.length < window + block) return ratioFactor(tail, level);
  const ratios: number[] = [];
  for (let start = d.length - block; start >= window; start -= block) {
    const band = sortedQuantile(
      d.slice(start - window, start).sort((a, b) => a - b),
      level,
    );
    for (let t = start; t < start + block; t++) {
      const x = d[t] as number;
      ratios.push(band > 1e-12 ? x / band : x > 1e-12 ? tail.maxFactor : 1);
    }
  }
  ratios.sort((a, b) => a - b);
  return Math.min(tail.maxFactor, Math.max(1, sortedQuantile(ratios, level)));
}

function ratioFactor(tail: TailReference, level: number): number {
  const recent = sortedQuantile(tail.recent, level);
  const longRun = sortedQuantile(tail.longRun, level);
  const tiny = 1e-12;
  if (!(longRun > tiny)) return 1;
  if (!(recent > tiny)) return tail.maxFactor;
  return Math.min(tail.maxFactor, Math.max(1, longRun / recent));
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
  const wantedBuckets = Math.max(1, Math.min(options.maxBuckets ?? 24, horizon, Math.floor(count / (options.minPerBucket ?? 100))));
  const bucketSteps = Math.ceil(horizon / wantedBuckets);

  // Scaled mode only when every scored step has a usable own interval.
  const scaled = scored.every((s) => {
    const interval = findInterval(s.forecast, referenceLevel);
    return interval !== undefined && s.actual.every((_, h) => halfWidths(s.forecast, interval, h) !== undefined);
  });
  const bucketCount = Math.ceil(horizon / bucketSteps);
  // One row of scores per origin (index = horizon step), kept apart for the cross-check.
  const perOrigin = scored.map((s) => {
    const interval = findInterval(s.forecast, referenceLevel);
    return s.actual.map((a, h) => {
      const residual = a - (s.forecast.point[h] as number);
      if (!(scaled && interval)) return residual;
      const w = halfWidths(s.forecast, interval, h) as { up: number; down: number };
      return residual >= 0 ? residual / w.up : residual / w.down;
    });
  });
  const buckets = bucketScores(perOrigin, bucketSteps, bucketCount);
  const calibrateAt =
    options.crossCheck && perOrigin.length >= 2 && perOrigin.length <= CROSS_CHECK_MAX_ORIGINS
      ? crossCheckedLevels(
          perOrigin,
          bucketSteps,
          bucketCount,
          (level) => (options.tail ? tailFactor(options.tail, level) : 1),
          options.crossCheckSlack ?? 0,
          options.crossCheckEffectiveSize === true,
        )
      : undefined;
  return {
    mode: scaled ? 'scaled' : 'absolute',
    referenceLevel,
    bucketSteps,
    horizonSteps: horizon,
    buckets,
    count,
    ...(options.tail === undefined ? {} : { tail: options.tail }),
    ...(calibrateAt === undefined ? {} : { calibrateAt }),
  };
}

/** Sorted scores per horizon bucket, from the given origins' rows. */
function bucketScores(rows: readonly (readonly number[])[], bucketSteps: number, bucketCount: number): number[][] {
  const buckets: number[][] = Array.from({ length: bucketCount }, () => []);
  for (const row of rows) row.forEach((score, h) => (buckets[Math.floor(h / bucketSteps)] as number[]).push(score));
  for (const b of buckets) b.sort((x, y) => x - y);
  return buckets;
}

/**
 * Split conformal treats every scored step as exchangeable, but the steps
 * of one backtest origin share that day's surprises: with three origins,
 * a 95 % quantile of ~100 residuals per bucket is one calm or wild day's,
 * and the bands fell 3–4 points short on days after (issue 16). So each
 * level is checked the way it will be used, out of sample: calibrate on
 * all origins but one, score the one left out, in turn. Where that
 * coverage falls short of the level by more than sampling noise explains
 * (`slack` binomial standard errors of a coverage over that many
 * residuals), the level is raised by tenths of its miss rate until it does
 * not (at most nine tenths). The bands checked
 * are the served ones, tail widening included, so a level the widening
 * already fixed is not raised again. Nothing is fitted again: only the
 * residuals are regrouped.
 */
function crossCheckedLevels(
  rows: readonly (readonly number[])[],
  bucketSteps: number,
  bucketCount: number,
  widening: (level: number) => number,
  slack: number,
  effectiveSize: boolean,
): { level: number; at: number }[] {
  const others = rows.map((_, i) => bucketScores(rows.filter((_, j) => j !== i), bucketSteps, bucketCount));
  const heldOutCoverage = (at: number, factor: number): number => {
    let inside = 0;
    let total = 0;
    rows.forEach((row, i) => {
      const buckets = others[i] as number[][];
      row.forEach((score, h) => {
        const bucket = buckets[Math.floor(h / bucketSteps)] as number[];
        if (bucket.length === 0) return;
        total++;
        const low = factor * Math.min(0, conformalQuantile(bucket, (1 - at) / 2, 'lower'));
        const high = factor * Math.max(0, conformalQuantile(bucket, (1 + at) / 2, 'upper'));
        if (score >= low && score <= high) inside++;
      });
    });
    return total === 0 ? 1 : inside / total;
  };
  const residuals = rows.reduce((sum, row) => sum + row.length, 0);
  const rho = effectiveSize ? Math.min(0.99, Math.max(0, lagOneAutocorrelation(rows))) : 0;
  const count = (residuals * (1 - rho)) / (1 + rho);
  return CROSS_CHECK_LEVELS.map((level) => {
    const factor = widening(level);
    const noise = slack * Math.sqrt((level * (1 - level)) / Math.max(1, count));
    for (let tenth = 0; tenth < 9; tenth++) {
      const at = level + ((1 - level) * tenth) / 10;
      if (heldOutCoverage(at, factor) >= level - noise) return { level, at };
    }
    return { level, at: level + (1 - level) * 0.9 };
  });
}

/**
 * Lag-1 autocorrelation of the scores, pooled over the rows (each row's own mean taken out; pairs within a row only);
 * 0 when every row is constant. Exported for its tests: the cross-check's effective size depends on it.
 */
export function lagOneAutocorrelation(rows: readonly (readonly number[])[]): number {
  let products = 0;
  let squares = 0;
  for (const row of rows) {
    const mean = row.reduce((s, x) => s + x, 0) / Math.max(1, row.length);
    row.forEach((x, h) => {
      squares += (x - mean) * (x - mean);
      if (h > 0) products += (x - mean) * ((row[h - 1] as number) - mean);
    });
  }
  return squares > 0 ? products / squares : 0;
}

/**
 * The level a nominal level is calibrated at: the cross-checked one, linear
 * between the checked levels (and toward 0 and 1 beyond them).
 */
function levelToCalibrate(calibration: ConformalCalibration, level: number): number {
  const points = calibration.calibrateAt;
  if (!points || points.length === 0) return level;
  const knots = [{ level: 0, at: 0 }, ...points, { level: 1, at: 1 }];
  for (let k = 1; k < knots.length; k++) {
    const a = knots[k - 1] as { level: number; at: number };
    const b = knots[k] as { level: number; at: number };
    if (level <= b.level) return b.level === a.level ? b.at : a.at + ((level - a.level) / (b.level - a.level)) * (b.at - a.at);
  }
  return level;
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
 * steps where its width is not positive use the median width; steps beyond
 * the calibrated horizon use the last bucket (in 'absolute' mode widened by
 * √(horizons ahead); in 'scaled' mode the model's own width grows). The
 * first `near.horizonSteps` steps use the near part when there is one.
 * Bounds are clamped so that lower ≤ point ≤ upper.
 * @throws PrescientError PRESCIENT_ERR_MODEL_OUTPUT_INVALID when a scaled calibration meets a forecast without its
 *   reference level (the scores are in units of that width: without it every band would have zero width)
 */
export function applyCalibration(forecast: Forecast, calibration: ConformalCalibration, levels: readonly number[]): Forecast {
  const reference = findInterval(forecast, calibration.referenceLevel);
  if (!reference && (calibration.mode === 'scaled' || calibration.near?.mode === 'scaled')) {
    throw new PrescientError(
      'PRESCIENT_ERR_MODEL_OUTPUT_INVALID',
      `the forecast has no interval at level ${calibration.referenceLevel}, the width its calibration is scaled by`,
    );
  }
  // No usable own width at a step: fall back to the median width of the forecast.
  const fallbackWidth = reference ? medianHalfWidth(forecast, reference) : 0;
  const near = calibration.near;
  const intervals = levels.map((level) => {
    const bounds = (part: ConformalCalibration) => {
      const factor = part.tail ? tailFactor(part.tail, level) : 1;
      const at = levelToCalibrate(part, level);
      const lastBucket = part.buckets.length - 1;
      return (point: number, h: number): { lower: number; upper: number } => {
        const bucket = part.buckets[Math.min(lastBucket, Math.floor(h / part.bucketSteps))] as number[];
        // Past the calibrated horizon errors keep growing: scaled scores grow with the model's own width; raw
        // residuals, as for seasonal naive, with the square root of the horizons ahead.
        const growth = part.mode === 'absolute' ? Math.sqrt(Math.floor(h / part.horizonSteps) + 1) : 1;
        const qHigh = growth * factor * Math.max(0, conformalQuantile(bucket, (1 + at) / 2, 'upper'));
        const qLow = growth * factor * Math.min(0, conformalQuantile(bucket, (1 - at) / 2, 'lower'));
        let up = 1;
        let down = 1;
        if (part.mode === 'scaled') {
          const w = reference ? halfWidths(forecast, reference, h) : undefined;
          up = w?.up ?? fallbackWidth;
          down = w?.down ?? fallbackWidth;
        }
        return { lower: point + qLow * down, upper: point + qHigh * up };
      };
    };
    const far = bounds(calibration);
    const first = near ? bounds(near) : far;
    const lower: number[] = [];
    const upper: number[] = [];
    forecast.point.forEach((point, h) => {
      const b = near && h < near.horizonSteps ? first(point, h) : far(point, h);
      lower.push(b.lower);
      upper.push(b.upper);
    });
    return { level, lower, upper };
  });
  // Per-level widening factors could cross bands; a wider level always contains a narrower one.
  for (const wide of intervals) {
    for (const narrow of intervals) {
      if (narrow.level >= wide.level) continue;
      wide.upper.forEach((u, h) => (wide.upper[h] = Math.max(u, narrow.upper[h] as number)));
      wide.lower.forEach((l, h) => (wide.lower[h] = Math.min(l, narrow.lower[h] as number)));
    }
  }
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
