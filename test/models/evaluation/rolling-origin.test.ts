import { describe, expect, it } from 'vitest';
import { evaluate, originIndicesFor } from '../../../src/models/evaluation/rolling-origin.js';
import { PrescientError } from '../../../src/errors.js';
import type { Forecaster } from '../../../src/models/forecaster.js';
import { mstl } from '../../../src/models/mstl.js';
import { seasonalNaive } from '../../../src/models/seasonal-naive.js';
import type { Series } from '../../../src/series/series.js';

const STEP = 3600;
const DAY = 24;

/** Hourly series with a daily cycle (exactly periodic) and, optionally, a spike. */
function dailySeries(days: number, spikeAt?: number): Series {
  const values = Array.from({ length: days * DAY }, (_, i) => 100 + 50 * Math.sin((2 * Math.PI * (i % DAY)) / DAY));
  if (spikeAt !== undefined) values[spikeAt] = 10_000;
  return { startMs: Date.UTC(2024, 0, 1), stepSeconds: STEP, values };
}

/**
 * A real model that forecasts the maximum of what it saw (and remembers every
 * history it was given), to show exactly which values reached the fit.
 */
function maxModel(seen: number[][]): Forecaster {
  return {
    name: 'max-seen',
    minLength: () => 2,
    async fit(values) {
      seen.push([...values]);
      const max = Math.max(...values);
      return {
        info: { model: 'max-seen', notes: [] },
        predict: (horizon, levels) => ({
          point: Array(horizon).fill(max),
          intervals: levels.map((level) => ({ level, lower: Array(horizon).fill(max - 1), upper: Array(horizon).fill(max + 1) })),
        }),
        dispose() {},
      };
    },
  };
}

describe('originIndicesFor', () => {
  it('places the last origin one horizon before the end and earlier ones a spacing apart', () => {
    expect(originIndicesFor(100, 3, 10, 5)).toEqual([80, 85, 90]);
    expect(originIndicesFor(12, 5, 4, 4)).toEqual([4, 8]);
  });
});

