/**
 * The scaling policy of DESIGN.md §4, as pure functions: no I/O, no clock.
 *
 * How to call it (the service and the KEDA scaler use exactly this code; the
 * backtest replay runs the same rules, src/scaling/rules.ts, through
 * `tracker.decide()` on window loads it reads once for many knob settings):
 *
 * ```ts
 * const tracker = new RecommendationTracker();          // one per target (and quantile/lead pair)
 * const rec = tracker.recommend({ forecast, scaling, nowMs, observedLoad });
 * rec.replicas;                                         // what to run now
 * ```
 *
 * - `forecast` is any TargetForecast-like object ({@link ForecastLike}): model,
 *   startMs, stepSeconds, point, intervals (ascending by level) and lastObserved.
 *   The interval at level L has bounds at quantiles (1−L)/2 and (1+L)/2, so the
 *   scaling quantile q is the upper bound of the interval at level 2q−1; that
 *   level must be present.
 * - `scaling` is the target's parsed `scaling` config (ScalingConfig).
 * - `nowMs` is the simulated or real "now", ms since epoch. It may lie anywhere
 *   inside the forecast's span; the window is [now, now + leadTimeSeconds].
 * - `observedLoad` is the load measured at `nowMs` (defaults to
 *   forecast.lastObserved.value): the reactive floor.
 * - `currentReplicas` (optional) is what actually runs; it is what the HPA's
 *   10 % tolerance compares against. Without it, the previous recommendation is used.
 *
 * The scale-in rules need memory of earlier recommendations: `recommend()`
 * takes that history as a plain array, and RecommendationTracker is the small
 * per-target object that owns it. A replay makes one tracker per target and
 * calls `tracker.recommend()` at each simulated moment in time order.
 */
import { PrescientError } from '../errors.js';
import type { ScalingConfig } from '../config/schema.js';
import type { Interval } from '../models/forecaster.js';
import { decide, type ClampReason, type RecommendationRecord, type RulesPolicy, type WindowLoads } from './rules.js';

export type { ClampReason, RecommendationRecord } from './rules.js';

/** The part of a TargetForecast the policy reads. */
export interface ForecastLike {
  readonly model: string;
  /** Time of point[0], ms since epoch. */
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly point: readonly number[];
  /** Ascending by level. */
  readonly intervals: readonly Pick<Interval, 'level' | 'lower' | 'upper'>[];
  readonly lastObserved: { readonly atMs: number; readonly value: number };
}

/** The fields of ScalingConfig the policy reads (quantile and lead time may be overridden per caller). */
export type ScalingPolicy = Pick<
  ScalingConfig,
  | 'capacityPerReplica'
  | 'quantile'
  | 'scaleInGuardQuantile'
  | 'utilisation'
  | 'leadTimeSeconds'
  | 'minReplicas'
  | 'maxReplicas'
  | 'scaleIn'
>;

/**
 * The four knobs of the policy (DESIGN.md §4, issue 13), as the basis of
 * every recommendation reports them and a risk budget chooses them.
 */
export interface PolicyKnobs {
  /** Forecast quantile the count is sized on, in (0.5, 1). */
  readonly quantile: number;
  /** Upper quantile that must still fit before a scale-in, or null for no guard. */
  readonly scaleInGuardQuantile: number | null;
  /** Share of capacityPerReplica sized on, in (0, 1]. */
  readonly utilisation: number;
  readonly leadTimeSeconds: number;
}

export interface RecommendInput {
  readonly forecast: ForecastLike;
  readonly scaling: ScalingPolicy;
  /** ms since epoch. */
  readonly nowMs: number;
  /** Load observed at nowMs, in the series' unit; defaults to forecast.lastObserved.value. */
  readonly observedLoad?: number;
  /** Replicas running now, for the HPA tolerance check; defaults to the previous recommendation. */
  readonly currentReplicas?: number;
  /** Passed through to the result: whether the forecast is stale (the caller knows its age rules). */
  readonly stale?: boolean;
  /** Passed through to the basis: where the knobs came from (default 'config'). */
  readonly knobsFrom?: KnobsFrom;
  /** Passed through to the basis when a frontier chose or checked the knobs: which forecasts it judged them on. */
  readonly knobsJudgedOn?: KnobsJudgedOn;
  /**
   * `reactive` (a target the watchdog demoted): size for the observed load
   * only, as the HPA would, ignoring the forecast; `reason` says why.
   * Default `predictive`.
   */
  readonly mode?: { readonly kind: 'predictive' } | { readonly kind: 'reactive'; readonly reason: string };
}

