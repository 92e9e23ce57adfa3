import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitSarima, sarima, type SarimaInfo } from '../../src/models/sarima.js';
import type { FitContext } from '../../src/models/forecaster.js';
import { assertPlausibleForecast } from '../../src/models/validate.js';
import { regularize } from '../../src/series/regularize.js';
import { readSamplesFile } from '../../src/sources/file.js';

/** Deterministic standard normals (mulberry32 + Box–Muller), so every run sees the same series. */
function normals(seed: number, count: number): number[] {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[] = [];
  while (out.length < count) {
    const u = Math.max(uniform(), 1e-12);
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform()));
  }
  return out;
}

const PERIOD = 24;
const PHI = 0.7;
const SIGMA = 0.5;
/** Known seasonal mean: two harmonics of a 24-step day around 10. */
const seasonalMean = (t: number): number => 10 + 3 * Math.sin((2 * Math.PI * t) / PERIOD) + 1.5 * Math.cos((4 * Math.PI * t) / PERIOD);

/** seasonal mean + AR(1) errors (φ = 0.7, σ = 0.5). */
function ar1Seasonal(seed: number, length: number): number[] {
  const e = normals(seed, length + 100);
  let eta = 0;
  const out: number[] = [];
  for (let t = -100; t < length; t++) {
    eta = PHI * eta + SIGMA * (e[t + 100] as number);
    if (t >= 0) out.push(seasonalMean(t) + eta);
  }
  return out;
}

const hourly = (periods: number[]): FitContext => ({ stepSeconds: 3600, startMs: 0, seasonalPeriods: periods, deadlineMs: Date.now() + 60_000, seed: 1 });

