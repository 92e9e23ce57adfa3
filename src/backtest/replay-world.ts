/**
 * One replayed stretch of load and the HPA that every policy drives
 * (DESIGN.md §5): the load, the capacity per replica, the pod start-up, the
 * metric lag, and the plain HPA's run at any target. src/backtest/replay.ts
 * (the backtest) and src/backtest/frontier.ts (the knob settings a risk
 * budget chooses among, in the backtest and at each model selection) replay
 * through this one object, so they cannot disagree on what a policy did.
 *
 * Load at 15 s resolution: each sample holds until the next (see
 * {@link loadInterpolator}). Observed load at time t is load(t − metricLag):
 * what Prometheus or metrics-server would show.
 */
import { intervalForQuantile, maxOver, RecommendationTracker, windowIndices, type ForecastLike, type ScalingPolicy } from '../scaling/policy.js';
import { PrescientError } from '../errors.js';
import type { Series } from '../series/series.js';
import { timeAt } from '../series/series.js';
import { defaultHpaParams, simulateHpa, type HpaParams, type HpaTimeline } from './hpa-model.js';
import { scoreTimeline, type ProvisioningStats } from './provisioning.js';

/**
 * The load at any time: each sample holds until the next one (zero-order
 * hold), held flat beyond the ends. Hold, not linear interpolation, because
 * the policy reads a forecast the same way (a step's value is in force until
 * the next step): with linear interpolation the load would start rising
 * towards a sample before that sample's time, which no window over the
 * forecast's steps could see.
 */
export function loadInterpolator(series: Series): (tMs: number) => number {
  const stepMs = series.stepSeconds * 1000;
  const values = series.values;
  const last = values.length - 1;
  return (tMs) => {
    const i = Math.floor((tMs - series.startMs) / stepMs);
    return values[Math.min(last, Math.max(0, i))] as number;
  };
}

export interface WorldOptions {
  readonly series: Series;
  readonly startIndex: number;
  readonly endIndex: number;
  /** Load one ready replica serves. */
  readonly capacityPerReplica: number;
  readonly startupDelaySeconds: number;
  readonly metricLagSeconds: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** The plain HPA's target per pod, as a share of the capacity (the `reactive` trigger beside forecasts). */
  readonly hpaUtilisation: number;
  /** Forecast policies run beside the reactive trigger (the HPA takes the larger proposal). */
  readonly reactiveTrigger: boolean;
}

/** A policy's run: its timeline, its score, and the syncs with no usable forecast. */
export interface PolicyRun {
  readonly timeline: HpaTimeline;
  readonly stats: ProvisioningStats;
  /** Syncs at which the forecast policy fell back to the reactive signal. */
  readonly fallbackTicks: number;
}

/** The plain HPA's run at one target (`utilisation` × capacity per pod). */
export interface PlainHpaRun extends PolicyRun {
  readonly utilisation: number;
}

/** The lowest HPA utilisation target the headroom search tries: 20 × the replicas a 100 % target would run. */
export const MIN_HEADROOM_UTILISATION = 0.05;

/** The headroom search stops when its bracket on the HPA target is narrower than this. */
const HEADROOM_TARGET_PRECISION = 0.0002;

export class ReplayWorld {
  readonly loadAt: (tMs: number) => number;
  readonly startMs: number;
  readonly endMs: number;
  readonly ticks: number;
  private readonly hpa: HpaParams;
  private observedCache: Float64Array | undefined;

  constructor(readonly options: WorldOptions) {
    this.loadAt = loadInterpolator(options.series);
    this.startMs = timeAt(options.series, options.startIndex);
    this.endMs = timeAt(options.series, options.endIndex);
    this.ticks = Math.floor((this.endMs - this.startMs) / (defaultHpaParams.syncPeriodSeconds * 1000));
    this.hpa = {
      ...defaultHpaParams,
      startupDelaySeconds: options.startupDelaySeconds,
      minReplicas: options.minReplicas,
      maxReplicas: options.maxReplicas,
      initialReplicas: this.initialReplicasFor(options.hpaUtilisation * options.capacityPerReplica),
    };
  }

  /** Load the autoscaler sees at tMs (lagged). */
  observedAt(tMs: number): number {
    return this.loadAt(tMs - this.options.metricLagSeconds * 1000);
  }

  score(timeline: HpaTimeline): ProvisioningStats {
    return scoreTimeline(timeline, this.loadAt, this.options.capacityPerReplica, defaultHpaParams.syncPeriodSeconds);
  }

  /** The plain HPA at a target of `utilisation` × capacity per pod. */
  plainHpa(utilisation: number): PlainHpaRun {
    const target = utilisation * this.options.capacityPerReplica;
    const params: HpaParams = { ...this.hpa, initialReplicas: this.initialReplicasFor(target) };
    const observed = this.observedTicks();
    const syncMs = defaultHpaParams.syncPeriodSeconds * 1000;
    // Read during the call only (see forecastPolicy).
    const metric = { total: 0, targetAverageValue: target };
    const metrics = [metric];
    const timeline = simulateHpa(params, this.startMs, this.ticks, (tMs) => {
      metric.total = observed[Math.round((tMs - this.startMs) / syncMs)] as number;
      return metrics;
    });
    return { utilisation, timeline, stats: this.score(timeline), fallbackTicks: 0 };
  }

