import type { ScoredColumns } from './served-record.js';

/** Live accuracy over one window of scored steps. Every number is finite or absent. */
export interface WindowAccuracy {
  /** `1h`, `1d`, `1w`, or `since-refit` (the watchdog's view). */
  readonly window: string;
  /** First and last scored step in the window (ms); absent when none. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Steps scored in the window. */
  readonly count: number;
  /** Mean absolute error over the MASE scale (in-sample seasonal-naive MAE). */
  readonly mase?: number;
  /** Mean of (forecast − actual), in the series' unit: positive means the forecast ran high. */
  readonly bias?: number;
  /** bias / mean(|actual|): dimensionless, what thresholds and /metrics use. */
  readonly relativeBias?: number;
  /** Share of actuals inside each level's interval, ascending by level. */
  readonly coverage: readonly { readonly level: number; readonly coverage: number; readonly count: number }[];
}

/** The windows live accuracy is reported over. */
export const LIVE_WINDOWS = [
  { name: '1h', seconds: 3_600 },
  { name: '1d', seconds: 86_400 },
  { name: '1w', seconds: 7 * 86_400 },
] as const;

const finite = (x: number): number | undefined => (Number.isFinite(x) ? x : undefined);

/**
 * Accuracy of the scored steps with `fromMs < atMs ≤ toMs` whose forecast was
 * made at or after `madeFromMs` (the watchdog counts only forecasts made
 * after a refit). O(steps in the record).
 */
export function windowAccuracy(
  columns: Readonly<ScoredColumns>,
  levels: readonly number[],
  maseScale: number,
  window: { name: string; fromMs: number; toMs: number; madeFromMs?: number },
): WindowAccuracy {
  let count = 0;
  let absError = 0;
  let error = 0;
  let absActual = 0;
  let first: number | undefined;
  let last: number | undefined;
  const inside = levels.map(() => 0);
  const judged = levels.map(() => 0);
  const madeFromMs = window.madeFromMs ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < columns.atMs.length; i++) {
    const t = columns.atMs[i] as number;
    if (t <= window.fromMs || t > window.toMs || (columns.madeAtMs[i] as number) < madeFromMs) continue;
    const actual = columns.actual[i] as number;
    const point = columns.point[i] as number;
    count++;
    first ??= t;
    last = t;
    absError += Math.abs(point - actual);
    error += point - actual;
    absActual += Math.abs(actual);
    for (let l = 0; l < levels.length; l++) {
      const lower = (columns.lower[l] as number[])[i] as number;
      const upper = (columns.upper[l] as number[])[i] as number;
      judged[l] = (judged[l] as number) + 1;
      if (actual >= lower && actual <= upper) inside[l] = (inside[l] as number) + 1;
    }
  }
  const coverage = levels.flatMap((level, l) =>
    (judged[l] as number) > 0 ? [{ level, coverage: (inside[l] as number) / (judged[l] as number), count: judged[l] as number }] : [],
  );
  if (count === 0) return { window: window.name, count, coverage };
  const mase = maseScale > 0 ? finite(absError / count / maseScale) : undefined;
  const bias = finite(error / count);
  const relativeBias = absActual > 0 ? finite(error / absActual) : undefined;
  return {
    window: window.name,
    ...(first === undefined ? {} : { fromMs: first }),
    ...(last === undefined ? {} : { toMs: last }),
    count,
    ...(mase === undefined ? {} : { mase }),
    ...(bias === undefined ? {} : { bias }),
    ...(relativeBias === undefined ? {} : { relativeBias }),
    coverage,
  };
}

/** Live accuracy over the last hour, day and week before `nowMs`. */
export function liveAccuracy(columns: Readonly<ScoredColumns>, levels: readonly number[], maseScale: number, nowMs: number): WindowAccuracy[] {
  return LIVE_WINDOWS.map(({ name, seconds }) => windowAccuracy(columns, levels, maseScale, { name, fromMs: nowMs - seconds * 1000, toMs: nowMs }));
}
