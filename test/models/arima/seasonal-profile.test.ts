import { describe, expect, it } from 'vitest';
import { estimateProfile, profileAt, profileHelps } from '../../../src/models/arima/seasonal-profile.js';
import { sarima, type SarimaInfo } from '../../../src/models/sarima.js';
import { normals } from '../sarima-synthetic.js';

const PERIOD = 288;

/** A smooth day, plus a sharp 3-sample job at phase 100 every day, plus noise. */
function withDailyJob(days: number, seed: number): number[] {
  const e = normals(seed, days * PERIOD);
  return e.map((z, t) => {
    const phase = t % PERIOD;
    const job = phase >= 100 && phase < 103 ? 8 : 0;
    return 20 + 5 * Math.sin((2 * Math.PI * t) / PERIOD) + job + 0.5 * z;
  });
}

describe('seasonal profile', () => {
  it('finds a sharp daily feature that a few harmonics cannot draw', () => {
    const r = Float64Array.from(withDailyJob(14, 1), (v, t) => v - 20 - 5 * Math.sin((2 * Math.PI * t) / PERIOD));
    const profile = estimateProfile(r, PERIOD);
    expect(profile).toBeDefined();
    expect(profileAt(profile!, 101)).toBeGreaterThan(5);
    expect(Math.abs(profileAt(profile!, 200))).toBeLessThan(0.5);
    expect(profileHelps(r, PERIOD)).toBe(true);
  });

  it('stays out of the way of pure noise', () => {
    const r = Float64Array.from(normals(2, 14 * PERIOD));
    const profile = estimateProfile(r, PERIOD);
    // Either nothing survives shrinkage or what does is small next to the noise (σ = 1).
    const largest = profile ? Math.max(...Array.from(profile.values, Math.abs)) : 0;
    expect(largest).toBeLessThan(0.5);
  });

  it('lets sarima forecast the daily job at its time of day on 5-minute data', async () => {
    const values = withDailyJob(14, 3);
    const fitted = await sarima.fit(values, {
      stepSeconds: 300,
      startMs: 0,
      seasonalPeriods: [PERIOD],
      deadlineMs: Date.now() + 30_000,
      seed: 1,
    });
    expect((fitted.info as SarimaInfo).notes.join(' ')).toContain('per-phase profile');
    const forecast = fitted.predict(PERIOD, [0.8]);
    // The history ends at a day boundary, so step h of the forecast is phase h.
    expect((forecast.point[101] as number) - (forecast.point[110] as number)).toBeGreaterThan(5);
  });
});
