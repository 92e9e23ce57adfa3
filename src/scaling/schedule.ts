import { intervalForQuantile, RecommendationTracker, type ClampReason, type ForecastLike, type ScalingPolicy } from './policy.js';

/** One step of a capacity schedule. */
export interface ScheduleStep {
  /** ISO time of the step. */
  readonly at: string;
  readonly replicas: number;
  /** Forecast quantile-q load at this step. */
  readonly load: number;
  /** Highest quantile-q load over [at, at + lead]: what the replicas are sized for. */
  readonly windowMaxLoad: number;
  readonly clampedBy: readonly ClampReason[];
}

export interface Schedule {
  readonly model: string;
  readonly quantile: number;
  readonly leadTimeSeconds: number;
  readonly stepSeconds: number;
  /** ISO time just after the last step: earlier than asked when the forecast horizon is shorter. */
  readonly endsAt: string;
  readonly steps: readonly ScheduleStep[];
}

/**
 * Recommended replicas at every forecast step from `nowMs` for `hours`
 * (a capacity forecast, for planning and "forecast-only" comparison). It
 * replays the same policy step by step with its own tracker, so scale-in
 * rates and stabilisation shape the plan as they would live. The reactive
 * floor applies at the first step only (the load observed now); later steps
 * have only the forecast. Cut short where the forecast ends.
 * @param nowMs ms since epoch
 * @param hours > 0
 * @throws PrescientError PRESCIENT_ERR_LEVEL_UNAVAILABLE, PRESCIENT_ERR_FORECAST_UNAVAILABLE (as recommend)
 */
export function buildSchedule(forecast: ForecastLike, scaling: ScalingPolicy, nowMs: number, hours: number): Schedule {
  const stepMs = forecast.stepSeconds * 1000;
  const tracker = new RecommendationTracker(0);
  const first = Math.max(0, Math.floor((nowMs - forecast.startMs) / stepMs));
  const endMs = Math.min(nowMs + hours * 3_600_000, forecast.startMs + forecast.point.length * stepMs);
  const upper = intervalForQuantile(forecast, scaling.quantile).upper;
  const steps: ScheduleStep[] = [];
  for (let i = first; forecast.startMs + i * stepMs < endMs; i++) {
    const atMs = i === first ? nowMs : forecast.startMs + i * stepMs;
    const rec = tracker.recommend({ forecast, scaling, nowMs: atMs, observedLoad: i === first ? undefined : 0 });
    steps.push({
      at: rec.at,
      replicas: rec.replicas,
      load: upper[i] ?? rec.basis.windowMaxLoad,
      windowMaxLoad: rec.basis.windowMaxLoad,
      clampedBy: rec.clampedBy,
    });
  }
  if (steps.length === 0) {
    // Past the horizon: let recommend() say so with its coded error.
    tracker.recommend({ forecast, scaling, nowMs });
  }
  return {
    model: forecast.model,
    quantile: scaling.quantile,
    leadTimeSeconds: scaling.leadTimeSeconds,
    stepSeconds: forecast.stepSeconds,
    endsAt: new Date(endMs).toISOString(),
    steps,
  };
}