  /**
   * A forecast policy: Prescient's policy rules (src/scaling/rules.ts, the
   * code the service runs) with `scaling`, fed at each sync by the window
   * loads `track` read off the forecast in force (NaN: no usable forecast,
   * the reactive signal alone, as KEDA's fallback). The documented
   * ScaledObject turns the HPA's scale-down stabilisation off: the policy
   * holds its own.
   *
   * Where the loads stay the same from sync to sync (most syncs: a forecast
   * step and a sample last many of them) and the policy's last decision
   * would repeat itself (RecommendationTracker.steady), the syncs up to the
   * next change are stepped over (simulateHpa's `sameThroughMs`): the same
   * timeline, a fraction of the work. `everySync` turns that off (the tests
   * compare both).
   * @throws PrescientError PRESCIENT_ERR_VALIDATION when the track was made for another lead time or world
   */
  forecastPolicy(scaling: ScalingPolicy, track: ForecastTrack, options: { readonly everySync?: boolean } = {}): PolicyRun {
    if (track.world !== this || track.leadTimeSeconds !== scaling.leadTimeSeconds) {
      throw new PrescientError('PRESCIENT_ERR_VALIDATION', `a forecast track for lead ${track.leadTimeSeconds} s of another world cannot feed a policy with lead ${scaling.leadTimeSeconds} s`);
    }
    const tracker = new RecommendationTracker();
    const atQuantile = track.at(scaling.quantile);
    const atGuard = scaling.scaleInGuardQuantile === null ? atQuantile : track.at(scaling.scaleInGuardQuantile);
    const observed = this.observedTicks();
    const reactiveTarget = this.options.hpaUtilisation * this.options.capacityPerReplica;
    const params: HpaParams = { ...this.hpa, scaleDownStabilizationSeconds: 0 };
    const syncMs = defaultHpaParams.syncPeriodSeconds * 1000;
    // simulateHpa reads the metrics during the call only: two reused objects spare a garbage collection a tick.
    const replicas = { total: 0, targetAverageValue: 1 };
    const reactive = { total: 0, targetAverageValue: reactiveTarget };
    const both = [replicas, reactive];
    const alone = [replicas];
    const fallback = [reactive];
    let fallbackTicks = 0;
    const sameThrough = options.everySync ? undefined : lastOfSameLoads(observed, atQuantile, atGuard);
    const timeline = simulateHpa(
      params,
      this.startMs,
      this.ticks,
      (tMs, state) => {
        const k = Math.round((tMs - this.startMs) / syncMs);
        const observedLoad = observed[k] as number;
        reactive.total = observedLoad;
        const windowMaxLoad = atQuantile[k] as number;
        const windowMaxUpperLoad = Math.max(windowMaxLoad, atGuard[k] as number);
        if (Number.isFinite(windowMaxUpperLoad) && Number.isFinite(observedLoad)) {
          replicas.total = tracker.decide(scaling, tMs, { windowMaxLoad, windowMaxUpperLoad, observedLoad });
          if (sameThrough && tracker.steady) state.sameThroughMs = this.startMs + (sameThrough[k] as number) * syncMs;
          return this.options.reactiveTrigger ? both : alone;
        }
        fallbackTicks++;
        return fallback;
      },
      (throughMs) => tracker.hold(throughMs, scaling),
    );
    return { timeline, stats: this.score(timeline), fallbackTicks };
  }

  /** The observed (lagged) load at each sync tick. */
  observedTicks(): Float64Array {
    if (!this.observedCache) {
      const syncMs = defaultHpaParams.syncPeriodSeconds * 1000;
      this.observedCache = Float64Array.from({ length: this.ticks }, (_, k) => this.observedAt(this.startMs + k * syncMs));
    }
    return this.observedCache;
  }

  /**
   * The plain HPA with the lowest target (most spare capacity) whose
   * replica-hours stay within `budget`, by bisection on the target: fewer
   * replica-hours as the target rises. When `reactive` already costs more
   * than the budget, it is the answer itself (no headroom to give).
   * `lowest`: a target known to cost more than the budget (default
   * MIN_HEADROOM_UTILISATION), so a caller that already ran the plain HPA at
   * a few targets can start from the two that bracket the budget.
   */
  sameCostReactive(reactive: PlainHpaRun, budget: number, lowest = MIN_HEADROOM_UTILISATION): PlainHpaRun {
    let best = reactive;
    if (reactive.stats.replicaHours > budget) return best;
    let low = lowest;
    let high = reactive.utilisation;
    // Halve until the target is within 0.0002 of the cheapest match: 12 halvings of [0.05, 0.7].
    while (high - low >= HEADROOM_TARGET_PRECISION) {
      const mid = (low + high) / 2;
      const run = this.plainHpa(mid);
      if (run.stats.replicaHours <= budget) {
        best = run;
        high = mid;
      } else {
        low = mid;
      }
    }
    return best;
  }

