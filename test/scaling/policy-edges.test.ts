import { describe, expect, it } from 'vitest';
import { recommend, RecommendationTracker, windowIndices, type RecommendationRecord } from '../../src/scaling/policy.js';
import { thrownBy } from '../support/errors.js';
import { forecastOf, scalingOf, STEP_SECONDS, T0 } from './helpers.js';

// The edges of the policy that policy.test.ts does not reach: what the basis
// passes through, the window at the ends of the forecast, rounding, both
// scale-in limits at once, and the tracker's memory. Found by mutation
// testing (test/mutation/REPORT.md).

const MINUTE_MS = 60_000;
const flat = (value: number, steps = 60): number[] => Array.from({ length: steps }, () => value);

describe('recommend: the basis and what it passes through', () => {
  it('a demoted target is sized on the observed load alone, says so and why', () => {
    const rec = recommend({
      forecast: forecastOf(flat(900), { observed: 250 }),
      scaling: scalingOf({ capacityPerReplica: 100 }),
      nowMs: T0,
      mode: { kind: 'reactive', reason: 'live MASE 3.1 above 2' },
    }).recommendation;
    expect(rec.replicas).toBe(3);
    expect(rec.basis).toMatchObject({ mode: 'reactive', reason: 'live MASE 3.1 above 2', windowMaxLoad: 250, windowMaxUpperLoad: 250, forecastReplicas: 3 });
    expect(rec.clampedBy).toEqual([]);
  });

  it('a predictive recommendation carries no reason', () => {
    const rec = recommend({ forecast: forecastOf(flat(900)), scaling: scalingOf({ capacityPerReplica: 100 }), nowMs: T0, mode: { kind: 'predictive' } }).recommendation;
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis).not.toHaveProperty('reason');
    expect(rec.replicas).toBe(9);
  });

  it('passes stale and knobsFrom through, and names the replicas it compared with', () => {
    const scaling = scalingOf({ capacityPerReplica: 100 });
    const first = recommend({ forecast: forecastOf(flat(300)), scaling, nowMs: T0, stale: true, knobsFrom: 'budget' });
    expect(first.recommendation.stale).toBe(true);
    expect(first.recommendation.basis.knobsFrom).toBe('budget');
    expect(first.recommendation.basis).not.toHaveProperty('previousReplicas');
    expect(recommend({ forecast: forecastOf(flat(300)), scaling, nowMs: T0 }).recommendation.basis.knobsFrom).toBe('config');
    const second = recommend({ forecast: forecastOf(flat(300)), scaling, nowMs: T0 + MINUTE_MS }, [first.record]);
    expect(second.recommendation.basis.previousReplicas).toBe(3);
    // currentReplicas (what runs) wins over the previous recommendation.
    const withCurrent = recommend({ forecast: forecastOf(flat(300)), scaling, nowMs: T0 + MINUTE_MS, currentReplicas: 7 }, [first.record]);
    expect(withCurrent.recommendation.basis.previousReplicas).toBe(7);
  });

  it('records the time, the wish before the scale-in rules and the count recommended', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '1s' } });
    const history: RecommendationRecord[] = [{ atMs: T0 - MINUTE_MS, desired: 10, replicas: 10 }];
    // q0.9 = 500 → wish 5, the guard (q0.975 = 800) holds 8: the record keeps 8 as the wish stabilisation sees.
    const { record } = recommend({ forecast: forecastOf(flat(500), { upperFactor: 1.6 }), scaling, nowMs: T0 }, history);
    expect(record).toEqual({ atMs: T0, desired: 8, replicas: 8 });
    const out = recommend({ forecast: forecastOf(flat(1200)), scaling, nowMs: T0 }, history);
    expect(out.record).toEqual({ atMs: T0, desired: 12, replicas: 12 });
  });

  it('says which levels the forecast has when the quantile\'s is missing', () => {
    const err = thrownBy(() => recommend({ forecast: forecastOf(flat(100)), scaling: scalingOf({ capacityPerReplica: 10, quantile: 0.95 }), nowMs: T0 }));
    expect(err.message).toBe('quantile 0.95 needs the 90 % interval, but the forecast has levels 0.8, 0.95');
    const none = { ...forecastOf(flat(100)), intervals: [] };
    expect(thrownBy(() => recommend({ forecast: none, scaling: scalingOf({ capacityPerReplica: 10 }), nowMs: T0 })).message).toBe(
      'quantile 0.9 needs the 80 % interval, but the forecast has levels none',
    );
  });

  it('refuses a non-finite observed load with PRESCIENT_ERR_FORECAST_UNAVAILABLE', () => {
    const err = thrownBy(() => recommend({ forecast: forecastOf(flat(100)), scaling: scalingOf({ capacityPerReplica: 10 }), nowMs: T0, observedLoad: Number.NaN }));
    expect(err.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    expect(err.message).toBe('the forecast or observed load is not a finite number between 2026-03-02T08:00:00.000Z and the end of the lead window');
    // A non-finite guard quantile inside the window is refused too, not read as "no guard".
    const guardNaN = forecastOf(flat(100));
    const wide = guardNaN.intervals[1];
    const broken = { ...guardNaN, intervals: [guardNaN.intervals[0]!, { ...wide!, upper: wide!.upper.map((v, i) => (i === 2 ? Number.NaN : v)) }] };
    expect(thrownBy(() => recommend({ forecast: broken, scaling: scalingOf({ capacityPerReplica: 10 }), nowMs: T0 })).code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
  });
});

