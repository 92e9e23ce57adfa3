/**
 * The autoscaling replay (DESIGN.md §5): the real load of a series is played
 * through the HPA model (src/backtest/hpa-model.ts) five times, each with a
 * different signal:
 *
 * - `reactive`: the plain HPA on the observed (lagged) load, target per pod
 *   = `hpaUtilisation` × capacity per replica;
 * - `predictive`: Prescient's policy (src/scaling/policy.ts, the code the
 *   service runs) fed by the forecast that would have been served at each
 *   moment: forecasts made at refit times from the history before them only
 *   (src/models/evaluation/rolling-origin.ts `evaluate` with explicit origins), the
 *   latest one served until the next refit;
 * - `snaive`: the same policy fed by the seasonal naive model at the daily
 *   period (yesterday's load as the forecast), refitted on the same cadence;
 * - `oracle`: the same policy fed by the actual future load (zero-width
 *   intervals): perfect foresight over the lead window, the physical limit;
 * - `headroom`: the plain HPA again, its target per pod lowered until it runs
 *   no more replica-hours than `predictive` did: the same budget spent as
 *   spare capacity instead of on a forecast. It answers "could I not just
 *   lower my HPA target?" at equal cost.
 *
 * The forecast policies reach the HPA as KEDA wires them (docs/keda.md): an
 * external metric with target 1 (the recommended replica count), beside the
 * reactive trigger in the same ScaledObject (`reactiveTrigger`, default on),
 * so the HPA runs the larger of the two proposals, with the scale-down
 * stabilisation the documented ScaledObject sets (none: the policy holds its
 * own). Every policy goes through the same 10 % tolerance, scale-up limits
 * and pod start-up.
 *
 * Load at 15 s resolution: each sample holds until the next (see
 * {@link loadInterpolator}). Observed load at time t is
 * load(t − metricLag): what Prometheus or metrics-server would show.
 */
import type { WatchdogConfig } from '../config/schema.js';
import { watchdogReplay } from '../feedback/replay-watchdog.js';
import { shapeForecast } from '../events/effects.js';
import type { KnownEvent } from '../events/event.js';
import { DEFAULT_SCALE_IN_GUARD_QUANTILE } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import type { Forecaster, Interval } from '../models/forecaster.js';
import type { ForecastLike, PolicyKnobs, ScalingPolicy } from '../scaling/policy.js';
import type { Series } from '../series/series.js';
import { timeAt } from '../series/series.js';
import { evaluate } from '../models/evaluation/rolling-origin.js';
import { seasonalNaive } from '../models/seasonal-naive.js';
import { computeFrontier, FRONTIER_LEVELS, frontierGrid, type Frontier, type FrontierPoint, type FrontierStats, type RiskBudget } from './frontier.js';
import { defaultHpaParams, type HpaTimeline } from './hpa-model.js';
import { ratiosTo, type ProvisioningStats, type RatiosToReactive } from './provisioning.js';
import { ForecastTrack, ReplayWorld, servedAt, type PolicyRun, type ServedForecastLike } from './replay-world.js';

export { loadInterpolator } from './replay-world.js';

