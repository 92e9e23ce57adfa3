import { PrescientError } from '../errors.js';
import type { Samples, Series } from './series.js';

export interface RegularizeOptions {
  /** Grid step in seconds; defaults to the median spacing of the samples. */
  readonly stepSeconds?: number;
  /** Refuse series where filled gaps exceed this share of the grid (0–1). */
  readonly maxGapShare?: number;
  /** Refuse grids longer than this many points. */
  readonly maxPoints?: number;
}

export interface Regularized {
  readonly series: Series;
  /** Grid points that had no finite sample and were filled by interpolation. */
  readonly filledGaps: number;
}

/** Median spacing of sorted timestamps, in seconds (≥ 1). */
export function medianStepSeconds(timestampsMs: readonly number[]): number {
  const diffs: number[] = [];
  for (let i = 1; i < timestampsMs.length; i++) {
    const d = (timestampsMs[i] as number) - (timestampsMs[i - 1] as number);
    if (d > 0) diffs.push(d);
  }
  if (diffs.length === 0) return 60;
  diffs.sort((a, b) => a - b);
  return Math.max(1, Math.round((diffs[Math.floor(diffs.length / 2)] as number) / 1000));
}

/**
 * Puts samples on a regular grid: each sample goes to its nearest step
 * (several in one step are averaged), non-finite values and empty steps are
 * gaps, leading and trailing gaps are dropped, inner gaps are filled by
 * linear interpolation and counted.
 * @throws PrescientError PRESCIENT_ERR_SERIES_INVALID when there is no finite
 *   value, the gaps exceed `maxGapShare`, or the grid exceeds `maxPoints`.
 */
export function regularize(samples: Samples, options: RegularizeOptions = {}): Regularized {
  const order = samples.timestampsMs.map((_, i) => i).sort((a, b) => (samples.timestampsMs[a] as number) - (samples.timestampsMs[b] as number));
  const times = order.map((i) => samples.timestampsMs[i] as number);
  const stepSeconds = options.stepSeconds ?? medianStepSeconds(times);
  const stepMs = stepSeconds * 1000;
  const finite = order.filter((i) => Number.isFinite(samples.values[i]));
  if (finite.length === 0) throw new PrescientError('PRESCIENT_ERR_SERIES_INVALID', 'the series has no finite value');

  const firstMs = Math.round((samples.timestampsMs[finite[0] as number] as number) / stepMs) * stepMs;
  const lastMs = Math.round((samples.timestampsMs[finite[finite.length - 1] as number] as number) / stepMs) * stepMs;
  const length = Math.round((lastMs - firstMs) / stepMs) + 1;
  if (options.maxPoints !== undefined && length > options.maxPoints) {
    throw new PrescientError('PRESCIENT_ERR_SERIES_INVALID', `the series spans ${length} steps of ${stepSeconds} s, more than the limit of ${options.maxPoints}`);
  }
  const sums = new Float64Array(length);
  const counts = new Uint32Array(length);
  for (const i of finite) {
    const index = Math.round(((samples.timestampsMs[i] as number) - firstMs) / stepMs);
    sums[index] = (sums[index] as number) + (samples.values[i] as number);
    counts[index] = (counts[index] as number) + 1;
  }
  const values = new Array<number>(length);
  let filledGaps = 0;
  let previous = -1;
  for (let i = 0; i < length; i++) {
    if ((counts[i] as number) === 0) continue;
    values[i] = (sums[i] as number) / (counts[i] as number);
    // Interpolate the run of gaps between the previous known step and this one.
    for (let j = previous + 1; j < i; j++) {
      const a = values[previous] as number;
      const b = values[i] as number;
      values[j] = a + ((b - a) * (j - previous)) / (i - previous);
      filledGaps++;
    }
    previous = i;
  }
  const maxGapShare = options.maxGapShare ?? 0.5;
  if (filledGaps > maxGapShare * length) {
    throw new PrescientError(
      'PRESCIENT_ERR_SERIES_INVALID',
      `${filledGaps} of ${length} steps are gaps, more than ${Math.round(maxGapShare * 100)} %`,
    );
  }
  return { series: { startMs: firstMs, stepSeconds, values }, filledGaps };
}
