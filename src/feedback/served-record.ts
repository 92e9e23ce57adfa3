import type { Series } from '../series/series.js';

/**
 * The one record of the forecasts a target served, kept compactly and scored
 * as the actuals arrive (DESIGN.md §7). Two parts:
 *
 * - `served`: the first `keepSteps` steps of every served forecast (point and
 *   each level's bounds), for `keepServedSeconds` (a day by default). Enough
 *   to score each actual against the forecast a policy would have scaled on,
 *   and for calibration from served forecasts (auto's first hour).
 * - `scored`: one row per scored step for `keepScoredSeconds` (a week): the
 *   actual, and the point and bounds of the forecast that was served at the
 *   policy's lead time for that step. Live accuracy is computed from these.
 *
 * Plain numbers only (it is persisted as JSON with the forecast).
 */

/** The part of a served forecast the record keeps. Times ms since epoch, steps in seconds. */
export interface ServedForecastLike {
  /** When it was made. */
  readonly generatedAtMs: number;
  /** Time of point[0]. */
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly point: readonly number[];
  /** Ascending by level; levels are fractions (0.8). */
  readonly intervals: readonly { readonly level: number; readonly lower: readonly number[]; readonly upper: readonly number[] }[];
  /** The last actual the forecast knew: a step is scored only against forecasts made at least the lead time before it. */
  readonly lastObserved: { readonly atMs: number };
}

/** One served forecast's first steps. */
export interface ServedSlice {
  readonly generatedAtMs: number;
  readonly startMs: number;
  /** Time of the last actual it knew (ms). */
  readonly knewUntilMs: number;
  readonly point: number[];
  /** Per level (same order as the record's levels). */
  readonly lower: number[][];
  readonly upper: number[][];
}

/** Scored steps, column by column (parallel arrays, oldest first). */
export interface ScoredColumns {
  readonly atMs: number[];
  readonly actual: number[];
  readonly point: number[];
  /** When the forecast scored at that step was made (ms): lets the watchdog judge only forecasts made after a refit. */
  readonly madeAtMs: number[];
  readonly lower: number[][];
  readonly upper: number[][];
}

export interface ServedRecordOptions {
  readonly stepSeconds: number;
  /** Interval levels kept, ascending fractions. */
  readonly levels: readonly number[];
  /** The lead time the policy scales on (seconds); 0 scores one step ahead. */
  readonly leadTimeSeconds: number;
  /** Steps of each served forecast kept (at least the lead plus one refresh interval). */
  readonly keepSteps: number;
  readonly keepServedSeconds: number;
  readonly keepScoredSeconds: number;
}

/** The persisted form (`toJSON` / `ServedRecord.fromJSON`). */
export interface ServedRecordSnapshot {
  readonly stepSeconds: number;
  readonly levels: number[];
  readonly leadTimeSeconds: number;
  readonly keepSteps: number;
  /** Last step scored (ms); later steps are scored by the next `observe`. */
  readonly scoredUntilMs: number;
  /** Scale of the MASE: in-sample MAE of the seasonal naive on the last history seen. */
  readonly maseScale: number;
  readonly served: ServedSlice[];
  readonly scored: ScoredColumns;
}

const emptyColumns = (levels: number): ScoredColumns => ({
  atMs: [],
  actual: [],
  point: [],
  madeAtMs: [],
  lower: Array.from({ length: levels }, () => []),
  upper: Array.from({ length: levels }, () => []),
});

/** Numbers one kept slice of a served forecast holds (point, both bounds per level, three times). */
const sliceNumbers = (options: Pick<ServedRecordOptions, 'levels' | 'keepSteps'>): number => (1 + 2 * options.levels.length) * options.keepSteps + 3;
/** Numbers one scored step holds (time, actual, point, made-at, both bounds per level). */
const scoredStepNumbers = (options: Pick<ServedRecordOptions, 'levels'>): number => 4 + 2 * options.levels.length;

/**
 * Numbers a full record holds at most: a forecast served every
 * `refreshIntervalSeconds` kept for `keepServedSeconds`, and every step of
 * `keepScoredSeconds` scored. What the memory limit counts (src/engine/capacity.ts).
 */
export function fullRecordNumbers(options: ServedRecordOptions, refreshIntervalSeconds: number): number {
  const slices = Math.ceil(options.keepServedSeconds / refreshIntervalSeconds) + 1;
  const steps = Math.ceil(options.keepScoredSeconds / options.stepSeconds);
  return slices * sliceNumbers(options) + steps * scoredStepNumbers(options);
}

