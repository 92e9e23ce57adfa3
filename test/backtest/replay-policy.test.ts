/**
 * The replay's own decisions (src/backtest/replay.ts), driven in
 * milliseconds: the predictive model is a tiny deterministic Forecaster that
 * records what each fit was given, so the refit cadence, the history each
 * refit sees, the references and how each is sized, the accounting and the
 * JSON result can be checked exactly. The HPA model, the policy, the
 * rolling-origin evaluation and the seasonal-naive reference are the real
 * code. test/backtest/replay.test.ts replays real models (tens of seconds).
 */
import { describe, expect, it } from 'vitest';
import { FRONTIER_LEVELS } from '../../src/backtest/frontier.js';
import { defaultCapacityPerReplica, replay, type ReplayOptions, type ReplayResult } from '../../src/backtest/replay.js';
import { watchdogSchema } from '../../src/config/schema.js';
import type { KnownEvent } from '../../src/events/event.js';
import type { FitContext, Forecaster } from '../../src/models/forecaster.js';
import type { Series } from '../../src/series/series.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;

function series(values: readonly number[], stepSeconds = 60): Series {
  return { startMs: T0, stepSeconds, values: [...values] };
}

interface Fit {
  readonly values: readonly number[];
  readonly ctx: FitContext;
}

/**
 * A forecaster whose forecast is flat at `level(history)`; the interval at
 * level l has upper bound point + widen × l (and lower point − widen × l), so
 * which level a reader took shows in the number. Fit number k (0-based)
 * throws when `fails(k)`. Records every fit and every predict.
 */
function stub(level: (values: readonly number[]) => number, options: { widen?: number; fails?: (k: number) => boolean; name?: string; selection?: boolean } = {}) {
  const fits: Fit[] = [];
  const predicts: { horizon: number; levels: readonly number[] }[] = [];
  const widen = options.widen ?? 0;
  const name = options.name ?? 'stub';
  const forecaster: Forecaster = {
    name,
    minLength: () => 1,
    fit: async (values, ctx) => {
      const k = fits.length;
      fits.push({ values: [...values], ctx });
      if (options.fails?.(k)) throw new Error(`fit ${k} failed on purpose`);
      const selection = options.selection
        ? { model: `${name}-choice-${k}`, members: [name], stepSeconds: ctx.stepSeconds, seasonalPeriods: [], selectedAtMs: ctx.startMs, notes: [] }
        : undefined;
      return {
        info: { model: `${name}-fitted`, notes: [], ...(selection ? { selection } : {}) },
        predict: (horizon, levels) => {
          predicts.push({ horizon, levels: [...levels] });
          const point = Array.from({ length: horizon }, () => level(values));
          return {
            point,
            intervals: levels.map((l) => ({ level: l, lower: point.map((p) => p - widen * l), upper: point.map((p) => p + widen * l) })),
          };
        },
        dispose: () => undefined,
      };
    },
  };
  return { forecaster, fits, predicts };
}

const last = (values: readonly number[]) => values[values.length - 1] as number;

/** 100 for `jumpAt` minutes, then 400, at one-minute steps. */
function jumpSeries(length = 90, jumpAt = 60): Series {
  return series(Array.from({ length }, (_, i) => (i < jumpAt ? 100 : 400)));
}

function base(s: Series, model: Forecaster, extra: Partial<ReplayOptions> = {}): ReplayOptions {
  return { series: s, startIndex: 30, model, seasonalPeriods: [], refitEverySteps: 10, capacityPerReplica: 100, frontier: false, ...extra };
}

