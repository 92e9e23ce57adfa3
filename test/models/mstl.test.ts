import { describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import type { FitContext } from '../../src/models/forecaster.js';
import { mstl } from '../../src/models/mstl.js';
import { seededRandom } from '../../src/random.js';
import { rejectionOf } from '../support/errors.js';

const DAY = 24;

function ctx(seasonalPeriods: number[]): FitContext {
  return { stepSeconds: 3600, startMs: Date.UTC(2024, 0, 1), seasonalPeriods, deadlineMs: Date.now() + 60_000, seed: 1 };
}

/** Hourly load: a daily cycle of ±40 around 200, small seeded noise. */
function daily(days: number, seed = 3): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: days * DAY }, (_, i) => 200 + 40 * Math.sin((2 * Math.PI * i) / DAY) + 4 * (random() - 0.5));
}

describe('mstl', () => {
  it('follows a daily cycle a day ahead, with nested intervals around the point', async () => {
    const values = daily(15);
    const fitted = await mstl.fit(values.slice(0, 14 * DAY), ctx([DAY]));
    const forecast = fitted.predict(DAY, [0.8, 0.95]);
    fitted.dispose();
    const actual = values.slice(14 * DAY);
    const mae = forecast.point.reduce((sum, p, h) => sum + Math.abs(p - (actual[h] as number)), 0) / DAY;
    // The noise is uniform ±2 (mean absolute 1): the cycle itself is learnt, not averaged away (its swing is ±40).
    expect(mae).toBeLessThan(4);
    expect(Math.max(...forecast.point) - Math.min(...forecast.point)).toBeGreaterThan(60);
    const [i80, i95] = forecast.intervals;
    expect(forecast.intervals.map((i) => i.level)).toEqual([0.8, 0.95]);
    forecast.point.forEach((p, h) => {
      expect(i95!.lower[h]).toBeLessThanOrEqual(i80!.lower[h]!);
      expect(i80!.lower[h]).toBeLessThanOrEqual(p);
      expect(p).toBeLessThanOrEqual(i80!.upper[h]!);
      expect(i80!.upper[h]).toBeLessThanOrEqual(i95!.upper[h]!);
    });
    // Not degenerate: the 80 % band has width, and is not absurdly wide for noise of ±2.
    expect(i80!.upper[0]! - i80!.lower[0]!).toBeGreaterThan(0);
    expect(i80!.upper[0]! - i80!.lower[0]!).toBeLessThan(40);
  });

  it('drops a season without two full cycles of history and says so', async () => {
    const fitted = await mstl.fit(daily(10), ctx([DAY, 7 * DAY]));
    expect(fitted.info).toEqual({ model: 'mstl', notes: ['season of 168 steps dropped: fewer than 2 full cycles of history'] });
    expect(fitted.predict(6, [0.8]).point).toHaveLength(6);
    fitted.dispose();
  });

  it('falls back to AutoETS alone when no season is usable', async () => {
    const fitted = await mstl.fit(daily(1), ctx([DAY]));
    expect(fitted.info.notes).toEqual(['season of 24 steps dropped: fewer than 2 full cycles of history', 'no usable season: AutoETS alone']);
    const forecast = fitted.predict(3, [0.9]);
    expect(forecast.point).toHaveLength(3);
    expect(forecast.point.every(Number.isFinite)).toBe(true);
    fitted.dispose();
  });

  it('refuses fewer than 10 values with PRESCIENT_ERR_SERIES_TOO_SHORT, and accepts 10', async () => {
    expect(mstl.minLength(ctx([]))).toBe(10);
    const err = await rejectionOf(mstl.fit([1, 2, 3, 4, 5, 6, 7, 8, 9], ctx([])));
    expect(err.code).toBe('PRESCIENT_ERR_SERIES_TOO_SHORT');
    const fitted = await mstl.fit([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ctx([]));
    expect(fitted.predict(2, [0.8]).point).toHaveLength(2);
    fitted.dispose();
  });

  it('refuses to predict after dispose with a coded error', async () => {
    const fitted = await mstl.fit(daily(3), ctx([DAY]));
    fitted.dispose();
    let error: unknown;
    try {
      fitted.predict(2, [0.8]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PrescientError);
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_INTERNAL');
  });
});
