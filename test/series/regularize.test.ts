import { describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { medianStepSeconds, regularize } from '../../src/series/regularize.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const at = (minutes: number) => T0 + minutes * 60_000;

function errorOf(run: () => unknown): PrescientError {
  try {
    run();
  } catch (err) {
    if (err instanceof PrescientError) return err;
    throw err;
  }
  throw new Error('expected a PrescientError');
}

describe('regularize', () => {
  it('takes the median spacing as the step when none is given', () => {
    // Mostly 5 minutes apart, one 1-minute and one 20-minute spacing.
    const timestampsMs = [0, 5, 10, 11, 16, 21, 41, 46].map(at);
    expect(medianStepSeconds(timestampsMs)).toBe(300);
    const { series } = regularize({ timestampsMs, values: timestampsMs.map(() => 1) });
    expect(series.stepSeconds).toBe(300);
  });

  it('fills inner gaps by linear interpolation and counts them', () => {
    const { series, filledGaps } = regularize({ timestampsMs: [0, 5, 20].map(at), values: [1, 2, 5] }, { stepSeconds: 300 });
    expect(series).toEqual({ startMs: at(0), stepSeconds: 300, values: [1, 2, 3, 4, 5] });
    expect(filledGaps).toBe(2);
  });

  it('refuses a grid longer than maxPoints with PRESCIENT_ERR_SERIES_INVALID, and accepts one exactly at it', () => {
    const samples = { timestampsMs: [0, 99].map(at), values: [1, 2] };
    expect(regularize(samples, { stepSeconds: 60, maxPoints: 100, maxGapShare: 1 }).series.values).toHaveLength(100);
    const err = errorOf(() => regularize(samples, { stepSeconds: 60, maxPoints: 99, maxGapShare: 1 }));
    expect(err.code).toBe('PRESCIENT_ERR_SERIES_INVALID');
    expect(err.message).toContain('100 steps');
    expect(err.message).toContain('limit of 99');
  });

  it('refuses more gaps than maxGapShare (default half the grid) with PRESCIENT_ERR_SERIES_INVALID', () => {
    // 11 grid points, 5 of them gaps: 45 % is accepted.
    const fiveGaps = { timestampsMs: [0, 1, 2, 3, 4, 10].map(at), values: [1, 1, 1, 1, 1, 1] };
    expect(regularize(fiveGaps, { stepSeconds: 60 }).filledGaps).toBe(5);
    // 11 grid points, 6 of them gaps: 55 % is refused.
    const sixGaps = { timestampsMs: [0, 1, 2, 3, 10].map(at), values: [1, 1, 1, 1, 1] };
    const err = errorOf(() => regularize(sixGaps, { stepSeconds: 60 }));
    expect(err.code).toBe('PRESCIENT_ERR_SERIES_INVALID');
    expect(err.message).toBe('6 of 11 steps are gaps, more than 50 %');
    // A stricter share refuses the first one too.
    expect(errorOf(() => regularize(fiveGaps, { stepSeconds: 60, maxGapShare: 0.4 })).code).toBe('PRESCIENT_ERR_SERIES_INVALID');
  });

  it('refuses a series with no finite value', () => {
    const err = errorOf(() => regularize({ timestampsMs: [0, 1].map(at), values: [Number.NaN, Number.POSITIVE_INFINITY] }, { stepSeconds: 60 }));
    expect(err.code).toBe('PRESCIENT_ERR_SERIES_INVALID');
  });
});
