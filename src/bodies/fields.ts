/**
 * The fields every series body shares (POST /api/v1/forecast,
 * POST /api/v1/backtests) and their ranges. Light on purpose (zod and the
 * duration parser only): they are read on the main thread for OpenAPI and
 * in the requests lane's worker, which validates the bodies.
 */
import { z } from 'zod';
import { boundedDuration } from '../config/duration.js';

/**
 * The range of every number a request may carry, enforced by the schemas
 * below so an out-of-range number is a 400 naming its field (never a
 * RangeError from a date far out of range, or identical timestamps from a
 * sub-second step).
 */
export const REQUEST_BOUNDS = Object.freeze({
  /** Steps: whole timestamps apart (Prometheus's resolution is 1 s) up to a week. */
  minStepSeconds: 1,
  maxStepSeconds: 7 * 86_400,
  /** Horizons, windows, histories, periods, delays: up to a year. */
  maxSpanSeconds: 366 * 86_400,
  /** Series values: far beyond any load, far below where float arithmetic loses its digits. */
  maxAbsValue: 1e15,
  /** Series starts: the epoch to 2100-01-01, ms. */
  maxStartMs: Date.UTC(2100, 0, 1),
  /** Values in one body, whatever limits.maxPoints says (the handler checks that one). */
  maxValues: 1_000_000,
});

/** A grid step: 1 s to 7 d. */
export const stepDuration = boundedDuration(REQUEST_BOUNDS.minStepSeconds, REQUEST_BOUNDS.maxStepSeconds);

/** A horizon, window, history, period or delay: 1 s to 366 d. */
export const spanDuration = boundedDuration(1, REQUEST_BOUNDS.maxSpanSeconds);

/** One value of a series; null marks a gap. */
export const seriesValue = z.number().min(-REQUEST_BOUNDS.maxAbsValue).max(REQUEST_BOUNDS.maxAbsValue).nullable();

/** Time of a series' first value: ISO-8601 with an offset, or ms since epoch, between 1970 and 2100. */
export const seriesStart = z.union([
  z.iso.datetime({ offset: true }).refine((text) => {
    const ms = Date.parse(text);
    return ms >= 0 && ms <= REQUEST_BOUNDS.maxStartMs;
  }, 'must be between 1970 and 2100'),
  z.number().int().min(0).max(REQUEST_BOUNDS.maxStartMs, 'must be between 1970 and 2100 (ms since epoch)'),
]);

/**
 * The rule of `seriesValue` as a plain test (a number within ±maxAbsValue,
 * or null), for a loop over 60,000 values that must not build an issue per value.
 */
export function isSeriesValue(value: unknown): boolean {
  return value === null || (typeof value === 'number' && value >= -REQUEST_BOUNDS.maxAbsValue && value <= REQUEST_BOUNDS.maxAbsValue);
}
