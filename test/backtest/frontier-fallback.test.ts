/**
 * The own-history check of a risk budget's choice (src/backtest/frontier.ts
 * withReactiveFallback): the chosen setting is served only when, over the
 * replayed stretch, it was short fewer minutes than the plain HPA spending
 * the same replica-hours; otherwise the target serves reactive scaling at
 * that HPA's target. And the reactive scaling replayed (ReactiveTrack) is
 * exactly what the service's recommend() serves in reactive mode.
 */
import { describe, expect, it } from 'vitest';
import { computeFrontier, frontierGrid, servedRun, withReactiveFallback, type FixedPolicy } from '../../src/backtest/frontier.js';
import { defaultHpaParams, simulateHpa, type HpaMetric } from '../../src/backtest/hpa-model.js';
import { ForecastTrack, ReactiveTrack, ReplayWorld, servedAt, type ServedForecastLike } from '../../src/backtest/replay-world.js';
import { RecommendationTracker, type ScalingPolicy } from '../../src/scaling/policy.js';
import type { Series } from '../../src/series/series.js';

const STEP = 300;
const HOUR_STEPS = 12;
const DAY_STEPS = 288;
const LEAD = 180;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const FIXED: FixedPolicy = { capacityPerReplica: 10, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 } };

/** A day of history, then a day of a 100-load base with a 30-minute burst to 200 every 7 hours. */
function bursty(): Series {
  const values = Array.from({ length: 2 * DAY_STEPS }, (_, i) => (i % (7 * HOUR_STEPS) < 6 ? 200 : 100));
  return { startMs: T0, stepSeconds: STEP, values };
}

function world(series: Series, reactiveTrigger: boolean): ReplayWorld {
  return new ReplayWorld({ series, startIndex: DAY_STEPS, endIndex: series.values.length, capacityPerReplica: 10, startupDelaySeconds: 120, metricLagSeconds: 60, minReplicas: 1, maxReplicas: 1000, hpaUtilisation: 0.7, reactiveTrigger });
}

/** Hourly refits whose every quantile is `value(i)` for the series step i (zero-width intervals). */
function hourlyForecasts(series: Series, value: (i: number) => number): ServedForecastLike[] {
  const out: ServedForecastLike[] = [];
  for (let origin = DAY_STEPS; origin < series.values.length; origin += HOUR_STEPS) {
    const startMs = T0 + origin * STEP * 1000;
    const point = Array.from({ length: HOUR_STEPS + 3 }, (_, k) => value(origin + k));
    const intervals = [0.6, 0.8, 0.9, 0.95].map((level) => ({ level, lower: point, upper: point }));
    out.push({ model: 'test', startMs, stepSeconds: STEP, point, intervals, lastObserved: { atMs: startMs, value: Number.NaN } });
  }
  return out;
}

function frontierOn(w: ReplayWorld, forecasts: ServedForecastLike[], budgetPerWeek = 1_000_000) {
  const track = new ForecastTrack(w, servedAt(forecasts, w.startMs, HOUR_STEPS * STEP * 1000), LEAD);
  return { track, frontier: computeFrontier({ world: w, fixed: FIXED, track, grid: frontierGrid(LEAD), model: 'test', budget: { maxUnderProvisionedMinutesPerWeek: budgetPerWeek } }) };
}

