import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recommend, RecommendationTracker } from '../../src/scaling/policy.js';
import { forecastOf, scalingOf, T0 } from './helpers.js';

const load = fc.double({ min: 0, max: 1e6, noNaN: true, noDefaultInfinity: true });

describe('recommend (properties)', () => {
  it('without history: clamp(max(forecast, floor), min, max), an integer', () => {
    fc.assert(
      fc.property(
        fc.array(load, { minLength: 20, maxLength: 40 }),
        load,
        fc.double({ min: 0.5, max: 1e4, noNaN: true }),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 600 }),
        (q90, observed, capacity, minReplicas, extra, offsetSeconds) => {
          const maxReplicas = Math.max(1, minReplicas + extra);
          const scaling = scalingOf({ capacityPerReplica: capacity, minReplicas, maxReplicas, leadTime: '5m' });
          const nowMs = T0 + offsetSeconds * 1000;
          const { recommendation } = recommend({ forecast: forecastOf(q90, { observed }), scaling, nowMs });
          const first = Math.floor(offsetSeconds / 60);
          const last = Math.min(q90.length - 1, Math.floor((offsetSeconds + 300) / 60));
          const windowMax = Math.max(...q90.slice(first, last + 1));
          const wanted = Math.max(Math.ceil(windowMax / capacity - 1e-9), Math.ceil(observed / capacity - 1e-9), 0);
          expect(recommendation.basis.windowMaxLoad).toBe(windowMax);
          expect(recommendation.replicas).toBe(Math.min(maxReplicas, Math.max(minReplicas, wanted)));
          expect(Number.isInteger(recommendation.replicas)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('over any sequence of calls, never removes more than scaleIn.maxReplicas per interval and never lags a scale-out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gapSeconds: fc.integer({ min: 1, max: 90 }), level: fc.integer({ min: 0, max: 3000 }) }), { minLength: 2, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        (calls, maxStep) => {
          const scaling = scalingOf({ capacityPerReplica: 100, minReplicas: 0, leadTime: '1s', scaleIn: { maxReplicas: maxStep, interval: '60s', stabilizationWindow: '1s' } });
          const tracker = new RecommendationTracker(0);
          let atSeconds = 0;
          const seen: Array<{ atSeconds: number; replicas: number }> = [];
          for (const { gapSeconds, level } of calls) {
            atSeconds += gapSeconds;
            // A flat forecast at `level`, made fresh at each call (the engine refreshes).
            const forecast = { ...forecastOf(Array(10).fill(level), { upperFactor: 1 }), startMs: T0 + atSeconds * 1000 };
            const rec = tracker.recommend({ forecast, scaling, nowMs: T0 + atSeconds * 1000, observedLoad: 0 });
            const wanted = Math.ceil(level / 100);
            if (wanted >= (seen[seen.length - 1]?.replicas ?? 0)) expect(rec.replicas).toBe(wanted);
            // Highest count in force during the last 60 s (the one at the interval start included).
            const inForce = seen.filter((s, i) => s.atSeconds > atSeconds - 60 || (seen[i + 1]?.atSeconds ?? Infinity) > atSeconds - 60);
            const base = Math.max(...inForce.map((s) => s.replicas), rec.replicas);
            expect(base - rec.replicas).toBeLessThanOrEqual(maxStep);
            seen.push({ atSeconds, replicas: rec.replicas });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