/** Levels equal to 6 decimals are the same level (2q − 1 is not exact in floating point). */
const sameLevel = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

export class ServedRecord {
  private served: ServedSlice[] = [];
  private scored: ScoredColumns;
  private scoredUntilMs = Number.NEGATIVE_INFINITY;
  private maseScale = Number.NaN;

  constructor(readonly options: ServedRecordOptions) {
    this.scored = emptyColumns(options.levels.length);
  }

  /** Whether a snapshot was made with the same step, levels and lead (else it is dropped, never misread). */
  static compatible(snapshot: ServedRecordSnapshot, options: ServedRecordOptions): boolean {
    return (
      snapshot.stepSeconds === options.stepSeconds &&
      snapshot.leadTimeSeconds === options.leadTimeSeconds &&
      snapshot.levels.length === options.levels.length &&
      snapshot.levels.every((l, i) => sameLevel(l, options.levels[i] as number))
    );
  }

  static fromJSON(snapshot: ServedRecordSnapshot, options: ServedRecordOptions): ServedRecord {
    const record = new ServedRecord(options);
    if (!ServedRecord.compatible(snapshot, options)) return record;
    record.served = snapshot.served.map((s) => ({ ...s, point: s.point.slice(0, options.keepSteps) }));
    record.scored = snapshot.scored;
    record.scoredUntilMs = snapshot.scoredUntilMs;
    record.maseScale = snapshot.maseScale;
    return record;
  }

  toJSON(): ServedRecordSnapshot {
    return {
      stepSeconds: this.options.stepSeconds,
      levels: [...this.options.levels],
      leadTimeSeconds: this.options.leadTimeSeconds,
      keepSteps: this.options.keepSteps,
      scoredUntilMs: Number.isFinite(this.scoredUntilMs) ? this.scoredUntilMs : 0,
      maseScale: Number.isFinite(this.maseScale) ? this.maseScale : 0,
      served: this.served,
      scored: this.scored,
    };
  }

  /**
   * Keeps the first steps of a forecast being served. A forecast on another
   * step, or lacking one of the record's levels, or with a non-finite value in
   * them, is not kept (the record holds finite numbers only: it is persisted as JSON).
   */
  record(forecast: ServedForecastLike): void {
    if (forecast.stepSeconds !== this.options.stepSeconds) return;
    const steps = Math.min(this.options.keepSteps, forecast.point.length);
    const intervals = this.options.levels.map((level) => forecast.intervals.find((i) => sameLevel(i.level, level)));
    if (intervals.some((i) => i === undefined)) return;
    const bound = (side: 'lower' | 'upper') => intervals.map((interval) => (interval as ServedForecastLike['intervals'][number])[side].slice(0, steps));
    const point = forecast.point.slice(0, steps);
    const lower = bound('lower');
    const upper = bound('upper');
    if (![point, ...lower, ...upper].every((xs) => xs.every(Number.isFinite))) return;
    this.served.push({
      generatedAtMs: forecast.generatedAtMs,
      startMs: forecast.startMs,
      knewUntilMs: forecast.lastObserved.atMs,
      point,
      lower,
      upper,
    });
    const fromMs = forecast.generatedAtMs - this.options.keepServedSeconds * 1000;
    while (this.served.length > 1 && (this.served[0] as ServedSlice).generatedAtMs < fromMs) this.served.shift();
  }