describe('recommend: rounding and the window at the ends of the forecast', () => {
  it('does not add a replica for floating-point noise: 0.1 + 0.2 at capacity 0.1 needs 3', () => {
    const rec = recommend({ forecast: forecastOf(flat(0.1 + 0.2)), scaling: scalingOf({ capacityPerReplica: 0.1 }), nowMs: T0 }).recommendation;
    expect(rec.basis.forecastReplicas).toBe(3);
  });

  it('needs no replica for a negative forecast or observed load', () => {
    const rec = recommend({ forecast: forecastOf(flat(-50)), scaling: scalingOf({ capacityPerReplica: 10, minReplicas: 0 }), nowMs: T0, observedLoad: -20 }).recommendation;
    expect(rec.basis.forecastReplicas).toBe(0);
    expect(rec.basis.reactiveFloorReplicas).toBe(0);
    expect(rec.replicas).toBe(0);
  });

  it('uses the first steps when now is before the forecast starts, and the last step alone when now is in it', () => {
    const forecast = { startMs: T0, stepSeconds: STEP_SECONDS, point: flat(1, 10) };
    expect(windowIndices(forecast, T0 - 10 * MINUTE_MS, 120)).toEqual([0, 0]);
    expect(windowIndices(forecast, T0 - 30_000, 120)).toEqual([0, 1]);
    expect(windowIndices(forecast, T0 + 9 * MINUTE_MS + 59_000, 300)).toEqual([9, 9]);
    expect(windowIndices(forecast, T0 + 7 * MINUTE_MS, 300)).toEqual([7, 9]);
    // A forecast of one step is a window of that step.
    expect(windowIndices({ startMs: T0, stepSeconds: STEP_SECONDS, point: [5] }, T0 + 30_000, 300)).toEqual([0, 0]);
  });

  it('refuses an empty forecast and names where it ends', () => {
    const err = thrownBy(() => windowIndices({ startMs: T0, stepSeconds: STEP_SECONDS, point: [] }, T0, 60));
    expect(err.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    const past = thrownBy(() => windowIndices({ startMs: T0, stepSeconds: STEP_SECONDS, point: flat(1, 10) }, T0 + 10 * MINUTE_MS, 60));
    expect(past.message).toBe('the forecast ends at 2026-03-02T08:09:00.000Z, before 2026-03-02T08:10:00.000Z');
  });

  it('refuses a clock that is not a time, instead of a window of NaN steps', () => {
    const forecast = { startMs: T0, stepSeconds: STEP_SECONDS, point: flat(1, 10) };
    for (const clock of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => windowIndices(forecast, clock, 60)).toThrow(`windowIndices: the clock must be a finite time in ms, got ${clock}`);
    }
  });
});

