import { describe, expect, it } from 'vitest';
import {
  applyCalibration,
  calibrate,
  empiricalCoverage,
  lagOneAutocorrelation,
  tailFactor,
  tailReference,
  type ConformalCalibration,
  type TailReference,
} from '../../src/models/conformal.js';
import type { Forecast } from '../../src/models/forecaster.js';
import { thrownBy } from '../support/errors.js';

// The edges of conformal calibration that conformal.test.ts does not reach:
// the tail reference's arithmetic and limits, each fallback of the widening,
// how buckets and modes are chosen, the cross-check's limits, level
// interpolation, and the fallbacks of applyCalibration. Found by mutation
// testing (test/mutation/REPORT.md).

/** A flat forecast at 0 with a ±`half` interval at `level` (default ±1 at 0.8). */
function flat(horizon: number, half = 1, level = 0.8): Forecast {
  return { point: Array<number>(horizon).fill(0), intervals: [{ level, lower: Array<number>(horizon).fill(-half), upper: Array<number>(horizon).fill(half) }] };
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** A tail reference from its two sorted quantile sets. */
const tailOf = (recent: number[], longRun: number[], maxFactor = 10): TailReference => ({ lagSteps: 1, recent, longRun, maxFactor });

describe('tailReference: the relative differences', () => {
  it('divides each lag difference by the mean |value| of the lag window before it, in time order', () => {
    // Lag 2. Step 2: window |−1|, |3| → level 2, |2 − (−1)| = 3 → 1.5; step 3: window 3, 2 → 2.5, |6 − 3| / 2.5 = 1.2;
    // step 4: window 2, 6 → 4, |4 − 2| / 4 = 0.5; step 5: window 6, 4 → 5, |4 − 6| / 5 = 0.4.
    const tail = tailReference([-1, 3, 2, 6, 4, 4], 2, 1, 3, { blockSteps: 1, method: 'rolling' })!;
    expect(tail).toEqual({ lagSteps: 2, differences: [1.5, 1.2, 0.5, 0.4], longRun: [0.4, 0.5, 1.2, 1.5], recent: [0.4], maxFactor: 3, blockSteps: 1, method: 'rolling' });
    const two = tailReference([-1, 3, 2, 6, 4, 4], 2, 2)!;
    expect(two).toEqual({ lagSteps: 2, longRun: [0.4, 0.5, 1.2, 1.5], recent: [0.4, 0.5], maxFactor: 3 });
  });

  it('counts a difference over a window at zero level as calm when it is zero and as wild otherwise', () => {
    const tail = tailReference([0, 0, 0, 5, 5], 1, 1, 3, { blockSteps: 1, method: 'ratio' })!;
    // Steps 1 and 2: level 0, no change → 0; step 3: level 0, a change → the largest number; step 4: level 5, no change.
    expect(tail.differences).toEqual([0, 0, Number.MAX_VALUE, 0]);
  });

  it('needs at least twice the recent window of differences, and a recent window of one step or more', () => {
    expect(tailReference(range(1, 5), 1, 2)).toBeDefined(); // 4 differences, 2 × 2
    expect(tailReference(range(1, 4), 1, 2)).toBeUndefined(); // 3 differences
    expect(tailReference(range(1, 6), 2, 2)).toBeDefined(); // 4 differences at lag 2
    expect(tailReference(range(1, 5), 2, 2)).toBeUndefined();
    expect(tailReference(range(1, 10), 1, 0)).toBeUndefined();
  });
});

describe('tailFactor: quantiles and fallbacks', () => {
  it('takes the ⌈p·n⌉-th smallest difference as the quantile', () => {
    // Recent 1..10 at 0.75: the 8th = 8; long run all 16: factor 2 (the 7th would give 16 / 7).
    expect(tailFactor(tailOf(range(1, 10), Array<number>(10).fill(16)), 0.75)).toBe(2);
    // At 0.05 of ten values: the first.
    expect(tailFactor(tailOf(range(1, 10), Array<number>(10).fill(4)), 0.05)).toBe(4);
    // At 1: the last (never past the end).
    expect(tailFactor(tailOf(range(1, 10), Array<number>(10).fill(20)), 1)).toBe(2);
  });

  it('widens by the whole maxFactor when the recent window had no differences and the long run had some', () => {
    expect(tailFactor(tailOf(Array<number>(10).fill(0), Array<number>(10).fill(1), 4), 0.9)).toBe(4);
    // A long run without differences: no widening.
    expect(tailFactor(tailOf(Array<number>(10).fill(0), Array<number>(10).fill(0), 4), 0.9)).toBe(1);
    // Empty sets say nothing either way.
    expect(tailFactor(tailOf([], [], 4), 0.9)).toBe(1);
    expect(tailFactor(tailOf([], [1], 4), 0.9)).toBe(4);
  });

  it("'max' takes the larger of the two methods, and the replay falls back to the ratio without what it needs", () => {
    // Long run all 3, recent all 1: the ratio is 3. The differences replay as alike (rolling factor 1).
    const differences = Array<number>(40).fill(1);
    const base: TailReference = { lagSteps: 1, recent: Array<number>(10).fill(1), longRun: Array<number>(40).fill(3), maxFactor: 10, differences, blockSteps: 10 };
    expect(tailFactor({ ...base, method: 'rolling' }, 0.9)).toBe(1);
    expect(tailFactor({ ...base, method: 'max' }, 0.9)).toBe(3);
    expect(tailFactor(base, 0.9)).toBe(3); // 'ratio' by default
    // Without the ordered differences or the block length, or with too few differences for one window and one block: the ratio.
    const { differences: _d, ...noDifferences } = base;
    const { blockSteps: _b, ...noBlocks } = base;
    expect(tailFactor({ ...noDifferences, method: 'rolling' }, 0.9)).toBe(3);
    expect(tailFactor({ ...noBlocks, method: 'rolling' }, 0.9)).toBe(3);
    expect(tailFactor({ ...base, differences: differences.slice(0, 19), method: 'rolling' }, 0.9)).toBe(3);
    // Exactly one window and one block is enough to replay.
    expect(tailFactor({ ...base, differences: differences.slice(0, 20), method: 'rolling' }, 0.9)).toBe(1);
  });

  it('replays every block after the first window, and a quiet window before a change counts as the whole maxFactor', () => {
    // Window 2, blocks of 2: differences 0 0 | 1 1. The only replayed block follows a window of zeros.
    const zeros: TailReference = { lagSteps: 1, recent: [0, 0], longRun: [0, 0, 1, 1], maxFactor: 7, differences: [0, 0, 1, 1], blockSteps: 2, method: 'rolling' };
    expect(tailFactor(zeros, 0.9)).toBe(7);
    // A quiet window followed by a quiet block: no widening.
    expect(tailFactor({ ...zeros, differences: [0, 0, 0, 0] }, 0.9)).toBe(1);
    // Window 2, blocks of 2 over 6 differences: blocks at 4 and at 2 are replayed. 1 1 | 2 2 | 3 3:
    // block at 2 over the band 1 → 2, 2; block at 4 over the band 2 → 1.5, 1.5. The 90 % quantile of the four is 2.
    expect(tailFactor({ ...zeros, differences: [1, 1, 2, 2, 3, 3] }, 0.9)).toBe(2);
    // Ratios below 1 never narrow.
    expect(tailFactor({ ...zeros, differences: [4, 4, 1, 1, 1, 1] }, 0.9)).toBe(1);
  });
});

describe('calibrate: buckets, modes and what is kept', () => {
  it('makes one bucket per minPerBucket residuals, at most maxBuckets and at most one per step', () => {
    const samples = [0, 1].map(() => ({ actual: Array<number>(200).fill(1), forecast: flat(200) }));
    // 400 residuals, 100 per bucket by default: 4 buckets of 50 steps.
    expect(calibrate(samples)).toMatchObject({ bucketSteps: 50, horizonSteps: 200, count: 400 });
    expect(calibrate(samples)!.buckets).toHaveLength(4);
    expect(calibrate(samples, { maxBuckets: 3 })).toMatchObject({ bucketSteps: 67 });
    expect(calibrate(samples, { maxBuckets: 3 })!.buckets.map((b) => b.length)).toEqual([134, 134, 132]);
    // 80 buckets' worth, capped at 24 by default: buckets of ⌈200 / 24⌉ = 9 steps, so 23 of them.
    expect(calibrate(samples, { minPerBucket: 5 })).toMatchObject({ bucketSteps: 9 });
    expect(calibrate(samples, { minPerBucket: 5 })!.buckets).toHaveLength(23);
    // Two steps, many residuals: one bucket per step.
    const short = Array.from({ length: 300 }, () => ({ actual: [1, 2], forecast: flat(2) }));
    expect(calibrate(short, { minPerBucket: 1 })).toMatchObject({ bucketSteps: 1, horizonSteps: 2, count: 600 });
  });

  it('skips origins without actuals and takes the horizon from the longest one', () => {
    const calibration = calibrate([
      { actual: [], forecast: flat(5) },
      { actual: [1, -1, 2], forecast: flat(5) },
      { actual: [3], forecast: flat(5) },
    ])!;
    expect(calibration).toMatchObject({ mode: 'scaled', horizonSteps: 3, count: 4, bucketSteps: 3 });
    expect(calibration.buckets).toEqual([[-1, 1, 2, 3]]);
  });

  it('scales by the interval at referenceLevel, and keeps the tail it was given', () => {
    const tail = tailOf([1], [1]);
    const calibration = calibrate([{ actual: [4, -4], forecast: flat(2, 2, 0.5) }], { referenceLevel: 0.5, tail })!;
    expect(calibration).toMatchObject({ mode: 'scaled', referenceLevel: 0.5, buckets: [[-2, 2]] });
    expect(calibration.tail).toBe(tail);
    // Without that level in the forecasts: raw residuals.
    expect(calibrate([{ actual: [4, -4], forecast: flat(2, 2, 0.5) }])).toMatchObject({ mode: 'absolute', referenceLevel: 0.8, buckets: [[-4, 4]] });
    expect(calibrate([{ actual: [4, -4], forecast: flat(2, 2, 0.5) }])).not.toHaveProperty('tail');
  });

  it('uses raw residuals when any step of any origin has no width on one side, judged relative to the point', () => {
    const oneSided: Forecast = { point: [10, 10], intervals: [{ level: 0.8, lower: [10, 9], upper: [11, 11] }] };
    expect(calibrate([{ actual: [11, 12], forecast: oneSided }])!.mode).toBe('absolute');
    const upperFlat: Forecast = { point: [10, 10], intervals: [{ level: 0.8, lower: [9, 9], upper: [11, 10] }] };
    expect(calibrate([{ actual: [11, 12], forecast: upperFlat }])!.mode).toBe('absolute');
    expect(calibrate([{ actual: [11, 12], forecast: flat(2) }, { actual: [11, 12], forecast: oneSided }])!.mode).toBe('absolute');
    // A width of 10⁻³ around a point of 10¹² is rounding noise, not a width; around 1 it is a width.
    const tiny = (point: number): Forecast => ({ point: [point], intervals: [{ level: 0.8, lower: [point - 1e-3], upper: [point + 1e-3] }] });
    expect(calibrate([{ actual: [1e12], forecast: tiny(1e12) }])!.mode).toBe('absolute');
    expect(calibrate([{ actual: [1], forecast: tiny(1) }])!.mode).toBe('scaled');
    // Only the scored steps need a width: a zero-width step past the actuals does not matter.
    const lateZero: Forecast = { point: [0, 0], intervals: [{ level: 0.8, lower: [-1, 0], upper: [1, 0] }] };
    expect(calibrate([{ actual: [1], forecast: lateZero }])!.mode).toBe('scaled');
  });
});

describe('calibrate: the cross-check', () => {
  const alternating = (steps: number, size: number): number[] => Array.from({ length: steps }, (_, i) => (i % 2 === 0 ? size : -size));

  it('keeps every level where each left-out origin is covered, and runs from 2 to 14 origins', () => {
    const alike = (n: number) => Array.from({ length: n }, () => ({ actual: alternating(10, 1), forecast: flat(10) }));
    const levels = [0.5, 0.8, 0.9, 0.95, 0.99].map((level) => ({ level, at: level }));
    // Scores ±1 in every origin: each left-out origin lies inside [−1, 1], limits included.
    expect(calibrate(alike(2), { crossCheck: true })!.calibrateAt).toEqual(levels);
    expect(calibrate(alike(14), { crossCheck: true })!.calibrateAt).toEqual(levels);
    expect(calibrate(alike(15), { crossCheck: true })).not.toHaveProperty('calibrateAt');
  });

  it('raises a level by at most nine tenths of its miss rate, and counts the served widening as covering', () => {
    // Origin A ±1, origin B ±2: left out, B is never inside A's ±1, so only half the scores are covered.
    const samples = [
      { actual: alternating(10, 1), forecast: flat(10) },
      { actual: alternating(10, 2), forecast: flat(10) },
    ];
    const raised = calibrate(samples, { crossCheck: true })!.calibrateAt!;
    expect(raised.map((c) => c.level)).toEqual([0.5, 0.8, 0.9, 0.95, 0.99]);
    expect(raised[0]).toEqual({ level: 0.5, at: 0.5 });
    for (const c of raised.slice(1)) expect(c.at).toBeCloseTo(c.level + 0.9 * (1 - c.level), 12);
    // Served bands twice as wide (tail factor 2 at every level) cover B too: no level is raised.
    const tail = tailOf(Array<number>(10).fill(1), Array<number>(10).fill(2));
    expect(calibrate(samples, { crossCheck: true, tail })!.calibrateAt).toEqual([0.5, 0.8, 0.9, 0.95, 0.99].map((level) => ({ level, at: level })));
  });

  it('judges only steps that the other origins also reached', () => {
    // The long origin's steps 2–9 have no other origin's scores to be judged by; its first two are inside.
    const samples = [
      { actual: [1, -1], forecast: flat(10) },
      { actual: [1, -1, 50, -50, 50, -50, 50, -50, 50, -50], forecast: flat(10) },
    ];
    const checked = calibrate(samples, { crossCheck: true, minPerBucket: 1 })!;
    expect(checked.bucketSteps).toBe(1);
    expect(checked.calibrateAt).toEqual([0.5, 0.8, 0.9, 0.95, 0.99].map((level) => ({ level, at: level })));
  });
});

describe('applyCalibration: levels, fallbacks and limits', () => {
  /** Scores 1..100 and −1..−100 in one bucket (own half-width 1). */
  const wide = calibrate([{ actual: [...range(1, 100), ...range(1, 100).map((x) => -x)], forecast: flat(200) }], { minPerBucket: 1000 })!;
  const upperAt = (calibration: ConformalCalibration, level: number): number => applyCalibration(flat(1), calibration, [level]).intervals[0]!.upper[0]!;

  it('interpolates the calibrated level linearly between the cross-checked ones, and toward 0 and 1 beyond them', () => {
    const checked: ConformalCalibration = { ...wide, calibrateAt: [{ level: 0.5, at: 0.7 }, { level: 0.9, at: 0.95 }] };
    expect(upperAt(checked, 0.5)).toBe(upperAt(wide, 0.7));
    expect(upperAt(checked, 0.25)).toBe(upperAt(wide, 0.35));
    expect(upperAt(checked, 0.7)).toBe(upperAt(wide, 0.825));
    expect(upperAt(checked, 0.9)).toBe(upperAt(wide, 0.95));
    expect(upperAt(checked, 0.98)).toBe(upperAt(wide, 0.99));
    // An empty list: each level at itself.
    expect(upperAt({ ...wide, calibrateAt: [] }, 0.6)).toBe(upperAt(wide, 0.6));
    expect(upperAt(wide, 0.7)).not.toBe(upperAt(wide, 0.35));
  });

  it('clamps the conformal rank to the sample: a high level takes the largest score, a low one the smallest', () => {
    const small = calibrate([{ actual: [1, -2, 3, -4], forecast: flat(4) }])!;
    const band = applyCalibration(flat(1), small, [0.99]).intervals[0]!;
    expect(band.upper).toEqual([3]);
    expect(band.lower).toEqual([-4]);
    // A narrow level: upper ⌈5 · 0.55⌉ = 3rd = 1, lower ⌊5 · 0.45⌋ = 2nd = −2.
    const narrow = applyCalibration(flat(1), small, [0.1]).intervals[0]!;
    expect(narrow.upper).toEqual([1]);
    expect(narrow.lower).toEqual([-2]);
  });

  it('uses the median width where the forecast has none at a step, and refuses a forecast without the reference interval', () => {
    const scores = calibrate([{ actual: [2, -2], forecast: flat(2) }])!;
    // Half-widths 1, 3, 0, 5, 2: the median of the sorted 0, 1, 2, 3, 5 is 2.
    const forecast: Forecast = { point: [0, 0, 0, 0, 0], intervals: [{ level: 0.8, lower: [-1, -3, 0, -5, -2], upper: [1, 3, 0, 5, 2] }] };
    const band = applyCalibration(forecast, scores, [0.8]).intervals[0]!;
    expect(band.upper).toEqual([2, 6, 4, 10, 4]);
    expect(band.lower).toEqual([-2, -6, -4, -10, -4]);
    // A forecast without the reference level in 'scaled' mode: nothing to scale by. It used to get zero-width
    // bands (the point), which the policy would have scaled on as if certain; now a coded error, on which auto's
    // fitted model serves its seasonal-naive backup where it has one (src/models/auto/fitted.ts).
    const missing = thrownBy(() => applyCalibration(flat(2, 1, 0.95), scores, [0.8]));
    expect(missing.code).toBe('PRESCIENT_ERR_MODEL_OUTPUT_INVALID');
    expect(missing.message).toBe('the forecast has no interval at level 0.8, the width its calibration is scaled by');
    // 'absolute' mode needs no reference width, unless its near part is scaled.
    const raw = calibrate([{ actual: [2, -2], forecast: flat(2, 0) }])!;
    expect(raw.mode).toBe('absolute');
    expect(applyCalibration(flat(2, 1, 0.95), raw, [0.8]).intervals[0]!.upper).toEqual([2, 2]);
    expect(thrownBy(() => applyCalibration(flat(2, 1, 0.95), { ...raw, near: scores }, [0.8])).code).toBe('PRESCIENT_ERR_MODEL_OUTPUT_INVALID');
    expect(applyCalibration(flat(2, 1, 0.95), { ...raw, near: raw }, [0.8]).intervals[0]!.upper).toEqual([2, 2]);
  });

  it('serves the point as given and one interval per level asked, in that order', () => {
    const forecast: Forecast = { point: [3, 4], intervals: [{ level: 0.8, lower: [2, 3], upper: [4, 5] }] };
    const served = applyCalibration(forecast, wide, [0.95, 0.5]);
    expect(served.point).toEqual([3, 4]);
    expect(served.point).not.toBe(forecast.point);
    expect(served.intervals.map((i) => i.level)).toEqual([0.95, 0.5]);
    expect(served.intervals[0]!.upper[0]).toBeGreaterThan(served.intervals[1]!.upper[0]!);
  });

  it('an empty forecast gets empty bands', () => {
    expect(applyCalibration({ point: [], intervals: [{ level: 0.8, lower: [], upper: [] }] }, wide, [0.8])).toEqual({ point: [], intervals: [{ level: 0.8, lower: [], upper: [] }] });
  });
});

describe('empiricalCoverage', () => {
  it('counts an actual on a bound as inside, over every origin', () => {
    const forecast: Forecast = { point: [0, 0], intervals: [{ level: 0.8, lower: [-1, -1], upper: [1, 1] }] };
    expect(empiricalCoverage([{ actual: [1, -1], forecast }, { actual: [1.5, -1.5], forecast }], 0.8)).toBe(0.5);
    expect(empiricalCoverage([{ actual: [0.5], forecast }, { actual: [0.5, 2], forecast }], 0.8)).toBeCloseTo(2 / 3, 12);
  });

  it('is NaN for a level the forecasts lack and when nothing was scored', () => {
    expect(empiricalCoverage([{ actual: [0], forecast: flat(1) }], 0.95)).toBeNaN();
    expect(empiricalCoverage([{ actual: [], forecast: flat(1) }], 0.8)).toBeNaN();
    expect(empiricalCoverage([], 0.8)).toBeNaN();
  });
});

describe('lagOneAutocorrelation (the cross-check counts residuals as an AR(1) sample)', () => {
  it('pools products and squares over the rows, each about its own mean', () => {
    // Row 1..4: mean 2.5, deviations ±1.5 ±0.5: squares 5, lag products 0.75 − 0.25 + 0.75 = 1.25.
    expect(lagOneAutocorrelation([[1, 2, 3, 4]])).toBeCloseTo(0.25, 12);
    // An alternating row is negatively correlated: deviations ±1, three products of −1 over four squares.
    expect(lagOneAutocorrelation([[1, -1, 1, -1]])).toBeCloseTo(-0.75, 12);
    // Shifting one row by a constant changes nothing (its own mean is taken out); no pair spans two rows.
    expect(lagOneAutocorrelation([[101, 102, 103, 104], [1, -1, 1, -1]])).toBeCloseTo((1.25 - 3) / (5 + 4), 12);
  });

  it('is 0, not NaN, when every row is constant', () => {
    expect(lagOneAutocorrelation([[3, 3, 3], [7]])).toBe(0);
    expect(lagOneAutocorrelation([])).toBe(0);
  });
});

describe('cross-check raise steps', () => {
  it('raises each level by the fewest whole tenths of its miss rate that cover it held out', () => {
    // Four origins uniform in ±0.8, ±1, ±1.25, ±1.5 (own half-width 1): a spread that raises 0.8, 0.9 and 0.95
    // by 1, 4 and 6 tenths, short of the nine-tenths cap, and 0.99 to the cap.
    let state = 11;
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const samples = [0.8, 1, 1.25, 1.5].map((scale) => ({
      actual: Array.from({ length: 300 }, () => scale * (2 * random() - 1)),
      forecast: flat(300),
    }));
    const checked = calibrate(samples, { minPerBucket: 1000, crossCheck: true })!.calibrateAt!;
    const tenths = checked.map((c) => Math.round(((c.at - c.level) / (1 - c.level)) * 10 * 1e6) / 1e6);
    expect(tenths).toEqual([0, 1, 4, 6, 9]);
    for (const c of checked) expect(c.at).toBeLessThan(1);
  });
});

describe('calibrate on origins without scored steps', () => {
  it('leaves an origin with no actual values out of the count, the scaled test and the cross-check', () => {
    const scored = { actual: Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.5)), forecast: flat(10) };
    const empty = { actual: [], forecast: { point: [], intervals: [] } as Forecast };
    const calibration = calibrate([scored, empty], { crossCheck: true })!;
    expect(calibration.count).toBe(10);
    // The empty origin carries no 80 % band, yet the scored one decides the mode alone.
    expect(calibration.mode).toBe('scaled');
    // One origin with scores is too few to leave one out: no cross-check.
    expect(calibration).not.toHaveProperty('calibrateAt');
  });
});

describe('the rolling tail factor replays the last blocks of the history only', () => {
  it('reads each block of differences against the window just before it', () => {
    // Window 2 (the recent part), blocks of 2: bands of 1 before each block; the last block doubles.
    const tail: TailReference = {
      lagSteps: 1,
      recent: [1, 1],
      longRun: [1, 1, 1, 1, 1, 1, 2, 2],
      maxFactor: 10,
      differences: [1, 1, 1, 1, 1, 1, 2, 2],
      blockSteps: 2,
      method: 'rolling',
    };
    // Ratios 1, 1, 1, 1, 2, 2: the median is 1, the 80 % quantile 2.
    expect(tailFactor(tail, 0.5)).toBe(1);
    expect(tailFactor(tail, 0.8)).toBe(2);
  });
});
