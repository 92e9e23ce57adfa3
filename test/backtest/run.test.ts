import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../src/backtest/run.js';

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
});
