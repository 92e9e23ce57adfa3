import { describe, expect, it } from 'vitest';
import { sarima, type SarimaInfo } from '../../src/models/sarima.js';
import { ar1Seasonal, hourly, normals, PERIOD } from './sarima-synthetic.js';

/** Many fits of hourly series (the arima package competes on each): tens of seconds. */
describe('sarima (slow)', () => {
  it('gives honest intervals on the synthetic series: 80 % and 95 % cover about that share of what follows', async () => {
    let inside80 = 0;
    let inside95 = 0;
    let count = 0;
    for (let seed = 10; seed < 22; seed++) {
      const all = ar1Seasonal(seed, 21 * PERIOD + PERIOD);
      const history = all.slice(0, 21 * PERIOD);
      const future = all.slice(21 * PERIOD);
      const fitted = await sarima.fit(history, hourly([PERIOD]));
      const forecast = fitted.predict(PERIOD, [0.8, 0.95]);
      fitted.dispose();
      const [i80, i95] = forecast.intervals;
      future.forEach((v, h) => {
        if (v >= (i80?.lower[h] as number) && v <= (i80?.upper[h] as number)) inside80++;
        if (v >= (i95?.lower[h] as number) && v <= (i95?.upper[h] as number)) inside95++;
        count++;
      });
    }
    // 288 steps (12 seeded series × 24): nominal ± about three standard errors, on both sides, so intervals
    // that are too narrow or too wide both fail (measured here: 0.788 and 0.934).
    expect(inside80 / count).toBeGreaterThan(0.72);
    expect(inside80 / count).toBeLessThan(0.88);
    expect(inside95 / count).toBeGreaterThan(0.9);
    expect(inside95 / count).toBeLessThan(0.99);
  }, 240_000);

  it('chooses the log scale for multiplicative seasonality and keeps forecasts positive', async () => {
    const e = normals(8, 30 * PERIOD);
    // Level grows 3× over the history while the daily swing stays proportional to it.
    const values = e.map((z, t) =>
      Math.exp(Math.log(100) + (t / (30 * PERIOD)) * Math.log(3) + 0.8 * Math.sin((2 * Math.PI * t) / PERIOD) + 0.05 * z),
    );
    const fitted = await sarima.fit(values, hourly([PERIOD]));
    expect((fitted.info as SarimaInfo).transform).toBe('log');
    const forecast = fitted.predict(PERIOD, [0.95]);
    expect(Math.min(...(forecast.intervals[0]?.lower as number[]))).toBeGreaterThan(0);
  });

  it('uses true SARIMA from the arima package when the season itself evolves (hourly data, s = 24), and recovers its MA terms', async () => {
    // y[t] = y[t−24] + e[t] + 0.5 e[t−1] − 0.4 e[t−24]: a seasonal random walk, which fixed harmonics cannot follow.
    const e = normals(1, 30 * PERIOD);
    const y: number[] = [];
    e.forEach((z, t) => {
      const base = t < PERIOD ? 10 + 5 * Math.sin((2 * Math.PI * t) / PERIOD) : (y[t - PERIOD] as number);
      y.push(base + z + (t >= 1 ? 0.5 * (e[t - 1] as number) : 0) - (t >= PERIOD ? 0.4 * (e[t - PERIOD] as number) : 0));
    });
    const fitted = await sarima.fit(y, hourly([PERIOD]));
    try {
      const info = fitted.info as SarimaInfo;
      expect(info.method).toBe('seasonal-arima');
      expect(info.seasonalOrder).toEqual([0, 1, 1, 24]);
      expect(info.sma?.[0]).toBeGreaterThan(-0.6);
      expect(info.sma?.[0]).toBeLessThan(-0.2);
      expect(info.sigma2).toBeGreaterThan(0.8);
      expect(info.sigma2).toBeLessThan(1.3);
      const forecast = fitted.predict(2 * PERIOD, [0.8]);
      const [i80] = forecast.intervals;
      // Intervals widen once the seasonal difference's variance adds up after one season.
      expect((i80?.upper[2 * PERIOD - 1] as number) - (i80?.lower[2 * PERIOD - 1] as number)).toBeGreaterThan(
        (i80?.upper[0] as number) - (i80?.lower[0] as number),
      );
    } finally {
      fitted.dispose();
    }
    // Disposed: the package model's WASM memory is gone.
    expect(() => fitted.predict(1, [0.8])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_INTERNAL' }));
  });
});
