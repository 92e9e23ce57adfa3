/**
 * The frontier's fast path (a ForecastTrack read once per quantile, the
 * policy's rules fed numbers) must replay exactly what the service's own
 * recommend() would, fed the served forecast at every sync: checked on a
 * real series (NAB realTweets AAPL, the last day) with seasonal-naive
 * refits every 15 minutes, for every setting of the frontier grid.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FRONTIER_LEVELS, frontierGrid } from '../../src/backtest/frontier.js';
import { defaultHpaParams, simulateHpa, type HpaMetric } from '../../src/backtest/hpa-model.js';
import { defaultCapacityPerReplica } from '../../src/backtest/replay.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from '../../src/backtest/replay-world.js';
import { evaluate } from '../../src/models/evaluation/rolling-origin.js';
import { seasonalNaive } from '../../src/models/seasonal-naive.js';
import { RecommendationTracker, type ForecastLike, type ScalingPolicy } from '../../src/scaling/policy.js';
import { regularize } from '../../src/series/regularize.js';
import type { Series } from '../../src/series/series.js';
import { readSamplesFile } from '../../src/sources/file.js';

const STEP = 300;
const DAY = 288;
const REFIT_STEPS = 3;
const LEAD = 180;

async function tweets(): Promise<Series> {
  const samples = await readSamplesFile(join(import.meta.dirname, '../../data/nab/realTweets/Twitter_volume_AAPL.csv'));
  return regularize(samples, { stepSeconds: STEP }).series;
}

/** Seasonal-naive forecasts made every 15 minutes over the last day, a few of them dropped as failed refits. */
async function servedForecasts(series: Series, startIndex: number): Promise<ServedForecastLike[]> {
  const origins: number[] = [];
  for (let i = startIndex; i < series.values.length; i += REFIT_STEPS) origins.push(i);
  const result = await evaluate({ series, models: [seasonalNaive], origins, horizonSteps: REFIT_STEPS + 2, levels: FRONTIER_LEVELS, seasonalPeriods: [DAY], historyCapSteps: 7 * DAY });
  return (result.models[0]?.origins ?? []).map((o, k) => {
    const startMs = series.startMs + o.originIndex * STEP * 1000;
    const base = { model: 'snaive', startMs, stepSeconds: STEP, lastObserved: { atMs: startMs, value: Number.NaN } };
    // Every 17th refit "failed": the previous forecast stays in force, then runs past its horizon.
    if (!o.forecast || k % 17 === 5) return { ...base, point: [], intervals: [], error: 'failed' };
    return { ...base, point: o.forecast.point, intervals: o.forecast.intervals };
  });
}

/** The reference: recommend() itself, fed the forecast in force at every sync, through the same HPA model. */
function referenceRun(world: ReplayWorld, scaling: ScalingPolicy, forecastAt: (tMs: number) => ForecastLike | undefined, initialReplicas: number) {
  const tracker = new RecommendationTracker();
  const reactiveTarget = world.options.hpaUtilisation * world.options.capacityPerReplica;
  let fallbackTicks = 0;
  const timeline = simulateHpa(
    { ...defaultHpaParams, scaleDownStabilizationSeconds: 0, startupDelaySeconds: world.options.startupDelaySeconds, minReplicas: world.options.minReplicas, maxReplicas: world.options.maxReplicas, initialReplicas },
    world.startMs,
    world.ticks,
    (tMs, current): HpaMetric[] => {
      const reactive = { total: world.observedAt(tMs), targetAverageValue: reactiveTarget };
      const forecast = forecastAt(tMs);
      if (forecast) {
        try {
          const rec = tracker.recommend({ forecast, scaling, nowMs: tMs, observedLoad: world.observedAt(tMs), currentReplicas: current.spec });
          const replicas = { total: rec.replicas, targetAverageValue: 1 };
          return world.options.reactiveTrigger ? [replicas, reactive] : [replicas];
        } catch {
          // recommend() refused: the reactive signal alone.
        }
      }
      fallbackTicks++;
      return [reactive];
    },
  );
  return { timeline, fallbackTicks };
}

