/**
 * A model of the Kubernetes HorizontalPodAutoscaler (autoscaling/v2 with its
 * default behaviour) driving a Deployment, simulated at the HPA's sync period.
 * It is the actuator every replayed policy goes through: the reactive HPA
 * reads the (lagged) load against a per-pod target; Prescient's policy and the
 * reference policies reach the same HPA as an external metric whose value is
 * the recommended replica count with a target of 1 (how KEDA wires it), so
 * every policy is judged through the same tolerance, limits, stabilisation and
 * pod start-up.
 *
 * What is modelled, per sync (every `syncPeriodSeconds`):
 * 1. Per metric, ratio = metricTotal / (targetAverageValue × current), where
 *    `current` is the Deployment's spec replicas. Pods still starting are
 *    counted in `current` with no usage, as the HPA does for not-yet-ready
 *    pods when it scales up; so desired = ceil(metricTotal / targetAverageValue).
 * 2. Tolerance: |ratio − 1| ≤ tolerance keeps `current` for that metric. With
 *    several metrics (a ScaledObject with several triggers) the HPA takes the
 *    largest of the per-metric proposals.
 * 3. Clamp the raw recommendation to [min, max] and record it.
 * 4. Scale-down stabilisation: never go below the highest recommendation of
 *    the last `scaleDownStabilizationSeconds` (scale-up has no window, the
 *    default).
 * 5. Scale-up limit: at most max(current + scaleUpPods, current × (1 +
 *    scaleUpPercent / 100)) per sync (the default policies, 4 pods or 100 %
 *    per 15 s, period = sync period). Scale-down is unlimited (default 100 %).
 * 6. New pods become ready `startupDelaySeconds` after they are created;
 *    scale-down removes not-ready pods first (newest first), then ready ones,
 *    as a ReplicaSet does.
 *
 * Load between the series' own samples: the caller supplies a function of
 * time; src/backtest/replay.ts holds each sample until the next one.
 */

import { PrescientError } from '../errors.js';

export interface HpaParams {
  /** HPA sync period (Kubernetes default 15 s). */
  readonly syncPeriodSeconds: number;
  /** Relative change the HPA ignores (default 0.1). */
  readonly tolerance: number;
  /** Scale-up policy: pods per sync period (default 4). */
  readonly scaleUpPods: number;
  /** Scale-up policy: percent per sync period (default 100). */
  readonly scaleUpPercent: number;
  /** Scale-down stabilisation window (default 300 s). */
  readonly scaleDownStabilizationSeconds: number;
  /** Time from a pod's creation to its readiness. */
  readonly startupDelaySeconds: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Replicas at the start of the replay (all ready). */
  readonly initialReplicas: number;
}

export const defaultHpaParams = {
  syncPeriodSeconds: 15,
  tolerance: 0.1,
  scaleUpPods: 4,
  scaleUpPercent: 100,
  scaleDownStabilizationSeconds: 300,
} as const;

/**
 * The metric the HPA reads at a sync: `total` is the metric summed over the
 * workload (load, or recommended replicas for an external metric) and
 * `targetAverageValue` the per-pod target (HPA target per pod, or 1).
 */
export interface HpaMetric {
  readonly total: number;
  readonly targetAverageValue: number;
}

/** What the simulation produced, one entry per sync tick. */
export interface HpaTimeline {
  /** Tick times, ms since epoch: startMs + k × syncPeriod. */
  readonly timesMs: number[];
  /** Pods that exist (spec replicas after the sync at that tick): what is paid for. */
  readonly specReplicas: number[];
  /** Pods ready to serve at that tick (after the sync). */
  readonly readyReplicas: number[];
  /** Number of syncs that changed the spec replicas. */
  readonly scaleEvents: number;
}

/** What metricsAt is handed at a sync (one object, reused: read and set it during the call only). */
export interface HpaSyncState {
  readonly spec: number;
  readonly ready: number;
  /**
   * metricsAt may set it (it is −Infinity at each call): the metrics it
   * returned stay exactly the same at every sync up to this time (ms), and
   * so does whatever it decides on. When the HPA then keeps its count too
   * (no stabilisation window, no scale event), those syncs change nothing but
   * which pods are ready: they are stepped over without calling metricsAt,
   * and `held` is told the last one.
   */
  sameThroughMs: number;
}

/**
 * Runs the HPA model from `startMs` for `ticks` syncs.
 * @param metricsAt the metrics the HPA sees at a sync time (ms since epoch),
 *   one or more; lag, if any, is the caller's to apply. It also receives the
 *   current spec and ready replicas, for policies that depend on them.
 * @param held called with the last sync time stepped over after metricsAt
 *   promised the same metrics (HpaSyncState.sameThroughMs), so the caller can
 *   account for the calls it did not get
 * @throws PrescientError PRESCIENT_ERR_VALIDATION on impossible parameters
 */
