import { describe, expect, it } from 'vitest';
import type { FitContext } from '../../src/models/forecaster.js';
import { DRIFT_CYCLES, driftNaive, localLag, localNaive, recentDrift } from '../../src/models/local-naive.js';
import { seasonalNaive } from '../../src/models/seasonal-naive.js';
import { seededRandom } from '../../src/random.js';
import { expectEveryShapeForecast } from '../support/shapes.js';

const DAY = 24;

function ctx(seasonalPeriods: number[]): FitContext {
  return { stepSeconds: 3600, startMs: Date.UTC(2024, 0, 1), seasonalPeriods, deadlineMs: Date.now() + 60_000, seed: 1 };
}

/** A smooth daily-looking profile (one bump a cycle) repeating every `period` hours, with a little noise. */
function profile(n: number, period: (t: number) => number, seed: number): number[] {
  const random = seededRandom(seed);
  let phase = 0;
  return Array.from({ length: n }, (_, t) => {
    phase += (2 * Math.PI) / period(t);
    return 20 + 5 * Math.sin(phase) + 0.05 * (random() - 0.5);
  });
}

describe('lnaive', () => {
  it('repeats every 23 steps where the last cycles do (a daily profile arriving an hour earlier each day)', async () => {
    const values = profile(40 * DAY, () => 23, 1);
    expect(localLag(values, DAY)).toBe(23);
    const fitted = await localNaive.fit(values, ctx([DAY]));
    const point = fitted.predict(48, [0.8]).point;
    const n = values.length;
    point.forEach((p, h) => expect(p).toBe(values[n - 23 + (h % 23)]));
    expect(fitted.info.notes.join(' ')).toMatch(/every 23 steps, not 24/);
    // The true continuation (23-hour profile) is forecast far better than by the 24-step repeat of snaive.
    const truth = profile(n + 48, () => 23, 1).slice(n);
    const snaive = (await seasonalNaive.fit(values, ctx([DAY]))).predict(48, [0.8]).point;
    const error = (f: readonly number[]): number => f.reduce((s, x, h) => s + Math.abs(x - (truth[h] as number)), 0);
    expect(error(point)).toBeLessThan(0.2 * error(snaive));
  });

  it('follows a switch to 23 steps in the last three cycles, after weeks of 24', () => {
    const values = profile(40 * DAY, (t) => (t < 37 * DAY - 30 ? 24 : 23), 2);
    expect(localLag(values, DAY)).toBe(23);
    // Before the switch had three cycles behind it, 24 still wins.
    expect(localLag(values.slice(0, 36 * DAY), DAY)).toBe(24);
  });

  it('is exactly snaive when the nominal period fits: noise never moves the lag', async () => {
    for (const seed of [3, 4, 5, 6, 7]) {
      const random = seededRandom(seed);
      const values = Array.from({ length: 30 * DAY }, (_, t) => 100 + 20 * Math.sin((2 * Math.PI * t) / DAY) + 8 * (random() - 0.5));
      expect(localLag(values, DAY)).toBe(DAY);
      const ours = (await localNaive.fit(values, ctx([DAY]))).predict(60, [0.8, 0.95]);
      const theirs = (await seasonalNaive.fit(values, ctx([DAY]))).predict(60, [0.8, 0.95]);
      expect(ours).toEqual(theirs);
      // Noise alone (every lag fits about as well): the margin keeps the nominal period.
      const noise = Array.from({ length: 30 * DAY }, () => 50 + random());
      expect(localLag(noise, DAY)).toBe(DAY);
    }
  });

  it('scales the reach with the period: one hour either way of a day at 5 minutes', () => {
    const values = profile(10 * 288, () => 288 - 12, 8);
    expect(localLag(values, 288)).toBe(276);
  });

  it('forecasts every issue-16 shape validly (too short for the window: the nominal period or the last value)', async () => {
    await expectEveryShapeForecast(localNaive);
    await expectEveryShapeForecast(driftNaive);
  });
});

describe('dnaive', () => {
  it('adds the mean change per cycle of the last cycles, once per cycle ahead, and holds it after DRIFT_CYCLES cycles', async () => {
    // A daily profile on a level that stood still for weeks, then crept up 0.1 a day over the last 8 days.
    const n = 40 * DAY;
    const values = Array.from({ length: n }, (_, t) => 20 + 3 * Math.sin((2 * Math.PI * t) / DAY) + 0.1 * Math.max(0, t - (n - 8 * DAY)) / DAY);
    expect(recentDrift(values, DAY, DRIFT_CYCLES)).toBeCloseTo(0.1, 6);
    const fitted = await driftNaive.fit(values, ctx([DAY]));
    const horizon = (DRIFT_CYCLES + 2) * DAY;
    const point = fitted.predict(horizon, [0.8]).point;
    for (let h = 0; h < horizon; h++) {
      const cycles = Math.min(Math.floor(h / DAY) + 1, DRIFT_CYCLES);
      expect(point[h]).toBeCloseTo((values[n - DAY + (h % DAY)] as number) + 0.1 * cycles, 9);
    }
    // lnaive holds the last day: the next two days' creep is missed.
    const flat = (await localNaive.fit(values, ctx([DAY]))).predict(2 * DAY, [0.8]).point;
    const truth = Array.from({ length: 2 * DAY }, (_, h) => 20 + 3 * Math.sin((2 * Math.PI * (n + h)) / DAY) + 0.1 * (n + h - (n - 8 * DAY)) / DAY);
    const error = (f: readonly number[]): number => f.reduce((s, x, h) => s + Math.abs(x - (truth[h] as number)), 0);
    expect(error(point.slice(0, 2 * DAY))).toBeLessThan(0.1 * error(flat));
  });

  it('holds a drift measured over fewer cycles after that many: two values do not make a week of trend', async () => {
    const point = (await driftNaive.fit([3, 4], ctx([]))).predict(10, [0.8]).point;
    expect(point).toEqual(Array(10).fill(5));
  });

  it('measures the drift at the local lag: a 23-step profile on a creeping level', async () => {
    const values = profile(40 * DAY, () => 23, 9).map((v, t) => v + 0.002 * t);
    const fitted = await driftNaive.fit(values, ctx([DAY]));
    expect(fitted.info.notes.join(' ')).toMatch(/every 23 steps, not 24/);
    expect(recentDrift(values, 23, DRIFT_CYCLES)).toBeCloseTo(0.002 * 23, 2);
  });
});
