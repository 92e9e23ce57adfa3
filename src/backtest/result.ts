/**
 * The schema of a backtest result: what `prescient backtest --json FILE`
 * writes and `GET /api/v1/backtests/{id}` returns. Times are ms since epoch,
 * durations in seconds (fit times in ms), levels as fractions, loads in the
 * series' own unit. Metrics that could not be computed (no origin scored) are
 * null. `version` changes when a field changes meaning.
 */
import { z } from 'zod';

const nullableNumber = z.number().nullable();

const intervalSchema = z.object({ level: z.number(), lower: z.array(z.number()), upper: z.array(z.number()) });

export const originSummarySchema = z.object({
  /** Time of the first forecast step. */
  originMs: z.number(),
  /** For `auto`: the model it chose at this origin. */
  chosenModel: z.string().nullable(),
  mase: nullableNumber,
  fitTimeMs: z.number(),
  /** The forecast over the horizon (null when the fit failed). */
  forecast: z.object({ point: z.array(z.number()), intervals: z.array(intervalSchema) }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

export const modelSummarySchema = z.object({
  model: z.string(),
  /** Mean over scored origins of MASE (scale: in-sample seasonal naive at one day). */
  mase: nullableNumber,
  /** Mean sMAPE, percent 0–200. */
  smape: nullableNumber,
  /** Share of actuals inside the 80 % / 95 % intervals, pooled over origins (fractions). */
  coverage80: nullableNumber,
  coverage95: nullableNumber,
  /** Mean pinball loss at the scaling quantile, series units; scaled = divided by the MASE scale. */
  pinball: nullableNumber,
  scaledPinball: nullableNumber,
  /** Mean fit time per origin, ms. */
  fitTimeMs: nullableNumber,
  originsScored: z.number().int(),
  failures: z.number().int(),
  origins: z.array(originSummarySchema),
});

const ratiosSchema = z.object({
  underProvisionedMinutes: nullableNumber,
  shortfallLoadMinutes: nullableNumber,
  replicaHours: nullableNumber,
  scaleEvents: nullableNumber,
});

export const policyResultSchema = z.object({
  policy: z.enum(['reactive', 'predictive', 'snaive', 'oracle', 'headroom']),
  /** The model that fed the policy (null for reactive, oracle and headroom). */
  model: z.string().nullable(),
  /** Minutes with load above ready replicas × capacity per replica. */
  underProvisionedMinutes: z.number(),
  /** Integral of the load above ready capacity, load-unit × minutes. */
  shortfallLoadMinutes: z.number(),
  /** Largest excess of load over ready capacity, load units. */
  peakShortfall: z.number(),
  /** Existing pods (starting ones included) × hours. */
  replicaHours: z.number(),
  scaleEvents: z.number().int(),
  /** Mean load / ready capacity. */
  meanUtilisation: z.number(),
  ratiosToReactive: ratiosSchema,
  refits: z.number().int().nullable(),
  refitFailures: z.number().int().nullable(),
  /** Minutes the policy had no usable forecast and used the reactive signal. */
  fallbackMinutes: z.number(),
});

const frontierStatsSchema = z.object({
  underProvisionedMinutes: z.number(),
  underProvisionedMinutesPerWeek: z.number(),
  replicaHours: z.number(),
  scaleEvents: z.number().int(),
  fallbackMinutes: z.number(),
});

const knobsSchema = z.object({
  quantile: z.number(),
  scaleInGuardQuantile: z.number().nullable(),
  utilisation: z.number(),
  leadTimeSeconds: z.number(),
});

/** src/backtest/frontier.ts Frontier: one point per knob setting, the plain HPA at several targets, the budget's choice. */
export const frontierSchema = z.object({
  startMs: z.number(),
  endMs: z.number(),
  model: z.string(),
  points: z.array(frontierStatsSchema.extend({ knobs: knobsSchema })),
  plainHpa: z.array(frontierStatsSchema.extend({ utilisation: z.number() })),
  budget: z.object({ maxUnderProvisionedMinutesPerWeek: z.number() }).optional(),
  ownHistoryShare: z.number().optional(),
  judgedOn: z.enum(['served', 'selection-backtest']).optional(),
  chosen: z
    .object({
      index: z.number().int(),
      knobs: knobsSchema,
      metBudget: z.boolean(),
      reason: z.string(),
      fallback: z.object({ utilisation: z.number(), underProvisionedMinutes: z.number(), replicaHours: z.number() }).optional(),
    })
    .optional(),
  computeMs: z.number(),
});

/** A forecast as a policy read it (src/backtest/replay.ts FedForecast). */
const fedForecastSchema = z.object({
  policy: z.enum(['predictive', 'snaive']),
  issuedAtMs: z.number(),
  servedUntilMs: z.number(),
  model: z.string(),
  stepSeconds: z.number(),
  quantile: z.number(),
  load: z.array(z.number()),
  guardQuantile: z.number().nullable(),
  guardLoad: z.array(z.number()).optional(),
  error: z.string().optional(),
});

export const replayResultSchema = z.object({
  params: z.object({
    capacityPerReplica: z.number(),
    hpaTargetPerReplica: z.number(),
    headroomUtilisation: z.number(),
    policyCapacityPerReplica: z.number(),
    /** The forecast policies' knobs beside the quantile and lead time. */
    policyUtilisation: z.number(),
    scaleInGuardQuantile: z.number().nullable(),
    /** How each policy is sized, in words. */
    sizing: z.string(),
    reactiveTrigger: z.boolean(),
    startupDelaySeconds: z.number(),
    metricLagSeconds: z.number(),
    leadTimeSeconds: z.number(),
    quantile: z.number(),
    minReplicas: z.number().int(),
    maxReplicas: z.number().int(),
    scaleIn: z.object({
      intervalSeconds: z.number(),
      stabilizationWindowSeconds: z.number(),
      maxReplicas: z.number().int().optional(),
      maxPercent: z.number().optional(),
    }),
    refitEverySeconds: z.number(),
    syncPeriodSeconds: z.number(),
    historyCapSteps: z.number().int().nullable(),
    model: z.string(),
    loadInterpolation: z.literal('hold'),
  }),
  startMs: z.number(),
  endMs: z.number(),
  policies: z.array(policyResultSchema),
  /** Per series step: the load and each policy's ready replicas at that step's time. */
  timeline: z.object({
    stepSeconds: z.number(),
    timesMs: z.array(z.number()),
    load: z.array(z.number()),
    readyReplicas: z.object({
      reactive: z.array(z.number()),
      predictive: z.array(z.number()),
      snaive: z.array(z.number()),
      oracle: z.array(z.number()),
      headroom: z.array(z.number()),
    }),
  }),
  /** Every forecast the predictive and seasonal-naive policies read: target time k = issuedAtMs + k × stepSeconds. */
  fedForecasts: z.array(fedForecastSchema),
  /** The knob settings replayed on the predictive forecasts (and, index for index, on seasonal naive's). */
  frontier: frontierSchema.extend({ snaive: z.array(frontierStatsSchema) }).nullable(),
  /**
   * With `--watchdog`: the predictive policy replayed on the forecasts the
   * feedback loop's watchdog let through (src/feedback/replay-watchdog.ts),
   * and its state at each refit; the `predictive` policy above is the watchdog-off one.
   */
  watchdog: z
    .object({
      underProvisionedMinutes: z.number(),
      replicaHours: z.number(),
      states: z.array(z.object({ atMs: z.number(), state: z.enum(['trusted', 'degraded', 'reactive']) })),
    })
    .optional(),
});

export const backtestResultSchema = z.object({
  version: z.literal(1),
  /** File path or PromQL query. */
  source: z.string(),
  series: z.object({ startMs: z.number(), stepSeconds: z.number(), length: z.number().int(), filledGaps: z.number().int() }),
  settings: z.object({
    models: z.array(z.string()),
    origins: z.number().int(),
    spacingSeconds: z.number(),
    horizonSeconds: z.number(),
    historySeconds: z.number(),
    levels: z.array(z.number()),
    quantile: z.number(),
    seasonalPeriodsSeconds: z.array(z.number()),
  }),
  /** Time of each origin (first forecast step). */
  originsMs: z.array(z.number()),
  /** The series from the first origin on (what the forecasts are judged against). */
  actual: z.object({ startMs: z.number(), values: z.array(z.number()) }),
  models: z.array(modelSummarySchema),
  /** Null when the replay was skipped. */
  replay: replayResultSchema.nullable(),
  timings: z.object({ accuracyMs: z.number(), replayMs: z.number(), totalMs: z.number() }),
  /** True when the deadline stopped some fits. */
  deadlineHit: z.boolean(),
});

export type BacktestResult = z.infer<typeof backtestResultSchema>;
export type ModelSummary = z.infer<typeof modelSummarySchema>;
export type PolicyResultSummary = z.infer<typeof policyResultSchema>;
export type ReplayResultSummary = z.infer<typeof replayResultSchema>;
