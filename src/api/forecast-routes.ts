import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adHocForecastBody } from '../bodies/series-bodies.js';
import type { Config } from '../config/schema.js';
import { formatDuration } from '../config/duration.js';
import { fitDownLadder, ladderFor } from '../engine/ladder.js';
import type { FitPool } from '../engine/pool.js';
import { timeAt } from '../series/series.js';
import { requireToken } from './auth.js';
import { fitRateLimit } from './rate-limit.js';
import { seriesBodyOptions, withRawBody } from './json-body.js';
import type { Metrics } from '../telemetry/metrics.js';
import { errorBodySchema, forecastSchema } from './schemas.js';

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
  const seriesBody = seriesBodyOptions(config);
  app.post('/api/v1/forecast', {
    onRequest: requireToken(config.server.authToken),
    // A body much larger than maxPoints values needs is refused while it arrives, not read to server.bodyLimitBytes.
    bodyLimit: seriesBody.bodyLimit,
    // The body arrives as bytes: the bodies lane's thread parses and validates it against adHocForecastBody.
    validatorCompiler: seriesBody.validatorCompiler,
    config: { rateLimit: fitRateLimit(config), jsonBody: seriesBody.jsonBody },
    schema: {
      summary: 'Forecast a series given in the body',
      body: adHocForecastBody,
      response: { 200: forecastSchema, 400: errorBodySchema, 401: errorBodySchema, 413: errorBodySchema, 422: errorBodySchema, 429: errorBodySchema, 503: errorBodySchema },
    },
  }, async (request) => {
    // Parsing, validation, the limits, gap filling and season detection cost tens of ms on 60,000 values: in the worker.
    const { body, horizon, series, filledGaps, seasonalPeriods } = await withRawBody(request, (received) => pool.readBody({ route: 'forecast', ...received, nowMs: now(), limits: config.limits }));
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
    const forecastStartMs = timeAt(series, series.values.length);
    const stepMs = body.step * 1000;
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
