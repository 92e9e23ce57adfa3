/**
 * The document the engine persists per target (forecast, scores, auto's
 * selection, feedback) and the port it persists through: files on one
 * replica (src/store/forecast-store.ts), Redis when several share the work
 * (src/cluster/redis-store.ts). It lives with the engine so the stores depend
 * on the engine and not the other way round.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { frontierSchema } from '../backtest/result.js';
import type { TargetConfig } from '../config/schema.js';
import type { TargetError, TargetForecast, TargetState } from './target-state.js';
import { PrescientError } from '../errors.js';
import type { ConformalCalibration } from '../models/conformal.js';
import type { LiveAccuracyView } from '../feedback/live-accuracy.js';
import type { ServedRecordSnapshot } from '../feedback/served-record.js';
import type { ShadowSnapshot } from '../feedback/shadow.js';
import type { TargetHealth } from '../feedback/watchdog.js';
import type { ModelSelection } from '../models/forecaster.js';

/** Bumped when the file layout changes; other versions are refitted, never misread. */
export const FORECAST_FILE_VERSION = 1;

const numbers = z.array(z.number());
const forecastSchema = z.object({
  point: numbers,
  intervals: z.array(z.object({ level: z.number(), lower: numbers, upper: numbers })),
});
const tailReferenceSchema = z.object({
  lagSteps: z.number().int().positive(),
  longRun: numbers,
  recent: numbers,
  maxFactor: z.number(),
  differences: numbers.optional(),
  blockSteps: z.number().int().positive().optional(),
  method: z.enum(['ratio', 'rolling', 'max']).optional(),
});
const calibrationSchema: z.ZodType<ConformalCalibration> = z.object({
  mode: z.enum(['scaled', 'absolute']),
  referenceLevel: z.number(),
  bucketSteps: z.number().int().positive(),
  horizonSteps: z.number().int().positive(),
  buckets: z.array(numbers),
  count: z.number().int(),
  tail: tailReferenceSchema.optional(),
  near: z.lazy(() => calibrationSchema).optional(),
  calibrateAt: z.array(z.object({ level: z.number(), at: z.number() })).optional(),
});
/** What `auto` chose, with its calibration and served forecasts (src/models/forecaster.ts ModelSelection). */
const selectionSchema: z.ZodType<ModelSelection> = z.object({
  model: z.string(),
  members: z.array(z.string()).min(1),
  stepSeconds: z.number().positive(),
  seasonalPeriods: numbers,
  selectedAtMs: z.number(),
  calibration: calibrationSchema.optional(),
  served: z.array(z.object({ startMs: z.number(), forecast: forecastSchema })).optional(),
  scores: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  notes: z.array(z.string()),
});
/** The served-forecast record (src/feedback/served-record.ts), columns of plain numbers. */
const feedbackSchema: z.ZodType<ServedRecordSnapshot> = z.object({
  stepSeconds: z.number().positive(),
  levels: numbers,
  leadTimeSeconds: z.number().min(0),
  keepSteps: z.number().int().positive(),
  scoredUntilMs: z.number(),
  maseScale: z.number(),
  served: z.array(
    z.object({ generatedAtMs: z.number(), startMs: z.number(), knewUntilMs: z.number(), point: numbers, lower: z.array(numbers), upper: z.array(numbers) }),
  ),
  scored: z.object({ atMs: numbers, actual: numbers, point: numbers, madeAtMs: numbers, lower: z.array(numbers), upper: z.array(numbers) }),
});
const healthSchema: z.ZodType<TargetHealth> = z.object({
  state: z.enum(['trusted', 'degraded', 'reactive']),
  reason: z.string(),
  sinceMs: z.number(),
  judgeFromMs: z.number(),
  changepointAtMs: z.number().optional(),
  historyFromMs: z.number().optional(),
  goodSinceMs: z.number().optional(),
});
/** Shadow mode's plans and scored steps (src/feedback/shadow.ts). */
const shadowSchema: z.ZodType<ShadowSnapshot> = z.object({
  stepSeconds: z.number().positive(),
  scoredUntilMs: z.number(),
  plans: z.array(z.object({ generatedAtMs: z.number(), atMs: numbers, replicas: numbers })),
  scored: z.object({ atMs: numbers, load: numbers, ran: numbers, recommended: numbers }),
});
/** Live accuracy as the refresh that scored it computed it (src/feedback/live-accuracy.ts): every number finite or absent. */
const accuracySchema: z.ZodType<LiveAccuracyView> = z.object({
  atMs: z.number(),
  leadTimeSeconds: z.number(),
  scalingLevel: z.number().optional(),
  windows: z.array(
    z.object({
      window: z.string(),
      fromMs: z.number().optional(),
      toMs: z.number().optional(),
      count: z.number().int(),
      mase: z.number().optional(),
      bias: z.number().optional(),
      relativeBias: z.number().optional(),
      coverage: z.array(z.object({ level: z.number(), coverage: z.number(), count: z.number().int() })),
    }),
  ),
});
const persistedSchema = z.object({
  version: z.literal(FORECAST_FILE_VERSION),
  kind: z.literal('prescient-forecast'),
  /** Hash of the target settings the forecast depends on: a changed target is refitted. */
  configHash: z.string(),
  forecast: z.object({
    target: z.string(),
    model: z.string(),
    fallbackFrom: z.string().optional(),
    generatedAtMs: z.number(),
    startMs: z.number(),
    stepSeconds: z.number().positive(),
    point: numbers,
    intervals: z.array(z.object({ level: z.number(), lower: numbers, upper: numbers })),
    lastObserved: z.object({ atMs: z.number(), value: z.number() }),
    filledGaps: z.number(),
    seasonalPeriods: numbers,
    notes: z.array(z.string()),
    /**
     * The frontier replayed at the last selection (a risk budget's, or the
     * own-history check's): a restart keeps what the target serves, and
     * refits its carried selection instead of choosing again.
     */
    frontier: frontierSchema.optional(),
  }),
  scores: z.record(z.string(), z.record(z.string(), z.number())).optional(),
  /**
   * The selection the target's selecting model (`model`, e.g. `auto`) made,
   * so a restart refits the chosen model with its calibration instead of
   * choosing again, and keeps the forecasts it served for the first hour's.
   */
  selection: z.object({ model: z.string(), selection: selectionSchema }).optional(),
  /** The served forecasts and their scores (live accuracy), and the watchdog's verdict. */
  feedback: feedbackSchema.optional(),
  health: healthSchema.optional(),
  /** What GET …/accuracy answers: the same on every replica that reads this document. */
  accuracy: accuracySchema.optional(),
  shadow: shadowSchema.optional(),
});

