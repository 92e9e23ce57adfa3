import { describe, expect, it } from 'vitest';
import type { FitContext, Forecast } from '../../src/models/forecaster.js';
import { theta } from '../../src/models/theta.js';
import { seededRandom } from '../../src/random.js';
import { expectEveryShapeForecast, expectOrdered } from '../support/shapes.js';

const DAY = 24;

function ctx(seasonalPeriods: number[], stepSeconds = 3600): FitContext {
  return { stepSeconds, startMs: Date.UTC(2024, 0, 1), seasonalPeriods, deadlineMs: Date.now() + 60_000, seed: 1 };
}

function alphaOf(notes: readonly string[]): number {
  const match = /SES α ([0-9.]+)/.exec(notes.join(' '));
  if (!match) throw new Error(`no α in ${notes.join(' | ')}`);
  return Number(match[1]);
}

function meanAbsoluteError(forecast: Forecast, actual: readonly number[]): number {
  return actual.reduce((sum, a, h) => sum + Math.abs(a - (forecast.point[h] as number)), 0) / actual.length;
}


describe('theta', () => {
  it('extrapolates half the slope of a straight line from its last value (Hyndman & Billah: SES with drift b/2)', async () => {
    const values = Array.from({ length: 50 }, (_, t) => 10 + 2 * t);
    const fitted = await theta.fit(values, ctx([]));
    const forecast = fitted.predict(5, [0.8]);
    // α → 1 on a noiseless line, so the forecast is y_n + (b/2)·h with b = 2.
    forecast.point.forEach((p, k) => expect(p).toBeCloseTo(108 + (k + 1), 3));
    expect(fitted.info.model).toBe('theta');
  });

  it('takes a multiplicative daily season out and puts it back', async () => {
    const random = seededRandom(5);
    const shape = (t: number): number => 1 + 0.5 * Math.sin((2 * Math.PI * t) / DAY);
    const values = Array.from({ length: 21 * DAY }, (_, t) => 100 * shape(t) * (1 + 0.02 * (random() - 0.5)));
    const fitted = await theta.fit(values.slice(0, 20 * DAY), ctx([DAY]));
    const forecast = fitted.predict(DAY, [0.8, 0.95]);
    expect(fitted.info.notes.join(' ')).toContain('multiplicative season of 24 steps');
    // Swing ±50, noise ±1: the cycle is forecast, not flattened.
    expect(meanAbsoluteError(forecast, values.slice(20 * DAY))).toBeLessThan(3);
    expectOrdered(forecast, DAY);
  });

  it('averages the season over the last 7 cycles only: a daily peak that moved is forecast where it is now', async () => {
    // 30 days with the peak at 12:00, then 7 days with it at 16:00 (a schedule change).
    const peakAt = (t: number): number => (t < 30 * DAY ? 12 : 16);
    const values = Array.from({ length: 37 * DAY }, (_, t) => 100 + 50 * Math.cos((2 * Math.PI * ((t % DAY) - peakAt(t))) / DAY));
    const fitted = await theta.fit(values, ctx([DAY]));
    const point = fitted.predict(DAY, [0.8]).point;
    // values.length is a whole number of days, so step k of the forecast is hour k of the day.
    expect(point.indexOf(Math.max(...point))).toBe(16);
  });

  it('fits α to the errors a season ahead: a slow wander around the daily cycle is not carried forward for a day', async () => {
    // A seasonal load plus an AR(1) deviation with φ = 0.9 an hour: one-step least squares gives α ≈ 1
    // (Naive2: the last hour's deviation forecast for every hour ahead); a day ahead the deviation is gone.
    const random = seededRandom(11);
    let deviation = 0;
    const values = Array.from({ length: 30 * DAY }, (_, t) => {
      deviation = 0.9 * deviation + 4 * (random() - 0.5);
      return 200 + 60 * Math.sin((2 * Math.PI * t) / DAY) + deviation;
    });
    const fitted = await theta.fit(values, ctx([DAY]));
    expect(alphaOf(fitted.info.notes)).toBeLessThan(0.5);
  });

  it('leaves a season out when the history holds fewer than 3 of its cycles, or its autocorrelation is noise', async () => {
    const random = seededRandom(2);
    const noise = Array.from({ length: 10 * DAY }, () => 50 + random());
    const short = await theta.fit(noise.slice(0, 2 * DAY), ctx([DAY]));
    expect(short.info.notes[0]).toBe('season of 24 steps not taken out: fewer than 3 cycles of history');
    const flat = await theta.fit(noise, ctx([DAY]));
    expect(flat.info.notes[0]).toBe('season of 24 steps not taken out: its autocorrelation is within noise (90 % test)');
  });

  it('takes an additive season out of a history with zeros', async () => {
    const values = Array.from({ length: 10 * DAY }, (_, t) => (t % DAY < 8 ? 0 : 30 + (t % 3)));
    const fitted = await theta.fit(values, ctx([DAY]));
    expect(fitted.info.notes.join(' ')).toContain('additive season of 24 steps');
    expectOrdered(fitted.predict(DAY, [0.8, 0.95]), DAY);
  });

  it("fits every shape of issue 16 (flat, flat + noise, constant, zeros, one spike, cold starts, the asg file's last 14 days) with a valid, plausible forecast", async () => {
    await expectEveryShapeForecast(theta);
  });
});

describe('theta on a short history', () => {
  it('holds the trend of n values after n steps ahead instead of extrapolating it further', async () => {
    const fitted = await theta.fit([3, 4], ctx([]));
    const point = fitted.predict(10, [0.8]).point;
    expect(point[1]).toBeGreaterThan(4);
    expect(point.slice(2).every((p) => p === point[1])).toBe(true);
  });
});
