/**
 * The rules of the scaling policy (DESIGN.md §4) on numbers alone: given the
 * window loads a forecast gives at one moment, the replica count. Separate
 * from src/scaling/policy.ts, which reads those loads off a forecast and
 * explains the result, so that a replay of many knob settings over the same
 * forecasts (src/backtest/replay-world.ts) can read each forecast once and
 * still run exactly these rules: one definition of the policy, two callers.
 */
import type { ScalingConfig } from '../config/schema.js';

/** Why the replica count differs from ceil(windowMaxLoad / capacity). */
export type ClampReason =
  | 'reactiveFloor'
  | 'minReplicas'
  | 'maxReplicas'
  | 'scaleInUpperQuantile'
  | 'stabilizationWindow'
  | 'scaleInRate';

/** One remembered recommendation. */
export interface RecommendationRecord {
  readonly atMs: number;
  /** The count before stabilisation and rate limits (what stabilisation takes the max over). */
  readonly desired: number;
  /** The count actually recommended (what rate limits count from). */
  readonly replicas: number;
}

/** The settings the rules read. */
export type RulesPolicy = Pick<ScalingConfig, 'capacityPerReplica' | 'utilisation' | 'minReplicas' | 'maxReplicas' | 'scaleIn'>;

/** The loads at one moment, in the series' unit; all finite (the caller checks). */
export interface WindowLoads {
  /** Highest load at the scaling quantile over [now, now + lead]. */
  readonly windowMaxLoad: number;
  /** Highest load at the guard quantile over the same window, never below windowMaxLoad. */
  readonly windowMaxUpperLoad: number;
  readonly observedLoad: number;
}

export interface Decision {
  readonly replicas: number;
  /** What the record keeps as the wish (stabilisation takes the max over it). */
  readonly desired: number;
  /** ceil(windowMaxLoad / (capacity × utilisation)). */
  readonly forecastReplicas: number;
  /** ceil(observedLoad / (capacity × utilisation)). */
  readonly reactiveFloorReplicas: number;
  /** Every rule that changed the count, in the order applied. */
  readonly clampedBy: readonly ClampReason[];
  /** The previous recommendation (undefined on the first call). */
  readonly previous: number | undefined;
}

/** Replicas needed for a load; never negative, 0 load needs 0. */
export function replicasFor(load: number, capacityPerReplica: number): number {
  // A tiny epsilon keeps 3.0000000000000004 from becoming 4 replicas.
  return Math.max(0, Math.ceil(load / capacityPerReplica - 1e-9));
}

/** Lowest count the scale-in rate allows, starting from `base` replicas. At least one replica may go per interval. */
function scaleInRateLimit(base: number, scaleIn: RulesPolicy['scaleIn']): number {
  const limits: number[] = [];
  if (scaleIn.maxReplicas !== undefined) limits.push(base - scaleIn.maxReplicas);
  if (scaleIn.maxPercent !== undefined) limits.push(Math.ceil(base * (1 - scaleIn.maxPercent / 100) - 1e-9));
  if (limits.length === 0) return 0;
  // Both given: the stricter one wins (a slow scale-in is the safe side).
  return Math.min(Math.max(...limits), base - 1);
}

/**
 * The replica count at `nowMs` (DESIGN.md §4): the forecast's answer, never
 * below the reactive floor; scale-in only as far as the guard quantile, the
 * stabilisation window and the scale-in rate allow; then min/max.
 * Pure: `history` holds earlier records of the same target in time order.
 */
export function decide(scaling: RulesPolicy, nowMs: number, loads: WindowLoads, history: readonly RecommendationRecord[]): Decision {
  // The count is sized on a share of the capacity: the utilisation knob.
  const capacity = scaling.capacityPerReplica * scaling.utilisation;
  const clampedBy: ClampReason[] = [];
  const forecastReplicas = replicasFor(loads.windowMaxLoad, capacity);
  const reactiveFloorReplicas = replicasFor(loads.observedLoad, capacity);
  let desired = forecastReplicas;
  if (reactiveFloorReplicas > desired) {
    desired = reactiveFloorReplicas;
    clampedBy.push('reactiveFloor');
  }

  const previous = history[history.length - 1]?.replicas;
  let replicas = desired;
  if (previous !== undefined && desired < previous) {
    // Scale in only as far as the guard quantile over the lead window allows (no guard: windowMaxLoad, never binding).
    const upperGuard = Math.min(previous, replicasFor(loads.windowMaxUpperLoad, capacity));
    if (upperGuard > replicas) {
      replicas = upperGuard;
      clampedBy.push('scaleInUpperQuantile');
    }
    const desiredRecord = replicas;
    // Stabilisation: no lower than the highest wish over the window (HPA semantics).
    const stabilizationFromMs = nowMs - scaling.scaleIn.stabilizationWindowSeconds * 1000;
    let stabilized = replicas;
    for (const r of history) if (r.atMs > stabilizationFromMs && r.desired > stabilized) stabilized = r.desired;
    stabilized = Math.min(stabilized, previous);
    if (stabilized > replicas) {
      replicas = stabilized;
      clampedBy.push('stabilizationWindow');
    }
    // Rate: count from the most replicas in force at any time in the last
    // interval (the record in force at its start included), so removals
    // within one interval add up.
    const intervalFromMs = nowMs - scaling.scaleIn.intervalSeconds * 1000;
    let base = previous;
    for (let i = 0; i < history.length; i++) {
      const r = history[i] as RecommendationRecord;
      const next = history[i + 1];
      const inForceInInterval = r.atMs > intervalFromMs || next === undefined || next.atMs > intervalFromMs;
      if (inForceInInterval && r.replicas > base) base = r.replicas;
    }
    const rateFloor = Math.min(previous, scaleInRateLimit(base, scaling.scaleIn));
    if (rateFloor > replicas) {
      replicas = rateFloor;
      clampedBy.push('scaleInRate');
    }
    desired = desiredRecord;
  }

  if (replicas > scaling.maxReplicas) {
    replicas = scaling.maxReplicas;
    clampedBy.push('maxReplicas');
  }
  if (replicas < scaling.minReplicas) {
    replicas = scaling.minReplicas;
    clampedBy.push('minReplicas');
  }
  return { replicas, desired, forecastReplicas, reactiveFloorReplicas, clampedBy, previous };
}
