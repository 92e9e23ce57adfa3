import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/run.js';
import { detectSeasonalPeriods } from '../../src/series/seasonality.js';

describe('runBacktest', () => {
  it('rejects a series with a gap left in it, with a coded error naming the value', async () => {
    const values = Array.from({ length: 3 * 288 }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288));
    values[500] = Number.NaN;
    await expect(runBacktest({ series: { startMs: Date.UTC(2024, 0, 1), stepSeconds: 300, values }, source: 'inline', models: ['snaive'], origins: 1 })).rejects.toMatchObject({
      code: 'PRESCIENT_ERR_SERIES_INVALID',
      message: expect.stringMatching(/value 500 of the series is NaN/),
    });
  });

  it('rejects an unregistered model with PRESCIENT_ERR_MODEL_UNKNOWN before fitting anything', async () => {
    const values = Array.from({ length: 3 * 288 }, (_, i) => 100 + 10 * Math.sin((2 * Math.PI * i) / 288));
    await expect(runBacktest({ series: { startMs: Date.UTC(2024, 0, 1), stepSeconds: 300, values }, source: 'inline', models: ['nope'], origins: 1 })).rejects.toMatchObject({
      code: 'PRESCIENT_ERR_MODEL_UNKNOWN',
    });
  });

  it('detects seasons on the history before the first origin, never on the replayed days', async () => {
    // Hourly: a daily cycle throughout, and a weekly one that only the last two weeks carry.
    const hours = 24 * 35;
    const values = Array.from({ length: hours }, (_, i) => {
      const daily = 100 + 30 * Math.sin((2 * Math.PI * i) / 24);
      const weekly = i >= hours - 24 * 14 && Math.floor(i / 24) % 7 >= 5 ? 120 : 0;
      return daily + weekly;
    });
    const series = { startMs: Date.UTC(2024, 0, 1), stepSeconds: 3600, values };
    const result = await runBacktest({ series, source: 'inline', models: ['snaive'], origins: 14, replay: false });
    const firstOrigin = (result.originsMs[0] as number - series.startMs) / 3_600_000;
    expect(firstOrigin).toBe(hours - 24 * 14);
    const before = detectSeasonalPeriods(values.slice(0, firstOrigin), 3600).map((p) => p * 3600);
    expect(result.settings.seasonalPeriodsSeconds).toEqual(before);
    expect(result.settings.seasonalPeriodsSeconds).toContain(86_400);
    // The whole file would have given the weekly season the replayed fortnight alone carries.
    expect(detectSeasonalPeriods(values, 3600)).toContain(168);
    expect(result.settings.seasonalPeriodsSeconds).not.toContain(604_800);
  });
});
