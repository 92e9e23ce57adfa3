import { describe, expect, it } from 'vitest';
import {
  coverage,
  levelForQuantile,
  mase,
  maseScale,
  meanAbsoluteError,
  pinballLoss,
  quantileFromForecast,
  smape,
} from '../../../src/models/evaluation/metrics.js';
import { thrownBy } from '../../support/errors.js';

describe('maseScale', () => {
  it('is the in-sample MAE of the seasonal naive at the period', () => {
    // Period 2: |3-1| + |4-2| + |6-3| + |5-4| = 2 + 2 + 3 + 1 = 8 over 4 pairs.
    expect(maseScale([1, 2, 3, 4, 6, 5], 2)).toBeCloseTo(2, 12);
  });

  it('falls back to lag 1 when the history is not longer than one period', () => {
    // Lag 1: |3-1| + |2-3| = 3 over 2 pairs.
    expect(maseScale([1, 3, 2], 3)).toBeCloseTo(1.5, 12);
    expect(maseScale([1, 3, 2], 288)).toBeCloseTo(1.5, 12);
  });

  it('handles a history that repeats itself (zero seasonal MAE): the naive MAE, then 1 % of the level', () => {
    // Perfectly periodic at 2: seasonal MAE 0; lag 1: |5-1| = 4 every step.
    expect(maseScale([1, 5, 1, 5, 1, 5], 2)).toBeCloseTo(4, 12);
    expect(maseScale([7, 7, 7, 7], 2)).toBeCloseTo(0.07, 12);
    expect(maseScale([-7, -7, -7], 1)).toBeCloseTo(0.07, 12);
    expect(maseScale([0, 0, 0, 0], 2)).toBeCloseTo(0.01, 12);
    // So an error of 1 % of a constant level scores MASE 1, finite.
    expect(mase([7, 7], [7.07, 6.93], maseScale([7, 7, 7, 7], 2))).toBeCloseTo(1, 9);
  });

  it('throws PRESCIENT_ERR_VALIDATION for a non-integer period or a single value', () => {
    expect(thrownBy(() => maseScale([1, 2, 3], 1.5)).code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(thrownBy(() => maseScale([1, 2, 3], 0)).code).toBe('PRESCIENT_ERR_VALIDATION');
    const short = thrownBy(() => maseScale([1], 1));
    expect(short.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(short.message).toContain('at least 2');
  });
});

describe('mase', () => {
  it('divides the forecast MAE by the scale', () => {
    // MAE = (1 + 2 + 0) / 3 = 1; scale 2 → 0.5.
    expect(meanAbsoluteError([10, 12, 14], [11, 10, 14])).toBeCloseTo(1, 12);
    expect(mase([10, 12, 14], [11, 10, 14], 2)).toBeCloseTo(0.5, 12);
  });

  it('is 0 for an exact forecast and Infinity for an inexact one when the scale is 0', () => {
    expect(mase([5, 5], [5, 5], 0)).toBe(0);
    expect(mase([5, 5], [5, 6], 0)).toBe(Number.POSITIVE_INFINITY);
  });

  it('throws PRESCIENT_ERR_VALIDATION when lengths differ', () => {
    expect(thrownBy(() => mase([1, 2], [1], 1)).code).toBe('PRESCIENT_ERR_VALIDATION');
  });
});

describe('smape', () => {
  it('uses the 0–200 % convention', () => {
    // |100-50| / 150 = 1/3; |0-10| / 10 = 1 → 200/2 · (4/3) = 133.33 %.
    expect(smape([100, 0], [50, 10])).toBeCloseTo(400 / 3, 10);
    // Opposite signs give the maximum, 200 %.
    expect(smape([1], [-1])).toBeCloseTo(200, 12);
  });

  it('counts 0/0 (actual and forecast both zero) as a perfect step', () => {
    // Steps: 0/0 → 0; |2-1| / 3 → 1/3: 200/2 · 1/3 = 33.33 %.
    expect(smape([0, 2], [0, 1])).toBeCloseTo(100 / 3, 10);
    expect(smape([0, 0], [0, 0])).toBe(0);
  });
});

describe('coverage', () => {
  it('counts actuals inside the bounds, bounds included', () => {
    expect(coverage([1, 2, 3, 4], [0, 2, 3.5, 0], [1, 5, 4, 3])).toBeCloseTo(0.5, 12);
  });
});

describe('pinballLoss', () => {
  it('weighs under-forecasts by q and over-forecasts by 1 − q', () => {
    // q = 0.9: actual 10 vs 8 → 0.9·2 = 1.8; actual 10 vs 13 → 0.1·3 = 0.3; mean 1.05.
    expect(pinballLoss([10, 10], [8, 13], 0.9)).toBeCloseTo(1.05, 12);
    // At the median it is half the absolute error.
    expect(pinballLoss([10, 10], [8, 13], 0.5)).toBeCloseTo(1.25, 12);
  });

  it('throws PRESCIENT_ERR_VALIDATION for a quantile outside (0, 1)', () => {
    for (const q of [0, 1, -0.5, 1.5, Number.NaN]) {
      const err = thrownBy(() => pinballLoss([1], [1], q));
      expect(err.code, String(q)).toBe('PRESCIENT_ERR_VALIDATION');
      expect(err.message, String(q)).toContain('quantile');
    }
    // Just inside the bounds it scores.
    expect(pinballLoss([1], [0], 0.001)).toBeCloseTo(0.001, 12);
    expect(pinballLoss([1], [0], 0.999)).toBeCloseTo(0.999, 12);
  });
});

describe('quantileFromForecast', () => {
  const forecast = {
    point: [5, 6],
    intervals: [
      { level: 0.8, lower: [3, 4], upper: [7, 8] },
      { level: 0.95, lower: [1, 2], upper: [9, 10] },
    ],
  };

  it('takes the upper bound of the interval at level 2q − 1', () => {
    expect(levelForQuantile(0.9)).toBe(0.8);
    expect(levelForQuantile(0.975)).toBe(0.95);
    expect(quantileFromForecast(forecast, 0.9)).toEqual([7, 8]);
    expect(quantileFromForecast(forecast, 0.975)).toEqual([9, 10]);
    expect(quantileFromForecast(forecast, 0.1)).toEqual([3, 4]);
    expect(quantileFromForecast(forecast, 0.5)).toEqual([5, 6]);
  });

  it('throws PRESCIENT_ERR_LEVEL_UNAVAILABLE when the interval is missing', () => {
    expect(() => quantileFromForecast(forecast, 0.95)).toThrowError(/0.9 interval/);
  });
});