export const POLICY_NAMES = ['reactive', 'predictive', 'snaive', 'oracle', 'headroom'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export interface ReplayOptions {
  /** The load on a regular grid (finite values). */
  readonly series: Series;
  /** Index of the first replayed step: the first refit happens here. ≥ 2. */
  readonly startIndex: number;
  /** Index after the last replayed step (default: the series' length). */
  readonly endIndex?: number;
  /** The predictive policy's model: a registry name (`auto`, `mstl`, …) or a Forecaster. */
  readonly model: string | Forecaster;
  /** Seasonal periods in steps for the predictive model (shortest first). */
  readonly seasonalPeriods: readonly number[];
  /** Steps between refits of the predictive and seasonal-naive forecasts (≥ 1). */
  readonly refitEverySteps: number;
  /** At most this many steps of history per fit (default: all before the refit). */
  readonly historyCapSteps?: number;
  /** Load one ready replica serves (default: see {@link defaultCapacityPerReplica}). */
  readonly capacityPerReplica?: number;
  /** The reactive HPA targets this share of the capacity per pod (default 0.7). */
  readonly hpaUtilisation?: number;
  /**
   * The forecast policies are given capacity × this as their capacity per
   * replica: the `capacityPerReplica` a user would configure (default 0.9).
   * Their headroom is the forecast quantile; this share only keeps a
   * scale-up the HPA swallows as within its 10 % tolerance from leaving the
   * load above capacity, so it stays ≤ 1 / (1 + tolerance) ≈ 0.909.
   */
  readonly policyUtilisation?: number;
  /**
   * Forecast policies run beside the reactive trigger, the HPA taking the
   * larger proposal, as docs/keda.md's ScaledObject does (default true).
   * Off, they drive the HPA alone: what the forecast does by itself.
   */
  readonly reactiveTrigger?: boolean;
  /** Pod start-up delay (default 120 s). */
  readonly startupDelaySeconds?: number;
  /** Delay before a load is visible to the autoscaler (default 60 s). */
  readonly metricLagSeconds?: number;
  /** Default 1. */
  readonly minReplicas?: number;
  /** Default 1000. */
  readonly maxReplicas?: number;
  /** Forecast quantile the policy scales on (default 0.9). */
  readonly quantile?: number;
  /** Scale-in guard quantile of the forecast policies, null for none (default 0.975, the service's). */
  readonly scaleInGuardQuantile?: number | null;
  /**
   * Replay every knob setting of the frontier grid (src/backtest/frontier.ts)
   * on the same forecasts, and the plain HPA at several targets (default true).
   */
  readonly frontier?: boolean;
  /** With the frontier: the setting this budget would choose on this history is marked. */
  readonly budget?: RiskBudget;
  /**
   * With the frontier: the grid's quantile/guard pairs also sized at these
   * utilisations, fed by both forecasts (ReplayFrontier.alsoSized), so the
   * predictive and seasonal-naive policies can be compared sized alike
   * beyond the grid's 90/80/70 %.
   */
  readonly alsoSizedAt?: readonly number[];
  /** Lead time of the policy (default: start-up delay + metric lag). */
  readonly leadTimeSeconds?: number;
  /** Scale-in rules of the policy (default: the config's, 60 s interval, 300 s stabilisation). */
  readonly scaleIn?: ScalingPolicy['scaleIn'];
  /** Wall-clock limit for the fits, ms since epoch. */
  readonly deadlineMs?: number;
  /** Time limit of one fit (ms), as the service's `pool.fitTimeout`. */
  readonly fitTimeoutMs?: number;
  readonly seed?: number;
  /**
   * Forecasts already made by the rolling-origin evaluation at exactly the
   * refit indices, for the predictive model: reused instead of refitting
   * (the same forecasts, so the replay costs no extra fits).
   */
  readonly precomputed?: PrecomputedForecasts;
  /** Called after each refit fit (both models), for progress bars. */
  readonly onProgress?: (progress: { readonly done: number; readonly total: number; readonly model: string }) => void;
  /**
   * Known events (docs/events.md): refits fit on `trainingSeries` (incident
   * windows filled), and campaign or maintenance windows shape every fed
   * forecast, as the service would have served them. The load replayed is
   * always `series`, the real one.
   */
  readonly events?: readonly KnownEvent[];
  readonly trainingSeries?: Series;
  /**
   * The feedback loop's watchdog (src/feedback/replay-watchdog.ts): while it
   * has the target `reactive`, the predictive policy is fed a flat forecast
   * at the last observed load, as the service serves a demoted target.
   */
  readonly watchdog?: WatchdogConfig;
}

export interface ReplayParams {
  readonly capacityPerReplica: number;
  readonly hpaTargetPerReplica: number;
  /** The `headroom` policy's HPA target per pod, as a share of the capacity per replica. */
  readonly headroomUtilisation: number;
  /** Capacity per replica the forecast policies size on (capacity × policyUtilisation). */
  readonly policyCapacityPerReplica: number;
  /** The forecast policies' utilisation knob (policyCapacityPerReplica / capacityPerReplica). */
  readonly policyUtilisation: number;
  /** The forecast policies' scale-in guard quantile (null: none). */
  readonly scaleInGuardQuantile: number | null;
  /** How each reference is sized, in words (the output prints it). */
  readonly sizing: string;
  /** Whether the forecast policies ran beside the reactive trigger. */
  readonly reactiveTrigger: boolean;
  readonly startupDelaySeconds: number;
  readonly metricLagSeconds: number;
  readonly leadTimeSeconds: number;
  readonly quantile: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The forecast policies' scale-in rules. */
  readonly scaleIn: ScalingPolicy['scaleIn'];
  readonly refitEverySeconds: number;
  readonly syncPeriodSeconds: number;
  readonly historyCapSteps: number | null;
  readonly model: string;
  readonly loadInterpolation: 'hold';
}

export interface PolicyResult {
  readonly policy: PolicyName;
  /** The model that fed the policy (absent for reactive, oracle and headroom). */
  readonly model?: string;
  readonly stats: ProvisioningStats;
  readonly ratiosToReactive: RatiosToReactive;
  /** Refits attempted and failed (forecast policies only). */
  readonly refits?: number;
  readonly refitFailures?: number;
  /** Minutes with no usable forecast, when the policy fell back to the reactive signal. */
  readonly fallbackMinutes: number;
}

/** One served forecast, for the report: the refit time and the forecast it produced. */
export interface ServedForecast {
  readonly originMs: number;
  readonly model: string;
  readonly point: readonly number[];
  readonly intervals: readonly Interval[];
  readonly error?: string;
}

/**
 * One forecast a policy was fed, as the policy read it: issued at
 * `issuedAtMs`, in force until `servedUntilMs` (the next refit), its value
 * for target time `issuedAtMs + k × stepSeconds` at index k, at the scaling
 * quantile and at the guard quantile. Enough for an outside simulator to
 * replay the policy.
 */
export interface FedForecast {
  readonly policy: 'predictive' | 'snaive';
  readonly issuedAtMs: number;
  readonly servedUntilMs: number;
  readonly model: string;
  readonly stepSeconds: number;
  readonly quantile: number;
  readonly load: readonly number[];
  readonly guardQuantile: number | null;
  /** Absent without a guard. */
  readonly guardLoad?: readonly number[];
  /** Set when the refit failed: the previous forecast stayed in force. */
  readonly error?: string;
}

/** A setting of the frontier with the predictive and the seasonal-naive forecasts, sized alike. */
export interface ReplayFrontier extends Frontier {
  /** The same settings fed by the seasonal-naive refits (index for index). */
  readonly snaive: readonly FrontierStats[];
  /** ReplayOptions.alsoSizedAt: each setting with both forecasts (absent when none was asked). */
  readonly alsoSized?: readonly { readonly knobs: PolicyKnobs; readonly predictive: FrontierStats; readonly snaive: FrontierStats }[];
}

export interface ReplayResult {
  readonly params: ReplayParams;
  /** Replayed span: [startMs, endMs), ms since epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly policies: readonly PolicyResult[];
  /** Per series step over the replay (ready replicas at each step's time), for plots. */
  readonly timeline: {
    readonly stepSeconds: number;
    readonly timesMs: readonly number[];
    readonly load: readonly number[];
    readonly readyReplicas: Readonly<Record<PolicyName, readonly number[]>>;
  };
  /** The forecasts the predictive policy was served (for the report's plot). */
  readonly servedForecasts: readonly ServedForecast[];
  /** Every forecast the predictive and seasonal-naive policies were fed. */
  readonly fedForecasts: readonly FedForecast[];
  /** Null when not asked for. */
  readonly frontier: ReplayFrontier | null;
  /**
   * With `watchdog`: the predictive policy replayed again on the forecasts
   * the watchdog let through (the `predictive` row stays the watchdog-off
   * one), and the target's state at each refit.
   */
  readonly watchdog?: {
    readonly stats: ProvisioningStats;
    readonly states: readonly { readonly atMs: number; readonly state: 'trusted' | 'degraded' | 'reactive' }[];
  };
}

/** Default share of the capacity the forecast policies size on: just under 1 / (1 + HPA tolerance). */
export const DEFAULT_POLICY_UTILISATION = 0.9;

/**
 * Default capacity per replica: the 95th percentile of the history before
 * the replay needs 20 replicas at the reactive HPA's target. Only history
 * before the replay is read, so the unit choice itself peeks at nothing.
 */
export function defaultCapacityPerReplica(history: readonly number[], hpaUtilisation: number): number {
  const sorted = history.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))] ?? 1;
  return Math.max(p95, 1e-9) / 20 / hpaUtilisation;
}