describe('ReplayWorld forecast policies', () => {
  it('replay every frontier setting exactly as recommend() fed the served forecast at each sync would, on realTweets AAPL', async () => {
    const series = await tweets();
    const startIndex = series.values.length - DAY;
    const forecasts = await servedForecasts(series, startIndex);
    expect(forecasts.filter((f) => f.error !== undefined).length).toBeGreaterThan(3);
    const capacityPerReplica = defaultCapacityPerReplica(series.values.slice(0, startIndex), 0.7);
    let compared = 0;
    let withFallback = 0;
    for (const reactiveTrigger of [true, false]) {
      const world = new ReplayWorld({ series, startIndex, endIndex: series.values.length, capacityPerReplica, startupDelaySeconds: 120, metricLagSeconds: 60, minReplicas: 1, maxReplicas: 1000, hpaUtilisation: 0.7, reactiveTrigger });
      const forecastAt = servedAt(forecasts, world.startMs, REFIT_STEPS * STEP * 1000);
      const track = new ForecastTrack(world, forecastAt, LEAD);
      const initialReplicas = Math.ceil(series.values[startIndex]! / (0.7 * capacityPerReplica) - 1e-9);
      // The grid, plus a guard at a level the forecasts lack (recommend() refuses: every sync falls back).
      const settings = [...frontierGrid(LEAD), { quantile: 0.9, scaleInGuardQuantile: 0.995, utilisation: 0.9, leadTimeSeconds: LEAD }];
      for (const knobs of settings) {
        const scaling: ScalingPolicy = { capacityPerReplica, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 }, ...knobs };
        const fast = world.forecastPolicy(scaling, track);
        const reference = referenceRun(world, scaling, forecastAt, initialReplicas);
        expect(fast.timeline).toEqual(reference.timeline);
        expect(fast.fallbackTicks).toBe(reference.fallbackTicks);
        compared++;
        if (fast.fallbackTicks > 0) withFallback++;
      }
      expect(world.forecastPolicy({ capacityPerReplica, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 }, ...settings[21]! }, track).fallbackTicks).toBe(world.ticks);
    }
    expect(compared).toBe(44);
    // The failed refits left stretches past the last forecast's horizon: the fallback path was compared too.
    expect(withFallback).toBe(44);
  });

  it('steps over the syncs where nothing changes and gives the same timeline as stepping every sync, clamps and scale-in limits included', async () => {
    const series = await tweets();
    const startIndex = series.values.length - DAY;
    const forecasts = await servedForecasts(series, startIndex);
    const capacityPerReplica = defaultCapacityPerReplica(series.values.slice(0, startIndex), 0.7);
    const decide = vi.spyOn(RecommendationTracker.prototype, 'decide');
    let steppedOver = 0;
    for (const reactiveTrigger of [true, false]) {
      // Few replicas allowed either way (min 6, max 14) so the clamps bind; and a world where they do not.
      for (const [minReplicas, maxReplicas] of [[6, 14], [1, 1000]] as const) {
        const world = new ReplayWorld({ series, startIndex, endIndex: series.values.length, capacityPerReplica, startupDelaySeconds: 120, metricLagSeconds: 60, minReplicas, maxReplicas, hpaUtilisation: 0.7, reactiveTrigger });
        const track = new ForecastTrack(world, servedAt(forecasts, world.startMs, REFIT_STEPS * STEP * 1000), LEAD);
        for (const scaleIn of [
          { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
          { intervalSeconds: 120, stabilizationWindowSeconds: 0, maxPercent: 10 },
          { intervalSeconds: 60, stabilizationWindowSeconds: 600, maxReplicas: 1 },
        ]) {
          for (const knobs of frontierGrid(LEAD)) {
            const scaling: ScalingPolicy = { capacityPerReplica, minReplicas, maxReplicas, scaleIn, ...knobs };
            decide.mockClear();
            const fast = world.forecastPolicy(scaling, track);
            const fastCalls = decide.mock.calls.length;
            const every = world.forecastPolicy(scaling, track, { everySync: true });
            expect(fast.timeline).toEqual(every.timeline);
            expect(fast.stats).toEqual(every.stats);
            expect(fast.fallbackTicks).toBe(every.fallbackTicks);
            steppedOver += decide.mock.calls.length - fastCalls - fastCalls;
          }
        }
      }
    }
    decide.mockRestore();
    // The fast path was taken: fewer decisions than syncs stepped one by one.
    expect(steppedOver).toBeGreaterThan(0);
  });

  it('refuses a track made for another lead time with PRESCIENT_ERR_VALIDATION', async () => {
    const series = await tweets();
    const startIndex = series.values.length - 12;
    const world = new ReplayWorld({ series, startIndex, endIndex: series.values.length, capacityPerReplica: 10, startupDelaySeconds: 120, metricLagSeconds: 60, minReplicas: 1, maxReplicas: 1000, hpaUtilisation: 0.7, reactiveTrigger: true });
    const track = new ForecastTrack(world, () => undefined, 360);
    const scaling: ScalingPolicy = { capacityPerReplica: 10, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 }, quantile: 0.9, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: 180 };
    expect(() => world.forecastPolicy(scaling, track)).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });
});
