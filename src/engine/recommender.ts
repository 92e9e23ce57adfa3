import type { Frontier } from '../backtest/frontier.js';
import { servedKnobs } from '../backtest/selection-frontier.js';
import type { ScalingConfig } from '../config/schema.js';
import { forecastAgeMs, isStale, isTooStaleToScale, type TargetState, type TargetStates } from './target-state.js';
import { PrescientError } from '../errors.js';
import { RecommendationTracker, type KnobsFrom, type KnobsJudgedOn, type Recommendation, type ScalingPolicy } from '../scaling/policy.js';
import { buildSchedule, type Schedule } from '../scaling/schedule.js';

/** Per-call overrides (KEDA scalerMetadata may ask for another quantile or lead time). */
export interface RecommendOptions {
  readonly quantile?: number;
  readonly leadTimeSeconds?: number;
  /**
   * An autoscaler is asking (KEDA, metrics-api, external metrics): a forecast
   * past twice `staleAfter` is then an error, so the autoscaler's own fallback
   * takes over instead of acting on it.
   */
  readonly forAutoscaler?: boolean;
}

/** Why a shadow-mode target serves the reactive recommendation (every face shows it). */
export const SHADOW_REASON = 'scaling.mode is shadow: the reactive recommendation is served; the predictive one is only compared with what ran (GET /api/v1/targets/{name}/shadow)';

/** Trackers kept at most; each is a few records, the cap only guards odd metadata churn. */
const MAX_TRACKERS = 2_000;

/**
 * The one place the service turns TargetStates into recommendations, shared
 * by every face (KEDA gRPC, REST, metrics-api, external metrics, /metrics)
 * so they agree and share scale-in memory. Answers from memory only: it never
 * fetches or fits.
 */
export class Recommender {
  private readonly trackers = new Map<string, RecommendationTracker>();

  constructor(private readonly states: TargetStates) {}

  /**
   * The target's state and scaling config, or a coded error.
   * @throws PrescientError PRESCIENT_ERR_TARGET_NOT_FOUND, PRESCIENT_ERR_SCALING_NOT_CONFIGURED
   */
  scalingOf(name: string): { state: TargetState; scaling: ScalingConfig } {
    const state = this.states.get(name);
    if (!state) throw new PrescientError('PRESCIENT_ERR_TARGET_NOT_FOUND', `no target named "${name}" is configured`);
    const scaling = state.config.scaling;
    if (!scaling) {
      throw new PrescientError(
        'PRESCIENT_ERR_SCALING_NOT_CONFIGURED',
        `target "${name}" has no scaling section (capacityPerReplica, quantile, leadTime…)`,
      );
    }
    return { state, scaling };
  }

  /**
   * The recommendation for `name` at `nowMs` (ms since epoch).
   * @throws PrescientError PRESCIENT_ERR_TARGET_NOT_FOUND, PRESCIENT_ERR_SCALING_NOT_CONFIGURED,
   *   PRESCIENT_ERR_FORECAST_UNAVAILABLE (no forecast yet; too stale when forAutoscaler; horizon passed),
   *   PRESCIENT_ERR_LEVEL_UNAVAILABLE (the quantile's interval level is not forecast)
   */
  recommend(name: string, nowMs: number, options: RecommendOptions = {}): Recommendation {
    const { state, scaling } = this.scalingOf(name);
    const forecast = state.forecast;
    if (!forecast) {
      const reason = state.lastError ? `the last refresh failed: ${state.lastError.message}` : 'the first fit has not finished';
      throw new PrescientError('PRESCIENT_ERR_FORECAST_UNAVAILABLE', `target "${name}" has no forecast yet (${reason})`);
    }
    if (options.forAutoscaler && isTooStaleToScale(state, nowMs)) {
      const ageSeconds = Math.round(forecastAgeMs(forecast, nowMs) / 1000);
      throw new PrescientError(
        'PRESCIENT_ERR_FORECAST_UNAVAILABLE',
        `target "${name}": the forecast is ${ageSeconds} s old, more than twice staleAfter (${state.config.staleAfterSeconds} s); not safe to scale on`,
      );
    }
    const { policy, from, judgedOn, reactive } = this.policyFor(scaling, options, forecast.frontier);
    const key = `${name}\u0000${policy.quantile}\u0000${policy.leadTimeSeconds}\u0000${policy.scaleInGuardQuantile}\u0000${policy.utilisation}`;
    let tracker = this.trackers.get(key);
    if (!tracker) {
      if (this.trackers.size >= MAX_TRACKERS) this.trackers.delete(this.trackers.keys().next().value as string);
      tracker = new RecommendationTracker();
      this.trackers.set(key, tracker);
    }
    const health = state.health;
    // Shadow mode serves what the HPA would do; the predictive recommendation is only compared (GET …/shadow).
    const mode =
      health?.state === 'reactive'
        ? { kind: 'reactive' as const, reason: health.reason }
        : scaling.mode === 'shadow'
          ? { kind: 'reactive' as const, reason: SHADOW_REASON }
          : reactive !== undefined
            ? { kind: 'reactive' as const, reason: reactive }
            : { kind: 'predictive' as const };
    return tracker.recommend({ forecast, scaling: policy, nowMs, stale: isStale(state, nowMs), knobsFrom: from, ...(judgedOn ? { knobsJudgedOn: judgedOn } : {}), mode });
  }

  /**
   * Replicas per forecast step from nowMs for `hours`.
   * @throws PrescientError as {@link recommend} (without the staleness check: a plan may be read from an old forecast)
   */
  schedule(name: string, nowMs: number, hours: number, options: RecommendOptions = {}): Schedule & { stale: boolean } {
    const { state, scaling } = this.scalingOf(name);
    if (!state.forecast) {
      throw new PrescientError('PRESCIENT_ERR_FORECAST_UNAVAILABLE', `target "${name}" has no forecast yet`);
    }
    return { ...buildSchedule(state.forecast, this.policyFor(scaling, options, state.forecast.frontier).policy, nowMs, hours), stale: isStale(state, nowMs) };
  }

  /**
   * The policy served: the stated knobs, or the setting the last frontier
   * chose (by a risk budget, or by the own-history rule when nothing is
   * stated), or reactive scaling, with the reason, when the served setting
   * did not beat headroom on the target's history (servedKnobs); a caller's
   * quantile or lead time (KEDA metadata) wins over all of them.
   */
  private policyFor(scaling: ScalingConfig, options: RecommendOptions, frontier: Frontier | undefined): { policy: ScalingPolicy; from: KnobsFrom; judgedOn?: KnobsJudgedOn; reactive?: string } {
    const served = servedKnobs(scaling, frontier);
    return {
      policy: {
        ...scaling,
        ...served.knobs,
        quantile: options.quantile ?? served.knobs.quantile,
        leadTimeSeconds: options.leadTimeSeconds ?? served.knobs.leadTimeSeconds,
      },
      from: served.from,
      ...(served.judgedOn === undefined ? {} : { judgedOn: served.judgedOn }),
      ...(served.reactive === undefined ? {} : { reactive: served.reactive }),
    };
  }
}

const shared = new WeakMap<TargetStates, Recommender>();

/**
 * The Recommender of a TargetStates, made on first use: every face that is
 * not handed one explicitly (gRPC server, REST plugin, gauges) gets this same
 * instance, so their scale-in memory is one.
 */
export function sharedRecommender(states: TargetStates): Recommender {
  let recommender = shared.get(states);
  if (!recommender) {
    recommender = new Recommender(states);
    shared.set(states, recommender);
  }
  return recommender;
}
