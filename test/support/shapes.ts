import { join } from 'node:path';
import { expect } from 'vitest';
import type { Forecast, Forecaster } from '../../src/models/forecaster.js';
import { PLAUSIBLE_RANGE_MULTIPLE, reviewForecast } from '../../src/models/validate.js';
import { seededRandom } from '../../src/random.js';
import { regularize } from '../../src/series/regularize.js';
import { detectSeasonalPeriods } from '../../src/series/seasonality.js';
import { readSamplesFile } from '../../src/sources/file.js';
import { DATA_DIR } from './app.js';

/**
 * The series shapes of issue 16 that a forecaster must never refuse: each a
 * finite history with the step and horizon a new user would ask for.
 */
export interface Shape {
  readonly name: string;
  readonly values: readonly number[];
  readonly stepSeconds: number;
  readonly horizonSeconds: number;
}

function noisy(n: number, level: number, amplitude: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => level + (random() * 2 - 1) * amplitude);
}

/** A cold start of `hours` at 5 minutes: a daily-looking load around 100 with noise. */
function coldStart(hours: number, seed: number): number[] {
  const random = seededRandom(seed);
  const n = Math.round((hours * 3600) / 300);
  return Array.from({ length: n }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + (random() * 2 - 1) * 8);
}

/** Every shape but the real file (see {@link asgLastDays}). */
export const SHAPES: readonly Shape[] = [
  // Issue 16's first failing case: 422 for every model before the fix.
  { name: 'flat + noise (60 values around 10 ± 0.1, 15 s)', values: noisy(60, 10, 0.1, 1), stepSeconds: 15, horizonSeconds: 300 },
  // Issue 16's second failing case: a day of noisy 5-minute values, a day ahead.
  { name: 'noisy day (288 values around 100, 5 min)', values: noisy(288, 100, 10, 2), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'flat (constant but one tiny step)', values: [...Array(200).fill(50), ...Array(88).fill(50.001)], stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'constant', values: Array(288).fill(7), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'all zeros', values: Array(288).fill(0), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'two values', values: [3, 4], stepSeconds: 60, horizonSeconds: 600 },
  { name: 'one spike', values: Array.from({ length: 288 }, (_, i) => (i === 200 ? 1_000 : 5)), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'cold start 1 h', values: coldStart(1, 3), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'cold start 6 h', values: coldStart(6, 4), stepSeconds: 300, horizonSeconds: 86_400 },
  { name: 'cold start 1 day', values: coldStart(24, 5), stepSeconds: 300, horizonSeconds: 86_400 },
];

/** Issue 16's third failing case: data/nab/cpu_utilization_asg_misconfiguration.csv, its last `days` days at 5 minutes. */
export async function asgLastDays(days = 14): Promise<Shape> {
  const samples = await readSamplesFile(join(DATA_DIR, 'nab/cpu_utilization_asg_misconfiguration.csv'));
  const { series } = regularize(samples, { stepSeconds: 300 });
  const values = series.values.slice(-Math.round((days * 86_400) / 300));
  return { name: `asg_misconfiguration, last ${days} days`, values, stepSeconds: 300, horizonSeconds: 86_400 };
}

/** A forecast as the REST routes answer it. */
export interface ForecastBody {
  model: string;
  fallbackFrom?: string;
  point: number[];
  intervals: { level: number; lower: number[]; upper: number[] }[];
  notes: string[];
}

/** Valid and bounded: right lengths, finite, lower ≤ point ≤ upper, inside the plausible range, and ≥ 0 for these never-negative histories. */
export function expectValidBounded(body: ForecastBody, history: readonly number[], horizon: number, upper = Number.POSITIVE_INFINITY): void {
  const min = Math.min(...history);
  const max = Math.max(...history);
  const range = max > min ? max - min : Math.max(Math.abs(max), 1);
  const low = Math.max(0, min - PLAUSIBLE_RANGE_MULTIPLE * range);
  const high = Math.min(upper, max + PLAUSIBLE_RANGE_MULTIPLE * range);
  expect(body.point).toHaveLength(horizon);
  for (const interval of body.intervals) {
    expect(interval.lower).toHaveLength(horizon);
    expect(interval.upper).toHaveLength(horizon);
    for (let h = 0; h < horizon; h++) {
      const [l, p, u] = [interval.lower[h] as number, body.point[h] as number, interval.upper[h] as number];
      expect([l, p, u].every(Number.isFinite)).toBe(true);
      expect(l).toBeLessThanOrEqual(p + 1e-9 * Math.max(1, Math.abs(p)));
      expect(u).toBeGreaterThanOrEqual(p - 1e-9 * Math.max(1, Math.abs(p)));
      expect(l).toBeGreaterThanOrEqual(low - 1e-9);
      expect(u).toBeLessThanOrEqual(high + 1e-9);
    }
  }
}


/** Every point finite, `horizon` long, and inside each of its bands (to float noise). */
export function expectOrdered(forecast: Forecast, horizon: number): void {
  expect(forecast.point).toHaveLength(horizon);
  for (const interval of forecast.intervals) {
    forecast.point.forEach((p, h) => {
      expect(Number.isFinite(p)).toBe(true);
      expect(interval.lower[h]).toBeLessThanOrEqual(p + 1e-9 * Math.max(1, Math.abs(p)));
      expect(interval.upper[h]).toBeGreaterThanOrEqual(p - 1e-9 * Math.max(1, Math.abs(p)));
    });
  }
}

/**
 * Fits `forecaster` on every shape (and the asg file's last 14 days), with the
 * detected seasons and with a daily one forced (auto's @1d variant); each
 * forecast must be ordered and pass the service's own review (finite,
 * ordered, a point within ±3 × the history's range).
 */
export async function expectEveryShapeForecast(forecaster: Forecaster): Promise<void> {
  for (const shape of [...SHAPES, await asgLastDays(14)]) {
    const horizon = Math.ceil(shape.horizonSeconds / shape.stepSeconds);
    const periods = detectSeasonalPeriods(shape.values, shape.stepSeconds);
    for (const seasonal of [periods, [Math.round(86_400 / shape.stepSeconds)]]) {
      const context = { stepSeconds: shape.stepSeconds, startMs: Date.UTC(2024, 0, 1), seasonalPeriods: seasonal, deadlineMs: Date.now() + 60_000, seed: 1 };
      const forecast = (await forecaster.fit(shape.values, context)).predict(horizon, [0.8, 0.95]);
      expectOrdered(forecast, horizon);
      expect(() => reviewForecast(forecast, shape.values), `${shape.name} with seasons [${seasonal.join(', ')}]`).not.toThrow();
    }
  }
}