describe('recommend: scale-in limits and the HPA tolerance', () => {
  const history: RecommendationRecord[] = [{ atMs: T0 - 10 * MINUTE_MS, desired: 20, replicas: 20 }];

  it('with both scaleIn.maxReplicas and maxPercent, the slower scale-in wins', () => {
    const at = (scaleIn: Record<string, unknown>) =>
      recommend({ forecast: forecastOf(flat(100), { upperFactor: 1 }), scaling: scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '1s', ...scaleIn } }), nowMs: T0 }, history)
        .recommendation;
    // From 20: 5 replicas may go → 15; 50 % → 10. Both: 15.
    expect(at({ maxReplicas: 5 }).replicas).toBe(15);
    expect(at({ maxPercent: 50 }).replicas).toBe(10);
    expect(at({ maxReplicas: 5, maxPercent: 50 }).replicas).toBe(15);
    expect(at({ maxReplicas: 15, maxPercent: 25 }).replicas).toBe(15);
    expect(at({ maxReplicas: 5, maxPercent: 50 }).clampedBy).toEqual(['scaleInRate']);
    // maxPercent 13 % of 20 = 2.6: ceil(17.4) = 18 stay.
    expect(at({ maxPercent: 13 }).replicas).toBe(18);
  });

  it('with no scale-in rate configured, goes straight to the wish', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '1s' } });
    const rec = recommend({ forecast: forecastOf(flat(100), { upperFactor: 1 }), scaling, nowMs: T0 }, history).recommendation;
    expect(rec.replicas).toBe(1);
    expect(rec.clampedBy).toEqual([]);
  });

  it('a wish exactly one stabilisation window old no longer holds the count', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { stabilizationWindow: '5m' } });
    const old: RecommendationRecord[] = [
      { atMs: T0 - 5 * MINUTE_MS, desired: 10, replicas: 10 },
      { atMs: T0 - MINUTE_MS, desired: 4, replicas: 10 },
    ];
    expect(recommend({ forecast: forecastOf(flat(100), { upperFactor: 1 }), scaling, nowMs: T0 }, old).recommendation.replicas).toBe(4);
    expect(recommend({ forecast: forecastOf(flat(100), { upperFactor: 1 }), scaling, nowMs: T0 - 1 }, old).recommendation.replicas).toBe(10);
  });

  it('the rate counts from the most replicas in force during the interval, including the record in force at its start', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { maxReplicas: 2, interval: '60s', stabilizationWindow: '1s' } });
    const forecast = forecastOf(flat(100), { upperFactor: 1 });
    // 10 set 90 s ago (still in force 60 s ago), 8 set 30 s ago: removals in this interval count from 10.
    const inForce: RecommendationRecord[] = [
      { atMs: T0 - 90_000, desired: 10, replicas: 10 },
      { atMs: T0 - 30_000, desired: 8, replicas: 8 },
    ];
    expect(recommend({ forecast, scaling, nowMs: T0 }, inForce).recommendation.replicas).toBe(8);
    // Had 8 replaced 10 more than 60 s ago, 2 more may go now.
    const replaced: RecommendationRecord[] = [
      { atMs: T0 - 150_000, desired: 10, replicas: 10 },
      { atMs: T0 - 90_000, desired: 8, replicas: 8 },
    ];
    expect(recommend({ forecast, scaling, nowMs: T0 }, replaced).recommendation.replicas).toBe(6);
  });

  it('names a rule only when it changed the count: a wish exactly at the rate floor, at max or at min is not clamped', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, minReplicas: 2, maxReplicas: 9, scaleIn: { maxReplicas: 2, stabilizationWindow: '1s' } });
    const from10: RecommendationRecord[] = [{ atMs: T0 - 10 * MINUTE_MS, desired: 10, replicas: 10 }];
    const at = (load: number, history: RecommendationRecord[] = []) =>
      recommend({ forecast: forecastOf(flat(load), { upperFactor: 1 }), scaling, nowMs: T0, observedLoad: 0 }, history).recommendation;
    // From 10, 2 may go: a wish for 8 is exactly the floor.
    expect(at(800, from10)).toMatchObject({ replicas: 8, clampedBy: [] });
    expect(at(700, from10)).toMatchObject({ replicas: 8, clampedBy: ['scaleInRate'] });
    expect(at(900)).toMatchObject({ replicas: 9, clampedBy: [] });
    expect(at(1000)).toMatchObject({ replicas: 9, clampedBy: ['maxReplicas'] });
    expect(at(200)).toMatchObject({ replicas: 2, clampedBy: [] });
    expect(at(100)).toMatchObject({ replicas: 2, clampedBy: ['minReplicas'] });
  });

  it('the HPA tolerance from zero replicas holds only for zero', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, minReplicas: 0 });
    const at = (load: number) => recommend({ forecast: forecastOf(flat(load)), scaling, nowMs: T0, observedLoad: 0, currentReplicas: 0 }).recommendation;
    expect(at(0).withinHpaTolerance).toBe(true);
    expect(at(50).withinHpaTolerance).toBe(false);
    // Exactly 10 % is within (up to float noise): 11 from 10.
    expect(recommend({ forecast: forecastOf(flat(1100)), scaling, nowMs: T0, currentReplicas: 10 }).recommendation.withinHpaTolerance).toBe(true);
    // Without anything to compare with, no tolerance applies.
    expect(at(0).basis.previousReplicas).toBe(0);
    expect(recommend({ forecast: forecastOf(flat(0)), scaling, nowMs: T0 }).recommendation.withinHpaTolerance).toBe(false);
  });
});

