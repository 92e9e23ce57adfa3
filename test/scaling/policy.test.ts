import { describe, expect, it } from 'vitest';
import { PrescientError } from '../../src/errors.js';
import { recommend, RecommendationTracker } from '../../src/scaling/policy.js';
import { forecastOf, scalingOf, STEP_SECONDS, T0 } from './helpers.js';

const MINUTE_MS = 60_000;
const flat = (value: number, steps = 60): number[] => Array.from({ length: steps }, () => value);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PrescientError ? err.code : `not a PrescientError: ${String(err)}`;
  }
  return undefined;
}

describe('recommend', () => {
  it('sizes a flat load at ceil(load / capacity) with nothing clamped', () => {
    const { recommendation } = recommend({
      forecast: forecastOf(flat(300), { observed: 250 }),
      scaling: scalingOf({ capacityPerReplica: 100 }),
      nowMs: T0,
    });
    expect(recommendation.replicas).toBe(3);
    expect(recommendation.clampedBy).toEqual([]);
    expect(recommendation.at).toBe('2026-03-02T08:00:00.000Z');
    expect(recommendation.basis).toMatchObject({
      model: 'mstl',
      quantile: 0.9,
      windowMaxLoad: 300,
      observedLoad: 250,
      leadTimeSeconds: 300,
      forecastReplicas: 3,
      reactiveFloorReplicas: 3,
    });
    expect(recommendation.withinHpaTolerance).toBe(false);
    expect(recommendation.stale).toBe(false);
  });

  it('scales for a spike inside the lead window and not for one beyond it', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '5m' });
    const inside = flat(200);
    inside[4] = 900;
    expect(recommend({ forecast: forecastOf(inside), scaling, nowMs: T0 }).recommendation).toMatchObject({
      replicas: 9,
      basis: { windowMaxLoad: 900 },
    });
    const beyond = flat(200);
    beyond[7] = 900;
    expect(recommend({ forecast: forecastOf(beyond), scaling, nowMs: T0 }).recommendation.replicas).toBe(2);
    // Two minutes later the same spike is within the window.
    expect(recommend({ forecast: forecastOf(beyond), scaling, nowMs: T0 + 2 * MINUTE_MS }).recommendation.replicas).toBe(9);
  });

  it('clamps to maxReplicas and minReplicas and says so', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, minReplicas: 2, maxReplicas: 20 });
    const high = recommend({ forecast: forecastOf(flat(10_000)), scaling, nowMs: T0 }).recommendation;
    expect(high.replicas).toBe(20);
    expect(high.basis.forecastReplicas).toBe(100);
    expect(high.clampedBy).toEqual(['maxReplicas']);
    const idle = recommend({ forecast: forecastOf(flat(0)), scaling, nowMs: T0 }).recommendation;
    expect(idle.replicas).toBe(2);
    expect(idle.clampedBy).toEqual(['minReplicas']);
  });

  it('never recommends less than the observed load needs (reactive floor)', () => {
    const rec = recommend({
      forecast: forecastOf(flat(200), { observed: 750 }),
      scaling: scalingOf({ capacityPerReplica: 100 }),
      nowMs: T0,
    }).recommendation;
    expect(rec.replicas).toBe(8);
    expect(rec.basis.reactiveFloorReplicas).toBe(8);
    expect(rec.basis.forecastReplicas).toBe(2);
    expect(rec.clampedBy).toEqual(['reactiveFloor']);
    // An explicit observedLoad (the backtest's actual load) wins over lastObserved.
    expect(
      recommend({ forecast: forecastOf(flat(200), { observed: 750 }), scaling: scalingOf({ capacityPerReplica: 100 }), nowMs: T0, observedLoad: 50 })
        .recommendation.replicas,
    ).toBe(2);
  });

  it('blocks scale-in below what the upper quantile over the lead window needs', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '1s' } });
    const history = [{ atMs: T0 - MINUTE_MS, desired: 10, replicas: 10 }];
    // q0.9 = 500 → 5 replicas; the 95 % upper (q0.975) = 800 → scale-in stops at 8.
    const rec = recommend({ forecast: forecastOf(flat(500), { upperFactor: 1.6 }), scaling, nowMs: T0 }, history).recommendation;
    expect(rec.replicas).toBe(8);
    expect(rec.basis.windowMaxUpperLoad).toBe(800);
    expect(rec.clampedBy).toEqual(['scaleInUpperQuantile']);
    // With a narrow upper band scale-in goes all the way.
    const narrow = recommend({ forecast: forecastOf(flat(500), { upperFactor: 1 }), scaling, nowMs: T0 }, history).recommendation;
    expect(narrow.replicas).toBe(5);
    expect(narrow.clampedBy).toEqual([]);
  });

  it('scales in as far as the scaling quantile allows with scaleInGuardQuantile "none", and says so in the basis', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleInGuardQuantile: 'none', scaleIn: { stabilizationWindow: '1s' } });
    const history = [{ atMs: T0 - MINUTE_MS, desired: 10, replicas: 10 }];
    const rec = recommend({ forecast: forecastOf(flat(500), { upperFactor: 1.6 }), scaling, nowMs: T0 }, history).recommendation;
    expect(rec.replicas).toBe(5);
    expect(rec.clampedBy).toEqual([]);
    expect(rec.basis.scaleInGuardQuantile).toBeNull();
    expect(rec.basis.windowMaxUpperLoad).toBe(500);
  });

  it('guards scale-in at the configured quantile: 0.975 holds 8 replicas, a guard at the scaling quantile none', () => {
    const history = [{ atMs: T0 - MINUTE_MS, desired: 10, replicas: 10 }];
    const at = (guard: number) =>
      recommend({ forecast: forecastOf(flat(500), { upperFactor: 1.6 }), scaling: scalingOf({ capacityPerReplica: 100, scaleInGuardQuantile: guard, scaleIn: { stabilizationWindow: '1s' } }), nowMs: T0 }, history)
        .recommendation;
    expect(at(0.975).replicas).toBe(8);
    expect(at(0.975).basis.scaleInGuardQuantile).toBe(0.975);
    expect(at(0.9).replicas).toBe(5);
    // A guard whose level is not forecast is a coded error, not a silent default.
    expect(codeOf(() => at(0.99))).toBe('PRESCIENT_ERR_LEVEL_UNAVAILABLE');
  });

  it('sizes on capacity × utilisation, the reactive floor too, and reports the knob', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, utilisation: 0.8 });
    const rec = recommend({ forecast: forecastOf(flat(400)), scaling, nowMs: T0, observedLoad: 480 }).recommendation;
    // 400 / 80 = 5 from the forecast; 480 / 80 = 6 from the observed load.
    expect(rec.basis.forecastReplicas).toBe(5);
    expect(rec.basis.reactiveFloorReplicas).toBe(6);
    expect(rec.replicas).toBe(6);
    expect(rec.basis.utilisation).toBe(0.8);
    expect(rec.basis.capacityPerReplica).toBe(100);
    expect(rec.basis.leadTimeSeconds).toBe(300);
    expect(rec.basis.quantile).toBe(0.9);
  });

  it('does not let the upper quantile push the count above the previous one', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '1s' } });
    const history = [{ atMs: T0 - MINUTE_MS, desired: 6, replicas: 6 }];
    const rec = recommend({ forecast: forecastOf(flat(500), { upperFactor: 2 }), scaling, nowMs: T0 }, history).recommendation;
    expect(rec.replicas).toBe(6);
  });

  it('throws PRESCIENT_ERR_LEVEL_UNAVAILABLE when the quantile\'s interval level is not forecast', () => {
    expect(codeOf(() => recommend({ forecast: forecastOf(flat(100)), scaling: scalingOf({ capacityPerReplica: 10, quantile: 0.95 }), nowMs: T0 }))).toBe(
      'PRESCIENT_ERR_LEVEL_UNAVAILABLE',
    );
    // 0.975 is the upper of the 95 % interval: available.
    expect(
      recommend({ forecast: forecastOf(flat(100)), scaling: scalingOf({ capacityPerReplica: 10, quantile: 0.975 }), nowMs: T0 }).recommendation.replicas,
    ).toBe(12);
  });

  it('throws PRESCIENT_ERR_FORECAST_UNAVAILABLE past the forecast horizon and on non-finite values', () => {
    const scaling = scalingOf({ capacityPerReplica: 10 });
    expect(codeOf(() => recommend({ forecast: forecastOf(flat(100, 10)), scaling, nowMs: T0 + 10 * STEP_SECONDS * 1000 }))).toBe(
      'PRESCIENT_ERR_FORECAST_UNAVAILABLE',
    );
    const withNaN = flat(100);
    withNaN[1] = Number.NaN;
    expect(codeOf(() => recommend({ forecast: forecastOf(withNaN), scaling, nowMs: T0 }))).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
  });

  it('reports whether the HPA 10 % tolerance swallows the change', () => {
    const scaling = scalingOf({ capacityPerReplica: 100 });
    const at = (load: number, currentReplicas: number) =>
      recommend({ forecast: forecastOf(flat(load)), scaling, nowMs: T0, currentReplicas }).recommendation.withinHpaTolerance;
    expect(at(1000, 10)).toBe(true);
    expect(at(1100, 10)).toBe(true);
    expect(at(1200, 10)).toBe(false);
    expect(at(800, 10)).toBe(false);
  });
});

