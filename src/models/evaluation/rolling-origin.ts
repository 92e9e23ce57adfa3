/**
 * Rolling-origin evaluation (DESIGN.md §5): for each origin, fit on the
 * history before it (capped), forecast the horizon, score against what came.
 * The one implementation shared by `auto` (model selection), the backtest CLI
 * and REST, and the accuracy benchmark. Fits run in-process: the caller
 * decides whether that is a worker thread or the CLI's own.
 *
 * It sits below both its users: it knows models only by their interface
 * (src/models/forecaster.ts), never the registry (which lists `auto`, which
 * evaluates), so callers resolve model names themselves.
 */
import { PrescientError, toPrescientError, type SerializedError } from '../../errors.js';
import type { FitInfo, Forecast, Forecaster, ModelSelection } from '../forecaster.js';
import type { Series } from '../../series/series.js';
import { timeAt } from '../../series/series.js';
import { coverage, mase, maseScale, pinballLoss, quantileFromForecast, levelForQuantile, smape } from './metrics.js';

const SECONDS_PER_DAY = 86_400;

export interface EvaluateOptions {
  readonly series: Series;
  /** Models to evaluate, in this order (callers resolve registry names: models/registry.ts getForecaster). */
  readonly models: readonly Forecaster[];
  /**
   * Either how many origins (the last one leaves exactly `horizonSteps` of
   * actuals at the end of the series, earlier ones `spacingSteps` apart), or
   * explicit origin indices: index i means the model sees values[0..i) and
   * forecasts values[i..i+horizonSteps). An explicit origin near the end is
   * scored on the actuals that exist.
   */
  readonly origins: number | readonly number[];
  /** Steps between origins when `origins` is a count (default: horizonSteps). */
  readonly spacingSteps?: number;
  /** Steps forecast at each origin, ≥ 1. */
  readonly horizonSteps: number;
  /** At most this many steps of history before each origin are fitted (default: all). */
  readonly historyCapSteps?: number;
  /** Interval levels as fractions (default [0.8, 0.95]); the scaling quantile's level is added. */
  readonly levels?: readonly number[];
  /** Seasonal periods in steps passed to every model (shortest first). */
  readonly seasonalPeriods: readonly number[];
  /**
   * Period of the MASE scale in steps (default: one day in steps when the step
   * divides a day, else the first seasonal period, else 1).
   */
  readonly seasonalPeriodForScale?: number;
  /** Quantile scored by pinball loss (default 0.9). */
  readonly scalingQuantile?: number;
  /**
   * Wall-clock limit, ms since epoch. Fits not started by then are recorded
   * as PRESCIENT_ERR_FIT_TIMEOUT; it is also each fit's own deadline.
   */
  readonly deadlineMs?: number;
  /** Per-fit time limit in ms, passed to each model as its deadline (default: none beyond `deadlineMs`). */
  readonly fitTimeLimitMs?: number;
  /** Seed for models with randomness (default 1). */
  readonly seed?: number;
  /**
   * Give each fit the selection the model's previous fit made
   * (FitInfo.selection → FitContext.selection), as the service does from one
   * refresh to the next: for a replay whose origins are refresh times
   * (default false: every origin selects afresh, as a scored backtest should).
   */
  readonly carrySelection?: boolean;
  /** Called after each fit (done counts fits, success or not) — for progress bars. */
  readonly onProgress?: (progress: {
    readonly done: number;
    readonly total: number;
    readonly model: string;
    readonly originIndex: number;
  }) => void;
}

/** Scores of one forecast (or an aggregate over origins). */
export interface PointMetrics {
  readonly mase: number;
  /** Percent, 0–200. */
  readonly smape: number;
  /** Share of actuals inside each interval, by level as written by String(level) ("0.8"). */
  readonly coverage: Readonly<Record<string, number>>;
  /** Pinball loss at the scaling quantile, in series units. */
  readonly pinball: number;
  /** Pinball loss divided by the MASE scale: comparable across series. */
  readonly scaledPinball: number;
}

export interface OriginResult {
  /** Index of the first forecast step in the series. */
  readonly originIndex: number;
  /** Time of the first forecast step, ms since epoch. */
  readonly originMs: number;
  /** First history index fitted (after the history cap). */
  readonly historyStartIndex: number;
  /** Actual values over the scored part of the horizon. */
  readonly actual: readonly number[];
  /** The forecast over the whole horizon; absent when the fit or predict failed. */
  readonly forecast?: Forecast;
  readonly info?: FitInfo;
  readonly fitTimeMs: number;
  readonly predictTimeMs: number;
  /** MASE scale of this origin's history (for re-scoring, e.g. ensembles). */
  readonly scale: number;
  readonly metrics?: PointMetrics;
  readonly error?: SerializedError;
}

export interface AggregateMetrics extends PointMetrics {
  /** Mean fit time over the origins that were fitted, ms. */
  readonly fitTimeMs: number;
  /** Origins scored (failures excluded). */
  readonly originsScored: number;
  /** Origins where the model failed or was not run. */
  readonly failures: number;
}

