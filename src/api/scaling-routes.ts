import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { frontierSchema } from '../backtest/result.js';
import { frontierFor, frontierKind, replaysGrid } from '../backtest/selection-frontier.js';
import type { Config } from '../config/schema.js';
import type { TargetStates } from '../engine/target-state.js';
import { PrescientError } from '../errors.js';
import { sharedRecommender, type Recommender } from '../engine/recommender.js';
import { requireToken } from './auth.js';
import { errorBodySchema } from './schemas.js';

export interface ScalingRoutesOptions {
  readonly states: TargetStates;
  readonly config: Readonly<Pick<Config, 'server'>>;
  /** Clock, ms since epoch; default Date.now. */
  readonly now?: () => number;
  /** Default sharedRecommender(states): the same scale-in memory as the KEDA scaler. */
  readonly recommender?: Recommender;
}

const EXTERNAL_METRICS_VERSION = 'external.metrics.k8s.io/v1beta1';
/** Most hours a schedule may cover: four weeks. */
const MAX_SCHEDULE_HOURS = 24 * 28;
/**
 * External metric names: `prescient-<target>-replicas` (recommended replicas;
 * use target type Value 1 or AverageValue 1) or `prescient-<target>-load`
 * (load over the lead window; AverageValue = capacity per replica).
 */
const METRIC_NAME = /^prescient-(.+)-(replicas|load)$/;

const targetParams = z.object({ name: z.string().min(1).max(63) });

const clampReason = z.enum(['reactiveFloor', 'minReplicas', 'maxReplicas', 'scaleInUpperQuantile', 'stabilizationWindow', 'scaleInRate']);

export const recommendationSchema = z.object({
  target: z.string(),
  replicas: z.number().int(),
  at: z.string(),
  basis: z.object({
    mode: z.enum(['predictive', 'reactive']),
    reason: z.string().optional(),
    model: z.string(),
    quantile: z.number(),
    /** The scale-in guard's quantile, null when the target has none. */
    scaleInGuardQuantile: z.number().nullable(),
    /** Share of capacityPerReplica the count is sized on. */
    utilisation: z.number(),
    /** src/scaling/policy.ts KnobsFrom: stated, the documented defaults, or chosen on the target's history by its budget or the own-history rule. */
    knobsFrom: z.enum(['config', 'default', 'budget', 'own-history']),
    /** src/scaling/policy.ts KnobsJudgedOn: which forecasts a frontier judged the knobs on (absent when none did). */
    knobsJudgedOn: z.enum(['served', 'selection-backtest']).optional(),
    windowMaxLoad: z.number(),
    windowMaxUpperLoad: z.number(),
    observedLoad: z.number(),
    leadTimeSeconds: z.number(),
    capacityPerReplica: z.number(),
    forecastReplicas: z.number().int(),
    reactiveFloorReplicas: z.number().int(),
    previousReplicas: z.number().int().optional(),
  }),
  clampedBy: z.array(clampReason),
  withinHpaTolerance: z.boolean(),
  stale: z.boolean(),
});

export const frontierResponseSchema = frontierSchema.extend({ target: z.string() });

export const scheduleSchema = z.object({
  target: z.string(),
  model: z.string(),
  quantile: z.number(),
  leadTimeSeconds: z.number(),
  stepSeconds: z.number(),
  endsAt: z.string(),
  stale: z.boolean(),
  steps: z.array(
    z.object({ at: z.string(), replicas: z.number().int(), load: z.number(), windowMaxLoad: z.number(), clampedBy: z.array(clampReason) }),
  ),
});

export const kedaMetricsApiSchema = z.object({
  target: z.string(),
  /** KEDA metrics-api `valueLocation: replicas` with targetValue 1. */
  replicas: z.number().int(),
  /** `valueLocation: windowMaxLoad` with targetValue = capacity per replica. */
  windowMaxLoad: z.number(),
  observedLoad: z.number(),
  quantile: z.number(),
  leadTimeSeconds: z.number(),
  /** `reactive` when the watchdog demoted the target: the numbers are then the observed load's. */
  mode: z.enum(['predictive', 'reactive']),
  reason: z.string().optional(),
  at: z.string(),
  stale: z.boolean(),
});