/** Forecasts from src/models/evaluation/rolling-origin.ts `evaluate`, one per refit index in order. */
export interface PrecomputedForecasts {
  readonly model: string;
  readonly origins: readonly {
    readonly originIndex: number;
    readonly forecast?: { readonly point: readonly number[]; readonly intervals: readonly Interval[] };
    readonly info?: { readonly model: string };
    readonly error?: { readonly message: string };
  }[];
}

type RefitForecast = ServedForecastLike;

/**
 * Forecasts made at each refit index from values before it only, by the
 * shared rolling-origin code, or `precomputed` ones when given (the
 * predictive model's only: the seasonal-naive reference has its own daily
 * period, which may not be the periods those were made with). Failed refits
 * keep their error and serve nothing.
 */
async function refitForecasts(
  options: ReplayOptions,
  precomputed: PrecomputedForecasts | undefined,
  model: string | Forecaster,
  seasonalPeriods: readonly number[],
  refitIndices: readonly number[],
  horizonSteps: number,
  quantile: number,
  levels: readonly number[],
  progress: (model: string) => void,
): Promise<{ name: string; forecasts: RefitForecast[] }> {
  if (precomputed) {
    const pre = precomputed;
    const same = pre.origins.length === refitIndices.length && pre.origins.every((o, k) => o.originIndex === refitIndices[k]);
    if (!same) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'precomputed forecasts do not match the refit indices');
    return { name: pre.model, forecasts: toRefitForecasts(options.series, pre) };
  }
  // The registry is loaded only for a model given by name, as in run.ts: it brings TF.js and the WASM
  // models (seconds to import), which a replay on a Forecaster and the seasonal-naive reference never use.
  const forecaster = typeof model === 'string' ? (await import('../models/registry.js')).getForecaster(model) : model;
  const result = await evaluate({
    series: options.trainingSeries ?? options.series,
    models: [forecaster],
    origins: refitIndices,
    horizonSteps,
    ...(options.historyCapSteps === undefined ? {} : { historyCapSteps: options.historyCapSteps }),
    levels,
    seasonalPeriods,
    scalingQuantile: quantile,
    ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
    ...(options.fitTimeoutMs === undefined ? {} : { fitTimeLimitMs: options.fitTimeoutMs }),
    seed: options.seed ?? 1,
    // Refits are refresh times: carry auto's selection from one to the next, as the service does.
    carrySelection: true,
    onProgress: (p) => progress(p.model),
  });
  const evaluation = result.models[0];
  if (!evaluation) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'rolling-origin returned no model');
  return { name: evaluation.model, forecasts: toRefitForecasts(options.series, evaluation) };
}

