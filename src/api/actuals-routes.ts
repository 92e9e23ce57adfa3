import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { durationSeconds } from '../config/duration.js';
import type { TargetStates } from '../engine/target-state.js';
import { loadHistory, type History, type RangeQuerier } from '../sources/history.js';
import { errorBodySchema, targetNameParams } from './schemas.js';
import { requireTarget } from './target-routes.js';

export interface ActualsRoutesOptions {
  readonly states: TargetStates;
  readonly prometheus?: RangeQuerier;
  readonly now: () => number;
}

const actualsSchema = z.object({
  target: z.string(),
  stepSeconds: z.number(),
  /** ISO times of the observed samples, ascending. */
  timestamps: z.array(z.string()),
  /** Observed load; null where the source had no finite value. */
  values: z.array(z.number().nullable()),
});

/** Pending targets have no forecast to key the cache on; their actuals are re-read at most this often. */
const PENDING_TTL_MS = 60_000;

/**
 * `GET /api/v1/targets/{name}/actuals?window=1d`: the observed load before
 * now, read from the target's own source (never an address from the request),
 * so a page or dashboard can draw it beside the forecast. The window defaults
 * to the target's horizon and is capped at its history. A read is cached per
 * target until the next forecast, so polling adds at most one source query per refresh.
 * @throws PrescientError PRESCIENT_ERR_TARGET_NOT_FOUND, PRESCIENT_ERR_VALIDATION, and the source's codes
 */
export const actualsRoutes: FastifyPluginAsyncZod<ActualsRoutesOptions> = async (app, { states, prometheus, now }) => {
  const cache = new Map<string, { key: string; history: History }>();

  app.get('/api/v1/targets/:name/actuals', {
    schema: {
      summary: "The target's observed load over a window before now (default: its horizon)",
      params: targetNameParams,
      querystring: z.object({ window: durationSeconds.optional() }).strict(),
      response: { 200: actualsSchema, 400: errorBodySchema, 404: errorBodySchema, 502: errorBodySchema, 503: errorBodySchema },
    },
  }, async (request) => {
    const state = requireTarget(states, request.params.name);
    const { config } = state;
    const windowSeconds = Math.min(request.query.window ?? config.horizonSeconds, config.historySeconds);
    const nowMs = now();
    const key = `${state.forecast?.generatedAtMs ?? Math.floor(nowMs / PENDING_TTL_MS)}:${windowSeconds}`;
    let history = cache.get(config.name)?.key === key ? cache.get(config.name)?.history : undefined;
    if (!history) {
      history = await loadHistory({ ...config, historySeconds: windowSeconds }, nowMs, prometheus);
      cache.set(config.name, { key, history });
    }
    const { timestampsMs, values } = history.samples;
    return {
      target: config.name,
      stepSeconds: history.stepSeconds,
      timestamps: timestampsMs.map((t) => new Date(t).toISOString()),
      values: values.map((v) => (Number.isFinite(v) ? v : null)),
    };
  });
};