const externalMetricValueListSchema = z.object({
  kind: z.literal('ExternalMetricValueList'),
  apiVersion: z.literal(EXTERNAL_METRICS_VERSION),
  metadata: z.object({}),
  items: z.array(
    z.object({
      metricName: z.string(),
      metricLabels: z.record(z.string(), z.string()),
      timestamp: z.string(),
      value: z.string(),
    }),
  ),
});

const apiResourceListSchema = z.object({
  kind: z.literal('APIResourceList'),
  apiVersion: z.literal('v1'),
  groupVersion: z.literal(EXTERNAL_METRICS_VERSION),
  resources: z.array(z.object({ name: z.string(), singularName: z.string(), namespaced: z.boolean(), kind: z.string(), verbs: z.array(z.string()) })),
});

const errors = { 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema };

/**
 * A Kubernetes quantity string for a non-negative value: whole numbers as is
 * ("3"), others in thousandths rounded up ("1500m"), so the HPA never sees
 * less than the forecast.
 */
export function toQuantity(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return `${Math.ceil(value * 1000 - 1e-6)}m`;
}

/** RFC 3339 without fractional seconds, as Kubernetes writes times. */
function k8sTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Recommendations, capacity schedules, the KEDA metrics-api endpoint and the
 * HPA external metrics API (DESIGN.md §3, §4). Answers from TargetStates
 * only; throws PrescientError (the app's error handler shapes the body):
 * PRESCIENT_ERR_TARGET_NOT_FOUND, PRESCIENT_ERR_SCALING_NOT_CONFIGURED,
 * PRESCIENT_ERR_FORECAST_UNAVAILABLE, PRESCIENT_ERR_LEVEL_UNAVAILABLE,
 * PRESCIENT_ERR_UNAUTHORIZED, PRESCIENT_ERR_VALIDATION.
 */
export const scalingRoutes: FastifyPluginAsyncZod<ScalingRoutesOptions> = async (app, options) => {
  const { states, config } = options;
  const now = options.now ?? Date.now;
  const recommender = options.recommender ?? sharedRecommender(states);

  app.get(
    '/api/v1/targets/:name/recommendation',
    {
      schema: {
        summary: 'Recommended replicas now, with the reasons',
        params: targetParams,
        response: { 200: recommendationSchema, ...errors },
      },
    },
    // A stale forecast is still shown (stale: true): people read this, not an autoscaler.
    async (request): Promise<z.infer<typeof recommendationSchema>> => {
      const rec = recommender.recommend(request.params.name, now());
      return { target: request.params.name, ...rec, basis: { ...rec.basis }, clampedBy: [...rec.clampedBy] };
    },
  );

  app.get(
    '/api/v1/targets/:name/frontier',
    {
      schema: {
        summary: 'The risk frontier: every knob setting replayed at the last model selection, the plain HPA at several targets, the setting served',
        params: targetParams,
        response: { 200: frontierResponseSchema, ...errors },
      },
    },
    async (request): Promise<z.infer<typeof frontierResponseSchema>> => {
      const name = request.params.name;
      const { state, scaling } = recommender.scalingOf(name);
      const kind = frontierKind(scaling);
      if (!replaysGrid(kind)) {
        const why = kind === 'checked' ? 'its knobs are set by hand, so only they are replayed, against headroom (the recommendation\'s basis says when they lost and reactive scaling is served)' : 'scaling.ownHistoryCheck is false, so nothing is replayed';
        throw new PrescientError('PRESCIENT_ERR_SCALING_NOT_CONFIGURED', `target "${name}" has no scaling.budget and ${why}`);
      }
      // One of another kind (a budget or knobs added or removed since) is not this target's.
      const frontier = frontierFor(state.forecast?.frontier, scaling);
      if (!frontier) {
        throw new PrescientError('PRESCIENT_ERR_FORECAST_UNAVAILABLE', `target "${name}" has no frontier yet: it is replayed when the model is next selected`);
      }
      return { target: name, ...(structuredClone(frontier) as z.infer<typeof frontierSchema>) };
    },
  );

  app.get(
    '/api/v1/targets/:name/schedule',
    {
      schema: {
        summary: 'Recommended replicas per forecast step (a capacity forecast)',
        params: targetParams,
        // Whole decimal hours only: `Number()` would read "0x10" as 16 and "1e1" as 10.
        querystring: z.object({
          hours: z
            .string()
            .regex(/^[0-9]{1,4}$/, 'a whole number of hours in decimal digits')
            .transform(Number)
            .pipe(z.number().int().min(1).max(MAX_SCHEDULE_HOURS))
            .default(48),
        }),
        response: { 200: scheduleSchema, ...errors },
      },
    },
    async (request): Promise<z.infer<typeof scheduleSchema>> => {
      const schedule = recommender.schedule(request.params.name, now(), request.query.hours);
      return { target: request.params.name, ...schedule, steps: schedule.steps.map((step) => ({ ...step, clampedBy: [...step.clampedBy] })) };
    },
  );

  app.get(
    '/api/v1/keda/:target',
    {
      onRequest: requireToken(config.server.authToken),
      schema: {
        summary: 'KEDA metrics-api scaler: recommended replicas and window load',
        params: z.object({ target: z.string().min(1).max(63) }),
        response: { 200: kedaMetricsApiSchema, ...errors },
      },
    },
    async (request) => {
      const rec = recommender.recommend(request.params.target, now(), { forAutoscaler: true });
      return {
        target: request.params.target,
        replicas: rec.replicas,
        windowMaxLoad: Math.max(rec.basis.windowMaxLoad, rec.basis.observedLoad),
        observedLoad: rec.basis.observedLoad,
        quantile: rec.basis.quantile,
        leadTimeSeconds: rec.basis.leadTimeSeconds,
        mode: rec.basis.mode,
        ...(rec.basis.reason === undefined ? {} : { reason: rec.basis.reason }),
        at: rec.at,
        stale: rec.stale,
      };
    },
  );

  app.get(
    `/apis/${EXTERNAL_METRICS_VERSION}`,
    { schema: { summary: 'External metrics API discovery (for the APIService)', response: { 200: apiResourceListSchema } } },
    async (): Promise<z.infer<typeof apiResourceListSchema>> => ({
      kind: 'APIResourceList' as const,
      apiVersion: 'v1' as const,
      groupVersion: EXTERNAL_METRICS_VERSION,
      resources: states
        .list()
        .filter((s) => s.config.scaling)
        .flatMap((s) => ['replicas', 'load'].map((mode) => `prescient-${s.config.name}-${mode}`))
        .map((name) => ({ name, singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] })),
    }),
  );

  app.get(
    `/apis/${EXTERNAL_METRICS_VERSION}/namespaces/:ns/:metric`,
    {
      schema: {
        summary: 'HPA external metric: prescient-<target>-replicas or prescient-<target>-load (any namespace)',
        params: z.object({ ns: z.string().min(1).max(253), metric: z.string().min(1).max(253) }),
        querystring: z.object({ labelSelector: z.string().max(1024).optional() }),
        response: { 200: externalMetricValueListSchema, ...errors },
      },
    },
    async (request): Promise<z.infer<typeof externalMetricValueListSchema>> => {
      const match = METRIC_NAME.exec(request.params.metric);
      if (!match) {
        throw new PrescientError('PRESCIENT_ERR_VALIDATION', `metric "${request.params.metric}" is not prescient-<target>-replicas or prescient-<target>-load`, {
          issues: [{ path: 'params.metric', message: 'expected prescient-<target>-replicas or prescient-<target>-load' }],
        });
      }
      const [, target = '', mode] = match;
      const nowMs = now();
      const rec = recommender.recommend(target, nowMs, { forAutoscaler: true });
      const value = mode === 'replicas' ? rec.replicas : Math.max(rec.basis.windowMaxLoad, rec.basis.observedLoad);
      return {
        kind: 'ExternalMetricValueList' as const,
        apiVersion: EXTERNAL_METRICS_VERSION,
        metadata: {},
        items: [
          {
            metricName: request.params.metric,
            metricLabels: { target, quantile: String(rec.basis.quantile), model: rec.basis.model, mode: rec.basis.mode },
            timestamp: k8sTime(nowMs),
            value: toQuantity(value),
          },
        ],
      };
    },
  );
};