function toRefitForecasts(series: Series, evaluation: PrecomputedForecasts): RefitForecast[] {
  return evaluation.origins.map((o): RefitForecast => {
    const startMs = timeAt(series, o.originIndex);
    const base = { startMs, stepSeconds: series.stepSeconds, lastObserved: { atMs: startMs, value: Number.NaN } };
    if (!o.forecast) return { ...base, model: evaluation.model, point: [], intervals: [], error: o.error?.message ?? 'no forecast' };
    return { ...base, model: o.info?.model ?? evaluation.model, point: o.forecast.point, intervals: o.forecast.intervals };
  });
}

/**
 * Replays the load through the five policies, and (by default) every knob
 * setting of the frontier grid on the same forecasts.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION for bad options,
 *   PRESCIENT_ERR_MODEL_UNKNOWN for an unknown model name
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
  const { series } = options;
  const stepSeconds = series.stepSeconds;
  const endIndex = options.endIndex ?? series.values.length;
  const hpaUtilisation = options.hpaUtilisation ?? 0.7;
  const startupDelaySeconds = options.startupDelaySeconds ?? 120;
  const metricLagSeconds = options.metricLagSeconds ?? 60;
  const quantile = options.quantile ?? 0.9;
  validate(options, endIndex, hpaUtilisation, quantile);
  const capacityPerReplica =
    options.capacityPerReplica ?? defaultCapacityPerReplica(series.values.slice(0, options.startIndex), hpaUtilisation);
  const leadTimeSeconds = options.leadTimeSeconds ?? startupDelaySeconds + metricLagSeconds;
  const minReplicas = options.minReplicas ?? 1;
  const maxReplicas = options.maxReplicas ?? 1000;
  const policyUtilisation = options.policyUtilisation ?? DEFAULT_POLICY_UTILISATION;
  const scaleInGuardQuantile = options.scaleInGuardQuantile === undefined ? DEFAULT_SCALE_IN_GUARD_QUANTILE : options.scaleInGuardQuantile;
  const reactiveTrigger = options.reactiveTrigger ?? true;
  const withFrontier = options.frontier ?? true;
  const knobs: PolicyKnobs = { quantile, scaleInGuardQuantile, utilisation: policyUtilisation, leadTimeSeconds };
  const fixed = {
    capacityPerReplica,
    minReplicas,
    maxReplicas,
    scaleIn: options.scaleIn ?? { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
  };
  const scaling: ScalingPolicy = { ...fixed, ...knobs };
  const hpaTargetPerReplica = hpaUtilisation * capacityPerReplica;

  // Refits: at the replay start and every refitEverySteps after; each forecast
  // must reach the next refit plus the lead window.
  const refitIndices: number[] = [];
  for (let i = options.startIndex; i < endIndex; i += options.refitEverySteps) refitIndices.push(i);
  const horizonSteps = options.refitEverySteps + Math.ceil(leadTimeSeconds / stepSeconds) + 1;
  const daySteps = 86_400 % stepSeconds === 0 ? 86_400 / stepSeconds : undefined;
  // The levels every setting may read: the frontier's, the configured quantile's and guard's.
  const levels = levelsFor([...(withFrontier ? FRONTIER_LEVELS : [0.8, 0.95]), 2 * quantile - 1, ...(scaleInGuardQuantile === null ? [] : [2 * scaleInGuardQuantile - 1])]);
  let done = 0;
  const total = refitIndices.length * 2;
  const progress = (model: string): void => options.onProgress?.({ done: ++done, total, model });
  const shaped = (f: { name: string; forecasts: RefitForecast[] }) => (options.events ? { ...f, forecasts: f.forecasts.map((x) => (x.point.length === 0 ? x : shapeForecast({ ...x, notes: [] }, options.events as readonly KnownEvent[]))) } : f);
  const predictive = shaped(await refitForecasts(options, options.precomputed, options.model, options.seasonalPeriods, refitIndices, horizonSteps, quantile, levels, progress));
  // "Yesterday's load": seasonal naive at one day; without a whole day in steps, its first period.
  const snaivePeriods = daySteps !== undefined ? [daySteps] : options.seasonalPeriods.slice(0, 1);
  const snaive = shaped(await refitForecasts(options, undefined, seasonalNaive, snaivePeriods, refitIndices, horizonSteps, quantile, levels, progress));

  const world = new ReplayWorld({
    series,
    startIndex: options.startIndex,
    endIndex,
    capacityPerReplica,
    startupDelaySeconds,
    metricLagSeconds,
    minReplicas,
    maxReplicas,
    hpaUtilisation,
    reactiveTrigger,
  });
  const refitEveryMs = options.refitEverySteps * stepSeconds * 1000;
  const watched = options.watchdog
    ? watchdogReplay(predictive.forecasts, series, {
        config: options.watchdog,
        levels,
        leadTimeSeconds,
        refreshIntervalSeconds: options.refitEverySteps * stepSeconds,
        scalingLevel: Math.round((2 * quantile - 1) * 1e6) / 1e6,
      })
    : undefined;
  const track = (forecastAt: (tMs: number) => ForecastLike | undefined): ForecastTrack => new ForecastTrack(world, forecastAt, leadTimeSeconds);
  const predictiveTrack = track(servedAt(predictive.forecasts, world.startMs, refitEveryMs));
  const snaiveTrack = track(servedAt(snaive.forecasts, world.startMs, refitEveryMs));
  const oracleForecast = oracle(series, levels);

  const runs = {} as Record<PolicyName, PolicyRun>;
  const reactive = world.plainHpa(hpaUtilisation);
  runs.reactive = reactive;
  runs.predictive = world.forecastPolicy(scaling, predictiveTrack);
  // The same forecasts with the watchdog: no extra fit, one more HPA simulation.
  const watchedRun = watched ? world.forecastPolicy(scaling, track(servedAt(watched.fed, world.startMs, refitEveryMs))) : undefined;
  runs.snaive = world.forecastPolicy(scaling, snaiveTrack);
  runs.oracle = world.forecastPolicy(scaling, track(() => oracleForecast));
  const headroom = world.sameCostReactive(reactive, runs.predictive.stats.replicaHours);
  runs.headroom = headroom;

  let frontier: ReplayFrontier | null = null;
  if (withFrontier) {
    const grid = frontierGrid(leadTimeSeconds);
    const main = computeFrontier({ world, fixed, track: predictiveTrack, grid, model: predictive.name, ...(options.budget ? { budget: options.budget } : {}) });
    const reference = computeFrontier({ world, fixed, track: snaiveTrack, grid, model: snaive.name });
    frontier = { ...main, snaive: reference.points.map(({ knobs: _k, ...stats }) => stats) };
    if (options.alsoSizedAt?.length) {
      // The grid's quantile/guard pairs (those at its first utilisation), sized at each extra share.
      const pairs = grid.filter((k) => k.utilisation === grid[0]?.utilisation);
      const extra = options.alsoSizedAt.flatMap((utilisation) => pairs.map((k) => ({ ...k, utilisation })));
      const p = computeFrontier({ world, fixed, track: predictiveTrack, grid: extra, model: predictive.name });
      const n = computeFrontier({ world, fixed, track: snaiveTrack, grid: extra, model: snaive.name });
      frontier = { ...frontier, alsoSized: extra.map((knobs, k) => ({ knobs, predictive: statsOnly(p.points[k]), snaive: statsOnly(n.points[k]) })) };
    }
  }

  const tickMinutes = defaultHpaParams.syncPeriodSeconds / 60;
  const policies: PolicyResult[] = POLICY_NAMES.map((name) => {
    const forecasts = name === 'predictive' ? predictive : name === 'snaive' ? snaive : undefined;
    return {
      policy: name,
      ...(forecasts ? { model: forecasts.name, refits: forecasts.forecasts.length, refitFailures: forecasts.forecasts.filter((f) => f.error !== undefined).length } : {}),
      stats: runs[name].stats,
      ratiosToReactive: ratiosTo(runs[name].stats, reactive.stats),
      fallbackMinutes: runs[name].fallbackTicks * tickMinutes,
    };
  });
  const guardText = scaleInGuardQuantile === null ? 'no scale-in guard' : `scale-in guard at quantile ${scaleInGuardQuantile}`;
  const sizing =
    `reactive: the HPA at ${pct(hpaUtilisation)} of capacity per pod; predictive, seasonal naive and oracle: the same policy, ` +
    `quantile ${quantile}, ${guardText}, sized at ${pct(policyUtilisation)} of capacity, lead ${leadTimeSeconds} s (only the forecast differs)` +
    `${reactiveTrigger ? ', each beside the reactive trigger' : ''}; headroom: the HPA at ${pct(headroom.utilisation)}, as many replica-hours as predictive`;

  return {
    params: {
      capacityPerReplica,
      hpaTargetPerReplica,
      headroomUtilisation: headroom.utilisation,
      policyCapacityPerReplica: capacityPerReplica * policyUtilisation,
      policyUtilisation,
      scaleInGuardQuantile,
      sizing,
      reactiveTrigger,
      startupDelaySeconds,
      metricLagSeconds,
      leadTimeSeconds,
      quantile,
      minReplicas,
      maxReplicas,
      scaleIn: scaling.scaleIn,
      refitEverySeconds: options.refitEverySteps * stepSeconds,
      syncPeriodSeconds: defaultHpaParams.syncPeriodSeconds,
      historyCapSteps: options.historyCapSteps ?? null,
      model: predictive.name,
      loadInterpolation: 'hold',
    },
    startMs: world.startMs,
    endMs: world.endMs,
    policies,
    timeline: plotTimeline(series, options.startIndex, endIndex, runs, world.startMs),
    servedForecasts: predictive.forecasts.map((f) => ({
      originMs: f.startMs,
      model: f.model,
      point: f.point,
      intervals: f.intervals.map((i) => ({ level: i.level, lower: [...i.lower], upper: [...i.upper] })),
      ...(f.error === undefined ? {} : { error: f.error }),
    })),
    fedForecasts: [
      ...fed('predictive', predictive.forecasts, knobs, world.endMs),
      ...fed('snaive', snaive.forecasts, knobs, world.endMs),
    ],
    frontier,
    ...(watched && watchedRun ? { watchdog: { stats: watchedRun.stats, states: watched.states } } : {}),
  };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(0)} %`;
}

/** A frontier point's figures without its knobs. */
function statsOnly(point: FrontierPoint | undefined): FrontierStats {
  if (!point) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'a frontier lost a setting');
  const { knobs: _k, ...stats } = point;
  return stats;
}

