import { scalingSchema } from '../../src/config/schema.js';
import type { ForecastLike, ScalingPolicy } from '../../src/scaling/policy.js';

export const T0 = Date.parse('2026-03-02T08:00:00Z');
export const STEP_SECONDS = 60;

/**
 * A forecast starting at T0 with one step a minute. `q90` is the 0.9 quantile
 * (upper of the 80 % interval); the 95 % interval's upper is `q90 * upperFactor`.
 */
export function forecastOf(q90: readonly number[], options: { upperFactor?: number; observed?: number; model?: string } = {}): ForecastLike {
  const factor = options.upperFactor ?? 1.2;
  const point = q90.map((v) => v * 0.8);
  return {
    model: options.model ?? 'mstl',
    startMs: T0,
    stepSeconds: STEP_SECONDS,
    point,
    intervals: [
      { level: 0.8, lower: point.map((v) => v * 0.8), upper: [...q90] },
      { level: 0.95, lower: point.map((v) => v * 0.6), upper: q90.map((v) => v * factor) },
    ],
    lastObserved: { atMs: T0 - STEP_SECONDS * 1000, value: options.observed ?? 0 },
  };
}

/** A parsed scaling config (through the real schema, so defaults are the real ones). */
export function scalingOf(input: Record<string, unknown>): ScalingPolicy {
  return scalingSchema.parse(input);
}
