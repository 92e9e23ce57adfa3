import { describe, expect, it } from 'vitest';
import { applyCalibration, calibrate, empiricalCoverage, tailFactor, tailReference } from '../../src/models/conformal.js';
import type { Forecast } from '../../src/models/forecaster.js';
import { seededRandom } from '../../src/random.js';

/** A flat forecast at 0 with a ±1 interval at 0.8. */
function flat(horizon: number): Forecast {
  return { point: Array(horizon).fill(0), intervals: [{ level: 0.8, lower: Array(horizon).fill(-1), upper: Array(horizon).fill(1) }] };
}

describe('conformal calibration', () => {
  it('learns the scale of the residuals in units of the model’s own half-width', () => {
    // Residuals 1..100 above the point and −1..−100 below, own half-width 1.
    const actual = Array.from({ length: 200 }, (_, i) => (i < 100 ? i + 1 : -(i - 99)));
    const calibration = calibrate([{ actual, forecast: flat(200) }], { minPerBucket: 1000 });
    expect(calibration?.mode).toBe('scaled');
    expect(calibration?.buckets).toHaveLength(1);
    const served = applyCalibration(flat(3), calibration!, [0.8]);
    // Upper: ⌈201 · 0.9⌉ = 181st of 200 sorted scores (−100..−1, 1..100) = 81; lower: ⌊201 · 0.1⌋ = 20th = −81.
    expect(served.intervals[0]?.upper).toEqual([81, 81, 81]);
    expect(served.intervals[0]?.lower).toEqual([-81, -81, -81]);
    // The calibrated band covers 80 % of the calibration residuals (±81 holds 162 of 200).
    const band: Forecast = {
      point: Array(200).fill(0),
      intervals: [{ level: 0.8, lower: Array(200).fill(-81), upper: Array(200).fill(81) }],
    };
    expect(empiricalCoverage([{ actual, forecast: band }], 0.8)).toBeCloseTo(0.81, 9);
  });

  it('keeps an asymmetric band asymmetric: residuals above are scaled by the upper half-width, below by the lower', () => {
    // The model's own 80 % band is 3 above the point and 1 below. Errors above are 0.3, 0.9, …, 5.7 (0.1 … 1.9
    // upper half-widths), errors below 0.2, 0.4, …, 2 (0.2 … 2 lower half-widths), each ten times.
    const horizon = 200;
    const skewed = (length: number): Forecast => ({
      point: Array(length).fill(10),
      intervals: [{ level: 0.8, lower: Array(length).fill(9), upper: Array(length).fill(13) }],
    });
    const actual = Array.from({ length: horizon }, (_, i) => {
      const k = (i % 20) + 1;
      return i % 2 === 0 ? 10 + (6 * k) / 20 : 10 - (2 * k) / 20;
    });
    const calibration = calibrate([{ actual, forecast: skewed(horizon) }], { minPerBucket: 1000 })!;
    expect(calibration.mode).toBe('scaled');
    const scores = calibration.buckets[0]!;
    expect(scores[0]).toBeCloseTo(-2, 12);
    expect(scores[scores.length - 1]).toBeCloseTo(1.9, 12);
    const served = applyCalibration(skewed(2), calibration, [0.8]).intervals[0]!;
    // Upper: the ⌈201 · 0.9⌉ = 181st of the 200 sorted scores = 1.7, times the upper half-width 3;
    // lower: the ⌊201 · 0.1⌋ = 20th = −1.8, times the lower half-width 1.
    expect(served.upper[0]).toBeCloseTo(10 + 1.7 * 3, 9);
    expect(served.lower[0]).toBeCloseTo(10 - 1.8 * 1, 9);
  });

  it('serves the first steps from the near part and the rest from the day-ahead buckets', () => {
    // Day-ahead residuals ±10, near-horizon residuals ±2, own half-width 1 everywhere.
    const alternating = (length: number, size: number): number[] => Array.from({ length }, (_, i) => (i % 2 === 0 ? size : -size));
    const dayAhead = calibrate([{ actual: alternating(200, 10), forecast: flat(200) }], { minPerBucket: 1000 })!;
    const near = calibrate([{ actual: alternating(3, 2), forecast: flat(3) }, { actual: alternating(3, 2), forecast: flat(3) }])!;
    expect(near.horizonSteps).toBe(3);
    const served = applyCalibration(flat(6), { ...dayAhead, near }, [0.8]).intervals[0]!;
    expect(served.upper).toEqual([2, 2, 2, 10, 10, 10]);
    expect(served.lower).toEqual([-2, -2, -2, -10, -10, -10]);
    // Without the near part every step is day-ahead.
    expect(applyCalibration(flat(6), dayAhead, [0.8]).intervals[0]!.upper).toEqual([10, 10, 10, 10, 10, 10]);
  });

  it('keeps the model’s shape: a band twice as wide at a step stays twice as wide', () => {
    const actual = Array.from({ length: 400 }, (_, i) => ((i * 7919) % 400) / 100 - 2);
    const calibration = calibrate([{ actual, forecast: flat(400) }])!;
    const forecast: Forecast = { point: [10, 10], intervals: [{ level: 0.8, lower: [9, 8], upper: [11, 12] }] };
    const served = applyCalibration(forecast, calibration, [0.8, 0.95]);
    const [i80, i95] = served.intervals;
    expect((i80!.upper[1]! - 10) / (i80!.upper[0]! - 10)).toBeCloseTo(2, 9);
    expect(i95!.upper[0]).toBeGreaterThan(i80!.upper[0]!);
    expect(i95!.lower[0]).toBeLessThan(i80!.lower[0]!);
  });

  it('pools residuals per horizon bucket, so later steps get wider bands when errors grow', () => {
    const horizon = 200;
    const samples = [0, 1, 2].map((k) => ({
      actual: Array.from({ length: horizon }, (_, h) => (h < 100 ? 1 : 10) * (((h + k) % 2) * 2 - 1)),
      forecast: flat(horizon),
    }));
    const calibration = calibrate(samples, { minPerBucket: 300 })!;
    expect(calibration.buckets).toHaveLength(2);
    const served = applyCalibration(flat(horizon), calibration, [0.8]);
    expect(served.intervals[0]?.upper[0]).toBe(1);
    expect(served.intervals[0]?.upper[150]).toBe(10);
    // Beyond the calibrated horizon the last bucket applies (scaled: the model's own width says how it grows).
    expect(applyCalibration(flat(300), calibration, [0.8]).intervals[0]?.upper[299]).toBe(10);
    // Raw residuals (no own width) widen by √(horizons ahead) past the calibrated horizon.
    const point = Array<number>(horizon).fill(0);
    const noWidth = (length: number): Forecast => ({
      point: Array<number>(length).fill(0),
      intervals: [{ level: 0.8, lower: Array<number>(length).fill(0), upper: Array<number>(length).fill(0) }],
    });
    const raw = calibrate(
      samples.map((s) => ({ actual: s.actual, forecast: noWidth(point.length) })),
      { minPerBucket: 300 },
    )!;
    expect(raw.mode).toBe('absolute');
    const longer = applyCalibration(noWidth(450), raw, [0.8]).intervals[0]!;
    expect(longer.upper[199]).toBe(10);
    expect(longer.upper[299]).toBeCloseTo(10 * Math.SQRT2, 9);
    expect(longer.upper[449]).toBeCloseTo(10 * Math.sqrt(3), 9);
  });

  it('uses raw residuals when the model gives no interval width, and never crosses the point', () => {
    const point = [5, 5, 5, 5];
    const zeroWidth: Forecast = { point, intervals: [{ level: 0.8, lower: point, upper: point }] };
    const calibration = calibrate([{ actual: [6, 7, 8, 9], forecast: zeroWidth }])!;
    expect(calibration.mode).toBe('absolute');
    const served = applyCalibration(zeroWidth, calibration, [0.8]);
    // All residuals positive: the lower bound stays at the point.
    expect(served.intervals[0]?.lower).toEqual(point);
    expect(served.intervals[0]?.upper.every((u) => u > 5)).toBe(true);
  });

  it('returns undefined when there is nothing to calibrate from', () => {
    expect(calibrate([{ actual: [], forecast: flat(0) }])).toBeUndefined();
  });

  it('widens a band per level by how much calmer the calibration window was than the whole history', () => {
    // Around a level of 1000, lag-1 differences: ±1 over the first 300 steps, with every tenth ±5; ±1 only over the
    // last 100 (the calibration window).
    const history = [1000];
    // Steps alternate up and down (+5 at every tenth, −5 right after), so the level stays within 0.5 % of 1000.
    for (let i = 1; i < 400; i++) history.push((history[i - 1] as number) + (i < 300 && i % 10 < 2 ? 5 : 1) * (i % 2 === 0 ? 1 : -1));
    const tail = tailReference(history, 1, 100)!;
    expect(tail.longRun).toHaveLength(399);
    expect(tail.recent).toHaveLength(100);
    // 59 of 399 differences are 5: the long-run 95 % quantile is 5, the recent one 1 (relative to the level, ≈ 5 / 1).
    expect(tailFactor(tail, 0.95)).toBe(3); // 5 / 1, capped at the default maximum of 3
    expect(tailFactor({ ...tail, maxFactor: 10 }, 0.95)).toBeCloseTo(5, 1);
    // At 80 % both windows' quantile is 1: no widening.
    expect(tailFactor(tail, 0.8)).toBeLessThan(1.01);

    const calibration = calibrate([{ actual: [1, -1, 1, -1], forecast: flat(4) }], { tail: { ...tail, maxFactor: 10 } })!;
    const plain = calibrate([{ actual: [1, -1, 1, -1], forecast: flat(4) }])!;
    const widened = applyCalibration(flat(2), calibration, [0.8, 0.95]);
    const base = applyCalibration(flat(2), plain, [0.8, 0.95]);
    const factor95 = tailFactor({ ...tail, maxFactor: 10 }, 0.95);
    expect(widened.intervals[0]!.upper[0]! / base.intervals[0]!.upper[0]!).toBeLessThan(1.01);
    expect(widened.intervals[1]!.upper[0]! / base.intervals[1]!.upper[0]!).toBeCloseTo(factor95, 9);
    expect(widened.intervals[1]!.lower[0]! / base.intervals[1]!.lower[0]!).toBeCloseTo(factor95, 9);
  });

  it('never narrows a band when the calibration window was wilder than the history', () => {
    const history = Array.from({ length: 400 }, (_, i) => 1000 + (i >= 300 ? (i % 2) * 10 : i % 2));
    const tail = tailReference(history, 1, 100)!;
    expect(tailFactor(tail, 0.8)).toBe(1);
    expect(tailFactor(tail, 0.95)).toBe(1);
  });

  it('has no tail reference when the history is not at least twice the calibration window', () => {
    expect(
      tailReference(
        Array.from({ length: 150 }, (_, i) => i % 3),
        1,
        100,
      ),
    ).toBeUndefined();
  });

  it('compares differences relative to the level, so growth of the load is not taken for wilder days', () => {
    // Noise of ±1 % of the level, while the level falls tenfold: absolute differences were ten times larger early on.
    const history = Array.from({ length: 400 }, (_, i) => (i < 300 ? 1000 : 100) * (1 + 0.01 * (i % 2)));
    const tail = tailReference(history, 2, 100)!;
    expect(tailFactor(tail, 0.8)).toBe(1);
    expect(tailFactor(tail, 0.95)).toBe(1);
  });

  it('keeps a wider level’s band around a narrower one even when the narrower is widened more', () => {
    // Recent differences: 90 % are 1, 10 % are 3; long run: all 3. So the 80 % band widens ×3, the 95 % band not at all.
    const recent = [...Array<number>(90).fill(1), ...Array<number>(10).fill(3)];
    const tail = { lagSteps: 1, recent, longRun: Array<number>(300).fill(3), maxFactor: 10 };
    expect(tailFactor(tail, 0.8)).toBe(3);
    expect(tailFactor(tail, 0.95)).toBe(1);
    // Residuals ±1: both levels' conformal half-width is 1 before widening.
    const calibration = calibrate([{ actual: [1, -1, 1, -1], forecast: flat(4) }], { tail })!;
    const [i80, i95] = applyCalibration(flat(2), calibration, [0.8, 0.95]).intervals;
    expect(i80!.upper).toEqual([3, 3]);
    expect(i95!.upper).toEqual([3, 3]);
    expect(i95!.lower).toEqual([-3, -3]);
  });

  it('replays the calibration window over the history: widens where quiet windows were followed by incidents', () => {
    // Blocks of 10 differences; every fourth block an incident (10 against 1). The last window (3 blocks) holds one,
    // so it is as wild as the long run (ratio 1); but each incident came after 3 quiet blocks, which a 3-block band missed.
    const differences = Array.from({ length: 200 }, (_, t) => (Math.floor(t / 10) % 4 === 3 ? 10 : 1));
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    const base = {
      lagSteps: 1,
      longRun: sorted(differences),
      recent: sorted(differences.slice(-30)),
      maxFactor: 20,
      differences,
      blockSteps: 10,
    };
    expect(tailFactor({ ...base, method: 'ratio' }, 0.95)).toBe(1);
    // Replayed blocks 3–19: 5 of 17 are incidents after quiet windows, 10 / 1 over their band: the 95 % quantile is 10.
    expect(tailFactor({ ...base, method: 'rolling' }, 0.95)).toBe(10);
    expect(tailFactor({ ...base, method: 'max' }, 0.95)).toBe(10);
    expect(tailFactor({ ...base, method: 'rolling', maxFactor: 3 }, 0.95)).toBe(3);
    // At 80 % the incident blocks (29 % of the ratios) still decide.
    expect(tailFactor({ ...base, method: 'rolling' }, 0.8)).toBe(10);
  });

  it('finds no widening in a replay of a series whose days are alike', () => {
    let state = 7;
    const uniform = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return state / 2_147_483_648;
    };
    const history = Array.from({ length: 3000 }, () => 1000 + 20 * uniform());
    const tail = tailReference(history, 100, 300, 3, { blockSteps: 100, method: 'rolling' })!;
    expect(tailFactor(tail, 0.8)).toBeLessThan(1.1);
    expect(tailFactor(tail, 0.95)).toBeLessThan(1.1);
  });

  describe('cross-check, one origin left out at a time', () => {
    /** Origins of `steps` residuals, origin i uniform in ±scales[i] (own half-width 1, so scores are the residuals). */
    function origins(scales: readonly number[], steps: number, seed: number) {
      const random = seededRandom(seed);
      return scales.map((scale) => ({ actual: Array.from({ length: steps }, () => scale * (2 * random() - 1)), forecast: flat(steps) }));
    }

    it('raises the levels when the origins disagree: a calm, a normal and a wild day', () => {
      const samples = origins([0.5, 1, 2], 300, 1);
      const plain = calibrate(samples, { minPerBucket: 1000 })!;
      const checked = calibrate(samples, { minPerBucket: 1000, crossCheck: true })!;
      expect(plain.calibrateAt).toBeUndefined();
      const at = new Map(checked.calibrateAt!.map((c) => [c.level, c.at]));
      expect(at.get(0.8)).toBeGreaterThan(0.8);
      expect(at.get(0.95)).toBeGreaterThan(0.95);
      // The cross-checked band is wider than the plain one at every level, so it covers more of a wild day.
      const wide = applyCalibration(flat(1), checked, [0.8, 0.95]);
      const narrow = applyCalibration(flat(1), plain, [0.8, 0.95]);
      for (const k of [0, 1]) expect(wide.intervals[k]!.upper[0]).toBeGreaterThan(narrow.intervals[k]!.upper[0]!);
      // Every raised level stays below 1: a band is never made infinite.
      for (const c of checked.calibrateAt!) expect(c.at).toBeLessThan(1);
    });

    it('leaves the levels (nearly) alone when the origins are alike', () => {
      const samples = origins(Array(10).fill(1), 300, 2);
      const checked = calibrate(samples, { minPerBucket: 1000, crossCheck: true })!;
      for (const c of checked.calibrateAt!) expect(c.at).toBeLessThanOrEqual(c.level + (1 - c.level) * 0.2 + 1e-12);
    });

    it('lets a held-out shortfall that sampling noise explains pass, and still raises a level for a larger one', () => {
      // Three alike origins of 48 residuals (M4's backtest): any shortfall of the held-out coverage is noise.
      const alike = origins([1, 1, 1], 48, 5);
      const raisedAny = (slack: number, samples: ReturnType<typeof origins>) =>
        calibrate(samples, { minPerBucket: 1000, crossCheck: true, crossCheckSlack: slack })!.calibrateAt!.filter((c) => c.at > c.level + 1e-12);
      // Without slack the noise of three origins raises levels…
      expect(raisedAny(0, alike).length).toBeGreaterThan(0);
      // …three binomial standard errors of 144 residuals let it pass.
      expect(raisedAny(3, alike)).toEqual([]);
      // A calm, a normal and a wild day fall short by more than noise: 0.8 and 0.95 are still raised.
      const raised = new Map(raisedAny(3, origins([0.5, 1, 2], 300, 1)).map((c) => [c.level, c.at]));
      expect(raised.get(0.8)).toBeGreaterThan(0.8);
      expect(raised.get(0.95)).toBeGreaterThan(0.95);
    });

    it('counts autocorrelated residuals as fewer: a smooth wander of three alike days is noise, a wild day still is not', () => {
      // Three alike origins of 48 residuals, each an AR(1) wander (φ = 0.7) as hourly load errors are: the
      // residuals of one day move together, so 144 of them hold far less than 144 residuals' evidence.
      const wander = (seed: number, phi = 0.7) => {
        const random = seededRandom(seed);
        return [0, 1, 2].map(() => {
          let x = 0;
          return { actual: Array.from({ length: 48 }, () => (x = phi * x + (2 * random() - 1))), forecast: flat(48) };
        });
      };
      const raised = (samples: { actual: number[]; forecast: ReturnType<typeof flat> }[], effective: boolean) =>
        calibrate(samples, { minPerBucket: 1000, crossCheck: true, crossCheckSlack: 1.645, crossCheckEffectiveSize: effective })!.calibrateAt!.filter(
          (c) => c.at > c.level + 1e-12,
        );
      const seeds = Array.from({ length: 20 }, (_, i) => 11 + i);
      const binomial = seeds.filter((seed) => raised(wander(seed), false).length > 0).length;
      const effective = seeds.filter((seed) => raised(wander(seed), true).length > 0).length;
      // Of 20 seeded triples of alike days, counted as independent residuals 14 had a level raised; as an
      // AR(1) sample, 8 (a wander can still leave one day far outside the other two's band).
      expect(binomial - effective).toBeGreaterThanOrEqual(4);
      // Independent residuals (ρ ≈ 0) count in full: a calm, a normal and a wild day still raise 0.8 and 0.95.
      const levels = new Map(raised(origins([0.5, 1, 2], 300, 1), true).map((c) => [c.level, c.at]));
      expect(levels.get(0.8)).toBeGreaterThan(0.8);
      expect(levels.get(0.95)).toBeGreaterThan(0.95);
    });

    it('does not cross-check a single origin, and interpolates levels between the checked ones', () => {
      expect(calibrate(origins([1], 300, 3), { crossCheck: true })!.calibrateAt).toBeUndefined();
      const samples = origins([0.5, 1, 2], 300, 4);
      const checked = calibrate(samples, { minPerBucket: 1000, crossCheck: true })!;
      const at = new Map(checked.calibrateAt!.map((c) => [c.level, c.at]));
      expect([...at.keys()]).toEqual([0.5, 0.8, 0.9, 0.95, 0.99]);
      // 0.85 lies halfway between the checked 0.8 and 0.9: it is calibrated halfway between their levels.
      const halfway = (at.get(0.8)! + at.get(0.9)!) / 2;
      const plain = calibrate(samples, { minPerBucket: 1000 })!;
      const served = applyCalibration(flat(1), checked, [0.85]).intervals[0]!;
      const expected = applyCalibration(flat(1), plain, [halfway]).intervals[0]!;
      expect(served.upper[0]).toBe(expected.upper[0]);
      expect(served.lower[0]).toBe(expected.lower[0]);
    });
  });
});
