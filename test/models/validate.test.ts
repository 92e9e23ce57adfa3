import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/models/forecaster.js';
import { assertPlausibleForecast, PLAUSIBLE_RANGE_MULTIPLE } from '../../src/models/validate.js';

const history = [10, 12, 15, 20, 18, 14, 11, 10];
const good = (): Forecast => ({
  point: [11, 13, 16],
  intervals: [
    { level: 0.8, lower: [9, 10, 12], upper: [13, 16, 20] },
    { level: 0.95, lower: [7, 8, 9], upper: [15, 18, 23] },
  ],
});
const rejects = (forecast: Forecast, hist: readonly number[] = history): void => {
  expect(() => assertPlausibleForecast(forecast, hist)).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID' }));
};

describe('assertPlausibleForecast', () => {
  it('accepts a finite, ordered forecast inside the plausible range', () => {
    expect(() => assertPlausibleForecast(good(), history)).not.toThrow();
  });

  it('rejects a NaN point with PRESCIENT_ERR_MODEL_OUTPUT_INVALID', () => {
    const f = good();
    f.point[1] = Number.NaN;
    rejects(f);
  });

  it('rejects an infinite bound', () => {
    const f = good();
    (f.intervals[1] as { upper: number[] }).upper[2] = Number.POSITIVE_INFINITY;
    rejects(f);
  });

  it('rejects a lower bound above the point and an upper bound below it', () => {
    const low = good();
    (low.intervals[0] as { lower: number[] }).lower[0] = 12;
    rejects(low);
    const high = good();
    (high.intervals[0] as { upper: number[] }).upper[0] = 10.5;
    rejects(high);
  });

  it('rejects the package failure values seen on long periods (1e+25, 1e+200)', () => {
    const f = good();
    f.point[0] = 1e25;
    (f.intervals[0] as { upper: number[] }).upper[0] = 1e200;
    (f.intervals[1] as { upper: number[] }).upper[0] = 1e200;
    rejects(f);
  });

  it(`allows up to ${PLAUSIBLE_RANGE_MULTIPLE}× the history's range beyond its extremes, not further`, () => {
    // history range 10 (10…20): the limits are −20 and 50.
    const inside = good();
    (inside.intervals[1] as { upper: number[] }).upper[2] = 49.9;
    (inside.intervals[1] as { lower: number[] }).lower[2] = -19.9;
    expect(() => assertPlausibleForecast(inside, history)).not.toThrow();
    const above = good();
    (above.intervals[1] as { upper: number[] }).upper[2] = 50.1;
    rejects(above);
    const below = good();
    (below.intervals[1] as { lower: number[] }).lower[2] = -20.1;
    rejects(below);
  });

  it('rejects intervals whose length differs from the point forecast, and an empty forecast', () => {
    const f = good();
    (f.intervals[0] as { lower: number[] }).lower.pop();
    rejects(f);
    rejects({ point: [], intervals: [] });
  });

  it('judges a constant history by its level, so a flat series may still move a little', () => {
    const flat = [5, 5, 5, 5];
    expect(() => assertPlausibleForecast({ point: [5, 6], intervals: [{ level: 0.9, lower: [4, 4], upper: [6, 8] }] }, flat)).not.toThrow();
    rejects({ point: [5, 100], intervals: [] }, flat);
  });

  it('tolerates rounding when a bound equals the point', () => {
    expect(() =>
      assertPlausibleForecast({ point: [0.1 + 0.2], intervals: [{ level: 0.8, lower: [0.3], upper: [0.3] }] }, history),
    ).not.toThrow();
  });
});
