import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isModelName, MODEL_NAMES, type Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { fitDownLadder, ladderFor } from '../engine/ladder.js';
import type { FitPool } from '../engine/pool.js';
import { PrescientError } from '../errors.js';
import { endMs } from '../series/series.js';
import { requireToken } from './auth.js';
import { fitRateLimit } from './rate-limit.js';
import { seriesBodyLimits } from './json-body.js';
import { field, refuseManyBadValues } from './early-refusals.js';
import type { Metrics } from '../telemetry/metrics.js';
import { adHocForecastBody, errorBodySchema, forecastSchema } from './schemas.js';

export interface ForecastRoutesOptions {
  readonly config: Readonly<Config>;
  readonly pool: FitPool;
  readonly metrics: Metrics;
  readonly now: () => number;
}

/**
 * POST /api/v1/forecast: an ad-hoc forecast of a series given in the body,
 * fitted in the pool down the same ladder as a target's (the model asked
 * for, then seasonal naive, named in `fallbackFrom`), so a finite series of
 * two values or more always gets a forecast.
 */
export const forecastRoutes: FastifyPluginAsyncZod<ForecastRoutesOptions> = async (app, { config, pool, metrics, now }) => {
  const seriesBody = seriesBodyLimits(config);
  app.post('/api/v1/forecast', {
    onRequest: requireToken(config.server.authToken),
    preValidation: refuseManyBadValues((body) => field(body, 'values'), 'body.values'),
    // A body much larger than maxPoints values needs is refused while it arrives, not read to server.bodyLimitBytes.
    bodyLimit: seriesBody.bodyLimit,
    config: { rateLimit: fitRateLimit(config), jsonBody: seriesBody.jsonBody },
    schema: {
      summary: 'Forecast a series given in the body',
      body: adHocForecastBody,
      response: { 200: forecastSchema, 400: errorBodySchema, 401: errorBodySchema, 413: errorBodySchema, 422: errorBodySchema, 429: errorBodySchema, 503: errorBodySchema },
    },
  }, async (request) => {
    const body = request.body;
    if (!isModelName(body.model)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_UNKNOWN', `unknown model "${body.model}"`, {
        issues: [{ path: 'body.model', message: `one of ${MODEL_NAMES.join(', ')}` }],
      });
    }
    if (body.values.length > config.limits.maxPoints) {
      throw new PrescientError('PRESCIENT_ERR_VALIDATION', `too many values (${body.values.length})`, {
        issues: [{ path: 'body.values', message: `at most ${config.limits.maxPoints} values` }],
      });
    }
    const horizon = Math.ceil(body.horizon / body.step);
    if (horizon > config.limits.maxHorizonSteps) {
      throw new PrescientError('PRESCIENT_ERR_HORIZON_TOO_LONG', `horizon of ${horizon} steps exceeds the limit`, {
        issues: [{ path: 'body.horizon', message: `at most ${config.limits.maxHorizonSteps} steps (${formatDuration(config.limits.maxHorizonSteps * body.step)})` }],
      });
    }
    const stepMs = body.step * 1000;
    const startMs = body.start === undefined
      ? Math.floor(now() / stepMs) * stepMs - (body.values.length - 1) * stepMs
      : typeof body.start === 'number' ? body.start : Date.parse(body.start);
    // Gap filling and season detection cost tens of ms on 60,000 values: in the requests lane's worker, as a target's are in its own.
    const timestampsMs = new Array<number>(body.values.length);
    const values = new Array<number>(body.values.length);
    body.values.forEach((v, i) => {
      timestampsMs[i] = startMs + i * stepMs;
      values[i] = v ?? Number.NaN;
    });
    const { series, filledGaps, seasonalPeriods } = await pool.prepare(
      { name: 'ad-hoc', seasonalPeriodsSeconds: body.seasonalPeriods, maxPoints: config.limits.maxPoints, history: { fetched: { samples: { timestampsMs, values }, stepSeconds: body.step, droppedOutsideWindow: 0 } } },
      { lane: 'requests' },
    );
    const levels = [...body.levels].sort((a, b) => a - b);
    const { model, result, failures } = await fitDownLadder(
      pool,
      ladderFor([body.model]),
      (rung) => ({
        model: rung,
        values: series.values,
        ctx: { stepSeconds: body.step, startMs: series.startMs, seasonalPeriods, seed: 42, horizonSteps: horizon },
        horizon,
        levels,
        ...(body.bounds ? { bounds: body.bounds } : {}),
      }),
      { metrics, target: 'ad-hoc', lane: 'requests' },
    );
    const fallbackFrom = model === body.model ? result.info.fallbackFrom : body.model;
    if (fallbackFrom) metrics.fallbacks.inc({ target: 'ad-hoc', from: fallbackFrom, to: result.info.model });
    const forecastStartMs = endMs(series);
    return {
      target: 'ad-hoc',
      model: result.info.model,
      ...(fallbackFrom ? { fallbackFrom } : {}),
      generatedAt: new Date(now()).toISOString(),
      step: formatDuration(body.step),
      stepSeconds: body.step,
      timestamps: Array.from({ length: horizon }, (_, i) => new Date(forecastStartMs + i * stepMs).toISOString()),
      point: result.forecast.point,
      intervals: result.forecast.intervals,
      stale: false,
      notes: [...(filledGaps > 0 ? [`${filledGaps} gaps filled by interpolation`] : []), ...failures, ...result.info.notes],
    };
  });
};
