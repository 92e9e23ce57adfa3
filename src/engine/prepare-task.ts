import type { TargetConfig } from '../config/schema.js';
import { toPrescientError, type SerializedError } from '../errors.js';
import { regularize } from '../series/regularize.js';
import { detectSeasonalPeriods } from '../series/seasonality.js';
import type { Series } from '../series/series.js';
import { loadHistory, type History } from '../sources/history.js';

/**
 * Turning a target's raw history into the series a model fits — reading and
 * parsing a file, sorting, gap filling, seasonality detection — costs tens
 * of milliseconds on long series: CPU work that would stall serving, so it
 * runs in a pool worker like the fit. A Prometheus source's samples are
 * fetched on the main thread (network I/O) and passed in.
 */
export interface PrepareTask {
  readonly target: TargetConfig;
  /** The history window ends here (ms since epoch). */
  readonly nowMs: number;
  readonly maxPoints: number;
  /** Samples already fetched (Prometheus), with their grid step; a file source is read in the worker. */
  readonly fetched?: History;
}

export type PrepareOutcome =
  | { readonly ok: true; readonly series: Series; readonly filledGaps: number; readonly seasonalPeriods: number[]; readonly droppedOutsideWindow: number }
  | { readonly ok: false; readonly error: SerializedError };

/**
 * Seasonal periods in steps: the target's own when given, otherwise detected
 * from the data. Periods that are not a whole number of steps are rounded;
 * periods under two steps are dropped.
 */
export function seasonalPeriodsFor(target: TargetConfig, values: readonly number[], stepSeconds: number): number[] {
  if (target.seasonalPeriodsSeconds) {
    return target.seasonalPeriodsSeconds
      .map((seconds) => Math.round(seconds / stepSeconds))
      .filter((steps) => steps >= 2)
      .sort((a, b) => a - b);
  }
  return detectSeasonalPeriods(values, stepSeconds);
}

/** Loads (file) or takes (fetched) the history, regularizes it, finds its seasons. Never throws: errors come back as data. */
export async function runPrepareTask(task: PrepareTask): Promise<PrepareOutcome> {
  try {
    const history = task.fetched ?? (await loadHistory(task.target, task.nowMs, undefined));
    const { series, filledGaps } = regularize(history.samples, { stepSeconds: history.stepSeconds, maxPoints: task.maxPoints });
    const seasonalPeriods = seasonalPeriodsFor(task.target, series.values, series.stepSeconds);
    return { ok: true, series, filledGaps, seasonalPeriods, droppedOutsideWindow: history.droppedOutsideWindow };
  } catch (err) {
    return { ok: false, error: toPrescientError(err).toJSON() };
  }
}
