import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/models/forecaster.js';
import { PLAUSIBLE_RANGE_MULTIPLE, resolveBounds, reviewForecast } from '../../src/models/validate.js';

const history = [10, 12, 15, 20, 18, 14, 11, 10];
const good = (): Forecast => ({
  point: [11, 13, 16],
  intervals: [
    { level: 0.8, lower: [9, 10, 12], upper: [13, 16, 20] },
    { level: 0.95, lower: [7, 8, 9], upper: [15, 18, 23] },
  ],
});
const rejects = (forecast: Forecast, code = 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID', hist: readonly number[] = history): void => {
  expect(() => reviewForecast(forecast, hist)).toThrow(expect.objectContaining({ code }));
};
const upper = (f: Forecast, k: number): number[] => (f.intervals[k] as { upper: number[] }).upper;
const lower = (f: Forecast, k: number): number[] => (f.intervals[k] as { lower: number[] }).lower;

describe('reviewForecast', () => {
  it('serves a finite, ordered forecast inside the plausible range unchanged, with no note', () => {
    const reviewed = reviewForecast(good(), history);
    expect(reviewed.forecast).toEqual(good());
    expect(reviewed.notes).toEqual([]);
    expect(reviewed.adjustments).toEqual([]);
  });

  it('refuses a NaN point and an infinite bound with PRESCIENT_ERR_MODEL_OUTPUT_INVALID', () => {
    const nan = good();
    nan.point[1] = Number.NaN;
    rejects(nan);
    const inf = good();
    upper(inf, 1)[2] = Number.POSITIVE_INFINITY;
    rejects(inf);
  });

  it('refuses a lower bound above the point and an upper bound below it', () => {
    const low = good();
    lower(low, 0)[0] = 12;
    rejects(low);
    const high = good();
    upper(high, 0)[0] = 10.5;
    rejects(high);
  });

  it('refuses a point the package failures give (1e+25) as implausible, so the next model serves', () => {
    const f = good();
    f.point[0] = 1e25;
    upper(f, 0)[0] = 1e26;
    upper(f, 1)[0] = 1e26;
    rejects(f, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE');
  });

  it(`clips bands beyond ${PLAUSIBLE_RANGE_MULTIPLE}× the history's range to it, with a note, instead of refusing`, () => {
    // history range 10 (10…20): the limits are −20 and 50.
    const inside = good();
    upper(inside, 1)[2] = 49.9;
    lower(inside, 1)[2] = -19.9;
    expect(reviewForecast(inside, history, { lower: null }).adjustments).toEqual([]);
    const wide = good();
    upper(wide, 1)[2] = 1e200;
    lower(wide, 1)[2] = -20.1;
    const reviewed = reviewForecast(wide, history, { lower: null });
    expect(upper(reviewed.forecast, 1)[2]).toBe(50);
    expect(lower(reviewed.forecast, 1)[2]).toBe(-20);
    expect(reviewed.forecast.point).toEqual(good().point);
    expect(reviewed.adjustments).toEqual(['interval_clipped']);
    expect(reviewed.notes[0]).toMatch(/2 interval bounds beyond the plausible range \[-20, 50\]/);
    // The model's own forecast is left as it was.
    expect(upper(wide, 1)[2]).toBe(1e200);
  });

  it('refuses intervals whose length differs from the point forecast, and an empty forecast', () => {
    const f = good();
    lower(f, 0).pop();
    rejects(f);
    rejects({ point: [], intervals: [] });
  });

  it('judges a constant history by its level, so a flat series may still move a little', () => {
    const flat = [5, 5, 5, 5];
    expect(reviewForecast({ point: [5, 6], intervals: [{ level: 0.9, lower: [4, 4], upper: [6, 8] }] }, flat).adjustments).toEqual([]);
    rejects({ point: [5, 100], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', flat);
  });

  it('tolerates rounding when a bound equals the point', () => {
    expect(reviewForecast({ point: [0.1 + 0.2], intervals: [{ level: 0.8, lower: [0.3], upper: [0.3] }] }, history).adjustments).toEqual([]);
  });

  it('keeps a never-negative history non-negative by default: points and bands clipped at 0', () => {
    const zeros = [0, 0, 1, 0, 0, 2, 0];
    const f: Forecast = { point: [-0.5, 0.5], intervals: [{ level: 0.8, lower: [-2, -1], upper: [1, 2] }] };
    const reviewed = reviewForecast(f, zeros);
    expect(reviewed.forecast.point).toEqual([0, 0.5]);
    expect(reviewed.forecast.intervals[0]?.lower).toEqual([0, 0]);
    expect(reviewed.forecast.intervals[0]?.upper).toEqual([1, 2]);
    expect(reviewed.adjustments).toEqual(['bounds_clipped']);
    expect(reviewed.notes[0]).toMatch(/3 values clipped to the target's bounds \(lower 0: the history is never negative\)/);
  });

  it('clips to configured bounds (CPU % in [0, 100]) and lets null remove the default lower bound', () => {
    const cpu = [60, 80, 95, 99, 70];
    const f: Forecast = { point: [98, 101], intervals: [{ level: 0.95, lower: [90, 92], upper: [104, 109] }] };
    const reviewed = reviewForecast(f, cpu, { upper: 100 });
    expect(reviewed.forecast.point).toEqual([98, 100]);
    expect(reviewed.forecast.intervals[0]?.upper).toEqual([100, 100]);
    expect(reviewed.forecast.intervals[0]?.lower).toEqual([90, 92]);
    const signed: Forecast = { point: [1], intervals: [{ level: 0.8, lower: [-3], upper: [4] }] };
    expect(reviewForecast(signed, [0, 2, 4], { lower: null }).forecast).toEqual(signed);
    expect(reviewForecast(signed, [0, 2, 4]).forecast.intervals[0]?.lower).toEqual([0]);
  });

  it('sets no default lower bound on a history with a negative value', () => {
    expect(resolveBounds(undefined, [3, -1, 2])).toEqual({});
    expect(resolveBounds(undefined, [3, 0, 2])).toEqual({ lower: 0 });
    expect(resolveBounds({ lower: 5, upper: 10 }, [-3])).toEqual({ lower: 5, upper: 10 });
  });
});
