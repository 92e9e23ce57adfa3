/**
 * Shared set-up for the autoscaler-path benchmarks (keda-getmetrics.ts,
 * keda-metrics-api.ts): a config with one scaled target whose forecast is a
 * real MSTL fit of the NYC taxi series, and the fit pool kept busy fitting
 * MSTL on the whole series while the benchmark runs (fits never block serving).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { configSchema, type Config } from '../src/config/schema.js';
import { FitPool } from '../src/engine/pool.js';
import { TargetStates, type TargetForecast } from '../src/engine/target-state.js';
import { mstl } from '../src/models/mstl.js';
import { regularize } from '../src/series/regularize.js';
import { readSamplesFile } from '../src/sources/file.js';

export const TAXI_CSV = fileURLToPath(new URL('../data/nab/nyc_taxi.csv', import.meta.url));
export const AUTH_TOKEN = 'bench-token-0123456789abcdef';
const STEP_SECONDS = 1800;
const DAY_STEPS = 48;

export function benchConfig(): Config {
  return configSchema.parse({
    server: { host: '127.0.0.1', port: 0, grpcPort: 0, authToken: AUTH_TOKEN },
    targets: [
      {
        name: 'taxi',
        source: { type: 'file', path: TAXI_CSV },
        levels: [0.8, 0.95],
        scaling: { capacityPerReplica: 1000, quantile: 0.9, leadTime: '45m', minReplicas: 2, maxReplicas: 60, scaleIn: { maxPercent: 20 } },
      },
    ],
  });
}

/** Fits MSTL on the last 28 days of the taxi series and stores the forecast as made now. */
export async function statesWithRealForecast(config: Config): Promise<TargetStates> {
  const { series } = regularize(await readSamplesFile(TAXI_CSV), { stepSeconds: STEP_SECONDS });
  const values = series.values.slice(-28 * DAY_STEPS);
  const fitted = await mstl.fit(values, {
    stepSeconds: STEP_SECONDS,
    startMs: 0,
    seasonalPeriods: [DAY_STEPS, 7 * DAY_STEPS],
    deadlineMs: Date.now() + 60_000,
    seed: 1,
  });
  const forecast = fitted.predict(2 * DAY_STEPS, [0.8, 0.95]);
  fitted.dispose();
  const nowMs = Date.now();
  const states = new TargetStates(config.targets);
  const stored: TargetForecast = {
    target: 'taxi',
    model: 'mstl',
    generatedAtMs: nowMs,
    startMs: nowMs,
    stepSeconds: STEP_SECONDS,
    point: forecast.point,
    intervals: forecast.intervals,
    lastObserved: { atMs: nowMs - STEP_SECONDS * 1000, value: values[values.length - 1] ?? 0 },
    filledGaps: 0,
    seasonalPeriods: [DAY_STEPS, 7 * DAY_STEPS],
    notes: [],
  };
  states.setForecast('taxi', stored);
  return states;
}

export interface FitLoad {
  /** Stops fitting; resolves with the fits finished and their mean duration. */
  stop(): Promise<{ fits: number; meanFitMs: number }>;
}

/**
 * Keeps the service's own fit pool (piscina, one worker thread) busy fitting
 * MSTL on the whole taxi series (about 10 k points, seasons of 1 day and 1
 * week) back to back, from the first fit until stop().
 */
export async function startFitLoad(): Promise<FitLoad> {
  const { series } = regularize(await readSamplesFile(TAXI_CSV), { stepSeconds: STEP_SECONDS });
  const pool = new FitPool({ targets: { threads: 1, maxQueue: 4 }, requests: { threads: 1, maxQueue: 0 }, fitTimeoutMs: 120_000 });
  const durations: number[] = [];
  let running = true;
  const fitOnce = async (): Promise<void> => {
    const started = performance.now();
    await pool.run({
      model: 'mstl',
      values: series.values,
      ctx: { stepSeconds: STEP_SECONDS, startMs: series.startMs, seasonalPeriods: [DAY_STEPS, 7 * DAY_STEPS], seed: 1 },
      horizon: 2 * DAY_STEPS,
      levels: [0.8, 0.95],
    });
    durations.push(performance.now() - started);
  };
  // The first fit proves the worker is up and busy before measuring starts.
  await fitOnce();
  const loop = (async () => {
    while (running) await fitOnce();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await pool.close();
      const fits = durations.length;
      return { fits, meanFitMs: fits ? durations.reduce((a, b) => a + b, 0) / fits : 0 };
    },
  };
}

/** Event-loop delay of this (server) process while measuring, ms. */
export function watchEventLoop(): () => { p50Ms: number; p99Ms: number; maxMs: number } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return () => {
    histogram.disable();
    return { p50Ms: histogram.percentile(50) / 1e6, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
  };
}