/**
 * Where a recommendation's knobs came from: `config` (stated in the
 * target's config), `default` (none stated: the documented defaults, before
 * a frontier chose or with the own-history check off), `budget` (the
 * setting the target's risk budget chose on its own history), `own-history`
 * (no budget and no knob stated: the setting the own-history rule chose on
 * its own history, src/backtest/selection-frontier.ts).
 */
export type KnobsFrom = 'config' | 'default' | 'budget' | 'own-history';

/**
 * Which forecasts a frontier judged the knobs on (src/backtest/selection-frontier.ts): `served`
 * (the forecasts the target served over its last days, from its served record) or
 * `selection-backtest` (the day-ahead forecasts of auto's selection backtest, before the record
 * holds enough).
 */
export type KnobsJudgedOn = 'served' | 'selection-backtest';

export interface Recommendation {
  readonly replicas: number;
  /** ISO time the recommendation is for (nowMs). */
  readonly at: string;
  readonly basis: {
    /**
     * `predictive`: sized on the forecast; `reactive`: the watchdog demoted
     * the target, so it is sized on the observed load alone (windowMaxLoad
     * is then the observed load) and `reason` says why.
     */
    readonly mode: 'predictive' | 'reactive';
    readonly reason?: string;
    readonly model: string;
    readonly quantile: number;
    /** The scale-in guard's quantile; null when the target has none. */
    readonly scaleInGuardQuantile: number | null;
    /** Share of capacityPerReplica the count is sized on. */
    readonly utilisation: number;
    /** Where the knobs came from ({@link KnobsFrom}). */
    readonly knobsFrom: KnobsFrom;
    /** When a frontier chose or checked the knobs: which forecasts it judged them on ({@link KnobsJudgedOn}). */
    readonly knobsJudgedOn?: KnobsJudgedOn;
    /** Highest forecast quantile-q load over [now, now + lead], in the series' unit. */
    readonly windowMaxLoad: number;
    /**
     * Highest load at the guard quantile over the same window (never below
     * windowMaxLoad): what scale-in must still cover. windowMaxLoad without a guard.
     */
    readonly windowMaxUpperLoad: number;
    readonly observedLoad: number;
    readonly leadTimeSeconds: number;
    readonly capacityPerReplica: number;
    /** ceil(windowMaxLoad / (capacity × utilisation)): the forecast's own answer before floor, clamps and scale-in rules. */
    readonly forecastReplicas: number;
    /** ceil(observedLoad / (capacity × utilisation)). */
    readonly reactiveFloorReplicas: number;
    /** Replicas the recommendation was compared with (current, else previous); absent on the first call. */
    readonly previousReplicas?: number;
  };
  /** Every rule that changed the count, in the order applied. */
  readonly clampedBy: readonly ClampReason[];
  /** The change vs previousReplicas is within the HPA's 10 % tolerance, so the HPA will not act on it. */
  readonly withinHpaTolerance: boolean;
  readonly stale: boolean;
}

/** The HPA ignores changes whose ratio to the current count is within this. */
export const HPA_TOLERANCE = 0.1;

/** Levels are fractions like 0.8; 2q−1 in floating point is not exact. */
const LEVEL_EPSILON = 1e-6;

/**
 * The interval whose upper bound is quantile q (level 2q−1).
 * @throws PrescientError PRESCIENT_ERR_LEVEL_UNAVAILABLE when that level is not forecast
 */
export function intervalForQuantile(forecast: ForecastLike, quantile: number): Pick<Interval, 'level' | 'lower' | 'upper'> {
  const level = 2 * quantile - 1;
  const interval = forecast.intervals.find((i) => Math.abs(i.level - level) < LEVEL_EPSILON);
  if (!interval) {
    throw new PrescientError(
      'PRESCIENT_ERR_LEVEL_UNAVAILABLE',
      `quantile ${quantile} needs the ${round(level * 100)} % interval, but the forecast has levels ${forecast.intervals
        .map((i) => i.level)
        .join(', ') || 'none'}`,
    );
  }
  return interval;
}

/**
 * Step indices [first, last] covering [nowMs, nowMs + leadTimeSeconds]. The
 * step in force at nowMs counts (a value holds until the next step), so the
 * window is never empty; steps past the horizon are cut off.
 * @throws PrescientError PRESCIENT_ERR_FORECAST_UNAVAILABLE when nowMs is past the forecast's last step
 */
