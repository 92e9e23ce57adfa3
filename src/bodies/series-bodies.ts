/**
 * The bodies of the two routes that take a series (POST /api/v1/forecast,
 * POST /api/v1/backtests): one zod schema each, for OpenAPI and types on
 * the main thread and for validation in the requests lane's worker
 * (src/engine/body-task.ts), plus the checks that depend on the service's
 * limits. Nothing here may load a model: the main thread imports it.
 */
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { boundsSchema, isModelName, MODEL_NAMES, type Config } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import { REQUEST_BOUNDS, seriesStart, seriesValue, spanDuration, stepDuration } from './fields.js';

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
export type AdHocForecastBody = z.output<typeof adHocForecastBody>;

const fraction = z.number().gt(0).lte(1);

export const backtestBody = z
  .object({
    /** A configured target: its source gives the history (`history` caps nothing here; `window` does). */
    target: z.string().min(1).max(63).optional(),
    /** Or the history inline: values on a regular grid, null for a gap. */
    series: z
      .object({
        values: z.array(seriesValue).min(10).max(REQUEST_BOUNDS.maxValues),
        step: stepDuration,
        /** Time of values[0]: ISO-8601 or ms since epoch (default: the last value is now). */
        start: seriesStart.optional(),
      })
      .strict()
      .optional(),
    /** History pulled for a target (default 28d). */
    window: spanDuration.optional(),
    origins: z.number().int().min(1).max(30).default(7),
    spacing: spanDuration.optional(),
    horizon: spanDuration.default(86_400),
    history: spanDuration.default(28 * 86_400),
    models: z.array(z.string().min(1).max(32)).min(1).max(6).optional(),
    levels: z.array(z.number().gt(0).lt(1)).min(1).max(5).default([0.8, 0.95]),
    quantile: z.number().gt(0.5).lt(1).optional(),
    seasonalPeriods: z.array(spanDuration).max(3).optional(),
    replay: z
      .union([
        z.literal(false),
        z
          .object({
            model: z.string().min(1).max(32).optional(),
            refitEvery: spanDuration.optional(),
            capacityPerReplica: z.number().positive().max(REQUEST_BOUNDS.maxAbsValue).optional(),
            hpaUtilisation: fraction.optional(),
            policyUtilisation: fraction.optional(),
            reactiveTrigger: z.boolean().optional(),
            startupDelay: spanDuration.optional(),
            metricLag: spanDuration.optional(),
            leadTime: spanDuration.optional(),
            minReplicas: z.number().int().min(1).max(10_000).optional(),
            maxReplicas: z.number().int().min(1).max(10_000).optional(),
          })
          .strict(),
      ])
      .default({}),
  })
  .strict()
  .refine((b) => (b.target === undefined) !== (b.series === undefined), { message: 'give exactly one of "target" and "series"', path: ['target'] });

export type BacktestBody = z.output<typeof backtestBody>;

/**
 * What the service's limits refuse in a valid forecast body, in the order a
 * client is told: an unknown model, more values than limits.maxPoints, a
 * horizon of more steps than limits.maxHorizonSteps.
 * @returns the horizon in steps
 * @throws PrescientError PRESCIENT_ERR_MODEL_UNKNOWN, PRESCIENT_ERR_VALIDATION, PRESCIENT_ERR_HORIZON_TOO_LONG
 */
export function checkForecastBody(body: AdHocForecastBody, limits: Pick<Config['limits'], 'maxPoints' | 'maxHorizonSteps'>): number {
  if (!isModelName(body.model)) {
    throw new PrescientError('PRESCIENT_ERR_MODEL_UNKNOWN', `unknown model "${body.model}"`, {
      issues: [{ path: 'body.model', message: `one of ${MODEL_NAMES.join(', ')}` }],
    });
  }
  if (body.values.length > limits.maxPoints) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `too many values (${body.values.length})`, {
      issues: [{ path: 'body.values', message: `at most ${limits.maxPoints} values` }],
    });
  }
  const horizon = Math.ceil(body.horizon / body.step);
  if (horizon > limits.maxHorizonSteps) {
    throw new PrescientError('PRESCIENT_ERR_HORIZON_TOO_LONG', `horizon of ${horizon} steps exceeds the limit`, {
      issues: [{ path: 'body.horizon', message: `at most ${limits.maxHorizonSteps} steps (${formatDuration(limits.maxHorizonSteps * body.step)})` }],
    });
  }
  return horizon;
}

/**
 * Refuses a backtest body naming a model the service does not have (in `models` or `replay.model`).
 * @throws PrescientError PRESCIENT_ERR_MODEL_UNKNOWN naming the field
 */
export function checkBacktestModels(body: BacktestBody): void {
  for (const [i, model] of [...(body.models ?? []), ...(body.replay && body.replay.model ? [body.replay.model] : [])].entries()) {
    if (!isModelName(model)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_UNKNOWN', `unknown model "${model}"`, {
        issues: [{ path: `body.models.${i}`, message: `one of ${MODEL_NAMES.join(', ')}` }],
      });
    }
  }
}
