import { describe, expect, it } from 'vitest';
import { thrownBy } from '../support/errors.js';
import { buildSchedule } from '../../src/scaling/schedule.js';
import { forecastOf, scalingOf, T0 } from './helpers.js';

describe('buildSchedule', () => {
  // One step a minute: 2 h of 200, then 2 h of 1000, then 2 h of 200.
  const load = [...Array(120).fill(200), ...Array(120).fill(1000), ...Array(120).fill(200)] as number[];
  const forecast = forecastOf(load, { upperFactor: 1 });

  it('gives replicas per step, rising a lead time before the peak and scaling in at the bounded rate', () => {
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '5m', scaleIn: { maxReplicas: 2, interval: '1m', stabilizationWindow: '1m' } });
    const schedule = buildSchedule(forecast, scaling, T0, 6);
    expect(schedule.steps).toHaveLength(360);
    expect(schedule.steps[0]).toMatchObject({ at: '2026-03-02T08:00:00.000Z', replicas: 2, load: 200 });
    // The peak starts at step 120; with a 5-minute lead the schedule has 10 replicas from step 115.
    expect(schedule.steps[114]?.replicas).toBe(2);
    expect(schedule.steps[115]?.replicas).toBe(10);
    // After the peak (last at step 239), at most 2 replicas go per minute.
    const after = schedule.steps.slice(239, 250).map((s) => s.replicas);
    expect(after).toEqual([10, 8, 6, 4, 2, 2, 2, 2, 2, 2, 2]);
    expect(schedule.steps[240]?.clampedBy).toEqual(['scaleInRate']);
  });

  it('stops where the forecast ends and says so in endsAt', () => {
    const schedule = buildSchedule(forecast, scalingOf({ capacityPerReplica: 100 }), T0 + 3600_000, 48);
    expect(schedule.steps).toHaveLength(300);
    expect(schedule.endsAt).toBe(new Date(T0 + 360 * 60_000).toISOString());
  });

  it('says what it was built from: model, quantile, lead time and step', () => {
    const schedule = buildSchedule(forecast, scalingOf({ capacityPerReplica: 100, quantile: 0.975, leadTime: '2m' }), T0, 1);
    expect(schedule).toMatchObject({ model: 'mstl', quantile: 0.975, leadTimeSeconds: 120, stepSeconds: 60, endsAt: '2026-03-02T09:00:00.000Z' });
    // Sized on the 0.975 quantile (upper of the 95 % band, here equal to the 0.9 one).
    expect(schedule.steps[0]).toMatchObject({ replicas: 2, load: 200, windowMaxLoad: 200 });
  });

  it('starts at now (between two steps), applies the observed load at that first step only', () => {
    const observedHigh = forecastOf(load, { upperFactor: 1, observed: 700 });
    const scaling = scalingOf({ capacityPerReplica: 100, leadTime: '1m', scaleIn: { stabilizationWindow: '1s' } });
    const schedule = buildSchedule(observedHigh, scaling, T0 + 30_000, 0.05);
    // 3 minutes from 08:00:30: now, then every step that starts before 08:03:30.
    expect(schedule.steps.map((s) => s.at)).toEqual(['2026-03-02T08:00:30.000Z', '2026-03-02T08:01:00.000Z', '2026-03-02T08:02:00.000Z', '2026-03-02T08:03:00.000Z']);
    expect(schedule.steps[0]).toMatchObject({ replicas: 7, clampedBy: ['reactiveFloor'] });
    // Later steps have only the forecast (200 → 2 replicas), scaled in with no rate limit.
    expect(schedule.steps.slice(1).map((s) => s.replicas)).toEqual([2, 2, 2]);
  });

  it('throws PRESCIENT_ERR_FORECAST_UNAVAILABLE when now is past the forecast', () => {
    const err = thrownBy(() => buildSchedule(forecast, scalingOf({ capacityPerReplica: 100 }), T0 + 7 * 3600_000, 1));
    expect(err.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
  });
});
