/**
 * One backtest, as the CLI, REST and benchmarks run it: the rolling-origin
 * accuracy evaluation of every requested model (src/models/evaluation/rolling-origin.ts)
 * and the autoscaling replay (src/backtest/replay.ts) over the same span,
 * returned as one plain, JSON-safe {@link BacktestResult}
 * (schema: src/backtest/result.ts).
 */
import { isModelName, poolSchema, watchdogSchema } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import { withoutIncidents } from '../events/effects.js';
import type { KnownEvent } from '../events/event.js';
import type { Series } from '../series/series.js';
import { detectSeasonalPeriods } from '../series/seasonality.js';
import { evaluate, originIndicesFor } from '../models/evaluation/rolling-origin.js';
import { FRONTIER_LEVELS } from './frontier.js';
import { POLICY_NAMES, replay, type PolicyName } from './replay.js';
import type { BacktestResult, ModelSummary } from './result.js';

/** The service's default per-fit limit (`pool.fitTimeout`). */
const DEFAULT_FIT_TIMEOUT_MS = poolSchema.parse({}).fitTimeoutMs;

/** Evaluated when no models are named: these four, as far as they are registered. */
export const DEFAULT_MODELS = ['auto', 'snaive', 'mstl', 'sarima'] as const;

export function defaultModels(): string[] {
  return DEFAULT_MODELS.filter((m) => isModelName(m));
}

// Kept in a light file of their own (no models, no replay): the REST routes read them in the main thread.
export { targetReplayDefaults, type ReplaySettings } from './target-defaults.js';
import type { ReplaySettings } from './target-defaults.js';

export interface BacktestOptions {
  readonly series: Series;
  /** Where the series came from, for the result (a file path or a PromQL query). */
  readonly source: string;
  /** Grid points that were gaps filled by interpolation. */
  readonly filledGaps?: number;
  /** Registry names; default {@link defaultModels}. */
  readonly models?: readonly string[];
  /** Number of origins (default 7). */
  readonly origins?: number;
  /** Seconds between origins (default: the horizon). */
  readonly spacingSeconds?: number;
  /** Forecast horizon (default one day). */
  readonly horizonSeconds?: number;
  /** History fitted at each origin, at most (default 28 days). */
  readonly historySeconds?: number;
  /** Interval levels (default [0.8, 0.95]). */
  readonly levels?: readonly number[];
  /** Scaling quantile: scored by pinball loss and used by the replay's policy (default 0.9). */
  readonly quantile?: number;
  /** Seasonal periods in seconds; detected from the series when absent. */
  readonly seasonalPeriodsSeconds?: readonly number[];
  /** The autoscaling replay, or false to skip it. */
  readonly replay?: ReplaySettings | false;
  /** Wall-clock limit, ms since epoch. */
  readonly deadlineMs?: number;
  /**
   * Time limit of one fit, as the service's `pool.fitTimeout` (ms). The same
   * limit as the service means `auto` weighs the same candidates (it skips
   * models that would not fit in time), so the backtest scores what would be served.
   * Default: the service's default `pool.fitTimeout`.
   */
  readonly fitTimeoutMs?: number;
  /**
   * Known events (docs/events.md), as the service applies them: incident
   * windows are filled before fitting and scoring (neither sees the abnormal
   * load; the replay still faces the real load), campaign and maintenance
   * windows shape the replay's forecasts. Deploys are annotations here: the
   * backtest refits on its own cadence.
   */
  readonly events?: readonly KnownEvent[];
  /** The feedback loop's watchdog (its default settings) judges the replay's predictive forecasts (`--watchdog`). */
  readonly watchdog?: boolean;
  readonly onProgress?: (progress: { readonly phase: 'accuracy' | 'replay'; readonly done: number; readonly total: number; readonly model: string }) => void;
}

/** A backtest as plain data (it crosses into a worker): the options without callbacks. */
export type BacktestJob = Omit<BacktestOptions, 'onProgress'>;

function steps(seconds: number, stepSeconds: number, what: string): number {
  const n = Math.round(seconds / stepSeconds);
  if (!(n >= 1)) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `${what} (${seconds} s) is shorter than one step (${stepSeconds} s)`);
  return n;
}

