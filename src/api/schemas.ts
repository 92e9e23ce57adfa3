import { z } from 'zod';
import { boundedDuration } from '../config/duration.js';
import { boundsSchema } from '../config/schema.js';

/** Shared REST schemas: one per resource, driving validation, serialisation, OpenAPI and types. */

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

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

export const targetNameParams = z.object({ name: z.string().min(1).max(63) });

/** `levels=0.8,0.95` in a query string. */
export const levelsQuery = z
  .string()
  .transform((text, ctx) => {
    const levels = text.split(',').map((part) => Number(part.trim()));
    if (levels.length === 0 || levels.length > 5 || levels.some((l) => !(l > 0 && l < 1))) {
      ctx.addIssue({ code: 'custom', message: 'expected 1 to 5 comma-separated levels, each strictly between 0 and 1 (e.g. 0.8,0.95)' });
      return z.NEVER;
    }
    return levels;
  });

export const forecastQuery = z
  .object({
    /** A duration ("6h", "90m") or seconds; defaults to the target's horizon. */
    horizon: spanDuration.optional(),
    levels: levelsQuery.optional(),
  })
  .strict();

export const intervalSchema = z.object({ level: z.number(), lower: z.array(z.number()), upper: z.array(z.number()) });

export const forecastSchema = z.object({
  target: z.string(),
  model: z.string(),
  fallbackFrom: z.string().optional(),
  generatedAt: z.string(),
  step: z.string(),
  stepSeconds: z.number(),
  timestamps: z.array(z.string()),
  point: z.array(z.number()),
  intervals: z.array(intervalSchema),
  stale: z.boolean(),
  notes: z.array(z.string()),
});
export type ForecastBody = z.infer<typeof forecastSchema>;

export const targetSummarySchema = z.object({
  name: z.string(),
  source: z.object({ type: z.enum(['prometheus', 'file']), query: z.string().optional(), path: z.string().optional(), step: z.string().optional() }),
  models: z.array(z.string()),
  state: z.enum(['pending', 'fitted', 'error']),
  model: z.string().optional(),
  fallbackFrom: z.string().optional(),
  lastFitAt: z.string().optional(),
  forecastAgeSeconds: z.number().optional(),
  stale: z.boolean(),
  lastError: z.object({ code: z.string(), message: z.string(), at: z.string() }).optional(),
  seasonalPeriods: z.array(z.number()).optional(),
  filledGaps: z.number().optional(),
  scores: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  /** The watchdog's verdict (src/feedback/watchdog.ts): trusted, degraded or reactive, why and since when. */
  health: z.object({ state: z.enum(['trusted', 'degraded', 'reactive']), reason: z.string(), since: z.string(), changepointAt: z.string().optional() }).optional(),
  notes: z.array(z.string()),
});

export const adHocForecastBody = z
  .object({
    /** Values on a regular grid; null marks a gap (filled before fitting). */
    values: z.array(seriesValue).min(2).max(REQUEST_BOUNDS.maxValues),
    step: stepDuration,
    /** Time of values[0]: ISO-8601 or ms since epoch. Defaults so the last value is now. */
    start: seriesStart.optional(),
    horizon: spanDuration,
    model: z.string().min(1).max(32).default('auto'),
    levels: z.array(z.number().gt(0).lt(1)).min(1).max(5).default([0.8, 0.95]),
    /** Seasonal periods as durations; detected when absent. */
    seasonalPeriods: z.array(spanDuration).max(3).optional(),
    /** Values the series cannot leave, as a target's `bounds`; default: ≥ 0 when no value is negative. */
    bounds: boundsSchema.optional(),
  })
  .strict();
