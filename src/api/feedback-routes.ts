import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TargetStates } from '../engine/target-state.js';
import type { TargetConfig } from '../config/schema.js';
import type { WindowAccuracy } from '../feedback/accuracy.js';
import type { ShadowWindow } from '../feedback/shadow.js';
import { PrescientError } from '../errors.js';
import { errorBodySchema, targetNameParams } from './schemas.js';
import { requireTarget } from './target-routes.js';

export interface FeedbackRoutesOptions {
  readonly states: TargetStates;
  /** A shadow-mode target's outcomes over the last day and week (the engine's feedback loop). */
  readonly shadowReport: (target: TargetConfig, nowMs: number) => readonly ShadowWindow[] | undefined;
  readonly now: () => number;
}

const shadowWindowSchema = z.object({
  window: z.enum(['1d', '1w']),
  /** First and last step compared in the window. */
  from: z.string().optional(),
  to: z.string().optional(),
  count: z.number().int(),
  stepSeconds: z.number(),
  /** Minutes the load exceeded the capacity (replicas × capacityPerReplica) that ran, and that was recommended. */
  underProvisionedMinutes: z.object({ ran: z.number(), recommended: z.number() }),
  replicaHours: z.object({ ran: z.number(), recommended: z.number() }),
});

export const shadowSchema = z.object({
  target: z.string(),
  replicasQuery: z.string(),
  capacityPerReplica: z.number(),
  windows: z.array(shadowWindowSchema),
});

const windowSchema = z.object({
  window: z.string(),
  /** First and last scored step in the window. */
  from: z.string().optional(),
  to: z.string().optional(),
  count: z.number().int(),
  mase: z.number().optional(),
  bias: z.number().optional(),
  relativeBias: z.number().optional(),
  coverage: z.array(z.object({ level: z.number(), coverage: z.number(), count: z.number().int() })),
});

export const accuracySchema = z.object({
  target: z.string(),
  /** When the accuracy was computed: after the refresh that scored the newest actuals. Absent before the first. */
  at: z.string().optional(),
  leadTimeSeconds: z.number().optional(),
  scalingLevel: z.number().optional(),
  windows: z.array(windowSchema),
  health: z.object({ state: z.enum(['trusted', 'degraded', 'reactive']), reason: z.string(), since: z.string() }).optional(),
});

const iso = (ms: number | undefined) => (ms === undefined ? {} : { from: new Date(ms).toISOString() });

function windowJson(w: WindowAccuracy): z.infer<typeof windowSchema> {
  return {
    window: w.window,
    ...iso(w.fromMs),
    ...(w.toMs === undefined ? {} : { to: new Date(w.toMs).toISOString() }),
    count: w.count,
    ...(w.mase === undefined ? {} : { mase: w.mase }),
    ...(w.bias === undefined ? {} : { bias: w.bias }),
    ...(w.relativeBias === undefined ? {} : { relativeBias: w.relativeBias }),
    coverage: w.coverage.map((c) => ({ ...c })),
  };
}

/** Live accuracy of a target's served forecasts (src/feedback): GET /api/v1/targets/{name}/accuracy. */
export const feedbackRoutes: FastifyPluginAsyncZod<FeedbackRoutesOptions> = async (app, { states, shadowReport, now }) => {
  app.get('/api/v1/targets/:name/shadow', {
    schema: {
      summary: 'Shadow mode: minutes under-provisioned and replica-hours, of what ran against what Prescient recommended, over the last day and week',
      params: targetNameParams,
      response: { 200: shadowSchema, 404: errorBodySchema, 409: errorBodySchema },
    },
  }, async (request) => {
    const state = requireTarget(states, request.params.name);
    const { scaling } = state.config;
    if (scaling?.mode !== 'shadow' || !scaling.shadow) {
      throw new PrescientError('PRESCIENT_ERR_SHADOW_NOT_CONFIGURED', `target "${state.config.name}" does not run in shadow mode (scaling.mode: shadow with shadow.replicasQuery)`);
    }
    const windows = shadowReport(state.config, now()) ?? [];
    return {
      target: state.config.name,
      replicasQuery: scaling.shadow.replicasQuery,
      capacityPerReplica: scaling.capacityPerReplica,
      windows: windows.map((w) => ({
        window: w.window,
        ...(w.fromMs === undefined ? {} : { from: new Date(w.fromMs).toISOString() }),
        ...(w.toMs === undefined ? {} : { to: new Date(w.toMs).toISOString() }),
        count: w.count,
        stepSeconds: w.stepSeconds,
        underProvisionedMinutes: { ...w.underProvisionedMinutes },
        replicaHours: { ...w.replicaHours },
      })),
    };
  });

  app.get('/api/v1/targets/:name/accuracy', {
    schema: {
      summary: "Live accuracy of the target's served forecasts at the policy's lead time over the last hour, day and week",
      params: targetNameParams,
      response: { 200: accuracySchema, 404: errorBodySchema },
    },
  }, async (request) => {
    const state = requireTarget(states, request.params.name);
    const { accuracy, health } = state;
    return {
      target: state.config.name,
      ...(accuracy
        ? {
            at: new Date(accuracy.atMs).toISOString(),
            leadTimeSeconds: accuracy.leadTimeSeconds,
            ...(accuracy.scalingLevel === undefined ? {} : { scalingLevel: accuracy.scalingLevel }),
          }
        : {}),
      windows: accuracy ? accuracy.windows.map(windowJson) : [],
      ...(health ? { health: { state: health.state, reason: health.reason, since: new Date(health.sinceMs).toISOString() } } : {}),
    };
  });
};