/** Sorted, without near-duplicates (levels are fractions; 2q − 1 is not exact in floating point). */
function levelsFor(levels: readonly number[]): number[] {
  const rounded = [...new Set(levels.map((l) => Math.round(l * 1e6) / 1e6))];
  return rounded.sort((a, b) => a - b);
}

/** The forecasts as the policy read them: values at the scaling and guard quantiles, per refit. */
function fed(policy: FedForecast['policy'], forecasts: readonly RefitForecast[], knobs: PolicyKnobs, endMs: number): FedForecast[] {
  const bound = (f: RefitForecast, q: number): number[] => [...(f.intervals.find((i) => Math.abs(i.level - (2 * q - 1)) < 1e-6)?.upper ?? [])];
  return forecasts.map((f, k) => ({
    policy,
    issuedAtMs: f.startMs,
    servedUntilMs: forecasts[k + 1]?.startMs ?? endMs,
    model: f.model,
    stepSeconds: f.stepSeconds,
    quantile: knobs.quantile,
    // A failed refit carries no intervals (toRefitForecasts): its load is empty without a check here.
    load: bound(f, knobs.quantile),
    guardQuantile: knobs.scaleInGuardQuantile,
    ...(knobs.scaleInGuardQuantile === null || f.error !== undefined ? {} : { guardLoad: bound(f, knobs.scaleInGuardQuantile) }),
    ...(f.error === undefined ? {} : { error: f.error }),
  }));
}