describe('evaluate', () => {
  it('gives each fit only the history before its origin: an origin before a spike does not know it', async () => {
    const spikeAt = 6 * DAY + 5;
    const series = dailySeries(8, spikeAt);
    const seen: number[][] = [];
    const result = await evaluate({
      series,
      models: [maxModel(seen), seasonalNaive],
      origins: [5 * DAY, 6 * DAY, 7 * DAY],
      horizonSteps: DAY,
      seasonalPeriods: [DAY],
    });
    // The fit at origin 6·DAY saw exactly values[0 .. 6·DAY) and nothing of the spike.
    expect(seen[1]).toEqual(series.values.slice(0, 6 * DAY));
    const [beforeA, beforeB, after] = (result.models[0]?.origins ?? []).map((o) => Math.max(...(o.forecast?.point ?? [])));
    expect(beforeA).toBeLessThan(200);
    expect(beforeB).toBeLessThan(200);
    expect(after).toBe(10_000);
    // Seasonal naive at the spike's origin repeats the day before: no spike either.
    const snaiveAtSpike = result.models[1]?.origins[1]?.forecast?.point ?? [];
    expect(Math.max(...snaiveAtSpike)).toBeLessThan(200);
    // …and pays for it in its score for that day, while the other days are exact.
    expect(result.models[1]?.origins[0]?.metrics?.mase).toBeCloseTo(0, 9);
    expect(result.models[1]?.origins[1]?.metrics?.mase).toBeGreaterThan(1);
  });

  it('carries the selection of one fit into the next only when asked', async () => {
    // A selecting model: each fit records the selection it was given and makes a new one.
    const given: (string | undefined)[] = [];
    const selecting: Forecaster = {
      name: 'selecting',
      minLength: () => 2,
      async fit(values, ctx) {
        given.push(ctx.selection?.model);
        const selection = { model: `chosen-at-${values.length}`, members: ['x'], stepSeconds: STEP, seasonalPeriods: [], selectedAtMs: 0, notes: [] };
        return {
          info: { model: 'selecting', notes: [], selection },
          predict: (horizon, levels) => ({
            point: Array(horizon).fill(1),
            intervals: levels.map((level) => ({ level, lower: Array(horizon).fill(0), upper: Array(horizon).fill(2) })),
          }),
          dispose() {},
        };
      },
    };
    const options = { series: dailySeries(6), models: [selecting], origins: [48, 60, 72], horizonSteps: 6, seasonalPeriods: [DAY] };
    await evaluate({ ...options, carrySelection: true });
    expect(given).toEqual([undefined, 'chosen-at-48', 'chosen-at-60']);
    given.length = 0;
    await evaluate(options);
    expect(given).toEqual([undefined, undefined, undefined]);
  });

  it('caps the history and scores against the actuals after each origin', async () => {
    const series = dailySeries(10);
    const seen: number[][] = [];
    const result = await evaluate({
      series,
      models: [maxModel(seen), seasonalNaive],
      origins: 3,
      spacingSteps: 12,
      horizonSteps: DAY,
      historyCapSteps: 3 * DAY,
      seasonalPeriods: [DAY],
    });
    expect(result.originIndices).toEqual([10 * DAY - DAY - 24, 10 * DAY - DAY - 12, 10 * DAY - DAY]);
    expect(seen.every((h) => h.length === 3 * DAY)).toBe(true);
    expect(result.models[0]?.origins[0]?.historyStartIndex).toBe(result.originIndices[0]! - 3 * DAY);
    const snaive = result.models[1]!;
    // A perfectly periodic series: seasonal naive is exact, covered everywhere.
    expect(snaive.aggregate.mase).toBeCloseTo(0, 9);
    expect(snaive.aggregate.smape).toBeCloseTo(0, 9);
    expect(snaive.aggregate.coverage['0.8']).toBe(1);
    expect(snaive.aggregate.coverage['0.95']).toBe(1);
    expect(snaive.aggregate.originsScored).toBe(3);
    expect(snaive.origins[0]?.actual).toEqual(series.values.slice(result.originIndices[0]!, result.originIndices[0]! + DAY));
    // The max model always forecasts 150, the cycle's top: MAE over a day of a sine = 50 · (1 − mean|…|) > 0.
    expect(result.models[0]?.aggregate.mase).toBeGreaterThan(1);
  });

  it('reports the mean fit time per origin, in ms', async () => {
    // A model whose fit takes at least 30 ms.
    const slow: Forecaster = {
      ...seasonalNaive,
      name: 'slow-naive',
      async fit(values, ctx) {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return seasonalNaive.fit(values, ctx);
      },
    };
    const started = performance.now();
    const result = await evaluate({ series: dailySeries(6), models: [slow], origins: 3, spacingSteps: 12, horizonSteps: DAY, seasonalPeriods: [DAY] });
    const wallMs = performance.now() - started;
    const fitTimeMs = result.models[0]!.aggregate.fitTimeMs;
    expect(fitTimeMs).toBeGreaterThanOrEqual(29);
    // A mean, not a sum: three origins' fits fit in the wall time three times over.
    expect(3 * fitTimeMs).toBeLessThanOrEqual(wallMs);
  });

  it('scores an explicit origin near the end on the actuals that exist', async () => {
    const series = dailySeries(4);
    const result = await evaluate({ series, models: [seasonalNaive], origins: [4 * DAY - 6], horizonSteps: DAY, seasonalPeriods: [DAY] });
    const origin = result.models[0]!.origins[0]!;
    expect(origin.actual).toHaveLength(6);
    expect(origin.forecast?.point).toHaveLength(DAY);
    expect(origin.metrics?.mase).toBeCloseTo(0, 9);
  });

  it('records a model that cannot fit an origin as a failure and leaves it out of the aggregate', async () => {
    const series = dailySeries(5);
    // mstl needs at least 10 values: the origin at 5 is too early.
    const result = await evaluate({
      series,
      models: [mstl],
      origins: [5, 3 * DAY, 4 * DAY],
      horizonSteps: DAY,
      seasonalPeriods: [DAY],
    });
    const model = result.models[0]!;
    expect(model.origins[0]?.error?.code).toBe('PRESCIENT_ERR_SERIES_TOO_SHORT');
    expect(model.aggregate.failures).toBe(1);
    expect(model.aggregate.originsScored).toBe(2);
  });

  it('stops fitting at the deadline and says so', async () => {
    const result = await evaluate({
      series: dailySeries(4),
      models: [seasonalNaive],
      origins: 2,
      horizonSteps: DAY,
      seasonalPeriods: [DAY],
      deadlineMs: Date.now() - 1,
    });
    expect(result.deadlineHit).toBe(true);
    expect(result.models[0]?.origins.every((o) => o.error?.code === 'PRESCIENT_ERR_FIT_TIMEOUT')).toBe(true);
    expect(Number.isNaN(result.models[0]?.aggregate.mase)).toBe(true);
  });

  it('scores a real model that fits the series better than the seasonal naive of its scale', async () => {
    // Periodic plus seeded noise, so the seasonal-naive scale is not zero.
    let state = 7;
    const noisy = dailySeries(6);
    const values = noisy.values.map((v) => {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      return v + (state / 2_147_483_648 - 0.5) * 10;
    });
    const result = await evaluate({
      series: { ...noisy, values },
      models: [mstl],
      origins: 1,
      horizonSteps: DAY,
      seasonalPeriods: [DAY],
    });
    expect(result.models[0]?.aggregate.originsScored).toBe(1);
    expect(result.models[0]?.aggregate.mase).toBeLessThan(1);
  });

  it('rejects bad options with PRESCIENT_ERR_VALIDATION listing each problem', async () => {
    const err = await evaluate({
      series: dailySeries(2),
      models: [seasonalNaive],
      origins: [1, 99_999],
      horizonSteps: 0,
      seasonalPeriods: [],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrescientError);
    expect((err as PrescientError).code).toBe('PRESCIENT_ERR_VALIDATION');
    expect((err as PrescientError).issues.length).toBe(3);
  });
});