/**
 * Runs the evaluation and the replay.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION (bad options, series too
 *   short for the origins), PRESCIENT_ERR_SERIES_INVALID (a value that is not
 *   a finite number: regularize() fills gaps first), PRESCIENT_ERR_MODEL_UNKNOWN
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const { series } = options;
  const stepSeconds = series.stepSeconds;
  const notFinite = series.values.findIndex((v) => !Number.isFinite(v));
  if (notFinite >= 0) {
    throw new PrescientError('PRESCIENT_ERR_SERIES_INVALID', `value ${notFinite} of the series is ${series.values[notFinite]}: fill gaps (regularize) before a backtest`);
  }
  const models = [...(options.models ?? defaultModels())];
  const horizonSteps = steps(options.horizonSeconds ?? 86_400, stepSeconds, 'horizon');
  const spacingSteps = steps(options.spacingSeconds ?? horizonSteps * stepSeconds, stepSeconds, 'origin spacing');
  const historyCapSteps = steps(options.historySeconds ?? 28 * 86_400, stepSeconds, 'history');
  const originCount = options.origins ?? 7;
  const quantile = options.quantile ?? 0.9;
  const originIndices = originIndicesFor(series.values.length, originCount, horizonSteps, spacingSteps);
  if (originIndices.length === 0) {
    throw new PrescientError(
      'PRESCIENT_ERR_VALIDATION',
      `the series (${series.values.length} steps of ${stepSeconds} s) is too short for one origin with a ${horizonSteps}-step horizon`,
    );
  }
  // Detected on the history before the first origin only, so before every
  // origin: on the whole file the replayed days themselves could contribute
  // a season (a weekly one on two weeks of data) that no fit could have seen.
  const seasonalPeriods = options.seasonalPeriodsSeconds
    ? options.seasonalPeriodsSeconds.map((s) => steps(s, stepSeconds, 'seasonal period'))
    : detectSeasonalPeriods(series.values.slice(0, originIndices[0] as number), stepSeconds);

  const fitTimeoutMs = options.fitTimeoutMs ?? DEFAULT_FIT_TIMEOUT_MS;
  // Imported here, not at the top: the REST routes import this file for its defaults, and the
  // registry would load TF.js and the WASM models into the service's main thread.
  const { getForecaster } = await import('../models/registry.js');
  const training = options.events ? withoutIncidents(series, options.events, seasonalPeriods[0] ?? 0).series : series;
  const evaluation = await evaluate({
    series: training,
    models: models.map(getForecaster),
    origins: originIndices,
    horizonSteps,
    historyCapSteps,
    // The replay's frontier reads every knob setting's levels from these same forecasts.
    levels: options.replay === false ? (options.levels ?? [0.8, 0.95]) : [...new Set([...(options.levels ?? [0.8, 0.95]), ...FRONTIER_LEVELS])].sort((a, b) => a - b),
    seasonalPeriods,
    scalingQuantile: quantile,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    fitTimeLimitMs: fitTimeoutMs,
    onProgress: (p) => options.onProgress?.({ phase: 'accuracy', done: p.done, total: p.total, model: p.model }),
  });
  const accuracyMs = performance.now() - started;

  const summaries: ModelSummary[] = evaluation.models.map((m) => ({
    model: m.model,
    mase: finiteOrNull(m.aggregate.mase),
    smape: finiteOrNull(m.aggregate.smape),
    coverage80: finiteOrNull(m.aggregate.coverage['0.8']),
    coverage95: finiteOrNull(m.aggregate.coverage['0.95']),
    pinball: finiteOrNull(m.aggregate.pinball),
    scaledPinball: finiteOrNull(m.aggregate.scaledPinball),
    fitTimeMs: finiteOrNull(m.aggregate.fitTimeMs),
    originsScored: m.aggregate.originsScored,
    failures: m.aggregate.failures,
    origins: m.origins.map((o) => ({
      originMs: o.originMs,
      chosenModel: o.info?.model ?? null,
      mase: finiteOrNull(o.metrics?.mase),
      fitTimeMs: o.fitTimeMs,
      forecast: o.forecast
        ? { point: o.forecast.point, intervals: o.forecast.intervals.map((i) => ({ level: i.level, lower: i.lower, upper: i.upper })) }
        : null,
      error: o.error ? { code: o.error.code, message: o.error.message } : null,
    })),
  }));

  let replayResult: BacktestResult['replay'] = null;
  if (options.replay !== false) {
    const settings = options.replay ?? {};
    const replayModel = settings.model ?? (models.includes('auto') ? 'auto' : (models[0] as string));
    // Default: refit at the origins, so the replay serves exactly the forecasts scored above.
    const refitEverySteps = steps(settings.refitEverySeconds ?? spacingSteps * stepSeconds, stepSeconds, 'refit interval');
    const startIndex = originIndices[0] as number;
    const evaluated = evaluation.models.find((m) => m.model === replayModel);
    const reuse = evaluated !== undefined && refitEverySteps === spacingSteps && spacingSteps === horizonSteps;
    const r = await replay({
      series,
      startIndex,
      model: replayModel,
      seasonalPeriods,
      refitEverySteps,
      historyCapSteps,
      quantile,
      ...(reuse ? { precomputed: evaluated } : {}),
      ...(options.events ? { events: options.events, trainingSeries: training } : {}),
      ...(options.watchdog ? { watchdog: watchdogSchema.parse({}) } : {}),
      ...defined(settings),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      fitTimeoutMs,
      onProgress: (p) => options.onProgress?.({ phase: 'replay', done: p.done, total: p.total, model: p.model }),
    });
    replayResult = {
      params: r.params,
      startMs: r.startMs,
      endMs: r.endMs,
      policies: r.policies.map((p) => ({
        policy: p.policy,
        model: p.model ?? null,
        ...p.stats,
        ratiosToReactive: p.ratiosToReactive,
        refits: p.refits ?? null,
        refitFailures: p.refitFailures ?? null,
        fallbackMinutes: p.fallbackMinutes,
      })),
      timeline: {
        stepSeconds: r.timeline.stepSeconds,
        timesMs: [...r.timeline.timesMs],
        load: [...r.timeline.load],
        readyReplicas: Object.fromEntries(POLICY_NAMES.map((name) => [name, [...r.timeline.readyReplicas[name]]])) as Record<PolicyName, number[]>,
      },
      fedForecasts: r.fedForecasts.map(({ guardLoad, ...f }) => ({ ...f, load: [...f.load], ...(guardLoad ? { guardLoad: [...guardLoad] } : {}) })),
      frontier: r.frontier ? (structuredClone(r.frontier) as NonNullable<BacktestResult['replay']>['frontier']) : null,
      ...(r.watchdog
        ? { watchdog: { underProvisionedMinutes: r.watchdog.stats.underProvisionedMinutes, replicaHours: r.watchdog.stats.replicaHours, states: r.watchdog.states.map((w) => ({ ...w })) } }
        : {}),
    };
  }

  return {
    version: 1,
    source: options.source,
    series: { startMs: series.startMs, stepSeconds, length: series.values.length, filledGaps: options.filledGaps ?? 0 },
    settings: {
      models,
      origins: originIndices.length,
      spacingSeconds: spacingSteps * stepSeconds,
      horizonSeconds: horizonSteps * stepSeconds,
      historySeconds: historyCapSteps * stepSeconds,
      levels: [...evaluation.levels],
      quantile,
      seasonalPeriodsSeconds: seasonalPeriods.map((p) => p * stepSeconds),
    },
    originsMs: originIndices.map((i) => series.startMs + i * stepSeconds * 1000),
    actual: {
      startMs: series.startMs + (originIndices[0] as number) * stepSeconds * 1000,
      values: series.values.slice(originIndices[0] as number),
    },
    models: summaries,
    replay: replayResult,
    timings: { accuracyMs, replayMs: performance.now() - started - accuracyMs, totalMs: performance.now() - started },
    deadlineHit: evaluation.deadlineHit,
  };
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** Drops undefined keys so optional replay settings fall back to the replay's defaults. */
function defined(settings: ReplaySettings): Omit<ReplaySettings, 'model' | 'refitEverySeconds'> {
  const { model: _model, refitEverySeconds: _refit, ...rest } = settings;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Omit<ReplaySettings, 'model' | 'refitEverySeconds'>;
}