export type Persisted = z.infer<typeof persistedSchema>;
export type PersistedSelection = NonNullable<Persisted['selection']>;

/** The target settings that change what a forecast means (not refresh timing). */
export function configHash(target: TargetConfig): string {
  const { refreshIntervalSeconds: _refresh, staleAfterSeconds: _stale, ...relevant } = target;
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 16);
}

/**
 * Where the engine keeps what it fitted: files here (one replica), Redis
 * when several share the work (src/cluster/redis-store.ts).
 */
export interface ForecastPersistence {
  /** @throws PrescientError PRESCIENT_ERR_PERSISTENCE */
  save(target: TargetConfig, forecast: TargetForecast, scores: TargetState['scores'], selection?: PersistedSelection, feedback?: PersistedFeedback): Promise<void>;
  /** @throws PrescientError PRESCIENT_ERR_PERSISTENCE */
  load(target: TargetConfig): Promise<Persisted | undefined>;
  /** Shares a failed refresh with other replicas (the file store has none to tell). */
  saveError?(target: TargetConfig, error: TargetError): Promise<void>;
}

/** The persisted document of one target's forecast. */
export function toPersisted(target: TargetConfig, forecast: TargetForecast, scores: TargetState['scores'], selection?: PersistedSelection, feedback?: PersistedFeedback): Persisted {
  const { frontier, ...rest } = forecast;
  return {
    version: FORECAST_FILE_VERSION,
    kind: 'prescient-forecast',
    configHash: configHash(target),
    forecast: {
      ...rest,
      point: [...forecast.point],
      intervals: forecast.intervals.map((i) => ({ ...i })),
      seasonalPeriods: [...forecast.seasonalPeriods],
      notes: [...forecast.notes],
      ...(frontier ? { frontier: { ...frontier, points: [...frontier.points], plainHpa: [...frontier.plainHpa] } } : {}),
    },
    ...(scores ? { scores: finiteScores(scores) } : {}),
    ...(selection ? { selection } : {}),
    ...(feedback?.record ? { feedback: feedback.record } : {}),
    ...(feedback?.health ? { health: feedback.health } : {}),
    ...(feedback?.accuracy ? { accuracy: feedback.accuracy } : {}),
    ...(feedback?.shadow ? { shadow: feedback.shadow } : {}),
  };
}

/** The served-forecast record and the watchdog's verdict, persisted with the forecast (src/feedback). */
export interface PersistedFeedback {
  readonly record?: ServedRecordSnapshot;
  readonly health?: TargetHealth;
  /** The live accuracy computed after the refresh that made the forecast. */
  readonly accuracy?: LiveAccuracyView;
  /** Shadow mode's record (a target with scaling.mode: shadow). */
  readonly shadow?: ShadowSnapshot;
}

/**
 * Reads a persisted document; undefined when it belongs to other target settings.
 * @throws PrescientError PRESCIENT_ERR_PERSISTENCE for a corrupt or foreign document (`where` names it)
 */
export function parsePersisted(text: string, target: TargetConfig, where: string): Persisted | undefined {
  let parsed: Persisted;
  try {
    parsed = persistedSchema.parse(JSON.parse(text));
  } catch (cause) {
    throw new PrescientError('PRESCIENT_ERR_PERSISTENCE', `${where} is corrupt or not a Prescient forecast; it will be refitted`, { cause });
  }
  if (parsed.configHash !== configHash(target) || parsed.forecast.target !== target.name) return undefined;
  return parsed;
}

/**
 * Scores without their non-finite entries: JSON writes NaN as null, which
 * would make the whole file unreadable (a candidate that failed every origin
 * of auto's backtest scores NaN).
 */
function finiteScores(scores: NonNullable<TargetState['scores']>): NonNullable<Persisted['scores']> {
  return Object.fromEntries(
    Object.entries(scores).map(([model, byMetric]) => [model, Object.fromEntries(Object.entries(byMetric).filter(([, v]) => Number.isFinite(v)))]),
  );
}
