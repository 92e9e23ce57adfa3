import { z } from 'zod';
import { spanDuration } from '../bodies/fields.js';

/** Shared REST schemas: one per resource, driving validation, serialisation, OpenAPI and types. */

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
