import type { TargetConfig } from '../config/schema.js';
import { toPrescientError, type SerializedError } from '../errors.js';
import { regularize } from '../series/regularize.js';
import { detectSeasonalPeriods } from '../series/seasonality.js';
import type { Series } from '../series/series.js';
import { loadHistory, type History } from '../sources/history.js';

/**
 * Turning a raw history into the series a model fits — reading and parsing
 * a file, sorting, gap filling, seasonality detection — costs tens of
 * milliseconds on long series: CPU work that would stall serving, so it
 * runs in a pool worker like the fit, for a target's refresh and for a
 * series sent in a request body alike. A Prometheus source's samples are
 * fetched on the main thread (network I/O) and passed in.
 */
export interface PrepareTask {
  /** The target's name, or what the series is (`ad-hoc`): for errors and logs. */
  readonly name: string;
  /** Seasonal periods in seconds; detected from the data when absent. */
  readonly seasonalPeriodsSeconds?: readonly number[] | undefined;
  readonly maxPoints: number;
  /** Samples already fetched (Prometheus, a request body), with their grid step; or a target whose file source the worker reads, for a window ending at `nowMs` (ms since epoch). */
  readonly history: { readonly fetched: History } | { readonly readFile: TargetConfig; readonly nowMs: number };
}

export type PrepareOutcome =
  | { readonly ok: true; readonly series: Series; readonly filledGaps: number; readonly seasonalPeriods: number[]; readonly droppedOutsideWindow: number }
  | { readonly ok: false; readonly error: SerializedError };

/**
 * Seasonal periods in steps: the ones given (seconds) when given, otherwise
 * detected from the data. Periods that are not a whole number of steps are
 * rounded; periods under two steps are dropped.
 */
export function seasonalPeriodsFor(seasonalPeriodsSeconds: readonly number[] | undefined, values: readonly number[], stepSeconds: number): number[] {
  if (seasonalPeriodsSeconds) {
    return seasonalPeriodsSeconds
      .map((seconds) => Math.round(seconds / stepSeconds))
      .filter((steps) => steps >= 2)
      .sort((a, b) => a - b);
  }
  return detectSeasonalPeriods(values, stepSeconds);
}

/** Loads (file) or takes (fetched) the history, regularizes it, finds its seasons. Never throws: errors come back as data. */
export async function runPrepareTask(task: PrepareTask): Promise<PrepareOutcome> {
  try {
    const history = 'fetched' in task.history ? task.history.fetched : await loadHistory(task.history.readFile, task.history.nowMs, undefined);
    const { series, filledGaps } = regularize(history.samples, { stepSeconds: history.stepSeconds, maxPoints: task.maxPoints });
    const seasonalPeriods = seasonalPeriodsFor(task.seasonalPeriodsSeconds, series.values, series.stepSeconds);
    return { ok: true, series, filledGaps, seasonalPeriods, droppedOutsideWindow: history.droppedOutsideWindow };
  } catch (err) {
    return { ok: false, error: toPrescientError(err).toJSON() };
  }
}
