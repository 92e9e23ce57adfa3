import type { HpaTimeline } from './hpa-model.js';

/** How one policy provisioned the replayed load. */
export interface ProvisioningStats {
  /** Minutes in which the load exceeded ready replicas × capacity per replica. */
  readonly underProvisionedMinutes: number;
  /** Integral of the load above ready capacity, in load-unit × minutes. */
  readonly shortfallLoadMinutes: number;
  /** Largest excess of load over ready capacity at any tick, in load units. */
  readonly peakShortfall: number;
  /** Pods that existed (spec replicas, starting ones included: they are paid for) × hours. */
  readonly replicaHours: number;
  /** Syncs that changed the replica count. */
  readonly scaleEvents: number;
  /** Mean load / (ready replicas × capacity), over ticks with at least one ready pod. */
  readonly meanUtilisation: number;
}

/**
 * Scores a replayed timeline against the load.
 * @param loadAt load at a tick time (ms since epoch), in the series' unit
 * @param capacityPerReplica load one ready replica serves, same unit
 * @param syncPeriodSeconds tick spacing: each tick stands for this much time
 */
export function scoreTimeline(
  timeline: HpaTimeline,
  loadAt: (tMs: number) => number,
  capacityPerReplica: number,
  syncPeriodSeconds: number,
): ProvisioningStats {
  const tickMinutes = syncPeriodSeconds / 60;
  let underTicks = 0;
  let shortfall = 0;
  let peak = 0;
  let specTicks = 0;
  let utilisationSum = 0;
  let utilisationTicks = 0;
  timeline.timesMs.forEach((tMs, k) => {
    const load = loadAt(tMs);
    const ready = timeline.readyReplicas[k] as number;
    const capacity = ready * capacityPerReplica;
    const excess = load - capacity;
    if (excess > 1e-9 * Math.max(1, capacity)) {
      underTicks++;
      shortfall += excess * tickMinutes;
      peak = Math.max(peak, excess);
    }
    specTicks += timeline.specReplicas[k] as number;
    if (ready > 0) {
      utilisationSum += load / capacity;
      utilisationTicks++;
    }
  });
  return {
    underProvisionedMinutes: underTicks * tickMinutes,
    shortfallLoadMinutes: shortfall,
    peakShortfall: peak,
    replicaHours: (specTicks * syncPeriodSeconds) / 3600,
    scaleEvents: timeline.scaleEvents,
    meanUtilisation: utilisationTicks > 0 ? utilisationSum / utilisationTicks : 0,
  };
}

/** A policy's figures as ratios to the reactive HPA's (NaN-free: 0/0 is 1, x/0 is null). */
export interface RatiosToReactive {
  readonly underProvisionedMinutes: number | null;
  readonly shortfallLoadMinutes: number | null;
  readonly replicaHours: number | null;
  readonly scaleEvents: number | null;
}

export function ratiosTo(stats: ProvisioningStats, reactive: ProvisioningStats): RatiosToReactive {
  const ratio = (a: number, b: number): number | null => (b === 0 ? (a === 0 ? 1 : null) : a / b);
  return {
    underProvisionedMinutes: ratio(stats.underProvisionedMinutes, reactive.underProvisionedMinutes),
    shortfallLoadMinutes: ratio(stats.shortfallLoadMinutes, reactive.shortfallLoadMinutes),
    replicaHours: ratio(stats.replicaHours, reactive.replicaHours),
    scaleEvents: ratio(stats.scaleEvents, reactive.scaleEvents),
  };
}
