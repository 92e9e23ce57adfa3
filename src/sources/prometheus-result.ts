import { z } from 'zod';
import { PrescientError } from '../errors.js';
import type { Samples } from '../series/series.js';

/** How several series are combined into one, per timestamp. */
export type Aggregate = 'sum' | 'avg' | 'max' | 'min';

/**
 * The shape of a Prometheus HTTP API answer (https://prometheus.io/docs/prometheus/latest/querying/api/).
 * Only what is read is checked; anything else may vary between versions.
 */
const sampleSchema = z.tuple([z.number(), z.string()]);
const seriesSchema = z.object({
  metric: z.record(z.string(), z.string()),
  values: z.array(sampleSchema).optional(),
  // Native histograms (`histograms`) are not supported: a series without `values` has no samples here.
});
export const apiResponseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({ resultType: z.string(), result: z.unknown() }),
    warnings: z.array(z.string()).optional(),
  }),
  z.object({
    status: z.literal('error'),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);
export type ApiResponse = z.output<typeof apiResponseSchema>;
const matrixSchema = z.array(seriesSchema);

/** One series as returned by one request: labels plus raw samples. */
export interface RawSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly timestampsMs: number[];
  readonly values: number[];
}

/**
 * Reads a Prometheus sample value. "NaN", "+Inf" and "-Inf" (and anything
 * unparseable) become NaN: a gap the series layer fills and counts, instead
 * of an infinity that would wreck a fit.
 */
export function parseSampleValue(text: string): number {
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

/**
 * Extracts the series of a successful query_range answer.
 * @throws PrescientError PRESCIENT_ERR_PROMETHEUS_QUERY when the result is not
 *   a matrix or its series are malformed.
 */
export function readMatrix(data: { resultType: string; result: unknown }): RawSeries[] {
  if (data.resultType !== 'matrix') {
    throw new PrescientError('PRESCIENT_ERR_PROMETHEUS_QUERY', `query_range returned a ${data.resultType}, expected a matrix`);
  }
  const parsed = matrixSchema.safeParse(data.result);
  if (!parsed.success) {
    throw new PrescientError('PRESCIENT_ERR_PROMETHEUS_QUERY', `query_range returned a malformed matrix: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      cause: parsed.error,
    });
  }
  return parsed.data.map((series) => {
    const values = series.values ?? [];
    const timestampsMs = new Array<number>(values.length);
    const numbers = new Array<number>(values.length);
    values.forEach(([seconds, text], i) => {
      // Prometheus sends float seconds; rounding to whole ms removes binary noise.
      timestampsMs[i] = Math.round(seconds * 1000);
      numbers[i] = parseSampleValue(text);
    });
    return { labels: series.metric, timestampsMs, values: numbers };
  });
}

/** A stable key for a label set, independent of key order. */
export function labelKey(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

/** `{a="x", b="y"}`, PromQL style, for messages. */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const name = labels['__name__'] ?? '';
  const rest = Object.keys(labels)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${rest.join(', ')}}`;
}

/**
 * Joins the series of every chunk of a split window: series with the same
 * labels are concatenated, and each is sorted by time with duplicate
 * timestamps dropped (chunks never overlap, but a misbehaving proxy might).
 */
export function mergeChunks(chunks: readonly (readonly RawSeries[])[]): RawSeries[] {
  const byKey = new Map<string, { labels: Readonly<Record<string, string>>; points: [number, number][] }>();
  for (const chunk of chunks) {
    for (const series of chunk) {
      const key = labelKey(series.labels);
      let entry = byKey.get(key);
      if (!entry) {
        entry = { labels: series.labels, points: [] };
        byKey.set(key, entry);
      }
      for (let i = 0; i < series.timestampsMs.length; i++) {
        entry.points.push([series.timestampsMs[i] as number, series.values[i] as number]);
      }
    }
  }
  return [...byKey.values()].map(({ labels, points }) => {
    points.sort((a, b) => a[0] - b[0]);
    const timestampsMs: number[] = [];
    const values: number[] = [];
    for (const [t, v] of points) {
      if (timestampsMs.length > 0 && timestampsMs[timestampsMs.length - 1] === t) continue;
      timestampsMs.push(t);
      values.push(v);
    }
    return { labels, timestampsMs, values };
  });
}

/**
 * Combines several series per timestamp, over the series that have a sample
 * there. As in PromQL, a NaN makes a sum or mean NaN (a gap, filled later,
 * rather than a false dip) while max and min skip NaNs.
 */
export function aggregateSeries(series: readonly RawSeries[], aggregate: Aggregate): Samples {
  const acc = new Map<number, { sum: number; count: number; max: number; min: number }>();
  for (const s of series) {
    for (let i = 0; i < s.timestampsMs.length; i++) {
      const t = s.timestampsMs[i] as number;
      const v = s.values[i] as number;
      let a = acc.get(t);
      if (!a) {
        a = { sum: 0, count: 0, max: Number.NaN, min: Number.NaN };
        acc.set(t, a);
      }
      a.sum += v;
      a.count += 1;
      if (!Number.isNaN(v)) {
        a.max = Number.isNaN(a.max) ? v : Math.max(a.max, v);
        a.min = Number.isNaN(a.min) ? v : Math.min(a.min, v);
      }
    }
  }
  const timestampsMs = [...acc.keys()].sort((x, y) => x - y);
  const values = timestampsMs.map((t) => {
    const a = acc.get(t) as { sum: number; count: number; max: number; min: number };
    switch (aggregate) {
      case 'sum':
        return a.sum;
      case 'avg':
        return a.sum / a.count;
      case 'max':
        return a.max;
      case 'min':
        return a.min;
    }
  });
  return { timestampsMs, values };
}

/**
 * Turns the merged series of a query into one Samples.
 * @throws PrescientError PRESCIENT_ERR_PROMETHEUS_NO_DATA when there is no
 *   series or no sample; PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES when there
 *   are several series and no `aggregate`.
 */
export function toSamples(query: string, series: readonly RawSeries[], aggregate?: Aggregate): Samples {
  const nonEmpty = series.filter((s) => s.timestampsMs.length > 0);
  if (nonEmpty.length === 0) {
    throw new PrescientError('PRESCIENT_ERR_PROMETHEUS_NO_DATA', `query ${JSON.stringify(query)} returned no samples in the window`);
  }
  if (nonEmpty.length === 1) {
    const only = nonEmpty[0] as RawSeries;
    return { timestampsMs: only.timestampsMs, values: only.values };
  }
  if (aggregate === undefined) {
    const examples = nonEmpty
      .slice(0, 2)
      .map((s) => formatLabels(s.labels))
      .join(', ');
    throw new PrescientError(
      'PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES',
      `query ${JSON.stringify(query)} returned ${nonEmpty.length} series (e.g. ${examples}); aggregate them in PromQL (sum(...)) or set the source's "aggregate"`,
    );
  }
  return aggregateSeries(nonEmpty, aggregate);
}