export interface ModelEvaluation {
  readonly model: string;
  readonly origins: readonly OriginResult[];
  /** Means over the scored origins (coverage pooled over all scored steps); NaN when none scored. */
  readonly aggregate: AggregateMetrics;
}

export interface EvaluationResult {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly horizonSteps: number;
  readonly levels: readonly number[];
  readonly scalingQuantile: number;
  readonly seasonalPeriods: readonly number[];
  readonly seasonalPeriodForScale: number;
  readonly originIndices: readonly number[];
  readonly models: readonly ModelEvaluation[];
  /** True when the deadline stopped some fits from running. */
  readonly deadlineHit: boolean;
}

/** The MASE period default: one day in steps when the step divides a day. */
export function defaultScalePeriod(stepSeconds: number, seasonalPeriods: readonly number[]): number {
  if (SECONDS_PER_DAY % stepSeconds === 0 && SECONDS_PER_DAY / stepSeconds >= 2) return SECONDS_PER_DAY / stepSeconds;
  return seasonalPeriods[0] ?? 1;
}

/**
 * Origin indices for `count` origins `spacingSteps` apart, the last leaving
 * exactly `horizonSteps` actuals at the end; origins before index 2 are dropped.
 */
export function originIndicesFor(length: number, count: number, horizonSteps: number, spacingSteps: number): number[] {
  const indices: number[] = [];
  for (let k = count - 1; k >= 0; k--) {
    const index = length - horizonSteps - k * spacingSteps;
    if (index >= 2) indices.push(index);
  }
  return indices;
}

