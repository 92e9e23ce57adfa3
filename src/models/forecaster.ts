/**
 * The one model interface (see STYLE.md): a Forecaster fits a series and
 * returns a Fitted model; only a Fitted model can predict, so predicting
 * before fitting is a type error. Every model returns the same Forecast.
 */

import type { ConformalCalibration } from './conformal.js';

/** What a fit needs besides the values. All periods are in steps of the series. */
export interface FitContext {
  /** Step of the series in seconds (300 for 5-minute data). */
  readonly stepSeconds: number;
  /** Time of the first value, ms since epoch (calendar features need it). */
  readonly startMs: number;
  /** Seasonal periods in steps, shortest first (e.g. [288, 2016] at 5 minutes). May be empty. */
  readonly seasonalPeriods: readonly number[];
  /** Wall-clock deadline for the fit, ms since epoch; models that iterate stop early. */
  readonly deadlineMs: number;
  /** Seed for models with randomness, so the same data gives the same model. */
  readonly seed: number;
  /** Steps the caller will predict; models that select or train for a horizon use it. */
  readonly horizonSteps?: number;
  /** The quantile the caller scales on (0.5–1); model selection scores pinball loss at it. */
  readonly scalingQuantile?: number;
  /**
   * The selection an earlier fit of the same series made (FitInfo.selection),
   * for a model that selects (`auto`) to reuse instead of selecting again.
   */
  readonly selection?: ModelSelection;
  /**
   * How old a carried selection may be before a selecting model chooses
   * again, overriding its own default (seconds). The engine gives each target
   * its own age so a day's re-selections spread instead of falling together.
   */
  readonly reselectAfterSeconds?: number;
  /**
   * Interval levels a risk-budget frontier will read (src/backtest/frontier.ts):
   * a selecting model that runs its backtest returns the chosen candidate's
   * backtest forecasts at these levels too (FitInfo.backtest).
   */
  readonly frontierLevels?: readonly number[];
}

/**
 * What a selecting model (`auto`) chose, as plain data so it can cross
 * threads: the next fit of the same series may refit the same candidate on
 * fresher data with the same calibration, skipping the backtest.
 */
export interface ModelSelection {
  /** The chosen candidate as served, e.g. `sarima`, `combination:sarima+mstl@1d+smean` or `shrunk:sarima|sarima+mstl+smean`. */
  readonly model: string;
  /** Names of the candidate models it is made of (one, or the ensemble's members). */
  readonly members: readonly string[];
  readonly stepSeconds: number;
  /** Seasonal periods the candidates were fitted with. */
  readonly seasonalPeriods: readonly number[];
  /** Time just after the last value of the history it was chosen on, ms since epoch. */
  readonly selectedAtMs: number;
  /** Interval calibration learnt from the selection's backtest, when any. */
  readonly calibration?: ConformalCalibration;
  /**
   * The first steps of the forecasts served since (the chosen model's own,
   * before calibration), newest last: once their actuals are in the history,
   * a later fit calibrates its first hour on them.
   */
  readonly served?: readonly ServedStart[];
  readonly scores?: FitInfo['scores'];
  /** What the selection found (shown again with each reuse). */
  readonly notes: readonly string[];
}

/** The first steps of one served forecast, starting at `startMs` (ms since epoch). */
export interface ServedStart {
  readonly startMs: number;
  readonly forecast: Forecast;
}

/** A prediction interval at one level (a fraction, e.g. 0.8 for the 10 %–90 % band). */
export interface Interval {
  readonly level: number;
  readonly lower: number[];
  readonly upper: number[];
}

export interface Forecast {
  /** Point forecasts (the median or mean, as the model defines), one per step. */
  readonly point: number[];
  /** One interval per requested level, in the order requested. */
  readonly intervals: Interval[];
}

/** What a fit decided, for people and for /metrics: shown in the target's state. */
export interface FitInfo {
  /** The model that actually produced forecasts (for `auto`, the one it chose). */
  readonly model: string;
  /** Set when a preferred model failed and this one stood in. */
  readonly fallbackFrom?: string;
  /** The selection this fit made or reused, for the next fit of the same series (FitContext.selection). */
  readonly selection?: ModelSelection;
  /** Backtest scores per candidate model (metric name → value), when selection ran. */
  readonly scores?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Plain-language notes: cold start, dropped seasons, widened intervals… */
  readonly notes: readonly string[];
  /**
   * The chosen candidate's forecasts at the selection's backtest origins
   * (index i: fitted on values[0..i)), calibrated as served, at the
   * FitContext.frontierLevels; only when a selection ran and they were asked for.
   */
  readonly backtest?: { readonly originIndices: readonly number[]; readonly forecasts: readonly Forecast[] };
}

export interface Fitted {
  readonly info: FitInfo;
  /**
   * Predicts `horizon` steps after the last fitted value.
   * @param horizon steps, ≥ 1
   * @param levels interval levels, fractions in (0, 1)
   */
  predict(horizon: number, levels: readonly number[]): Forecast;
  /** Releases native or WASM memory. Idempotent. */
  dispose(): void;
}

export interface Forecaster {
  /** The name users give in configuration and requests. */
  readonly name: string;
  /** Fewest values this model can fit, given the context's periods. */
  minLength(ctx: FitContext): number;
  /**
   * Fits the model.
   * @throws PrescientError PRESCIENT_ERR_SERIES_TOO_SHORT when values.length < minLength(ctx),
   *   PRESCIENT_ERR_FIT_FAILED when the fit itself fails.
   */
  fit(values: readonly number[], ctx: FitContext): Promise<Fitted>;
}