  private initialReplicasFor(targetPerReplica: number): number {
    const { minReplicas, maxReplicas } = this.options;
    return Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(this.loadAt(this.startMs) / targetPerReplica - 1e-9)));
  }
}

/** Per sync, the last sync up to which the three loads a forecast policy reads stay exactly the same. */
function lastOfSameLoads(observed: Float64Array, atQuantile: Float64Array, atGuard: Float64Array): Int32Array {
  const out = new Int32Array(observed.length);
  for (let k = observed.length - 1; k >= 0; k--) {
    const next = k + 1;
    const same = next < observed.length && observed[next] === observed[k] && atQuantile[next] === atQuantile[k] && atGuard[next] === atGuard[k];
    out[k] = same ? (out[next] as number) : k;
  }
  return out;
}

/** A forecast served from its start until the next refit's; failed refits carry an error and serve nothing. */
export interface ServedForecastLike extends ForecastLike {
  readonly error?: string;
}

/**
 * The forecast in force at each time: that of the latest refit at or before
 * it (never a later one) that did not fail.
 * @param forecasts one per refit, in time order, the k-th made at `startMs + k × refitEveryMs` or
 *   later: the spacing only says where to start looking back (a late refit serves from its own time)
 */
export function servedAt(forecasts: readonly ServedForecastLike[], startMs: number, refitEveryMs: number): (tMs: number) => ForecastLike | undefined {
  return (tMs) => {
    const k = Math.floor((tMs - startMs) / refitEveryMs);
    for (let j = Math.min(k, forecasts.length - 1); j >= 0; j--) {
      const f = forecasts[j] as ServedForecastLike;
      if (f.startMs > tMs) continue;
      if (f.error === undefined) return f;
    }
    return undefined;
  };
}

/**
 * What a forecast policy reads off the forecasts in force over a world's
 * syncs, at one lead time: per sync tick, the highest load at a quantile
 * over [t, t + lead] (src/scaling/policy.ts `windowIndices`), NaN where no
 * forecast is in force or it cannot answer (past its horizon, level not
 * forecast, non-finite values): where recommend() would throw. Read once
 * per quantile and shared by every knob setting fed the same forecasts, so
 * a frontier of 21 settings reads each forecast 4 times, not 21.
 */
export class ForecastTrack {
  private readonly byQuantile = new Map<number, Float64Array>();

  constructor(
    readonly world: ReplayWorld,
    private readonly forecastAt: (tMs: number) => ForecastLike | undefined,
    readonly leadTimeSeconds: number,
  ) {}

  /** Window maxima at `quantile`, one per sync tick (computed on first use). */
  at(quantile: number): Float64Array {
    let track = this.byQuantile.get(quantile);
    if (!track) {
      track = this.read(quantile);
      this.byQuantile.set(quantile, track);
    }
    return track;
  }

  private read(quantile: number): Float64Array {
    const syncMs = defaultHpaParams.syncPeriodSeconds * 1000;
    const out = new Float64Array(this.world.ticks);
    let last: ForecastLike | undefined;
    let upper: readonly number[] | undefined;
    for (let k = 0; k < out.length; k++) {
      const tMs = this.world.startMs + k * syncMs;
      const forecast = this.forecastAt(tMs);
      if (forecast !== last) {
        last = forecast;
        upper = undefined;
        if (forecast) {
          try {
            upper = intervalForQuantile(forecast, quantile).upper;
          } catch {
            // Level not forecast: no usable forecast (NaN below).
          }
        }
      }
      if (!forecast || !upper) {
        out[k] = Number.NaN;
        continue;
      }
      try {
        const [first, lastIndex] = windowIndices(forecast, tMs, this.leadTimeSeconds);
        out[k] = maxOver(upper, first, lastIndex);
      } catch {
        out[k] = Number.NaN;
      }
    }
    return out;
  }
}

/**
 * The reactive mode as a track (the service's reactive recommendation,
 * src/scaling/policy.ts `recommend` with `mode: reactive`): every quantile
 * reads the observed load, so the policy's rules size on what the HPA sees,
 * with the policy's own utilisation and scale-in rules. What a target serves
 * when its own-history replay gives the forecast no reason to be trusted
 * (src/backtest/frontier.ts `withReactiveFallback`).
 */
export class ReactiveTrack extends ForecastTrack {
  constructor(world: ReplayWorld, leadTimeSeconds: number) {
    super(world, () => undefined, leadTimeSeconds);
  }

  override at(): Float64Array {
    return this.world.observedTicks();
  }
}
