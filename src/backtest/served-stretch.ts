/**
 * The forecasts a target served, as a frontier can replay them (issue 13):
 * the served record's scored columns (src/feedback/served-record.ts: each
 * step's bounds from the forecast served at the policy's lead time for it)
 * over the last days, on the series' step grid, read by the policy as one
 * forecast. Knobs judged on these are judged on the kind of forecast they
 * are applied to (15-minute refits, short horizons), not on the selection
 * backtest's day-ahead forecasts, whose high quantiles are wider.
 *
 * Plain data: it crosses into the worker with the fit task.
 */
import type { ScoredColumns, ServedRecord } from '../feedback/served-record.js';
import type { ForecastLike } from '../scaling/policy.js';

/** Scored steps over [startMs, startMs + point.length × step), NaN where a step was not scored. */
export interface ServedStretch {
  /** Time of the first step, ms since epoch. */
  readonly startMs: number;
  readonly stepSeconds: number;
  /** Ascending fractions, as the record's. */
  readonly levels: readonly number[];
  readonly point: readonly number[];
  /** Per level. */
  readonly lower: readonly (readonly number[])[];
  readonly upper: readonly (readonly number[])[];
}

/** The stretch a frontier judges on: as long as the selection backtest's (3 days of one-day origins). */
export const SERVED_STRETCH_SECONDS = 3 * 86_400;
/** Share of the stretch's steps that must have been scored (refresh failures and incident windows leave gaps). */
export const MIN_SCORED_SHARE = 0.9;

const sameLevel = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

/**
 * The last `spanSeconds` of scored steps, ending at the newest, when the
 * record holds every level of `needLevels` and scored at least
 * MIN_SCORED_SHARE of the steps there; otherwise undefined
 * (the caller judges on the selection backtest, as before a target served).
 */
export function servedStretch(
  columns: Readonly<ScoredColumns>,
  record: { readonly stepSeconds: number; readonly levels: readonly number[] },
  needLevels: readonly number[],
  spanSeconds = SERVED_STRETCH_SECONDS,
): ServedStretch | undefined {
  const n = columns.atMs.length;
  if (n === 0) return undefined;
  const levelIndex = needLevels.map((level) => record.levels.findIndex((l) => sameLevel(l, level)));
  if (levelIndex.some((i) => i < 0)) return undefined;
  const stepMs = record.stepSeconds * 1000;
  const steps = Math.round((spanSeconds * 1000) / stepMs);
  const newestMs = columns.atMs[n - 1] as number;
  const startMs = newestMs - (steps - 1) * stepMs;
  const point = new Array<number>(steps).fill(Number.NaN);
  const lower = levelIndex.map(() => new Array<number>(steps).fill(Number.NaN));
  const upper = levelIndex.map(() => new Array<number>(steps).fill(Number.NaN));
  let scored = 0;
  for (let j = n - 1; j >= 0; j--) {
    const k = Math.round(((columns.atMs[j] as number) - startMs) / stepMs);
    if (k < 0) break;
    if (k >= steps) continue;
    point[k] = columns.point[j] as number;
    levelIndex.forEach((i, l) => {
      (lower[l] as number[])[k] = (columns.lower[i] as number[])[j] as number;
      (upper[l] as number[])[k] = (columns.upper[i] as number[])[j] as number;
    });
    scored++;
  }
  if (scored < MIN_SCORED_SHARE * steps) return undefined;
  return { startMs, stepSeconds: record.stepSeconds, levels: [...needLevels], point, lower, upper };
}

/** The stretch as one forecast (a policy reads each step's bounds as those of the forecast served for it). */
export function stretchAsForecast(stretch: ServedStretch, model: string): ForecastLike {
  return {
    model,
    startMs: stretch.startMs,
    stepSeconds: stretch.stepSeconds,
    point: stretch.point,
    intervals: stretch.levels.map((level, l) => ({ level, lower: stretch.lower[l] as number[], upper: stretch.upper[l] as number[] })),
    lastObserved: { atMs: stretch.startMs - stretch.stepSeconds * 1000, value: Number.NaN },
  };
}

/**
 * What a target's selection judges its knobs on, from its served record:
 * the stretch when the record scored at the policy's lead time (a record
 * kept for another lead says nothing about this one) and holds enough of it.
 */
export function servedStretchOf(record: ServedRecord | undefined, leadTimeSeconds: number, needLevels: readonly number[]): ServedStretch | undefined {
  if (!record || record.options.leadTimeSeconds !== leadTimeSeconds) return undefined;
  return servedStretch(record.columns(), record.options, needLevels);
}
