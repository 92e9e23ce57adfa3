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

// Edges found by mutation testing (test/mutation/REPORT.md): each test below fails with a small bug put into validate.ts.
describe('reviewForecast at its edges', () => {
  const message = (f: () => unknown): string => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('did not throw');
  };

  it('judges the forecast by the finite values of the history only, and refuses a history with none', () => {
    // Without the infinite value the range is 10 (10…20), so 60 is beyond 20 + 3 × 10.
    rejects({ point: [60], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', [...history, Number.POSITIVE_INFINITY]);
    rejects({ point: [-25], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', [...history, Number.NEGATIVE_INFINITY]);
    expect(reviewForecast({ point: [15], intervals: [] }, [Number.NaN, ...history, Number.NaN], { lower: null }).adjustments).toEqual([]);
    expect(message(() => reviewForecast({ point: [1], intervals: [] }, [Number.NaN, Number.POSITIVE_INFINITY]))).toBe(
      'invalid forecast: the history has no finite value to judge the forecast against',
    );
    rejects({ point: [1], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID', []);
  });

  it('refuses a point far below the history as implausible, and names the range it left', () => {
    rejects({ point: [11, -20.5], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE');
    expect(reviewForecast({ point: [11, -20], intervals: [] }, history, { lower: null }).adjustments).toEqual([]);
    expect(message(() => reviewForecast({ point: [11, 50.5], intervals: [] }, history))).toBe(
      'implausible forecast: point at step 1 is 50.5, outside the plausible range [-20, 50] (history 10…20, ±3× range)',
    );
  });

  it('judges a constant history by the larger of its level and 1', () => {
    // Level 0.2: the range counts as 1, so 3.2 is the limit (0.2 + 3 × 1), not 0.8 (0.2 + 3 × 0.2).
    expect(reviewForecast({ point: [3.1], intervals: [] }, [0.2, 0.2, 0.2]).adjustments).toEqual([]);
    rejects({ point: [3.3], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', [0.2, 0.2, 0.2]);
    // Level −50: the range is 50, so −200 (−50 − 3 × 50) is the limit.
    expect(reviewForecast({ point: [-199], intervals: [] }, [-50, -50]).adjustments).toEqual([]);
    rejects({ point: [-201], intervals: [] }, 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE', [-50, -50]);
  });

  it('refuses a missing upper bound and an infinite lower bound, naming the interval and the step', () => {
    const short = good();
    upper(short, 1).pop();
    expect(message(() => reviewForecast(short, history))).toBe('invalid forecast: 95 % interval has 3/2 bounds for 3 points');
    const inf = good();
    lower(inf, 0)[1] = Number.NEGATIVE_INFINITY;
    expect(message(() => reviewForecast(inf, history))).toBe('invalid forecast: 80 % interval at step 1 is [-Infinity, 16]');
    const out = good();
    lower(out, 0)[2] = 17;
    expect(message(() => reviewForecast(out, history))).toBe('invalid forecast: 80 % interval at step 2 is [17, 20], which does not contain the point 16');
  });

  it('scales the rounding slack with the magnitude of the values, not only with their range', () => {
    // Between 1e9 and 2e9 the slack is 1e-9 × 2e9 = 2 (the range or the smaller magnitude would give 1):
    // a bound 1.5 on the wrong side of the point passes as rounding, 2.5 does not.
    const big = [1e9, 2e9];
    const point = 1.5e9;
    expect(reviewForecast({ point: [point], intervals: [{ level: 0.8, lower: [point + 1.5], upper: [point + 10] }] }, big).adjustments).toEqual([]);
    expect(reviewForecast({ point: [point], intervals: [{ level: 0.8, lower: [point - 10], upper: [point - 1.5] }] }, big).adjustments).toEqual([]);
    rejects({ point: [point], intervals: [{ level: 0.8, lower: [point + 2.5], upper: [point + 10] }] }, 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID', big);
    rejects({ point: [point], intervals: [{ level: 0.8, lower: [point - 10], upper: [point - 2.5] }] }, 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID', big);
    // Below zero, by the magnitude of the most negative value.
    const negative = [-2e9, -1e9];
    expect(reviewForecast({ point: [-point], intervals: [{ level: 0.8, lower: [-point + 1.5], upper: [-point + 10] }] }, negative).adjustments).toEqual([]);
    rejects({ point: [-point], intervals: [{ level: 0.8, lower: [-point + 2.5], upper: [-point + 10] }] }, 'PRESCIENT_ERR_MODEL_OUTPUT_INVALID', negative);
  });

  it('names the bounds it clipped to, and says the history is never negative only for the default lower bound', () => {
    const f: Forecast = { point: [98, 101], intervals: [{ level: 0.95, lower: [-1, 92], upper: [104, 109] }] };
    expect(reviewForecast(f, [60, 80, 95], { upper: 100 }).notes).toEqual(["4 values clipped to the target's bounds (lower 0, upper 100: the history is never negative)"]);
    expect(reviewForecast(f, [60, 80, 95], { lower: 0, upper: 100 }).notes).toEqual(["4 values clipped to the target's bounds (lower 0, upper 100)"]);
    expect(reviewForecast(f, [60, 80, 95], { lower: null, upper: 100 }).notes).toEqual(["3 values clipped to the target's bounds (upper 100)"]);
    expect(reviewForecast(f, [60, 80, 95], { lower: null, upper: 100 }).forecast.intervals[0]?.lower).toEqual([-1, 92]);
  });

  it('names the empty forecast, the bad point and the short lower bound in its messages', () => {
    expect(message(() => reviewForecast({ point: [], intervals: [] }, history))).toBe('invalid forecast: the forecast has no points');
    const nan = good();
    nan.point[1] = Number.NaN;
    expect(message(() => reviewForecast(nan, history))).toBe('invalid forecast: point at step 1 is NaN');
    const short = good();
    lower(short, 0).pop();
    expect(message(() => reviewForecast(short, history))).toBe('invalid forecast: 80 % interval has 2/3 bounds for 3 points');
  });

  it('takes the limits themselves as inside: a point at the plausible edge, bounds at the slack, values at the target bounds', () => {
    expect(reviewForecast({ point: [11, 50], intervals: [] }, history).adjustments).toEqual([]);
    // With a history of 0…1 the slack is exactly 1e-9.
    const at = 0.5 + 1e-9;
    expect(reviewForecast({ point: [0.5], intervals: [{ level: 0.8, lower: [at], upper: [1] }] }, [0, 1]).adjustments).toEqual([]);
    expect(reviewForecast({ point: [0.5], intervals: [{ level: 0.8, lower: [0], upper: [0.5 - 1e-9] }] }, [0, 1]).adjustments).toEqual([]);
    const edges: Forecast = { point: [0, 100], intervals: [{ level: 0.8, lower: [0, 100], upper: [0, 100] }] };
    expect(reviewForecast(edges, [0, 100], { upper: 100 })).toEqual({ forecast: edges, notes: [], adjustments: [] });
  });

  it('counts every value beyond the target bounds in its note: points, lower and upper bounds', () => {
    const above: Forecast = { point: [103], intervals: [{ level: 0.8, lower: [102], upper: [104] }] };
    expect(reviewForecast(above, [60, 99], { upper: 100 }).notes).toEqual(["3 values clipped to the target's bounds (lower 0, upper 100: the history is never negative)"]);
    const below: Forecast = { point: [-2], intervals: [{ level: 0.8, lower: [-3], upper: [-1] }] };
    expect(reviewForecast(below, [0, 10]).notes).toEqual(["3 values clipped to the target's bounds (lower 0: the history is never negative)"]);
    // A history with a negative value has no default lower bound, and the note does not claim it is never negative.
    expect(reviewForecast(above, [-5, 99], { upper: 100 }).notes).toEqual(["3 values clipped to the target's bounds (upper 100)"]);
  });

  it('counts a history with NaN as never negative when its numbers are', () => {
    expect(resolveBounds(undefined, [Number.NaN, 1, 2])).toEqual({ lower: 0 });
    expect(resolveBounds({ lower: null }, [1, 2])).toStrictEqual({});
    expect(resolveBounds(undefined, [3, -1, 2])).toStrictEqual({});
    expect(resolveBounds({ upper: 7 }, [-1])).toEqual({ upper: 7 });
  });
});