export function simulateHpa(
  params: HpaParams,
  startMs: number,
  ticks: number,
  metricsAt: (tMs: number, current: HpaSyncState) => readonly HpaMetric[],
  held?: (throughMs: number) => void,
): HpaTimeline {
  validate(params);
  const syncMs = params.syncPeriodSeconds * 1000;
  const { tolerance, minReplicas, maxReplicas, scaleUpPods, scaleUpPercent } = params;
  const startupMs = params.startupDelaySeconds * 1000;
  const windowMs = params.scaleDownStabilizationSeconds * 1000;
  // Ready times of existing pods, ms since epoch, ascending, in
  // pods[0, count); the initial pods are ready already. New pods get ever
  // later ready times, so appending keeps the order, and dropping the last k
  // pods is exactly what a ReplicaSet does (not-ready ones first, newest
  // first, then the latest to become ready): the simulation never sorts.
  let pods = new Float64Array(Math.max(16, params.initialReplicas)).fill(Number.NEGATIVE_INFINITY);
  let count = params.initialReplicas;
  // Every sync's clamped recommendation: the stabilisation window is the
  // syncs j with (k − j) × sync < window, read straight off the array.
  const recommended = new Float64Array(ticks);
  const timesMs: number[] = [];
  const specReplicas: number[] = [];
  const readyReplicas: number[] = [];
  let scaleEvents = 0;
  const state = { spec: count, ready: 0, sameThroughMs: Number.NEGATIVE_INFINITY };

  for (let k = 0; k < ticks; k++) {
    const tMs = startMs + k * syncMs;
    const spec = count;
    let raw = 0;
    state.spec = spec;
    state.ready = countReady(pods, count, tMs);
    state.sameThroughMs = Number.NEGATIVE_INFINITY;
    const metrics = metricsAt(tMs, state);
    for (let m = 0; m < metrics.length; m++) raw = Math.max(raw, rawRecommendation(metrics[m] as HpaMetric, spec, tolerance));
    const clamped = clamp(raw, minReplicas, maxReplicas);
    recommended[k] = clamped;
    // Entries exactly one window old have left it (Kubernetes keeps only those after the cut-off).
    let windowMax = clamped;
    for (let j = k - 1; j >= 0 && (k - j) * syncMs < windowMs; j--) {
      const r = recommended[j] as number;
      if (r > windowMax) windowMax = r;
    }

    let next = spec;
    if (clamped > spec) next = clamped;
    if (next > windowMax) next = windowMax;
    const upLimit = Math.max(spec + scaleUpPods, Math.ceil(spec * (1 + scaleUpPercent / 100)));
    next = clamp(Math.min(next, upLimit), minReplicas, maxReplicas);

    if (next !== spec) {
      scaleEvents++;
      if (next > spec) {
        if (next > pods.length) {
          const grown = new Float64Array(Math.max(next, 2 * pods.length));
          grown.set(pods.subarray(0, count));
          pods = grown;
        }
        pods.fill(tMs + startupMs, spec, next);
      }
      count = next;
    }
    timesMs.push(tMs);
    specReplicas.push(count);
    readyReplicas.push(countReady(pods, count, tMs));
    // The same metrics and the count kept with no window: each following sync would recommend this count
    // again and keep it, so only readiness moves until the metrics may change.
    if (state.sameThroughMs > tMs && next === spec && windowMs === 0) {
      let steppedOver = false;
      while (k + 1 < ticks && startMs + (k + 1) * syncMs <= state.sameThroughMs) {
        k++;
        const t = startMs + k * syncMs;
        recommended[k] = clamped;
        timesMs.push(t);
        specReplicas.push(count);
        readyReplicas.push(countReady(pods, count, t));
        steppedOver = true;
      }
      if (steppedOver) held?.(startMs + k * syncMs);
    }
  }
  return { timesMs, specReplicas, readyReplicas, scaleEvents };
}

/** ceil(current × ratio) outside the tolerance band, `current` inside it. */
export function rawRecommendation(metric: HpaMetric, current: number, tolerance: number): number {
  const total = Number.isFinite(metric.total) && metric.total > 0 ? metric.total : 0;
  const wanted = total / metric.targetAverageValue;
  if (current === 0) return Math.ceil(wanted);
  const ratio = wanted / current;
  if (Math.abs(ratio - 1) <= tolerance) return current;
  // The epsilon keeps 2.0000000000000004 from becoming 3 after float division.
  return Math.ceil(current * ratio - 1e-9);
}

/** Pods ready at tMs among pods[0, count): ready times ascend, so a binary search for the first one after tMs. */
function countReady(pods: Float64Array, count: number, tMs: number): number {
  let low = 0;
  let high = count;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((pods[mid] as number) <= tMs) low = mid + 1;
    else high = mid;
  }
  return low;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function validate(p: HpaParams): void {
  const problems: string[] = [];
  if (!(p.syncPeriodSeconds > 0)) problems.push('syncPeriodSeconds must be > 0');
  if (!(p.tolerance >= 0 && p.tolerance < 1)) problems.push('tolerance must be in [0, 1)');
  if (!(p.startupDelaySeconds >= 0)) problems.push('startupDelaySeconds must be ≥ 0');
  if (!(p.scaleDownStabilizationSeconds >= 0)) problems.push('scaleDownStabilizationSeconds must be ≥ 0');
  if (!(Number.isInteger(p.minReplicas) && p.minReplicas >= 1)) problems.push('minReplicas must be an integer ≥ 1');
  if (!(Number.isInteger(p.maxReplicas) && p.maxReplicas >= p.minReplicas)) problems.push('maxReplicas must be an integer ≥ minReplicas');
  if (!(Number.isInteger(p.initialReplicas) && p.initialReplicas >= 0)) problems.push('initialReplicas must be an integer ≥ 0');
  if (problems.length > 0) {
    throw new PrescientError('PRESCIENT_ERR_VALIDATION', `HPA model: ${problems.join('; ')}`, {
      issues: problems.map((message) => ({ path: 'hpa', message })),
    });
  }
}