function policy(result: ReplayResult, name: string) {
  const found = result.policies.find((p) => p.policy === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

/** Ready replicas of a policy at a minute of the series (the timeline samples each series step). */
function readyAt(result: ReplayResult, name: keyof ReplayResult['timeline']['readyReplicas'], minute: number): number {
  const k = result.timeline.timesMs.indexOf(T0 + minute * MIN);
  if (k < 0) throw new Error(`minute ${minute} is not replayed`);
  return result.timeline.readyReplicas[name][k] as number;
}

async function rejection(options: ReplayOptions): Promise<{ code: string; message: string; issues: unknown }> {
  try {
    await replay(options);
  } catch (err) {
    const e = err as { code: string; message: string; issues: unknown };
    return { code: e.code, message: e.message, issues: e.issues };
  }
  throw new Error('replay accepted options it should refuse');
}

// Bad input first: Stryker stops a run at the first failing test, and most mutants of the checks fail these.
describe('replay: bad input', () => {
  const s = jumpSeries(50);
  const model = stub(last).forecaster;
  const cases: Array<[Partial<ReplayOptions>, string]> = [
    [{ startIndex: 1 }, 'startIndex must be an integer ≥ 2'],
    [{ startIndex: 2.5 }, 'startIndex must be an integer ≥ 2'],
    [{ endIndex: 51 }, 'endIndex must be in (startIndex, 50]'],
    [{ endIndex: 30 }, 'endIndex must be in (startIndex, 50]'],
    [{ endIndex: 40.5 }, 'endIndex must be in (startIndex, 50]'],
    [{ refitEverySteps: 0 }, 'refitEverySteps must be a positive integer'],
    [{ refitEverySteps: 1.5 }, 'refitEverySteps must be a positive integer'],
    [{ capacityPerReplica: 0 }, 'capacityPerReplica must be > 0'],
    [{ capacityPerReplica: Number.NaN }, 'capacityPerReplica must be > 0'],
    [{ hpaUtilisation: 0 }, 'hpaUtilisation must be in (0, 1]'],
    [{ hpaUtilisation: 1.01 }, 'hpaUtilisation must be in (0, 1]'],
    [{ policyUtilisation: 0 }, 'policyUtilisation must be in (0, 1]'],
    [{ policyUtilisation: 1.01 }, 'policyUtilisation must be in (0, 1]'],
    [{ quantile: 0.5 }, 'quantile must be in (0.5, 1)'],
    [{ quantile: 1 }, 'quantile must be in (0.5, 1)'],
    [{ scaleInGuardQuantile: 0.5 }, 'scaleInGuardQuantile must be in (0.5, 1) or null'],
    [{ scaleInGuardQuantile: 1 }, 'scaleInGuardQuantile must be in (0.5, 1) or null'],
    [{ startupDelaySeconds: -1 }, 'startupDelaySeconds must be ≥ 0'],
    [{ metricLagSeconds: Number.POSITIVE_INFINITY }, 'metricLagSeconds must be ≥ 0'],
    [{ leadTimeSeconds: Number.NaN }, 'leadTimeSeconds must be ≥ 0'],
    [{ minReplicas: 0 }, 'minReplicas must be an integer ≥ 1'],
    [{ minReplicas: 1.5, maxReplicas: 3 }, 'minReplicas must be an integer ≥ 1'],
    [{ minReplicas: 3, maxReplicas: 2 }, 'maxReplicas must be an integer ≥ minReplicas'],
    [{ maxReplicas: 2.5 }, 'maxReplicas must be an integer ≥ minReplicas'],
  ];
  it.each(cases)('refuses %o with PRESCIENT_ERR_VALIDATION: %s', async (bad, message) => {
    expect(await rejection({ ...base(s, model), ...bad })).toEqual({
      code: 'PRESCIENT_ERR_VALIDATION',
      message: `invalid replay: ${message}`,
      issues: [{ path: 'replay', message }],
    });
  });

  it('names every problem at once', async () => {
    const all = await rejection({ ...base(s, model), startIndex: 0, endIndex: 99, refitEverySteps: 0, quantile: 2, minReplicas: 0 });
    expect(all.message).toBe(
      'invalid replay: startIndex must be an integer ≥ 2; endIndex must be in (startIndex, 50]; refitEverySteps must be a positive integer; quantile must be in (0.5, 1); minReplicas must be an integer ≥ 1',
    );
    expect(all.issues).toHaveLength(5);
  });

  it('accepts every option at the edge of its range', async () => {
    const edge = await replay({
      ...base(series([100, 100, 100, 100, 100, 100]), model),
      startIndex: 2,
      endIndex: 6,
      refitEverySteps: 1,
      hpaUtilisation: 1,
      policyUtilisation: 1,
      quantile: 0.51,
      scaleInGuardQuantile: 0.99,
      startupDelaySeconds: 0,
      metricLagSeconds: 0,
      leadTimeSeconds: 0,
      minReplicas: 3,
      maxReplicas: 3,
    });
    expect(policy(edge, 'predictive').refits).toBe(4);
    expect(edge.timeline.readyReplicas.reactive).toEqual([3, 3, 3, 3]);
  });
});

describe('defaultCapacityPerReplica', () => {
  it('is the 95th percentile of the finite history over 20 replicas at the HPA target', () => {
    // 40 values 1..40, shuffled, with non-finite ones: the 95th percentile is sorted[38] = 39.
    const values = Array.from({ length: 40 }, (_, i) => ((i * 17) % 40) + 1);
    expect(defaultCapacityPerReplica([Number.NaN, ...values, Number.POSITIVE_INFINITY], 0.5)).toBeCloseTo(39 / 20 / 0.5, 12);
    // 10 values: sorted[floor(9.5)] = the largest.
    expect(defaultCapacityPerReplica([5, 1, 9, 3, 10, 2, 8, 4, 7, 6], 1)).toBeCloseTo(10 / 20, 12);
    // No finite history: one unit; a history of zeros: a tiny capacity, never 0.
    expect(defaultCapacityPerReplica([Number.NaN], 0.7)).toBeCloseTo(1 / 20 / 0.7, 12);
    expect(defaultCapacityPerReplica([0, 0, 0], 0.5)).toBeCloseTo(1e-9 / 20 / 0.5, 20);
  });

  it('reads only the history before the replay (no look-ahead in the unit choice)', async () => {
    const values = Array.from({ length: 60 }, (_, i) => (i < 30 ? 10 : 1e6));
    const { forecaster } = stub(last);
    const result = await replay({ ...base(series(values), forecaster), capacityPerReplica: undefined, hpaUtilisation: 0.5 });
    expect(result.params.capacityPerReplica).toBeCloseTo(10 / 20 / 0.5, 12);
  });
});

describe('replay: refits', () => {
  it('refits at the start and every refitEverySteps, each fit on the values before its origin only', async () => {
    const values = Array.from({ length: 75 }, (_, i) => i + 1);
    const { forecaster, fits, predicts } = stub(last);
    const result = await replay(base(series(values), forecaster, { seasonalPeriods: [7, 14], seed: 42, quantile: 0.8, scaleInGuardQuantile: null, startupDelaySeconds: 60, metricLagSeconds: 30 }));
    // Origins 30, 40, … 70 (< 75): each fit sees exactly values[0, origin).
    expect(fits.map((f) => f.values.length)).toEqual([30, 40, 50, 60, 70]);
    for (const f of fits) expect(f.values).toEqual(values.slice(0, f.values.length));
    expect(fits.map((f) => f.ctx.seasonalPeriods)).toEqual(Array.from({ length: 5 }, () => [7, 14]));
    expect(fits.map((f) => f.ctx.seed)).toEqual([42, 42, 42, 42, 42]);
    expect(fits.map((f) => f.ctx.startMs)).toEqual([T0, T0, T0, T0, T0]);
    // Each forecast reaches the next refit plus the lead window (90 s = 2 steps) and one step more.
    expect(predicts.map((p) => p.horizon)).toEqual([13, 13, 13, 13, 13]);
    // The levels: the default two, the quantile's (2 × 0.8 − 1 = 0.6), no guard.
    expect(predicts[0]?.levels).toEqual([0.6, 0.8, 0.95]);
    expect(policy(result, 'predictive')).toMatchObject({ model: 'stub', refits: 5, refitFailures: 0 });
    expect(policy(result, 'snaive')).toMatchObject({ model: 'snaive', refits: 5, refitFailures: 0 });
    expect(result.params.refitEverySeconds).toBe(600);
    expect(result.servedForecasts.map((f) => f.originMs)).toEqual([30, 40, 50, 60, 70].map((i) => T0 + i * MIN));
    expect(result.servedForecasts.map((f) => f.model)).toEqual(Array.from({ length: 5 }, () => 'stub-fitted'));
    // The forecast made at 40 is flat at the last value it saw (values[39] = 40), never a later one.
    expect(result.servedForecasts[1]?.point).toEqual(Array.from({ length: 13 }, () => 40));
  });

  it('caps each fit to historyCapSteps, fits trainingSeries while replaying the real load, and defaults the seed to 1', async () => {
    const values = Array.from({ length: 60 }, (_, i) => i + 1);
    const training = series(values.map((v) => v * 10));
    const { forecaster, fits } = stub(last);
    const result = await replay(base(series(values), forecaster, { historyCapSteps: 12, trainingSeries: training }));
    expect(fits.map((f) => f.values)).toEqual([30, 40, 50].map((o) => training.values.slice(o - 12, o)));
    expect(fits.every((f) => f.ctx.seed === 1)).toBe(true);
    expect(result.params.historyCapSteps).toBe(12);
    expect(result.timeline.load).toEqual(values.slice(30));
  });

  it('carries the selection of one refit to the next, as the service does', async () => {
    const { forecaster, fits } = stub(last, { selection: true });
    await replay(base(jumpSeries(), forecaster));
    expect(fits[0]?.ctx.selection).toBeUndefined();
    expect(fits.slice(1).map((f) => f.ctx.selection?.model)).toEqual(['stub-choice-0', 'stub-choice-1', 'stub-choice-2', 'stub-choice-3', 'stub-choice-4']);
  });

  it('gives each fit the deadline: the overall one, and the per-fit time limit', async () => {
    const { forecaster, fits } = stub(last);
    const before = Date.now();
    await replay(base(jumpSeries(), forecaster, { fitTimeoutMs: 50_000, deadlineMs: before + 3_600_000 }));
    for (const f of fits) {
      expect(f.ctx.deadlineMs).toBeGreaterThanOrEqual(before + 50_000);
      expect(f.ctx.deadlineMs).toBeLessThanOrEqual(Date.now() + 50_000);
    }
    // A deadline already past: no refit is attempted, every one fails, and the policies run on the reactive signal.
    const late = stub(last);
    const result = await replay(base(jumpSeries(), late.forecaster, { deadlineMs: before - 1 }));
    expect(late.fits).toHaveLength(0);
    expect(policy(result, 'predictive')).toMatchObject({ refits: 6, refitFailures: 6 });
    expect(policy(result, 'snaive')).toMatchObject({ refits: 6, refitFailures: 6 });
    expect(policy(result, 'predictive').fallbackMinutes).toBe(60);
  });

  it('reports progress once per fit of each model, in order', async () => {
    const { forecaster } = stub(last);
    const seen: string[] = [];
    await replay(base(jumpSeries(50), forecaster, { onProgress: (p) => seen.push(`${p.done}/${p.total} ${p.model}`) }));
    expect(seen).toEqual(['1/4 stub', '2/4 stub', '3/4 snaive', '4/4 snaive']);
  });

  it('a failed refit serves nothing: the reactive signal alone until the first forecast', async () => {
    // The first fit fails: no forecast for the first 10 minutes (40 syncs of 15 s).
    const { forecaster } = stub(last, { fails: (k) => k === 0, widen: 100 });
    const result = await replay(base(jumpSeries(), forecaster));
    const predictive = policy(result, 'predictive');
    expect(predictive).toMatchObject({ refits: 6, refitFailures: 1 });
    expect(predictive.fallbackMinutes).toBe(10);
    expect(policy(result, 'snaive').fallbackMinutes).toBe(0);
    expect(result.servedForecasts[0]).toEqual({ originMs: T0 + 30 * MIN, model: 'stub', point: [], intervals: [], error: 'fit 0 failed on purpose' });
    expect(result.servedForecasts[1]?.error).toBeUndefined();
    const fed = result.fedForecasts.filter((f) => f.policy === 'predictive');
    expect(fed[0]).toEqual({
      policy: 'predictive',
      issuedAtMs: T0 + 30 * MIN,
      servedUntilMs: T0 + 40 * MIN,
      model: 'stub',
      stepSeconds: 60,
      quantile: 0.9,
      load: [],
      guardQuantile: 0.975,
      error: 'fit 0 failed on purpose',
    });
    expect(fed[1]?.error).toBeUndefined();
    expect(fed[1]?.guardLoad).toHaveLength(14);
  });

  it('reuses precomputed forecasts at exactly the refit indices, and refuses others', async () => {
    const s = jumpSeries(50);
    const { forecaster, fits } = stub(last);
    const point = Array.from({ length: 13 }, () => 250);
    const intervals = [0.8, 0.95].map((level) => ({ level, lower: point, upper: point }));
    const precomputed = {
      model: 'pre',
      origins: [
        { originIndex: 30, forecast: { point, intervals }, info: { model: 'pre-chosen' } },
        { originIndex: 40, error: { message: 'too short' } },
      ],
    };
    const result = await replay(base(s, forecaster, { precomputed }));
    expect(fits).toHaveLength(0);
    expect(result.params.model).toBe('pre');
    expect(policy(result, 'predictive')).toMatchObject({ model: 'pre', refits: 2, refitFailures: 1 });
    expect(result.servedForecasts.map((f) => [f.model, f.error])).toEqual([
      ['pre-chosen', undefined],
      ['pre', 'too short'],
    ]);
    expect(result.servedForecasts[0]?.point).toEqual(point);
    // Without a message the error still says why nothing was served.
    const silent = await replay(base(s, forecaster, { precomputed: { model: 'pre', origins: [{ originIndex: 30, forecast: { point, intervals } }, { originIndex: 40 }] } }));
    expect(silent.servedForecasts.map((f) => [f.model, f.error])).toEqual([
      ['pre', undefined],
      ['pre', 'no forecast'],
    ]);
    const internal = { code: 'PRESCIENT_ERR_INTERNAL', message: 'precomputed forecasts do not match the refit indices' };
    await expect(replay(base(s, forecaster, { precomputed: { model: 'pre', origins: precomputed.origins.slice(0, 1) } }))).rejects.toMatchObject(internal);
    await expect(replay(base(s, forecaster, { precomputed: { model: 'pre', origins: [precomputed.origins[0]!, { originIndex: 41 }] } }))).rejects.toMatchObject(internal);
  });

  // An unknown model name (PRESCIENT_ERR_MODEL_UNKNOWN) is checked in replay.test.ts: it loads the model registry (seconds).
});

describe('replay: what the autoscaler sees and when pods are ready', () => {
  it('sees the load only after the metric lag (no look-ahead)', async () => {
    // 100 then 400 from minute 60; pods ready at once; the lag 120 s.
    const result = await replay(base(jumpSeries(), stub(last).forecaster, { startupDelaySeconds: 0, metricLagSeconds: 120, hpaUtilisation: 0.5 }));
    // ceil(100 / 50) = 2 until the jump is two minutes old; then towards ceil(400 / 50) = 8, at most
    // +4 pods a sync (the HPA's scale-up limit): 6 at 62:00, 8 at 62:15.
    expect([59, 60, 61].map((m) => readyAt(result, 'reactive', m))).toEqual([2, 2, 2]);
    expect([62, 63].map((m) => readyAt(result, 'reactive', m))).toEqual([6, 8]);
    expect(result.params.metricLagSeconds).toBe(120);
  });

  it('new pods serve only after the start-up delay', async () => {
    const result = await replay(base(jumpSeries(), stub(last).forecaster, { startupDelaySeconds: 120, metricLagSeconds: 0, hpaUtilisation: 0.5 }));
    // Scaled at 60:00 (+4) and 60:15 (+2), ready 120 s later.
    expect([60, 61].map((m) => readyAt(result, 'reactive', m))).toEqual([2, 2]);
    expect([62, 63].map((m) => readyAt(result, 'reactive', m))).toEqual([6, 8]);
    // The load above the 2 ready pods' 200 for those two minutes: 8 syncs of 15 s short, 200 over capacity each.
    expect(policy(result, 'reactive').stats.underProvisionedMinutes).toBe(2);
    expect(policy(result, 'reactive').stats.shortfallLoadMinutes).toBeCloseTo(400, 9);
  });

  it('the oracle scales ahead of the jump by the lead time; a forecast of the past level cannot', async () => {
    const result = await replay(base(jumpSeries(), stub(last).forecaster, { startupDelaySeconds: 120, metricLagSeconds: 60 }));
    expect(result.params.leadTimeSeconds).toBe(180);
    // Oracle: sized at 90 % of capacity (90 per pod) on the coming 400: ceil(400 / 90) = 5 pods, ready by the jump.
    expect(readyAt(result, 'oracle', 59)).toBe(5);
    expect(policy(result, 'oracle').stats.underProvisionedMinutes).toBe(0);
    // The predictive stub knew only the past (100): short from the jump until its pods are ready.
    expect(readyAt(result, 'predictive', 60)).toBe(2);
    expect(policy(result, 'predictive').stats.underProvisionedMinutes).toBeGreaterThan(2);
    expect(policy(result, 'oracle').model).toBeUndefined();
  });
});

describe('replay: references and accounting', () => {
  it('counts replica-hours and under-provisioned minutes per sync: a steady load the HPA runs 2 pods for', async () => {
    const s = series(Array.from({ length: 90 }, () => 100));
    const result = await replay(base(s, stub(last).forecaster, { hpaUtilisation: 0.5 }));
    // 60 minutes of 2 pods.
    expect(policy(result, 'reactive').stats).toMatchObject({ replicaHours: 2, underProvisionedMinutes: 0, scaleEvents: 0 });
    expect(policy(result, 'reactive').ratiosToReactive.replicaHours).toBe(1);
    expect(policy(result, 'reactive').fallbackMinutes).toBe(0);
    expect(result.timeline.timesMs).toEqual(Array.from({ length: 60 }, (_, k) => T0 + (30 + k) * MIN));
    expect(result.timeline.stepSeconds).toBe(60);
    expect(result.timeline.readyReplicas.reactive).toEqual(Array.from({ length: 60 }, () => 2));
    expect(result.startMs).toBe(T0 + 30 * MIN);
    expect(result.endMs).toBe(T0 + 90 * MIN);
  });

  it('headroom: the plain HPA at the lowest target costing no more than predictive; the plain HPA itself when predictive is cheaper', async () => {
    const s = jumpSeries();
    const costly = await replay(base(s, stub((v) => 3 * last(v)).forecaster));
    const reactive = policy(costly, 'reactive').stats.replicaHours;
    const predictive = policy(costly, 'predictive').stats.replicaHours;
    const headroom = policy(costly, 'headroom');
    expect(predictive).toBeGreaterThan(1.5 * reactive);
    expect(headroom.stats.replicaHours).toBeLessThanOrEqual(predictive);
    expect(headroom.stats.replicaHours).toBeGreaterThan(reactive);
    expect(costly.params.headroomUtilisation).toBeLessThan(0.7);
    expect(costly.params.headroomUtilisation).toBeGreaterThanOrEqual(0.05);
    expect(headroom.ratiosToReactive.replicaHours).toBeCloseTo(headroom.stats.replicaHours / reactive, 12);
    expect(costly.params.sizing).toContain(`headroom: the HPA at ${(costly.params.headroomUtilisation * 100).toFixed(0)} %`);

    const cheap = await replay(base(s, stub(() => 0).forecaster, { reactiveTrigger: false }));
    expect(policy(cheap, 'predictive').stats.replicaHours).toBeLessThan(policy(cheap, 'reactive').stats.replicaHours);
    expect(cheap.params.headroomUtilisation).toBe(0.7);
    expect(policy(cheap, 'headroom').stats).toEqual(policy(cheap, 'reactive').stats);
  });

  it('beside the reactive trigger the HPA runs the larger proposal; alone, the forecast decides', async () => {
    const s = series(Array.from({ length: 90 }, () => 100));
    const zero = stub(() => 0).forecaster;
    const beside = await replay(base(s, zero, { hpaUtilisation: 0.5 }));
    const alone = await replay(base(s, zero, { hpaUtilisation: 0.5, reactiveTrigger: false }));
    // Beside: the reactive proposal (2 pods at 50 per pod) wins over the forecast of 0.
    expect(beside.timeline.readyReplicas.predictive.every((r) => r === 2)).toBe(true);
    // Alone: the policy's own floor, the observed 100 at 90 per pod: 2 pods as well, but never the HPA's 0.5 target.
    expect(alone.timeline.readyReplicas.predictive.every((r) => r === 2)).toBe(true);
    const aloneHigh = await replay(base(s, zero, { hpaUtilisation: 0.2, reactiveTrigger: false }));
    const besideHigh = await replay(base(s, zero, { hpaUtilisation: 0.2 }));
    expect(besideHigh.timeline.readyReplicas.predictive.at(-1)).toBe(5); // 100 / 20
    expect(aloneHigh.timeline.readyReplicas.predictive.at(-1)).toBe(2); // ceil(100 / 90)
    expect(aloneHigh.params.reactiveTrigger).toBe(false);
  });

  it('the seasonal-naive reference repeats yesterday at a whole day of steps, else the first seasonal period', async () => {
    // Hourly steps, 4 days of a daily shape: yesterday's load at each hour, exactly.
    const daily = Array.from({ length: 96 }, (_, i) => 100 + 10 * (i % 24));
    const hourly = await replay({ ...base(series(daily, 3600), stub(last).forecaster), startIndex: 72, refitEverySteps: 6, seasonalPeriods: [5] });
    const fedHourly = hourly.fedForecasts.filter((f) => f.policy === 'snaive');
    expect(fedHourly).toHaveLength(4);
    for (const f of fedHourly) {
      const origin = (f.issuedAtMs - T0) / 3_600_000;
      expect(f.load).toEqual(f.load.map((_, h) => daily[origin + h - 24]));
    }
    // 7-minute steps (no whole day): the first seasonal period, here 3.
    const triple = Array.from({ length: 60 }, (_, i) => [10, 50, 90][i % 3] as number);
    const odd = await replay({ ...base(series(triple, 420), stub(last).forecaster), seasonalPeriods: [3, 9] });
    for (const f of odd.fedForecasts.filter((x) => x.policy === 'snaive')) {
      const origin = (f.issuedAtMs - T0) / 420_000;
      expect(f.load).toEqual(f.load.map((_, h) => triple[origin + h - 3]));
    }
  });

  it('records the forecasts fed: each at the scaling and guard quantiles, in force until the next refit', async () => {
    const result = await replay(base(jumpSeries(), stub(last, { widen: 100 }).forecaster, { quantile: 0.8, scaleInGuardQuantile: 0.95 }));
    const fed = result.fedForecasts.filter((f) => f.policy === 'predictive');
    expect(fed).toHaveLength(6);
    // Quantile 0.8 is the upper bound of the 60 % interval (point + 60), 0.95 that of the 90 % one (point + 90).
    // Strict: a good refit's record has no `error` key at all, not one set to undefined.
    expect(fed[0]).toStrictEqual({
      policy: 'predictive',
      issuedAtMs: T0 + 30 * MIN,
      servedUntilMs: T0 + 40 * MIN,
      model: 'stub-fitted',
      stepSeconds: 60,
      quantile: 0.8,
      load: Array.from({ length: 10 + 3 + 1 }, () => 160),
      guardQuantile: 0.95,
      guardLoad: Array.from({ length: 14 }, () => 190),
    });
    expect(fed.map((f) => f.servedUntilMs)).toEqual([40, 50, 60, 70, 80, 90].map((m) => T0 + m * MIN));
    expect(result.fedForecasts.filter((f) => f.policy === 'snaive').map((f) => f.issuedAtMs)).toEqual(fed.map((f) => f.issuedAtMs));
    // The served forecasts carry every level the replay asked for, as copies.
    expect(result.servedForecasts[0]?.intervals.map((i) => i.level)).toEqual([0.6, 0.8, 0.9, 0.95]);
    expect(result.servedForecasts[0]?.intervals[1]?.upper[0]).toBe(180);
    expect(result.servedForecasts[0]?.intervals[1]?.lower[0]).toBe(20);
    expect(result.servedForecasts[0]).not.toHaveProperty('error');

    const unguarded = await replay(base(jumpSeries(), stub(last, { widen: 100 }).forecaster, { scaleInGuardQuantile: null }));
    expect(unguarded.fedForecasts[0]?.guardQuantile).toBeNull();
    expect(unguarded.fedForecasts[0]).not.toHaveProperty('guardLoad');
    expect(unguarded.fedForecasts[0]?.load[0]).toBe(180);
  });
  it('records the band the policy read: the interval at the quantile\'s level, not one exactly 1e-6 below it', async () => {
    // Levels less than 1e-6 apart are one level (2q − 1 is not exact in floating point); exactly 1e-6 apart they are two.
    const quantile = 0.500001;
    const level = 2 * quantile - 1;
    const below = level - 1e-6;
    expect(Math.abs(below - level)).toBe(1e-6);
    const point = Array.from({ length: 14 }, () => 100);
    const band = (l: number, upper: number) => ({ level: l, lower: point, upper: point.map(() => upper) });
    const forecast = { point, intervals: [band(below, 111), band(level, 222)] };
    const precomputed = { model: 'pre', origins: [30, 40].map((originIndex) => ({ originIndex, forecast })) };
    const result = await replay(base(jumpSeries(50), stub(last).forecaster, { precomputed, quantile, scaleInGuardQuantile: null }));
    const fed = result.fedForecasts.filter((f) => f.policy === 'predictive');
    expect(fed.map((f) => f.load)).toEqual([point.map(() => 222), point.map(() => 222)]);
    // The policy scaled on the same band: 222 at 90 per pod is 3 pods (111 would be 2, as the reactive HPA runs).
    expect(readyAt(result, 'predictive', 49)).toBe(3);
    expect(readyAt(result, 'reactive', 49)).toBe(2);
  });
});

describe('replay: parameters and sizing', () => {
  it('states its defaults', async () => {
    const s = jumpSeries();
    const result = await replay({ series: s, startIndex: 30, model: stub(last).forecaster, seasonalPeriods: [], refitEverySteps: 10, capacityPerReplica: 100 });
    expect(result.params).toEqual({
      capacityPerReplica: 100,
      hpaTargetPerReplica: 70,
      headroomUtilisation: result.params.headroomUtilisation,
      policyCapacityPerReplica: 90,
      policyUtilisation: 0.9,
      scaleInGuardQuantile: 0.975,
      sizing:
        'reactive: the HPA at 70 % of capacity per pod; predictive, seasonal naive and oracle: the same policy, quantile 0.9, ' +
        'scale-in guard at quantile 0.975, sized at 90 % of capacity, lead 180 s (only the forecast differs), each beside the reactive trigger; ' +
        `headroom: the HPA at ${(result.params.headroomUtilisation * 100).toFixed(0)} %, as many replica-hours as predictive`,
      reactiveTrigger: true,
      startupDelaySeconds: 120,
      metricLagSeconds: 60,
      leadTimeSeconds: 180,
      quantile: 0.9,
      minReplicas: 1,
      maxReplicas: 1000,
      scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
      refitEverySeconds: 600,
      syncPeriodSeconds: 15,
      historyCapSteps: null,
      model: 'stub',
      loadInterpolation: 'hold',
    });
    // The frontier is replayed unless asked not to.
    expect(result.frontier?.points).toHaveLength(21);
    expect(result.watchdog).toBeUndefined();
    expect(result.policies.map((p) => p.policy)).toEqual(['reactive', 'predictive', 'snaive', 'oracle', 'headroom']);
    for (const name of ['reactive', 'oracle', 'headroom']) expect(policy(result, name)).not.toHaveProperty('refits');
  });

  it('takes every knob given, and says so in the sizing', async () => {
    const scaleIn = { intervalSeconds: 30, stabilizationWindowSeconds: 120 };
    const result = await replay(
      base(jumpSeries(), stub(last).forecaster, {
        hpaUtilisation: 0.6,
        policyUtilisation: 0.75,
        quantile: 0.85,
        scaleInGuardQuantile: null,
        reactiveTrigger: false,
        startupDelaySeconds: 30,
        metricLagSeconds: 15,
        leadTimeSeconds: 240,
        minReplicas: 2,
        maxReplicas: 7,
        scaleIn,
      }),
    );
    expect(result.frontier).toBeNull();
    expect(result.params).toMatchObject({
      hpaTargetPerReplica: 60,
      policyCapacityPerReplica: 75,
      policyUtilisation: 0.75,
      scaleInGuardQuantile: null,
      reactiveTrigger: false,
      startupDelaySeconds: 30,
      metricLagSeconds: 15,
      leadTimeSeconds: 240,
      quantile: 0.85,
      minReplicas: 2,
      maxReplicas: 7,
      scaleIn,
    });
    expect(result.params.sizing).toBe(
      'reactive: the HPA at 60 % of capacity per pod; predictive, seasonal naive and oracle: the same policy, quantile 0.85, ' +
        'no scale-in guard, sized at 75 % of capacity, lead 240 s (only the forecast differs); ' +
        `headroom: the HPA at ${(result.params.headroomUtilisation * 100).toFixed(0)} %, as many replica-hours as predictive`,
    );
    // maxReplicas binds every policy: the jump to 400 would need 6 pods at 60 per pod, 8 reactive-free at 75… at most 7.
    for (const name of ['reactive', 'predictive', 'oracle'] as const) expect(Math.max(...result.timeline.readyReplicas[name])).toBeLessThanOrEqual(7);
    expect(Math.min(...result.timeline.readyReplicas.oracle)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...result.timeline.readyReplicas.oracle)).toBe(6); // ceil(400 / 75)
  });

  it('replays every frontier setting on the same forecasts, the reference beside it without knobs', async () => {
    const result = await replay({ ...base(jumpSeries(), stub(last, { widen: 50 }).forecaster), frontier: true, budget: { maxUnderProvisionedMinutesPerWeek: 10_080 } });
    const frontier = result.frontier;
    if (!frontier) throw new Error('no frontier');
    expect(frontier.points).toHaveLength(21);
    expect(frontier.snaive).toHaveLength(21);
    expect(frontier.snaive[0]).not.toHaveProperty('knobs');
    expect(frontier.model).toBe('stub');
    expect(frontier.budget).toEqual({ maxUnderProvisionedMinutesPerWeek: 10_080 });
    const served = frontier.points.findIndex((p) => p.knobs.quantile === 0.9 && p.knobs.scaleInGuardQuantile === 0.975 && p.knobs.utilisation === 0.9);
    expect(frontier.points[served]?.replicaHours).toBe(policy(result, 'predictive').stats.replicaHours);
    expect(frontier.snaive[served]?.replicaHours).toBe(policy(result, 'snaive').stats.replicaHours);
    // Every level a frontier setting may read was asked of each refit.
    expect(result.servedForecasts[0]?.intervals.map((i) => i.level)).toEqual([...new Set([...FRONTIER_LEVELS, 0.8, 0.95])].sort((a, b) => a - b));
    // Without a budget nothing is chosen.
    const unbudgeted = await replay({ ...base(jumpSeries(), stub(last).forecaster), frontier: true });
    expect(unbudgeted.frontier?.budget).toBeUndefined();
    expect(unbudgeted.frontier?.chosen).toBeUndefined();
  });

  it('shapes every fed forecast by a campaign, while replaying the real load', async () => {
    const campaign: KnownEvent = { id: 'c1', kind: 'campaign', targets: ['t'], startMs: T0 + 45 * MIN, endMs: T0 + 50 * MIN, note: 'sale', multiplier: 2, source: 'api', receivedAtMs: T0 };
    const s = series(Array.from({ length: 60 }, () => 100));
    const result = await replay(base(s, stub(last).forecaster, { events: [campaign] }));
    // The forecast made at 40 covers 40–53 (10 + 3 lead + 1 steps): doubled over [45, 50).
    const fed = result.fedForecasts.find((f) => f.policy === 'predictive' && f.issuedAtMs === T0 + 40 * MIN);
    expect(fed?.load).toEqual(Array.from({ length: 14 }, (_, h) => (h >= 5 && h < 10 ? 200 : 100)));
    const snaive = result.fedForecasts.find((f) => f.policy === 'snaive' && f.issuedAtMs === T0 + 40 * MIN);
    expect(snaive?.load.slice(5, 10).every((v) => v >= 199)).toBe(true);
    expect(result.timeline.load).toEqual(s.values.slice(30));
    // A failed refit stays failed (nothing to shape).
    const failing = await replay(base(s, stub(last, { fails: (k) => k === 0 }).forecaster, { events: [campaign] }));
    expect(failing.servedForecasts[0]?.error).toBe('fit 0 failed on purpose');
  });

  it('replays the predictive policy again under the watchdog, one state per refit', async () => {
    const s = jumpSeries();
    const off = watchdogSchema.parse({ enabled: false });
    const result = await replay(base(s, stub(last).forecaster, { watchdog: off }));
    expect(result.watchdog?.states).toEqual([30, 40, 50, 60, 70, 80].map((m) => ({ atMs: T0 + m * MIN, state: 'trusted' })));
    // Disabled, it lets every forecast through: the same run as the predictive row.
    expect(result.watchdog?.stats).toEqual(policy(result, 'predictive').stats);
  });
});

describe('replay: the watchdog', () => {
  it('demotes a forecast that misses every step; once reactive, the policy is fed the last observed load, flat', async () => {
    // 100 and 300 in turns of 5 minutes; refits every 10 minutes see 300 last. The stub forecasts 0 (coverage 0).
    const s = series(Array.from({ length: 240 }, (_, i) => (Math.floor(i / 5) % 2 === 0 ? 100 : 300)));
    const watchdog = watchdogSchema.parse({ window: '1h', minScoredSteps: 5, demoteAfter: '20m', changepoints: false });
    const result = await replay(base(s, stub(() => 0).forecaster, { watchdog, reactiveTrigger: false }));
    const states = result.watchdog?.states ?? [];
    expect(states.map((x) => x.atMs)).toEqual(Array.from({ length: 21 }, (_, k) => T0 + (30 + 10 * k) * MIN));
    expect(states[0]?.state).toBe('trusted');
    const reactiveFrom = states.findIndex((x) => x.state === 'reactive');
    expect(reactiveFrom).toBeGreaterThan(1);
    expect(states.slice(reactiveFrom).every((x) => x.state === 'reactive')).toBe(true);
    // Alone, the forecast of 0 leaves the policy its floor (the observed load); fed 300 flat it holds 4 pods.
    const predictive = policy(result, 'predictive').stats;
    expect(result.watchdog?.stats.replicaHours).toBeGreaterThan(predictive.replicaHours);
    expect(result.watchdog?.stats.underProvisionedMinutes).toBeLessThan(predictive.underProvisionedMinutes);
  });

  it('judges the band of the scaling quantile: an 80 % band that misses demotes at quantile 0.9, a 90 % band that covers keeps it trusted at 0.95', async () => {
    // 90 and 110 in turns, forecast flat at 100: MASE 0.5 and no bias (both good), so only coverage decides. The stub's band at
    // level l is 100 ± 12 l: the 80 % band (± 9.6) never holds the load, the 90 % (± 10.8) and 95 % (± 11.4) always do.
    const s = series(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 90 : 110)));
    const watchdog = watchdogSchema.parse({ window: '1h', minScoredSteps: 5, demoteAfter: '20m', changepoints: false });
    const model = stub(() => 100, { widen: 12 }).forecaster;
    const at90 = await replay(base(s, model, { watchdog, quantile: 0.9 }));
    expect(at90.watchdog?.states.map((x) => x.state)).toEqual(['trusted', 'degraded', 'degraded', 'reactive', 'reactive', 'reactive', 'reactive', 'reactive', 'reactive']);
    const at95 = await replay(base(s, model, { watchdog, quantile: 0.95 }));
    expect(at95.watchdog?.states.every((x) => x.state === 'trusted')).toBe(true);
  });

  it('scores every step of a refresh interval longer than an hour: the record keeps the lead plus the refit spacing', async () => {
    // Refits 90 minutes apart; the stub forecasts 0 under a load of 100 and 300 (poor on every count). The judged hour before
    // each refit holds 59 scored steps, 29 of them more than an hour into their forecast: a record that kept only each
    // forecast's first hour would hold 30, fewer than the 40 needed, and the target would stay trusted.
    const s = series(Array.from({ length: 300 }, (_, i) => (Math.floor(i / 5) % 2 === 0 ? 100 : 300)));
    const watchdog = watchdogSchema.parse({ window: '1h', minScoredSteps: 40, demoteAfter: '20m', changepoints: false });
    const result = await replay(base(s, stub(() => 0).forecaster, { watchdog, refitEverySteps: 90 }));
    expect(result.watchdog?.states).toEqual([
      { atMs: T0 + 30 * MIN, state: 'trusted' },
      { atMs: T0 + 120 * MIN, state: 'degraded' },
      { atMs: T0 + 210 * MIN, state: 'reactive' },
    ]);
  });
});