describe('RecommendationTracker', () => {
  // 1000 for the first minute, then 100: the forecast wants 1 replica from T0 + 1 min.
  const drop = (): ReturnType<typeof forecastOf> => forecastOf([1000, ...flat(100, 59)], { upperFactor: 1 });

  it('removes at most scaleIn.maxReplicas per interval', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { maxReplicas: 2, interval: '60s', stabilizationWindow: '1s' } });
    const tracker = new RecommendationTracker();
    const forecast = drop();
    const replicasAt = (seconds: number) => tracker.recommend({ forecast, scaling, nowMs: T0 + seconds * 1000, observedLoad: 0 });
    expect(replicasAt(0).replicas).toBe(10);
    const first = replicasAt(60);
    expect(first.replicas).toBe(8);
    expect(first.clampedBy).toEqual(['scaleInRate']);
    // Calls within the same interval may not remove more.
    expect(replicasAt(75).replicas).toBe(8);
    expect(replicasAt(90).replicas).toBe(8);
    expect(replicasAt(120).replicas).toBe(6);
    expect(replicasAt(180).replicas).toBe(4);
    expect(replicasAt(240).replicas).toBe(2);
    expect(replicasAt(300).replicas).toBe(1);
  });

  it('removes at most scaleIn.maxPercent per interval, at least one replica', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { maxPercent: 10, interval: '60s', stabilizationWindow: '1s' } });
    const tracker = new RecommendationTracker();
    const forecast = drop();
    const seen: number[] = [];
    for (let s = 0; s <= 240; s += 60) seen.push(tracker.recommend({ forecast, scaling, nowMs: T0 + s * 1000, observedLoad: 0 }).replicas);
    // ceil(10 × 0.9) = 9, then ceil(9 × 0.9) = 9 would stall: one replica at least.
    expect(seen).toEqual([10, 9, 8, 7, 6]);
  });

  it('does not let rapid calls step past the rate one call at a time', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { maxReplicas: 1, interval: '60s', stabilizationWindow: '1s' } });
    const tracker = new RecommendationTracker();
    const forecast = drop();
    tracker.recommend({ forecast, scaling, nowMs: T0, observedLoad: 0 });
    let last = 0;
    for (let ms = 60_000; ms < 120_000; ms += 50) last = tracker.recommend({ forecast, scaling, nowMs: T0 + ms, observedLoad: 0 }).replicas;
    expect(last).toBe(9);
    expect(tracker.records().length).toBeLessThan(20);
  });

  it('holds the highest wish over the stabilisation window before scaling in', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { stabilizationWindow: '5m' } });
    const tracker = new RecommendationTracker();
    const forecast = drop();
    const at = (seconds: number) => tracker.recommend({ forecast, scaling, nowMs: T0 + seconds * 1000, observedLoad: 0 });
    expect(at(0).replicas).toBe(10);
    const held = at(60);
    expect(held.replicas).toBe(10);
    expect(held.basis.forecastReplicas).toBe(1);
    expect(held.clampedBy).toEqual(['stabilizationWindow']);
    expect(at(240).replicas).toBe(10);
    // The wish for 10 was at T0; past 5 minutes only wishes for 1 remain.
    expect(at(301).replicas).toBe(1);
  });

  it('scales out at once, with no rate or stabilisation delay', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { maxReplicas: 1 } });
    const tracker = new RecommendationTracker();
    const rising = forecastOf([100, 2000, ...flat(2000, 58)], { upperFactor: 1 });
    expect(tracker.recommend({ forecast: rising, scaling, nowMs: T0, observedLoad: 0 }).replicas).toBe(1);
    expect(tracker.recommend({ forecast: rising, scaling, nowMs: T0 + 60_000, observedLoad: 0 }).replicas).toBe(20);
  });
});