describe('sarima', () => {
  it('finds the seasonal harmonics and AR dynamics of a synthetic AR(1) + seasonal series', async () => {
    const values = ar1Seasonal(1, 30 * PERIOD);
    const fitted = await sarima.fit(values, hourly([PERIOD]));
    const info = fitted.info as SarimaInfo;
    // Both true harmonics are needed; the search is bounded at 11 for a 24-step period.
    expect(info.harmonics['24']).toBeGreaterThanOrEqual(2);
    expect(info.harmonics['24']).toBeLessThanOrEqual(11);
    // Errors are modelled with one difference: AR(1) errors become ARMA(1,1) in differences, with φ ≈ 0.7, θ ≈ −1.
    expect(info.order[1]).toBe(1);
    expect(info.order[0] + info.order[2]).toBeGreaterThanOrEqual(1);
    // The innovation variance is the simulated one (0.25) within sampling error.
    expect(info.sigma2).toBeGreaterThan(0.2);
    expect(info.sigma2).toBeLessThan(0.3);
    // A day ahead, the forecast is close to the true seasonal mean (errors have decayed).
    const forecast = fitted.predict(PERIOD, [0.95]);
    const n = values.length;
    const mae = forecast.point.slice(12).reduce((s, p, i) => s + Math.abs(p - seasonalMean(n + 12 + i)), 0) / (PERIOD - 12);
    expect(mae).toBeLessThan(0.5);
  });

  it('gives honest intervals on the synthetic series: 80 % and 95 % cover about that share of what follows', async () => {
    let inside80 = 0;
    let inside95 = 0;
    let count = 0;
    for (let seed = 10; seed < 30; seed++) {
      const all = ar1Seasonal(seed, 21 * PERIOD + PERIOD);
      const history = all.slice(0, 21 * PERIOD);
      const future = all.slice(21 * PERIOD);
      const forecast = (await sarima.fit(history, hourly([PERIOD]))).predict(PERIOD, [0.8, 0.95]);
      const [i80, i95] = forecast.intervals;
      future.forEach((v, h) => {
        if (v >= (i80?.lower[h] as number) && v <= (i80?.upper[h] as number)) inside80++;
        if (v >= (i95?.lower[h] as number) && v <= (i95?.upper[h] as number)) inside95++;
        count++;
      });
    }
    expect(inside80 / count).toBeGreaterThan(0.7);
    expect(inside80 / count).toBeLessThan(0.95);
    expect(inside95 / count).toBeGreaterThan(0.88);
  });

  it('fits 5-minute data with daily and weekly periods [288, 2016]: finite, plausible, intervals widen', async () => {
    const samples = await readSamplesFile(join(import.meta.dirname, '..', '..', 'data', 'nab', 'grok_asg_anomaly.csv'));
    const { series } = regularize(samples, { stepSeconds: 300 });
    const values = [...series.values];
    const ctx: FitContext = { stepSeconds: 300, startMs: series.startMs, seasonalPeriods: [288, 2016], deadlineMs: Date.now() + 30_000, seed: 1 };
    const fitted = await sarima.fit(values, ctx);
    const info = fitted.info as SarimaInfo;
    expect(Object.keys(info.harmonics).sort()).toEqual(['2016', '288']);
    const forecast = fitted.predict(288, [0.8, 0.95]);
    expect(forecast.point).toHaveLength(288);
    expect(() => assertPlausibleForecast(forecast, values)).not.toThrow();
    const [i80, i95] = forecast.intervals;
    const width = (i: typeof i80, h: number): number => (i?.upper[h] as number) - (i?.lower[h] as number);
    expect(width(i80, 287)).toBeGreaterThan(width(i80, 0));
    for (const h of [0, 100, 287]) expect(width(i95, h)).toBeGreaterThan(width(i80, h));
  });

  it('drops a season with fewer than two cycles of history and says so', async () => {
    const values = ar1Seasonal(3, 10 * PERIOD);
    const fitted = await sarima.fit(values, hourly([PERIOD, 7 * PERIOD]));
    const info = fitted.info as SarimaInfo;
    expect(Object.keys(info.harmonics)).toEqual(['24']);
    expect(info.notes.join(' ')).toContain('season of 168 steps dropped');
  });

  it('rejects too-short input with PRESCIENT_ERR_SERIES_TOO_SHORT', async () => {
    await expect(sarima.fit(ar1Seasonal(4, 30), hourly([PERIOD]))).rejects.toMatchObject({ code: 'PRESCIENT_ERR_SERIES_TOO_SHORT' });
    await expect(sarima.fit([1, 2, 3], hourly([]))).rejects.toMatchObject({ code: 'PRESCIENT_ERR_SERIES_TOO_SHORT' });
  });

  it('throws PRESCIENT_ERR_FIT_TIMEOUT when the deadline has passed before the fit starts', async () => {
    await expect(sarima.fit(ar1Seasonal(5, 10 * PERIOD), { ...hourly([PERIOD]), deadlineMs: Date.now() - 1 })).rejects.toMatchObject({
      code: 'PRESCIENT_ERR_FIT_TIMEOUT',
    });
  });

  it('keeps the best model so far, with a note, when the deadline passes during the search', () => {
    const values = ar1Seasonal(6, 20 * PERIOD);
    // A clock that reads "before the deadline" for its first three readings, then after it.
    let readings = 0;
    const clock = (): number => (readings++ < 3 ? 0 : 2);
    const fitted = fitSarima(values, { ...hourly([PERIOD]), deadlineMs: 1 }, clock);
    expect(fitted.info.notes.join(' ')).toMatch(/stopped at the deadline/);
    const forecast = fitted.predict(PERIOD, [0.9]);
    expect(forecast.point.every(Number.isFinite)).toBe(true);
    expect(() => assertPlausibleForecast(forecast, values)).not.toThrow();
  });

  it('forecasts a constant series as that constant', async () => {
    const fitted = await sarima.fit(new Array(100).fill(7), hourly([PERIOD]));
    const forecast = fitted.predict(5, [0.8]);
    expect(forecast.point).toEqual([7, 7, 7, 7, 7]);
    expect(forecast.intervals[0]?.lower).toEqual([7, 7, 7, 7, 7]);
  });

  it('chooses the log scale for multiplicative seasonality and keeps forecasts positive', async () => {
    const e = normals(8, 30 * PERIOD);
    // Level grows 3× over the history while the daily swing stays proportional to it.
    const values = e.map((z, t) => Math.exp(Math.log(100) + (t / (30 * PERIOD)) * Math.log(3) + 0.8 * Math.sin((2 * Math.PI * t) / PERIOD) + 0.05 * z));
    const fitted = await sarima.fit(values, hourly([PERIOD]));
    expect((fitted.info as SarimaInfo).transform).toBe('log');
    const forecast = fitted.predict(PERIOD, [0.95]);
    expect(Math.min(...(forecast.intervals[0]?.lower as number[]))).toBeGreaterThan(0);
  });

  it('rejects a horizon below 1 and levels outside (0, 1) with PRESCIENT_ERR_VALIDATION', async () => {
    const fitted = await sarima.fit(ar1Seasonal(9, 5 * PERIOD), hourly([PERIOD]));
    expect(() => fitted.predict(0, [0.8])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
    expect(() => fitted.predict(3, [1.2])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });
});
