/**
 * What a configured target's backtest replays by default. Apart from
 * src/backtest/run.ts so that the REST routes, which run in the service's
 * main thread, can read these without importing the models and the replay.
 */
import type { TargetConfig } from '../config/schema.js';
import type { ReplayOptions } from './replay.js';

/** The replay's own options (src/backtest/replay.ts), with the model by name and the refit cadence in seconds. */
export type ReplaySettings = Pick<
  ReplayOptions,
  | 'capacityPerReplica'
  | 'hpaUtilisation'
  | 'policyUtilisation'
  | 'reactiveTrigger'
  | 'startupDelaySeconds'
  | 'metricLagSeconds'
  | 'minReplicas'
  | 'maxReplicas'
  | 'leadTimeSeconds'
  | 'scaleIn'
> & {
  /** Model that feeds the predictive policy (default: `auto` when evaluated, else the first model). */
  readonly model?: string;
  readonly refitEverySeconds?: number;
};

/**
 * A configured target's backtest replays what the service does for it: it
 * refits at the target's refresh interval and, with a `scaling` section,
 * sizes on the configured capacity itself (policy utilisation 1), within
 * its min/max, over its lead time, with its scale-in rules, at its
 * quantile. Settings given with the backtest win over these.
 */
export function targetReplayDefaults(target: TargetConfig): { readonly replay: ReplaySettings; readonly quantile?: number } {
  const refit = { refitEverySeconds: target.refreshIntervalSeconds };
  const scaling = target.scaling;
  if (!scaling) return { replay: refit };
  return {
    replay: {
      ...refit,
      capacityPerReplica: scaling.capacityPerReplica,
      policyUtilisation: 1,
      minReplicas: scaling.minReplicas,
      maxReplicas: scaling.maxReplicas,
      leadTimeSeconds: scaling.leadTimeSeconds,
      scaleIn: scaling.scaleIn,
    },
    quantile: scaling.quantile,
  };
}
