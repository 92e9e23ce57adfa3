import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import { forecastAgeMs, isStale, type TargetState, type TargetStates } from '../engine/target-state.js';
import { PrescientError } from '../errors.js';
import { forecastJson } from './forecast-view.js';
import { errorBodySchema, forecastQuery, forecastSchema, targetNameParams, targetSummarySchema, type ForecastBody } from './schemas.js';

/** Entries of GET /api/v1/targets written before the event loop serves others (~1 ms of work). */
export const TARGETS_PER_LISTING_SLICE = 100;

export interface TargetRoutesOptions {
  readonly states: TargetStates;
  readonly now: () => number;
}

/** @throws PrescientError PRESCIENT_ERR_TARGET_NOT_FOUND */
export function requireTarget(states: TargetStates, name: string): TargetState {
  const state = states.get(name);
  if (!state) throw new PrescientError('PRESCIENT_ERR_TARGET_NOT_FOUND', `no target named "${name}"`, { issues: [{ path: 'params.name', message: 'not a configured target' }] });
  return state;
}

function summary(state: TargetState, nowMs: number): z.infer<typeof targetSummarySchema> {
  const { config, forecast, lastError } = state;
  const source = config.source.type === 'prometheus'
    ? { type: 'prometheus' as const, query: config.source.query, step: formatDuration(config.source.stepSeconds) }
    : { type: 'file' as const, path: config.source.path, ...(config.source.stepSeconds ? { step: formatDuration(config.source.stepSeconds) } : {}) };
  return {
    name: config.name,
    source,
    models: [...config.models],
    state: forecast ? 'fitted' : lastError ? 'error' : 'pending',
    ...(forecast
      ? {
          model: forecast.model,
          ...(forecast.fallbackFrom ? { fallbackFrom: forecast.fallbackFrom } : {}),
          lastFitAt: new Date(forecast.generatedAtMs).toISOString(),
          forecastAgeSeconds: Math.round(forecastAgeMs(forecast, nowMs) / 1000),
          seasonalPeriods: [...forecast.seasonalPeriods],
          filledGaps: forecast.filledGaps,
        }
      : {}),
    stale: isStale(state, nowMs),
    ...(lastError ? { lastError: { code: lastError.code, message: lastError.message, at: new Date(lastError.atMs).toISOString() } } : {}),
    ...(state.scores ? { scores: state.scores as Record<string, Record<string, number>> } : {}),
    ...(state.health
      ? {
          health: {
            state: state.health.state,
            reason: state.health.reason,
            since: new Date(state.health.sinceMs).toISOString(),
            ...(state.health.changepointAtMs === undefined ? {} : { changepointAt: new Date(state.health.changepointAtMs).toISOString() }),
          },
        }
      : {}),
    notes: forecast ? [...forecast.notes] : [],
  };
}

/**
 * A target's summary, checked against its schema on its own: one entry that
 * does not fit (a value that should never be there) is listed with its name,
 * state and a note instead of failing the whole listing (issue 11, item 6).
 */
function safeSummary(state: TargetState, nowMs: number, log: { error(obj: object, msg: string): void }): z.infer<typeof targetSummarySchema> {
  const full = summary(state, nowMs);
  const checked = targetSummarySchema.safeParse(full);
  if (checked.success) return full;
  log.error({ target: state.config.name, issues: checked.error.issues.slice(0, 5) }, 'target summary does not fit its schema; listed without details');
  const { name, source, models, state: status, stale } = full;
  return { name, source, models, state: status, stale, notes: ['details withheld: this target\'s state holds an invalid value (see the server log)'] };
}

export const targetRoutes: FastifyPluginAsyncZod<TargetRoutesOptions> = async (app, { states, now }) => {
  app.get('/api/v1/targets', {
    schema: { summary: 'Every target with its state', response: { 200: z.object({ targets: z.array(targetSummarySchema) }) } },
  }, async (request, reply) => {
    // Each entry is checked on its own (safeSummary); the response serializer would check all of them again (30–125 ms
    // at 1,000 targets, on the event loop), so the listing goes out as the JSON string it already is. It is written
    // TARGETS_PER_LISTING_SLICE entries at a time with the event loop free between slices: in one go, 1,000 targets
    // held KEDA's calls 10–100 ms at every listing (a dashboard polls it).
    const all = states.list();
    const nowMs = now();
    const slices: string[] = [];
    for (let from = 0; from < all.length; from += TARGETS_PER_LISTING_SLICE) {
      if (from > 0) await new Promise((resolve) => setImmediate(resolve));
      slices.push(all.slice(from, from + TARGETS_PER_LISTING_SLICE).map((s) => JSON.stringify(safeSummary(s, nowMs, request.log))).join(','));
    }
    const body = `{"targets":[${slices.join(',')}]}`;
    return reply.type('application/json; charset=utf-8').send(body as unknown as { targets: Array<z.infer<typeof targetSummarySchema>> });
  });

  app.get('/api/v1/targets/:name', {
    schema: { summary: 'One target with its state', params: targetNameParams, response: { 200: targetSummarySchema, 404: errorBodySchema } },
  }, async (request) => safeSummary(requireTarget(states, request.params.name), now(), request.log));

  app.get('/api/v1/targets/:name/forecast', {
    schema: {
      summary: "A target's latest forecast, cut to a horizon and levels",
      params: targetNameParams,
      querystring: forecastQuery,
      response: { 200: forecastSchema, 400: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema },
    },
  }, async (request, reply) => {
    const body = forecastJson(requireTarget(states, request.params.name), now(), request.query.horizon, request.query.levels);
    // Fastify sends a JSON string as is; the cast only tells the type provider so (the schema above still documents the shape).
    return reply.type('application/json; charset=utf-8').send(body as unknown as ForecastBody);
  });
};