describe('a risk budget choice checked against headroom on the target\'s own history', () => {
  it('serves reactive scaling when the chosen setting was not short fewer minutes than the plain HPA spending as much: the cheapest HPA target within the budget', () => {
    const series = bursty();
    for (const reactiveTrigger of [true, false]) {
      const w = world(series, reactiveTrigger);
      // A forecast that never sees the bursts: no reason to trust it. Any budget: the reactive HPA's own 70 % is cheapest.
      const { track, frontier } = frontierOn(w, hourlyForecasts(series, () => 100));
      const chosen = frontier.chosen!;
      const point = frontier.points[chosen.index]!;
      const headroom = w.sameCostReactive(w.plainHpa(0.7), point.replicaHours);
      expect(point.underProvisionedMinutes).toBeGreaterThanOrEqual(headroom.stats.underProvisionedMinutes);
      const reactive = w.plainHpa(0.7).stats;
      expect(chosen.fallback).toEqual({ utilisation: 0.7, underProvisionedMinutes: reactive.underProvisionedMinutes, replicaHours: reactive.replicaHours });
      expect(chosen.reason).toMatch(/reactive scaling sized at 70\.0 % of capacity is served instead/);
      // Served: the policy on the observed load at the fallback's utilisation, not the setting fed the forecast.
      const served = servedRun(w, FIXED, track, chosen);
      expect(served.stats).toEqual(w.forecastPolicy({ ...FIXED, ...chosen.knobs, utilisation: 0.7 }, new ReactiveTrack(w, LEAD)).stats);
      expect(served.stats).not.toEqual(w.forecastPolicy({ ...FIXED, ...chosen.knobs }, track).stats);

      // A budget of no minutes, which no setting met: the cheapest HPA target that meets it (the budget's own rule).
      const tight = frontierOn(w, hourlyForecasts(series, () => 100), 0).frontier;
      const tightPoint = tight.points[tight.chosen!.index]!;
      const tightHeadroom = w.sameCostReactive(w.plainHpa(0.7), tightPoint.replicaHours);
      const options = [...tight.plainHpa.filter((p) => p.utilisation <= 0.7), { utilisation: tightHeadroom.utilisation, underProvisionedMinutes: tightHeadroom.stats.underProvisionedMinutes, replicaHours: tightHeadroom.stats.replicaHours }];
      const cheapest = options.filter((p) => p.underProvisionedMinutes === 0).sort((a, b) => a.replicaHours - b.replicaHours)[0]!;
      expect(tight.chosen!.metBudget).toBe(false);
      expect(tightPoint.underProvisionedMinutes).toBeGreaterThan(0);
      expect(tight.chosen!.fallback).toEqual({ utilisation: cheapest.utilisation, underProvisionedMinutes: 0, replicaHours: cheapest.replicaHours });
      expect(tight.chosen!.fallback!.utilisation).toBeLessThan(0.7);
    }
  });

  it('falls back to a lower HPA target (30 %, then 20 %) when none of the frontier\'s kept a stated budget, and only then', () => {
    // Bursts to 3× the base: at a 40 % target the pods hold 2.5× the base, at 30 % 3.3×.
    const values = Array.from({ length: 2 * DAY_STEPS }, (_, i) => (i % (7 * HOUR_STEPS) < 6 ? 300 : 100));
    const series: Series = { startMs: T0, stepSeconds: STEP, values };
    for (const reactiveTrigger of [true, false]) {
      const w = world(series, reactiveTrigger);
      const { frontier } = frontierOn(w, hourlyForecasts(series, () => 100), 0);
      const chosen = frontier.chosen!;
      expect(frontier.plainHpa.filter((p) => p.utilisation <= 0.7).every((p) => p.underProvisionedMinutes > 0)).toBe(true);
      expect(w.plainHpa(0.3).stats.underProvisionedMinutes).toBe(0);
      expect(chosen.fallback).toEqual({ utilisation: 0.3, underProvisionedMinutes: 0, replicaHours: w.plainHpa(0.3).stats.replicaHours });
      // A budget no target keeps, not even 20 %: the frontier's target short the fewest minutes, as before.
      const spiky = Array.from({ length: 2 * DAY_STEPS }, (_, i) => (i % (7 * HOUR_STEPS) < 6 ? 2_000 : 100));
      const ws = world({ startMs: T0, stepSeconds: STEP, values: spiky }, reactiveTrigger);
      const none = frontierOn(ws, hourlyForecasts({ startMs: T0, stepSeconds: STEP, values: spiky }, () => 100), 0).frontier;
      expect(ws.plainHpa(0.2).stats.underProvisionedMinutes).toBeGreaterThan(0);
      expect(none.chosen!.fallback!.utilisation).toBeGreaterThanOrEqual(0.4 - 1e-9);
    }
  });

  it('keeps the chosen setting when it was short fewer minutes than headroom there', () => {
    const series = bursty();
    for (const reactiveTrigger of [true, false]) {
      const w = world(series, reactiveTrigger);
      // The future itself: the bursts are seen a lead ahead.
      const { track, frontier } = frontierOn(w, hourlyForecasts(series, (i) => series.values[i] ?? 100));
      const chosen = frontier.chosen!;
      const point = frontier.points[chosen.index]!;
      expect(point.underProvisionedMinutes).toBeLessThan(w.sameCostReactive(w.plainHpa(0.7), point.replicaHours).stats.underProvisionedMinutes);
      expect(chosen.fallback).toBeUndefined();
      expect(chosen.reason).not.toContain('reactive');
      expect(withReactiveFallback(w, frontier, chosen)).toBe(chosen);
      expect(servedRun(w, FIXED, track, chosen).stats).toEqual(w.forecastPolicy({ ...FIXED, ...chosen.knobs }, track).stats);
    }
  });

  it('finds headroom from a bracketing pair of HPA targets as the full search does, to its precision', () => {
    const w = world(bursty(), true);
    const hours = (w.plainHpa(0.5).stats.replicaHours + w.plainHpa(0.6).stats.replicaHours) / 2;
    const full = w.sameCostReactive(w.plainHpa(0.7), hours);
    const bracketed = w.sameCostReactive(w.plainHpa(0.6), hours, 0.5);
    expect(full.utilisation).toBeGreaterThan(0.5);
    expect(full.utilisation).toBeLessThan(0.6);
    expect(Math.abs(bracketed.utilisation - full.utilisation)).toBeLessThan(0.0004);
    expect(bracketed.stats.replicaHours).toBeLessThanOrEqual(hours);
    // The full search from [0.05, 0.7] keeps its 12 halvings: its answer lies within 0.0002 of the cheapest match.
    expect(w.plainHpa(full.utilisation - 0.0002).stats.replicaHours).toBeGreaterThan(hours);
  });

  it('refuses a choice that is not a setting of the frontier with PRESCIENT_ERR_VALIDATION', () => {
    const series = bursty();
    const w = world(series, true);
    const { frontier } = frontierOn(w, hourlyForecasts(series, () => 100));
    expect(() => withReactiveFallback(w, frontier, { ...frontier.chosen!, index: 99 })).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });

  it('replays reactive scaling exactly as recommend() in reactive mode serves it, fed the observed load at each sync', () => {
    const series = bursty();
    for (const reactiveTrigger of [true, false]) {
      const w = world(series, reactiveTrigger);
      const scaling: ScalingPolicy = { ...FIXED, quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 0.55, leadTimeSeconds: LEAD };
      const fast = w.forecastPolicy(scaling, new ReactiveTrack(w, LEAD));
      // The reference: the service's recommend() with mode reactive; the forecast it is handed is ignored.
      const [forecast] = hourlyForecasts(series, () => 1);
      const tracker = new RecommendationTracker();
      const reactiveTarget = 0.7 * 10;
      const initialReplicas = Math.ceil((series.values[DAY_STEPS] as number) / reactiveTarget - 1e-9);
      const timeline = simulateHpa(
        { ...defaultHpaParams, scaleDownStabilizationSeconds: 0, startupDelaySeconds: 120, minReplicas: 1, maxReplicas: 1000, initialReplicas },
        w.startMs,
        w.ticks,
        (tMs, current): HpaMetric[] => {
          const rec = tracker.recommend({ forecast: { ...forecast!, startMs: tMs }, scaling, nowMs: tMs, observedLoad: w.observedAt(tMs), currentReplicas: current.spec, mode: { kind: 'reactive', reason: 'test' } });
          const replicas = { total: rec.replicas, targetAverageValue: 1 };
          return reactiveTrigger ? [replicas, { total: w.observedAt(tMs), targetAverageValue: reactiveTarget }] : [replicas];
        },
      );
      expect(fast.timeline).toEqual(timeline);
      expect(fast.fallbackTicks).toBe(0);
    }
  });
});