/** The actual load as a forecast with zero-width intervals at every level a setting may ask for. */
function oracle(series: Series, levels: readonly number[]): ForecastLike {
  const values = [...series.values];
  return {
    model: 'oracle',
    startMs: series.startMs,
    stepSeconds: series.stepSeconds,
    point: values,
    intervals: levels.map((level) => ({ level, lower: values, upper: values })),
    lastObserved: { atMs: series.startMs, value: values[0] as number },
  };
}

/** Ready replicas of each policy sampled at the series' own steps. */
function plotTimeline(
  series: Series,
  startIndex: number,
  endIndex: number,
  runs: Record<PolicyName, PolicyRun>,
  startMs: number,
): ReplayResult['timeline'] {
  const timesMs: number[] = [];
  const load: number[] = [];
  const readyReplicas = Object.fromEntries(POLICY_NAMES.map((n) => [n, [] as number[]])) as Record<PolicyName, number[]>;
  const syncMs = defaultHpaParams.syncPeriodSeconds * 1000;
  for (let i = startIndex; i < endIndex; i++) {
    const tMs = timeAt(series, i);
    const k = Math.floor((tMs - startMs) / syncMs);
    timesMs.push(tMs);
    load.push(series.values[i] as number);
    for (const name of POLICY_NAMES) {
      const ready = (runs[name].timeline as HpaTimeline).readyReplicas;
      readyReplicas[name].push((ready[Math.min(k, ready.length - 1)] ?? 0) as number);
    }
  }
  return { stepSeconds: series.stepSeconds, timesMs, load, readyReplicas };
}