  /**
   * Scores every step of `actuals` after the last one scored against the
   * newest served forecast that knew nothing later than lead time before it.
   * `excluded(tMs)` drops steps that are not normal load (incident windows):
   * they are neither scored nor retried. Also takes the MASE scale from
   * `actuals` (seasonal naive at `scalePeriodSteps`). Returns the number of
   * steps scored.
   */
  observe(actuals: Series, scalePeriodSteps: number, excluded: (tMs: number) => boolean = () => false): number {
    if (actuals.stepSeconds !== this.options.stepSeconds || actuals.values.length === 0) return 0;
    const scale = naiveScale(actuals.values, scalePeriodSteps);
    if (scale !== undefined) this.maseScale = scale;
    const stepMs = this.options.stepSeconds * 1000;
    // At least one step ahead: a forecast that knew the step itself is no forecast of it.
    const leadMs = Math.max(this.options.leadTimeSeconds * 1000, stepMs);
    const firstIndex = Math.max(0, Math.floor((this.scoredUntilMs - actuals.startMs) / stepMs) + 1);
    let scored = 0;
    let slice = this.served.length - 1;
    // Walk backwards in time so the slice pointer only moves back.
    for (let i = actuals.values.length - 1; i >= firstIndex; i--) {
      const tMs = actuals.startMs + i * stepMs;
      const actual = actuals.values[i] as number;
      if (!Number.isFinite(actual) || excluded(tMs)) continue;
      while (slice >= 0 && (this.served[slice] as ServedSlice).knewUntilMs > tMs - leadMs) slice--;
      if (slice < 0) break;
      const served = this.served[slice] as ServedSlice;
      const k = Math.round((tMs - served.startMs) / stepMs);
      if (k < 0 || k >= served.point.length) continue;
      this.push(tMs, actual, served, k);
      scored++;
    }
    if (actuals.values.length > 0) this.scoredUntilMs = Math.max(this.scoredUntilMs, actuals.startMs + (actuals.values.length - 1) * stepMs);
    this.sortAndTrim();
    return scored;
  }

  /** The MASE scale last taken from the actuals (NaN before any). */
  scale(): number {
    return this.maseScale;
  }

  /** Scored steps (read-only view; oldest first). */
  columns(): Readonly<ScoredColumns> {
    return this.scored;
  }

  /** Served forecasts' first steps, oldest first (read-only view): for calibration from served forecasts. */
  slices(): readonly ServedSlice[] {
    return this.served;
  }

  /** Numbers held: a size measure for the memory budget. */
  size(): number {
    return this.served.length * sliceNumbers(this.options) + this.scored.atMs.length * scoredStepNumbers(this.options);
  }

  private push(tMs: number, actual: number, served: ServedSlice, k: number): void {
    const s = this.scored;
    s.atMs.push(tMs);
    s.actual.push(actual);
    s.point.push(served.point[k] as number);
    s.madeAtMs.push(served.generatedAtMs);
    this.options.levels.forEach((_, l) => {
      (s.lower[l] as number[]).push((served.lower[l] as number[])[k] as number);
      (s.upper[l] as number[]).push((served.upper[l] as number[])[k] as number);
    });
  }

  /** Steps were pushed newest first: put them in time order and drop those older than the week. */
  private sortAndTrim(): void {
    const s = this.scored;
    const n = s.atMs.length;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) if ((s.atMs[i] as number) <= (s.atMs[i - 1] as number)) sorted = false;
    let order = [...Array(n).keys()];
    if (!sorted) {
      order.sort((a, b) => (s.atMs[a] as number) - (s.atMs[b] as number));
      // Duplicates cannot happen (each step is scored once), but keep the first if they ever do.
      order = order.filter((idx, j) => j === 0 || s.atMs[idx] !== s.atMs[order[j - 1] as number]);
    }
    const newest = s.atMs[order[order.length - 1] as number] ?? 0;
    const fromMs = newest - this.options.keepScoredSeconds * 1000;
    const kept = order.filter((idx) => (s.atMs[idx] as number) > fromMs);
    if (sorted && kept.length === n) return;
    const pick = (column: number[]) => kept.map((idx) => column[idx] as number);
    this.scored = {
      atMs: pick(s.atMs),
      actual: pick(s.actual),
      point: pick(s.point),
      madeAtMs: pick(s.madeAtMs),
      lower: s.lower.map(pick),
      upper: s.upper.map(pick),
    };
  }
}

/**
 * In-sample mean absolute error of the seasonal naive at `period` steps
 * (DESIGN.md §5's MASE scale); lag 1 when the history is shorter than two
 * periods. Undefined when it is zero or not finite (a flat series has no scale).
 */
export function naiveScale(values: readonly number[], period: number): number | undefined {
  const lag = period >= 1 && values.length > 2 * period ? period : 1;
  let sum = 0;
  let count = 0;
  for (let i = lag; i < values.length; i++) {
    const d = Math.abs((values[i] as number) - (values[i - lag] as number));
    if (Number.isFinite(d)) {
      sum += d;
      count++;
    }
  }
  const scale = count > 0 ? sum / count : Number.NaN;
  return Number.isFinite(scale) && scale > 0 ? scale : undefined;
}
