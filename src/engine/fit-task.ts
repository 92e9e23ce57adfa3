import type { Frontier } from '../backtest/frontier.js';
import { selectionFrontier, type FrontierTask } from '../backtest/selection-frontier.js';
import { toPrescientError, type SerializedError } from '../errors.js';
import type { FitContext, FitInfo, Forecast } from '../models/forecaster.js';
import { getForecaster } from '../models/registry.js';
import { reviewForecast, type AdjustmentKind, type ForecastBounds } from '../models/validate.js';

/** One fit-and-forecast job: plain data, so it can cross into a worker thread. */
export interface FitTask {
  readonly model: string;
  /** A request's series crosses as a Float64Array in shared memory (a handle, not a clone per number). */
  readonly values: readonly number[] | Float64Array;
  readonly ctx: FitContext;
  /** Steps to forecast. */
  readonly horizon: number;
  /** Interval levels, fractions in (0, 1). */
  readonly levels: readonly number[];
  /** A target with a risk budget: replay its frontier when the fit made a fresh selection. */
  readonly frontier?: FrontierTask;
  /** The target's bounds (models/validate.ts ForecastBounds; default: ≥ 0 for a history that is never negative). */
  readonly bounds?: ForecastBounds;
}

export type FitOutcome =
  | {
      readonly ok: true;
      readonly forecast: Forecast;
      /** Without `backtest`: the worker used it for the frontier, it need not cross back. */
      readonly info: FitInfo;
      readonly fitMs: number;
      readonly frontier?: Frontier;
      /** Time the frontier's simulations took, ms (part of fitMs). */
      readonly frontierMs?: number;
      /** What the review changed (clipped bands, bounds), for the caller's /metrics; notes are in info. */
      readonly adjustments: readonly AdjustmentKind[];
    }
  | { readonly ok: false; readonly error: SerializedError };

/**
 * Fits the task's model and forecasts. Never throws: errors come back as
 * data because a thrown error loses its code when structured-cloned out of a
 * worker thread.
 */
export async function runFitTask(task: FitTask): Promise<FitOutcome> {
  const started = performance.now();
  const values = Array.isArray(task.values) ? task.values : Array.from(task.values);
  let fitted;
  try {
    fitted = await getForecaster(task.model).fit(values, task.ctx);
    const forecast = fitted.predict(task.horizon, task.levels);
    // Every model's output is reviewed before anyone is served it: a refused one falls down the ladder,
    // a band wider than the history supports or outside the target's bounds is clipped, with a note.
    const reviewed = reviewForecast(forecast, values, task.bounds);
    const { backtest, ...fittedInfo } = fitted.info;
    const info = reviewed.notes.length === 0 ? fittedInfo : { ...fittedInfo, notes: [...fittedInfo.notes, ...reviewed.notes] };
    const frontier = task.frontier && backtest ? selectionFrontier(task.frontier, values, backtest, info.model) : undefined;
    return {
      ok: true,
      forecast: reviewed.forecast,
      info,
      fitMs: performance.now() - started,
      adjustments: reviewed.adjustments,
      ...(frontier ? { frontier, frontierMs: frontier.computeMs } : {}),
    };
  } catch (err) {
    return { ok: false, error: toPrescientError(err).toJSON() };
  } finally {
    fitted?.dispose();
  }
}
