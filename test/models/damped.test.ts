import { describe, expect, it } from 'vitest';
import { ALPHAS, BETAS, PHIS, damped, dampedSum, fitDamped, initialTrend, smooth } from '../../src/models/damped.js';
import type { FitContext } from '../../src/models/forecaster.js';
import { seededRandom } from '../../src/random.js';
import { expectEveryShapeForecast } from '../support/shapes.js';

const DAY = 24;

function ctx(seasonalPeriods: number[], stepSeconds = 3600): FitContext {
  return { stepSeconds, startMs: Date.UTC(2024, 0, 1), seasonalPeriods, deadlineMs: Date.now() + 60_000, seed: 1 };
}


/** The objective written out: squared errors of every in-sample forecast 1 … horizon steps ahead. */
function bruteForceSse(values: readonly number[], horizon: number, alpha: number, beta: number, phi: number): number {
  const { levels, trends } = smooth(values, alpha, beta, phi, initialTrend(values, horizon));
  let total = 0;
  for (let t = 0; t < values.length - 1; t++) {
    for (let h = 1; h <= Math.min(horizon, values.length - 1 - t); h++) {
      total += ((values[t + h] as number) - (levels[t] as number) - dampedSum(phi, h) * (trends[t] as number)) ** 2;
    }
  }
  return total;
}

describe('damped', () => {
  it('follows a trend and bends it: each step ahead adds φ times the previous step', async () => {
    const random = seededRandom(3);
    const values = Array.from({ length: 200 }, (_, t) => 10 + 2 * t + random() - 0.5);
    const fitted = await damped.fit(values, ctx([]));
    const point = fitted.predict(40, [0.8]).point;
    const steps = point.slice(1).map((p, k) => p - (point[k] as number));
    expect(point[0]).toBeGreaterThan(values[199] as number);
    expect(steps[0]).toBeGreaterThan(1);
    for (let k = 1; k < steps.length; k++) expect(steps[k]).toBeLessThan(steps[k - 1] as number);
    const phi = Number(/φ ([0-9.]+)/.exec(fitted.info.notes.join(' '))?.[1]);
    expect((steps[1] as number) / (steps[0] as number)).toBeCloseTo(phi, 6);
  });

  it('chooses the grid point with the least squared error over the steps ahead, as a brute-force sum finds it', () => {
    const random = seededRandom(7);
    let deviation = 0;
    const values = Array.from({ length: 6 * DAY }, (_, t) => {
      deviation = 0.8 * deviation + random() - 0.5;
      return 50 + 0.1 * t + 5 * Math.sin(t / 9) + deviation;
    });
    const fit = fitDamped(values, DAY);
    let best = { sse: Number.POSITIVE_INFINITY, alpha: 0, beta: 0, phi: 0 };
    for (const phi of PHIS)
      for (const alpha of ALPHAS)
        for (const beta of BETAS) {
          const sse = bruteForceSse(values, DAY, alpha, beta, phi);
          if (sse < best.sse) best = { sse, alpha, beta, phi };
        }
    expect({ alpha: fit.alpha, beta: fit.beta, phi: fit.phi }).toEqual({ alpha: best.alpha, beta: best.beta, phi: best.phi });
  });

  it('fits its weights to the errors a season ahead: a slow wander around the daily cycle is not carried forward for a day', async () => {
    const random = seededRandom(11);
    let deviation = 0;
    const values = Array.from({ length: 30 * DAY }, (_, t) => {
      deviation = 0.9 * deviation + 4 * (random() - 0.5);
      return 200 + 60 * Math.sin((2 * Math.PI * t) / DAY) + deviation;
    });
    const fitted = await damped.fit(values, ctx([DAY]));
    expect(fitted.info.notes.join(' ')).toContain('multiplicative season of 24 steps');
    expect(Number(/α ([0-9.]+)/.exec(fitted.info.notes.join(' '))?.[1])).toBeLessThan(0.5);
  });

  it("fits every shape of issue 16 (flat, flat + noise, constant, zeros, one spike, cold starts, the asg file's last 14 days) with a valid, plausible forecast", async () => {
    await expectEveryShapeForecast(damped);
  });

  it('holds the trend of n values after n steps ahead instead of extrapolating it further', async () => {
    const fitted = await damped.fit([3, 4], ctx([]));
    const point = fitted.predict(10, [0.8]).point;
    expect(point[1]).not.toBe(point[0]);
    expect(point.slice(2).every((p) => p === point[1])).toBe(true);
  });
});
