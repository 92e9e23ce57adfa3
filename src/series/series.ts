/**
 * A series on a regular grid: the shape every model fits. Times are ms since
 * the Unix epoch; the step is in seconds. `values[i]` is the value at
 * `startMs + i * stepSeconds * 1000`. After `regularize` (src/series/regularize.ts)
 * values are finite: gaps have been filled and counted.
 */
export interface Series {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly values: readonly number[];
}

/** Raw samples as a source returns them: any spacing, maybe NaN, maybe unsorted. */
export interface Samples {
  readonly timestampsMs: readonly number[];
  readonly values: readonly number[];
}

/** Timestamp of step `index` of a series (ms since epoch). */
export function timeAt(series: Pick<Series, 'startMs' | 'stepSeconds'>, index: number): number {
  return series.startMs + index * series.stepSeconds * 1000;
}

/** Timestamp of the step just after the last value: where a forecast starts. */
export function endMs(series: Series): number {
  return timeAt(series, series.values.length);
}
