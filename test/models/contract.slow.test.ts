import { beforeAll, describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import type { FitContext, Forecast } from '../../src/models/forecaster.js';
import { forecasters } from '../../src/models/registry.js';
import { initTensorflow, tf } from '../../src/models/tf/backend.js';

// Tensor counts are read from the backend the models use, so it must be up before the first count.
beforeAll(async () => {
  await initTensorflow();
});

/**
 * The one contract every registered model must meet (STYLE.md §1). A model
 * added to the registry is tested here without anyone writing a line.
 */

const STEP_SECONDS = 1800;
const DAY = 48;
/** 15 days of half-hourly load: a daily cycle, a weekday bump, a slow trend and deterministic noise. */
const values = Array.from({ length: 15 * DAY }, (_, i) => {
  const noise = (((i * 2654435761) % 1000) / 1000 - 0.5) * 6;
  const weekday = Math.floor(i / DAY) % 7 < 5 ? 10 : 0;
  return 100 + 40 * Math.sin((2 * Math.PI * i) / DAY) + weekday + i * 0.01 + noise;
});
const ctx = (): FitContext => ({
  stepSeconds: STEP_SECONDS,
  startMs: Date.UTC(2026, 0, 5),
  seasonalPeriods: [DAY],
  deadlineMs: Date.now() + 120_000,
  seed: 7,
});
const HORIZON = DAY;
const LEVELS = [0.95, 0.8];

function checkShape(forecast: Forecast): void {
  expect(forecast.point).toHaveLength(HORIZON);
  expect(forecast.intervals.map((i) => i.level)).toEqual(LEVELS);
  const [wide, narrow] = forecast.intervals;
  for (let h = 0; h < HORIZON; h++) {
    const point = forecast.point[h] as number;
    expect(Number.isFinite(point)).toBe(true);
    for (const interval of forecast.intervals) {
      expect(interval.lower).toHaveLength(HORIZON);
      expect(interval.upper).toHaveLength(HORIZON);
      expect(interval.lower[h]).toBeLessThanOrEqual(point + 1e-9);
      expect(interval.upper[h]).toBeGreaterThanOrEqual(point - 1e-9);
    }
    // A 95 % interval contains the 80 % one.
    expect(wide?.lower[h]).toBeLessThanOrEqual((narrow?.lower[h] as number) + 1e-9);
    expect(wide?.upper[h]).toBeGreaterThanOrEqual((narrow?.upper[h] as number) - 1e-9);
  }
}

describe.each([...forecasters.values()].map((f) => [f.name, f] as const))('model contract: %s', (_name, forecaster) => {
  it('forecasts the requested horizon with nested intervals around the point, in the order asked', async () => {
    const fitted = await forecaster.fit(values, ctx());
    try {
      const forecast = fitted.predict(HORIZON, LEVELS);
      checkShape(forecast);
      // Plausible: within the range the history spans, widened by half of it.
      const min = Math.min(...values);
      const max = Math.max(...values);
      for (const p of forecast.point) {
        expect(p).toBeGreaterThan(min - (max - min) / 2);
        expect(p).toBeLessThan(max + (max - min) / 2);
      }
      expect(fitted.predict(HORIZON, LEVELS)).toEqual(forecast);
      expect(typeof fitted.info.model).toBe('string');
    } finally {
      fitted.dispose();
      fitted.dispose();
    }
  });

  it('refuses a series shorter than minLength with PRESCIENT_ERR_SERIES_TOO_SHORT', async () => {
    const needed = forecaster.minLength(ctx());
    expect(needed).toBeGreaterThanOrEqual(2);
    const error = await forecaster.fit(values.slice(0, needed - 1), ctx()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(PrescientError);
    expect((error as PrescientError).code).toBe('PRESCIENT_ERR_SERIES_TOO_SHORT');
  });

  it('leaks no tensors across fit, predict and dispose', async () => {
    const once = async (): Promise<void> => {
      const fitted = await forecaster.fit(values, ctx());
      fitted.predict(HORIZON, LEVELS);
      fitted.dispose();
    };
    await once();
    const before = tf.memory().numTensors;
    await once();
    expect(tf.memory().numTensors).toBe(before);
  });
});