export function windowIndices(forecast: Pick<ForecastLike, 'startMs' | 'stepSeconds' | 'point'>, nowMs: number, leadTimeSeconds: number): [number, number] {
  // A clock that is not a time (NaN, ±Infinity) is the caller's bug: NaN would give an empty window whose maximum is −Infinity.
  if (!Number.isFinite(nowMs)) throw new RangeError(`windowIndices: the clock must be a finite time in ms, got ${nowMs}`);
  const stepMs = forecast.stepSeconds * 1000;
  const lastIndex = forecast.point.length - 1;
  const first = Math.max(0, Math.floor((nowMs - forecast.startMs) / stepMs));
  // An empty forecast (lastIndex −1) is refused here too: first is never below 0.
  if (first > lastIndex) {
    throw new PrescientError(
      'PRESCIENT_ERR_FORECAST_UNAVAILABLE',
      `the forecast ends at ${new Date(forecast.startMs + Math.max(0, lastIndex) * stepMs).toISOString()}, before ${new Date(nowMs).toISOString()}`,
    );
  }
  const last = Math.min(lastIndex, Math.max(first, Math.floor((nowMs + leadTimeSeconds * 1000 - forecast.startMs) / stepMs)));
  return [first, last];
}

/** Highest value over [first, last]; NaN when any is not finite (the caller turns that into its coded error). */
export function maxOver(values: readonly number[], first: number, last: number): number {
  let max = -Infinity;
  for (let i = first; i <= last; i++) {
    const v = values[i];
    // NaN would slip through a plain comparison; make the caller see it.
    if (v === undefined || !Number.isFinite(v)) return Number.NaN;
    if (v > max) max = v;
  }
  return max;
}

/**
 * One recommendation (DESIGN.md §4). Pure: `history` holds earlier records of
 * the same target in time order, and is not modified; the caller stores the
 * returned record (RecommendationTracker does that).
 * @throws PrescientError PRESCIENT_ERR_LEVEL_UNAVAILABLE (quantile's level not forecast),
 *   PRESCIENT_ERR_FORECAST_UNAVAILABLE (nowMs past the horizon, or non-finite forecast values in the window)
 */
export function recommend(
  input: RecommendInput,
  history: readonly RecommendationRecord[] = [],
): { recommendation: Recommendation; record: RecommendationRecord } {
  const { forecast, scaling, nowMs } = input;
  const observedLoad = input.observedLoad ?? forecast.lastObserved.value;
  const reactive = input.mode?.kind === 'reactive';
  const interval = intervalForQuantile(forecast, scaling.quantile);
  const guard = scaling.scaleInGuardQuantile === null ? interval : intervalForQuantile(forecast, scaling.scaleInGuardQuantile);
  const [first, last] = windowIndices(forecast, nowMs, scaling.leadTimeSeconds);
  // A demoted target's forecast is not trusted: every face sizes on the observed load, as the HPA would.
  const windowMaxLoad = reactive ? observedLoad : maxOver(interval.upper, first, last);
  const windowMaxUpperLoad = reactive ? observedLoad : Math.max(windowMaxLoad, maxOver(guard.upper, first, last));
  if (!Number.isFinite(windowMaxLoad) || !Number.isFinite(windowMaxUpperLoad) || !Number.isFinite(observedLoad)) {
    throw new PrescientError(
      'PRESCIENT_ERR_FORECAST_UNAVAILABLE',
      `the forecast or observed load is not a finite number between ${new Date(nowMs).toISOString()} and the end of the lead window`,
    );
  }
  const { replicas, desired, forecastReplicas, reactiveFloorReplicas, clampedBy, previous } = decide(scaling, nowMs, { windowMaxLoad, windowMaxUpperLoad, observedLoad }, history);

  const compareWith = input.currentReplicas ?? previous;
  const withinHpaTolerance =
    compareWith !== undefined &&
    (compareWith === 0 ? replicas === 0 : Math.abs(replicas / compareWith - 1) <= HPA_TOLERANCE + 1e-9);

  const recommendation: Recommendation = {
    replicas,
    at: new Date(nowMs).toISOString(),
    basis: {
      mode: reactive ? 'reactive' : 'predictive',
      ...(input.mode?.kind === 'reactive' ? { reason: input.mode.reason } : {}),
      model: forecast.model,
      quantile: scaling.quantile,
      scaleInGuardQuantile: scaling.scaleInGuardQuantile,
      utilisation: scaling.utilisation,
      knobsFrom: input.knobsFrom ?? 'config',
      ...(input.knobsJudgedOn ? { knobsJudgedOn: input.knobsJudgedOn } : {}),
      windowMaxLoad,
      windowMaxUpperLoad,
      observedLoad,
      leadTimeSeconds: scaling.leadTimeSeconds,
      capacityPerReplica: scaling.capacityPerReplica,
      forecastReplicas,
      reactiveFloorReplicas,
      ...(compareWith === undefined ? {} : { previousReplicas: compareWith }),
    },
    clampedBy,
    withinHpaTolerance,
    stale: input.stale ?? false,
  };
  return { recommendation, record: { atMs: nowMs, desired, replicas } };
}

