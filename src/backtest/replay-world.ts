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
import { RecommendationTracker, type ForecastLike, type ScalingPolicy } from '../scaling/policy.js';
import type { Series } from '../series/series.js';
import { timeAt } from '../series/series.js';
import { defaultHpaParams, simulateHpa, type HpaMetric, type HpaParams, type HpaTimeline } from './hpa-model.js';
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

export class ReplayWorld {
  readonly loadAt: (tMs: number) => number;
  readonly startMs: number;
  readonly endMs: number;
  readonly ticks: number;
  private readonly hpa: HpaParams;

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
    const timeline = simulateHpa(params, this.startMs, this.ticks, (tMs) => [this.metric(tMs, target)]);
    return { utilisation, timeline, stats: this.score(timeline), fallbackTicks: 0 };
  }

  /**
   * A forecast policy: Prescient's policy (src/scaling/policy.ts) with
   * `scaling`, fed at each sync by `forecastAt` (undefined: no usable
   * forecast, the reactive signal alone, as KEDA's fallback). The documented
   * ScaledObject turns the HPA's scale-down stabilisation off: the policy
   * holds its own.
   */
  forecastPolicy(scaling: ScalingPolicy, forecastAt: (tMs: number) => ForecastLike | undefined): PolicyRun {
    const tracker = new RecommendationTracker();
    const reactiveTarget = this.options.hpaUtilisation * this.options.capacityPerReplica;
    const params: HpaParams = { ...this.hpa, scaleDownStabilizationSeconds: 0 };
    let fallbackTicks = 0;
    const timeline = simulateHpa(params, this.startMs, this.ticks, (tMs, current) => {
      const forecast = forecastAt(tMs);
      if (forecast) {
        try {
          const rec = tracker.recommend({ forecast, scaling, nowMs: tMs, observedLoad: this.observedAt(tMs), currentReplicas: current.spec });
          const replicas = { total: rec.replicas, targetAverageValue: 1 };
          return this.options.reactiveTrigger ? [replicas, this.metric(tMs, reactiveTarget)] : [replicas];
        } catch {
          // No usable forecast here (past its horizon, missing level): KEDA's fallback is the reactive signal.
        }
      }
      fallbackTicks++;
      return [this.metric(tMs, reactiveTarget)];
    });
    return { timeline, stats: this.score(timeline), fallbackTicks };
  }

  /**
   * The plain HPA with the lowest target (most spare capacity) whose
   * replica-hours stay within `budget`, by bisection on the target: fewer
   * replica-hours as the target rises. When `reactive` already costs more
   * than the budget, it is the answer itself (no headroom to give).
   */
  sameCostReactive(reactive: PlainHpaRun, budget: number): PlainHpaRun {
    let best = reactive;
    if (reactive.stats.replicaHours > budget) return best;
    let low = MIN_HEADROOM_UTILISATION;
    let high = reactive.utilisation;
    // 12 halvings of [0.05, 0.7] leave the target within 0.0002 of the cheapest match.
    for (let i = 0; i < 12; i++) {
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

  private metric(tMs: number, targetPerReplica: number): HpaMetric {
    return { total: this.observedAt(tMs), targetAverageValue: targetPerReplica };
  }

  private initialReplicasFor(targetPerReplica: number): number {
    const { minReplicas, maxReplicas } = this.options;
    return Math.min(maxReplicas, Math.max(minReplicas, Math.ceil(this.loadAt(this.startMs) / targetPerReplica - 1e-9)));
  }
}

/** A forecast served from its start until the next refit's; failed refits carry an error and serve nothing. */
export interface ServedForecastLike extends ForecastLike {
  readonly error?: string;
}

/**
 * The forecast in force at each time: that of the latest refit at or before
 * it (never a later one) that did not fail.
 * @param forecasts one per refit, in time order, `refitEveryMs` apart from `startMs`
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
