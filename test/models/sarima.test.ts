import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FitContext } from '../../src/models/forecaster.js';
import { fitSarima, sarima, type SarimaInfo } from '../../src/models/sarima.js';
import { reviewForecast } from '../../src/models/validate.js';
import { regularize } from '../../src/series/regularize.js';
import { readSamplesFile } from '../../src/sources/file.js';
import { ar1Seasonal, hourly, PERIOD, seasonalMean } from './sarima-synthetic.js';

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

  it('fits 5-minute data with daily and weekly periods [288, 2016]: finite, plausible, intervals widen', async () => {
    const samples = await readSamplesFile(join(import.meta.dirname, '..', '..', 'data', 'nab', 'grok_asg_anomaly.csv'));
    const { series } = regularize(samples, { stepSeconds: 300 });
    const values = [...series.values];
    const ctx: FitContext = {
      stepSeconds: 300,
      startMs: series.startMs,
      seasonalPeriods: [288, 2016],
      deadlineMs: Date.now() + 30_000,
      seed: 1,
    };
    const fitted = await sarima.fit(values, ctx);
    const info = fitted.info as SarimaInfo;
    expect(Object.keys(info.harmonics).sort()).toEqual(['2016', '288']);
    const forecast = fitted.predict(288, [0.8, 0.95]);
    expect(forecast.point).toHaveLength(288);
    expect(reviewForecast(forecast, values, { lower: null }).adjustments).toEqual([]);
    const [i80, i95] = forecast.intervals;
    const width = (i: typeof i80, h: number): number => (i?.upper[h] as number) - (i?.lower[h] as number);
    expect(width(i80, 287)).toBeGreaterThan(width(i80, 0));
    for (const h of [0, 100, 287]) expect(width(i95, h)).toBeGreaterThan(width(i80, h));
  });

  it('drops a season with fewer than two cycles of history and says so', async () => {
    const values = ar1Seasonal(3, 10 * PERIOD);
    const fitted = await sarima.fit(values, hourly([PERIOD, 7 * PERIOD]));
    const info = fitted.info as SarimaInfo;
    expect(Object.keys(info.harmonics)).not.toContain('168');
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
    expect(reviewForecast(forecast, values, { lower: null }).adjustments).toEqual([]);
  });

  it('forecasts a constant series as that constant', async () => {
    const fitted = await sarima.fit(new Array(100).fill(7), hourly([PERIOD]));
    const forecast = fitted.predict(5, [0.8]);
    expect(forecast.point).toEqual([7, 7, 7, 7, 7]);
    expect(forecast.intervals[0]?.lower).toEqual([7, 7, 7, 7, 7]);
  });

  it('rejects a horizon below 1 and levels outside (0, 1) with PRESCIENT_ERR_VALIDATION', async () => {
    const fitted = await sarima.fit(ar1Seasonal(9, 5 * PERIOD), hourly([PERIOD]));
    expect(() => fitted.predict(0, [0.8])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
    expect(() => fitted.predict(3, [1.2])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });
});