function validate(options: ReplayOptions, endIndex: number, hpaUtilisation: number, quantile: number): void {
  const problems: string[] = [];
  const length = options.series.values.length;
  if (!Number.isInteger(options.startIndex) || options.startIndex < 2) problems.push('startIndex must be an integer ≥ 2');
  if (!Number.isInteger(endIndex) || endIndex > length || endIndex <= options.startIndex) problems.push(`endIndex must be in (startIndex, ${length}]`);
  if (!Number.isInteger(options.refitEverySteps) || options.refitEverySteps < 1) problems.push('refitEverySteps must be a positive integer');
  if (options.capacityPerReplica !== undefined && !(options.capacityPerReplica > 0)) problems.push('capacityPerReplica must be > 0');
  if (!(hpaUtilisation > 0 && hpaUtilisation <= 1)) problems.push('hpaUtilisation must be in (0, 1]');
  const pu = options.policyUtilisation;
  if (pu !== undefined && !(pu > 0 && pu <= 1)) problems.push('policyUtilisation must be in (0, 1]');
  if (!(quantile > 0.5 && quantile < 1)) problems.push('quantile must be in (0.5, 1)');
  const guard = options.scaleInGuardQuantile;
  if (guard !== undefined && guard !== null && !(guard > 0.5 && guard < 1)) problems.push('scaleInGuardQuantile must be in (0.5, 1) or null');
  for (const [key, value] of [
    ['startupDelaySeconds', options.startupDelaySeconds],
    ['metricLagSeconds', options.metricLagSeconds],
    ['leadTimeSeconds', options.leadTimeSeconds],
  ] as const) {
    if (value !== undefined && !(value >= 0 && Number.isFinite(value))) problems.push(`${key} must be ≥ 0`);
  }
  const min = options.minReplicas ?? 1;
  const max = options.maxReplicas ?? 1000;
  if (!Number.isInteger(min) || min < 1) problems.push('minReplicas must be an integer ≥ 1');
  if (!Number.isInteger(max) || max < min) problems.push('maxReplicas must be an integer ≥ minReplicas');
  if (problems.length > 0) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `invalid replay: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ path: 'replay', message })),
    });
  }
}
