import { describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { aggregateSeries, mergeChunks, parseSampleValue, readMatrix, toSamples, type RawSeries } from '../../src/sources/prometheus-result.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PrescientError ? err.code : `not a PrescientError: ${String(err)}`;
  }
  return undefined;
}

describe('prometheus result handling', () => {
  it('reads NaN, +Inf and -Inf sample values as NaN gaps', () => {
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('+Inf')).toBeNaN();
    expect(parseSampleValue('-Inf')).toBeNaN();
    expect(parseSampleValue('1.5e3')).toBe(1500);
  });

  it('converts float-second timestamps to whole milliseconds', () => {
    const [series] = readMatrix({ resultType: 'matrix', result: [{ metric: {}, values: [[1700000000.123, '2']] }] });
    expect(series?.timestampsMs).toEqual([1_700_000_000_123]);
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_QUERY for a non-matrix or malformed result', () => {
    expect(codeOf(() => readMatrix({ resultType: 'vector', result: [] }))).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
    expect(codeOf(() => readMatrix({ resultType: 'matrix', result: [{ metric: {}, values: [['x', 1]] }] }))).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
    expect(codeOf(() => readMatrix({ resultType: 'matrix', result: 'garbage' }))).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
  });

  it('merges chunks of the same series into one sorted series without duplicate timestamps', () => {
    const a = { labels: { job: 'x' }, timestampsMs: [3000, 4000], values: [3, 4] };
    const b = { labels: { job: 'x' }, timestampsMs: [1000, 2000, 3000], values: [1, 2, 3] };
    const merged = mergeChunks([[a], [b]]);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.timestampsMs).toEqual([1000, 2000, 3000, 4000]);
    expect(merged[0]?.values).toEqual([1, 2, 3, 4]);
  });

  it('keeps series apart by label set regardless of label order', () => {
    const merged = mergeChunks([
      [{ labels: { a: '1', b: '2' }, timestampsMs: [1], values: [1] }],
      [{ labels: { b: '2', a: '1' }, timestampsMs: [2], values: [2] }],
      [{ labels: { a: '9', b: '2' }, timestampsMs: [2], values: [2] }],
    ]);
    expect(merged).toHaveLength(2);
  });

  const two: RawSeries[] = [
    { labels: { i: 'a' }, timestampsMs: [1, 2, 3], values: [1, Number.NaN, 5] },
    { labels: { i: 'b' }, timestampsMs: [2, 3, 4], values: [10, 20, 30] },
  ];

  it('aggregates several series per timestamp (NaN poisons sum and avg, max and min skip it)', () => {
    expect(aggregateSeries(two, 'sum')).toEqual({ timestampsMs: [1, 2, 3, 4], values: [1, Number.NaN, 25, 30] });
    expect(aggregateSeries(two, 'avg')).toEqual({ timestampsMs: [1, 2, 3, 4], values: [1, Number.NaN, 12.5, 30] });
    expect(aggregateSeries(two, 'max')).toEqual({ timestampsMs: [1, 2, 3, 4], values: [1, 10, 20, 30] });
    expect(aggregateSeries(two, 'min')).toEqual({ timestampsMs: [1, 2, 3, 4], values: [1, 10, 5, 30] });
  });

  it('refuses several series without an aggregate, naming how many and some label sets', () => {
    let error: PrescientError | undefined;
    try {
      toSamples('up', [...two, { labels: { i: 'c' }, timestampsMs: [1], values: [1] }]);
    } catch (err) {
      error = err as PrescientError;
    }
    expect(error?.code).toBe('PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES');
    expect(error?.message).toContain('3 series');
    expect(error?.message).toContain('i="a"');
  });

  it('throws PRESCIENT_ERR_PROMETHEUS_NO_DATA for no series or only empty ones', () => {
    expect(codeOf(() => toSamples('up', []))).toBe('PRESCIENT_ERR_PROMETHEUS_NO_DATA');
    expect(codeOf(() => toSamples('up', [{ labels: {}, timestampsMs: [], values: [] }]))).toBe('PRESCIENT_ERR_PROMETHEUS_NO_DATA');
  });
});