function validate(options: EvaluateOptions, length: number): void {
  const problems: string[] = [];
  if (!Number.isInteger(options.horizonSteps) || options.horizonSteps < 1)
    problems.push(`horizonSteps must be a positive integer, got ${options.horizonSteps}`);
  if (options.spacingSteps !== undefined && (!Number.isInteger(options.spacingSteps) || options.spacingSteps < 1))
    problems.push('spacingSteps must be a positive integer');
  if (options.historyCapSteps !== undefined && (!Number.isInteger(options.historyCapSteps) || options.historyCapSteps < 2))
    problems.push('historyCapSteps must be an integer ≥ 2');
  if (options.models.length === 0) problems.push('no models to evaluate');
  if (typeof options.origins === 'number') {
    if (!Number.isInteger(options.origins) || options.origins < 1) problems.push('origins must be a positive integer count');
  } else {
    for (const index of options.origins) {
      if (!Number.isInteger(index) || index < 2 || index >= length) problems.push(`origin index ${index} outside [2, ${length - 1}]`);
    }
  }
  for (const level of options.levels ?? []) if (!(level > 0 && level < 1)) problems.push(`level ${level} outside (0, 1)`);
  const q = options.scalingQuantile;
  if (q !== undefined && !(q > 0.5 && q < 1)) problems.push(`scalingQuantile ${q} outside (0.5, 1)`);
  if (problems.length > 0) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `invalid evaluation: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ path: 'evaluate', message })),
    });
  }
}

function assertFinite(forecast: Forecast, horizon: number, model: string): void {
  const ok = (xs: readonly number[]): boolean => xs.length === horizon && xs.every((x) => Number.isFinite(x));
  if (!ok(forecast.point) || !forecast.intervals.every((i) => ok(i.lower) && ok(i.upper))) {
    throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `${model} returned a non-finite or wrongly sized forecast`);
  }
}

/**
 * Scores one forecast against actuals (the first `actual.length` steps).
 * @param scale MASE scale of the history before the origin
 * @throws PrescientError PRESCIENT_ERR_LEVEL_UNAVAILABLE when the forecast lacks the scaling quantile's interval
 */
export function scoreForecast(actual: readonly number[], forecast: Forecast, scale: number, scalingQuantile: number): PointMetrics {
  const n = actual.length;
  const point = forecast.point.slice(0, n);
  const coverageByLevel: Record<string, number> = {};
  for (const interval of forecast.intervals) {
    coverageByLevel[String(interval.level)] = coverage(actual, interval.lower.slice(0, n), interval.upper.slice(0, n));
  }
  const pinball = pinballLoss(actual, quantileFromForecast(forecast, scalingQuantile).slice(0, n), scalingQuantile);
  return {
    mase: mase(actual, point, scale),
    smape: smape(actual, point),
    coverage: coverageByLevel,
    pinball,
    scaledPinball: scale > 0 ? pinball / scale : pinball === 0 ? 0 : Number.POSITIVE_INFINITY,
  };
}

/**
 * Aggregates origin results: MASE, sMAPE and pinball are means over scored
 * origins; coverage is pooled over every scored step (so origins with a
 * truncated horizon weigh by their length).
 */
export function aggregateOrigins(origins: readonly OriginResult[]): AggregateMetrics {
  const scored = origins.filter((o) => o.metrics !== undefined);
  const fitted = origins.filter((o) => o.error === undefined);
  const mean = (f: (m: PointMetrics) => number): number =>
    scored.length === 0 ? Number.NaN : scored.reduce((s, o) => s + f(o.metrics as PointMetrics), 0) / scored.length;
  const coverageByLevel: Record<string, number> = {};
  const totalSteps = scored.reduce((s, o) => s + o.actual.length, 0);
  for (const key of Object.keys(scored[0]?.metrics?.coverage ?? {})) {
    let inside = 0;
    for (const o of scored) inside += ((o.metrics as PointMetrics).coverage[key] ?? 0) * o.actual.length;
    coverageByLevel[key] = inside / totalSteps;
  }
  return {
    mase: mean((m) => m.mase),
    smape: mean((m) => m.smape),
    coverage: coverageByLevel,
    pinball: mean((m) => m.pinball),
    scaledPinball: mean((m) => m.scaledPinball),
    fitTimeMs: fitted.length === 0 ? Number.NaN : fitted.reduce((s, o) => s + o.fitTimeMs, 0) / fitted.length,
    originsScored: scored.length,
    failures: origins.length - scored.length,
  };
}

/**
 * Runs a rolling-origin evaluation of each model over the series. Each fit
 * sees only values before its origin (at most `historyCapSteps` of them):
 * nothing after the origin reaches the model. A model that fails at an origin
 * (too short, fit error, invalid output, deadline) has that origin recorded
 * with its error and left out of the aggregate; it does not stop the run.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION for bad options (or no origin fits the series)
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationResult> {
  const { series, horizonSteps } = options;
  const values = series.values;
  validate(options, values.length);
  const levels = [...(options.levels ?? [0.8, 0.95])];
  const scalingQuantile = options.scalingQuantile ?? 0.9;
  const quantileLevel = levelForQuantile(scalingQuantile);
  if (!levels.some((l) => Math.abs(l - quantileLevel) < 1e-9)) levels.push(quantileLevel);
  levels.sort((a, b) => a - b);
  const originIndices =
    typeof options.origins === 'number'
      ? originIndicesFor(values.length, options.origins, horizonSteps, options.spacingSteps ?? horizonSteps)
      : [...options.origins].sort((a, b) => a - b);
  if (originIndices.length === 0) {
    throw new PrescientError(
      'PRESCIENT_ERR_VALIDATION',
      `the series (${values.length} steps) is too short for any origin with a horizon of ${horizonSteps}`,
    );
  }
  const scalePeriod = options.seasonalPeriodForScale ?? defaultScalePeriod(series.stepSeconds, options.seasonalPeriods);
  const forecasters = options.models;
  const deadlineMs = options.deadlineMs ?? Number.POSITIVE_INFINITY;
  const total = forecasters.length * originIndices.length;
  let done = 0;
  let deadlineHit = false;

  const models: ModelEvaluation[] = [];
  for (const forecaster of forecasters) {
    const origins: OriginResult[] = [];
    let selection: ModelSelection | undefined;
    for (const originIndex of originIndices) {
      const historyStartIndex = options.historyCapSteps === undefined ? 0 : Math.max(0, originIndex - options.historyCapSteps);
      // The only slice of the series a model is given: strictly before the origin.
      const history = values.slice(historyStartIndex, originIndex);
      const actual = values.slice(originIndex, Math.min(values.length, originIndex + horizonSteps));
      const scale = maseScale(history, scalePeriod);
      const base = { originIndex, originMs: timeAt(series, originIndex), historyStartIndex, actual, scale };
      let fitTimeMs = 0;
      let predictTimeMs = 0;
      try {
        if (Date.now() >= deadlineMs) {
          deadlineHit = true;
          throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'evaluation deadline passed before this fit started');
        }
        const ctx = {
          stepSeconds: series.stepSeconds,
          startMs: timeAt(series, historyStartIndex),
          seasonalPeriods: options.seasonalPeriods,
          deadlineMs: Math.min(deadlineMs, Date.now() + (options.fitTimeLimitMs ?? 3_600_000)),
          seed: options.seed ?? 1,
          ...(options.carrySelection && selection ? { selection } : {}),
        };
        const fitStart = performance.now();
        const fitted = await forecaster.fit(history, ctx);
        selection = fitted.info.selection;
        fitTimeMs = performance.now() - fitStart;
        try {
          const predictStart = performance.now();
          const forecast = fitted.predict(horizonSteps, levels);
          predictTimeMs = performance.now() - predictStart;
          assertFinite(forecast, horizonSteps, forecaster.name);
          const metrics = scoreForecast(actual, forecast, scale, scalingQuantile);
          origins.push({ ...base, forecast, info: fitted.info, fitTimeMs, predictTimeMs, metrics });
        } finally {
          fitted.dispose();
        }
      } catch (err) {
        origins.push({ ...base, fitTimeMs, predictTimeMs, error: toPrescientError(err).toJSON() });
      }
      done++;
      options.onProgress?.({ done, total, model: forecaster.name, originIndex });
    }
    models.push({ model: forecaster.name, origins, aggregate: aggregateOrigins(origins) });
  }
  return {
    startMs: series.startMs,
    stepSeconds: series.stepSeconds,
    horizonSteps,
    levels,
    scalingQuantile,
    seasonalPeriods: [...options.seasonalPeriods],
    seasonalPeriodForScale: scalePeriod,
    originIndices,
    models,
    deadlineHit,
  };
}