describe('RecommendationTracker: its memory', () => {
  const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1s', scaleIn: { stabilizationWindow: '2m', interval: '1m' } });

  it('answers an earlier time without recording it', () => {
    const tracker = new RecommendationTracker(0);
    tracker.recommend({ forecast: forecastOf(flat(500)), scaling, nowMs: T0 + MINUTE_MS });
    const before = tracker.records();
    const late = tracker.recommend({ forecast: forecastOf(flat(900)), scaling, nowMs: T0 });
    expect(late.replicas).toBe(9);
    expect(tracker.records()).toEqual(before);
  });

  it('keeps one record per bucket, with its highest wish and count and its latest time', () => {
    const tracker = new RecommendationTracker(10_000);
    tracker.recommend({ forecast: forecastOf(flat(900)), scaling, nowMs: T0 + 1_000 });
    tracker.recommend({ forecast: forecastOf(flat(300)), scaling: { ...scaling, scaleIn: { ...scaling.scaleIn, stabilizationWindowSeconds: 0 } }, nowMs: T0 + 2_000 });
    expect(tracker.records()).toEqual([{ atMs: T0 + 2_000, desired: 9, replicas: 9 }]);
    tracker.recommend({ forecast: forecastOf(flat(300)), scaling, nowMs: T0 + 10_000 });
    expect(tracker.records()).toHaveLength(2);
  });

  it('a second call at the same moment counts in the same record, keeping the higher wish', () => {
    const tracker = new RecommendationTracker();
    tracker.recommend({ forecast: forecastOf(flat(500)), scaling, nowMs: T0 });
    tracker.recommend({ forecast: forecastOf(flat(900)), scaling, nowMs: T0 });
    expect(tracker.records()).toEqual([{ atMs: T0, desired: 9, replicas: 9 }]);
  });

  it('with a bucket of 0 records every call', () => {
    const tracker = new RecommendationTracker(0);
    for (let ms = 0; ms < 5; ms++) tracker.recommend({ forecast: forecastOf(flat(500)), scaling, nowMs: T0 + ms });
    expect(tracker.records()).toHaveLength(5);
  });

  it('forgets records older than the longer of the two windows, but keeps the one in force at its start', () => {
    const tracker = new RecommendationTracker(0);
    for (let minute = 0; minute <= 10; minute++) tracker.recommend({ forecast: forecastOf(flat(500)), scaling, nowMs: T0 + minute * MINUTE_MS });
    // Stabilisation 2 min is the longer window: at minute 10 the records from minute 8 on, and minute 8 is the one at its start.
    expect(tracker.records().map((r) => (r.atMs - T0) / MINUTE_MS)).toEqual([8, 9, 10]);
    // records() is a copy: changing it does not change the memory.
    tracker.records().length = 0;
    expect(tracker.records()).toHaveLength(3);
  });
});

describe('RecommendationTracker: steady decisions and hold()', () => {
  const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { interval: '1m', stabilizationWindow: '5m' } });
  const loads = (windowMaxLoad: number, observedLoad = windowMaxLoad) => ({ windowMaxLoad, windowMaxUpperLoad: windowMaxLoad, observedLoad });

  it('is steady when the same loads would repeat the count, not while a scale-in is under way, and hold() then stands for every call between', () => {
    const held = new RecommendationTracker();
    const stepped = new RecommendationTracker();
    for (const t of [held, stepped]) {
      t.decide(scaling, T0, loads(900));
      // The first decision has no previous count to repeat.
      expect(t.steady).toBe(false);
      t.decide(scaling, T0 + 15_000, loads(900));
      expect(t.steady).toBe(true);
    }
    // The same loads for two more minutes: held as one record, or decided every 15 s.
    held.hold(T0 + 135_000, scaling);
    for (let s = 30_000; s <= 135_000; s += 15_000) stepped.decide(scaling, T0 + s, loads(900));
    // The load falls: the stabilisation window holds the count at 9 for 300 s after the last 9, then it scales in.
    for (let s = 150_000; s <= 600_000; s += 15_000) {
      const a = held.decide(scaling, T0 + s, loads(300));
      const b = stepped.decide(scaling, T0 + s, loads(300));
      expect(a).toBe(b);
      // Held at 9 by the window while the wish is 3: not steady, the window will let go.
      if (a === 9) expect(held.steady).toBe(false);
    }
    expect(held.decide(scaling, T0 + 615_000, loads(300))).toBe(3);
  });

  it('refuses hold() after a decision that would not repeat itself', () => {
    const t = new RecommendationTracker();
    t.decide(scaling, T0, loads(900));
    expect(thrownBy(() => t.hold(T0 + 60_000, scaling)).code).toBe('PRESCIENT_ERR_INTERNAL');
  });
});