/**
 * The memory the scale-in rules need for one target: earlier recommendations
 * within the longest of the stabilisation window and the scale-in interval.
 * Calls within the same `bucketMs` replace each other (keeping the highest
 * wish), so a caller polled thousands of times a second keeps a short history.
 * Calls must come in non-decreasing time order; an earlier nowMs is answered
 * without being recorded.
 */
export class RecommendationTracker {
  private history: RecommendationRecord[] = [];
  private lastSteady = false;

  /** @param bucketMs history resolution in ms (default 5 s; 0 records every call) */
  constructor(private readonly bucketMs = 5_000) {}

  /** Same as {@link recommend}, remembering the result. Throws the same codes. */
  recommend(input: RecommendInput): Recommendation {
    this.lastSteady = false;
    const { recommendation, record } = recommend(input, this.history);
    this.remember(record, input.scaling);
    return recommendation;
  }

  /**
   * The replica count from window loads already read off a forecast (the
   * same rules as {@link recommend}, without the explanation), remembering
   * it: for a replay that feeds many settings the same forecasts.
   * @param loads finite numbers (not checked here)
   */
  decide(scaling: RulesPolicy, nowMs: number, loads: WindowLoads): number {
    const d = decide(scaling, nowMs, loads, this.history);
    // The same loads at a later call give the same count and record when this call scaled in no further
    // than its wish (wish ≥ previous: no scale-in under way, or the guard held it at the previous count) and
    // the count is within the wish (so it is the next call's previous without starting a scale-in).
    this.lastSteady = d.previous !== undefined && d.desired >= d.previous && d.replicas <= d.desired;
    this.remember({ atMs: nowMs, desired: d.desired, replicas: d.replicas }, scaling);
    return d.replicas;
  }

  /** Whether the last {@link decide} would repeat itself, count and record, for as long as its loads stay the same. */
  get steady(): boolean {
    return this.lastSteady;
  }

  /**
   * The last {@link decide} repeated at every call up to `atMs` with the same
   * loads (only when {@link steady}), remembered as one record at `atMs`: the
   * rules read the highest wish and count within a window, and the record
   * before carries the same values, so this one stands for every call between.
   * A replay's fast-forward over a stretch where nothing changes.
   */
  hold(atMs: number, scaling: Pick<ScalingPolicy, 'scaleIn'>): void {
    const last = this.history[this.history.length - 1];
    if (!this.lastSteady || !last) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'hold() needs a steady last decision');
    this.remember({ atMs, desired: last.desired, replicas: last.replicas }, scaling);
  }

  /** Earlier records, oldest first (a copy). */
  records(): RecommendationRecord[] {
    return [...this.history];
  }

  private remember(record: RecommendationRecord, scaling: Pick<ScalingPolicy, 'scaleIn'>): void {
    const last = this.history[this.history.length - 1];
    if (last && record.atMs < last.atMs) return;
    if (last && this.bucketMs > 0 && Math.floor(last.atMs / this.bucketMs) === Math.floor(record.atMs / this.bucketMs)) {
      // Keeping the highest count of the bucket stops rapid calls from
      // stepping down past the scale-in rate one bucket at a time.
      this.history[this.history.length - 1] = {
        atMs: record.atMs,
        desired: Math.max(last.desired, record.desired),
        replicas: Math.max(last.replicas, record.replicas),
      };
    } else {
      this.history.push(record);
    }
    const keepMs = Math.max(scaling.scaleIn.stabilizationWindowSeconds, scaling.scaleIn.intervalSeconds) * 1000;
    const fromMs = record.atMs - keepMs;
    let drop = 0;
    // Keep the last record at or before the window start: it was in force at
    // the start of the scale-in interval (and the newest one is "previous").
    while (drop < this.history.length - 1 && (this.history[drop + 1] as RecommendationRecord).atMs <= fromMs) drop++;
    this.history.splice(0, drop);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
