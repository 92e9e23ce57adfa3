import { describe, expect, it } from 'vitest';
import { generateSynthetic } from '../../data/generate.js';
import { replay, type ReplayOptions, type ReplayResult } from '../../src/backtest/replay.js';
import { evaluate } from '../../src/models/evaluation/rolling-origin.js';
import type { Forecaster } from '../../src/models/forecaster.js';
import { seasonalNaive } from '../../src/models/seasonal-naive.js';
import type { Series } from '../../src/series/series.js';

const STEP = 300;
const DAY = 288;

/** 9 days of a clean daily cycle (no bursts, gaps or shift), 5-minute steps. */
function dailySeries(): Series {
  const synthetic = generateSynthetic({ days: 9, stepSeconds: STEP, seed: 7, burstsPerDay: 0, gapShare: 0, levelShiftDay: 99, noise: 0.02 });
  return { startMs: synthetic.timestampsMs[0] as number, stepSeconds: STEP, values: synthetic.values };
}

function withSpike(series: Series, index: number, steps: number, factor: number): Series {
  const values = [...series.values];
  for (let i = index; i < index + steps; i++) values[i] = (values[i] as number) * factor;
  return { ...series, values };
}

const startIndex = 8 * DAY;
const spikeIndex = startIndex + 150;

function options(series: Series): ReplayOptions {
  return {
    series,
    startIndex,
    model: 'mstl',
    seasonalPeriods: [DAY],
    refitEverySteps: 36,
    startupDelaySeconds: 120,
    // A fixed capacity, so both runs share units (the default reads history only, but keep it explicit).
    capacityPerReplica: 50,
  };
}

/** A forecaster of one level at every step (from the history it is fitted on), with zero-width intervals. */
function flatForecaster(name: string, level: (values: readonly number[]) => number): Forecaster {
  return {
    name,
    minLength: () => 1,
    fit: async (values) => ({
      info: { model: name, notes: [] },
      predict: (horizon, levels) => {
        const flat = Array.from({ length: horizon }, () => level(values));
        return { point: flat, intervals: levels.map((l) => ({ level: l, lower: flat, upper: flat })) };
      },
      dispose: () => undefined,
    }),
  };
}

// The replay of the clean series at the options above, read by several tests: replays are deterministic, and
// none of those tests changes the result, so one run serves them all (an MSTL replay costs seconds).
let cleanRun: Promise<ReplayResult> | undefined;
const cleanReplay = (): Promise<ReplayResult> => (cleanRun ??= replay(options(dailySeries())));

function policy(result: ReplayResult, name: string) {
  const found = result.policies.find((p) => p.policy === name);
  if (!found) throw new Error(`no policy ${name}`);
  return found;
}

describe('replay', () => {
  it('uses only the past: a spike no model could know of changes nothing served before it', { timeout: 60_000 }, async () => {
    const clean = dailySeries();
    const spiked = withSpike(clean, spikeIndex, 3, 6);
    const [a, b] = [await cleanReplay(), await replay(options(spiked))];
    const spikeMs = clean.startMs + spikeIndex * STEP * 1000;

    // Every forecast made at or before the spike is identical with and without it, and none foresaw it.
    const before = (r: ReplayResult) => r.servedForecasts.filter((f) => f.originMs <= spikeMs);
    expect(before(b).length).toBeGreaterThan(3);
    expect(before(b)).toEqual(before(a));
    const spikeLoad = spiked.values[spikeIndex] as number;
    for (const f of before(b)) expect(Math.max(...f.point)).toBeLessThan(spikeLoad / 2);
    // A forecast made after the spike did see it (the test can tell the difference).
    expect(b.servedForecasts.filter((f) => f.originMs > spikeMs)).not.toEqual(a.servedForecasts.filter((f) => f.originMs > spikeMs));

    // The predictive replicas up to the spike are the same in both runs ...
    const upTo = b.timeline.timesMs.findIndex((t) => t >= spikeMs);
    expect(b.timeline.readyReplicas.predictive.slice(0, upTo + 1)).toEqual(a.timeline.readyReplicas.predictive.slice(0, upTo + 1));
    // ... while the oracle, which does see the future, scaled up before it.
    const oracleBefore = b.timeline.readyReplicas.oracle[upTo] as number;
    expect(oracleBefore).toBeGreaterThan(a.timeline.readyReplicas.oracle[upTo] as number);
    // So the predictive policy was caught short by the spike and the oracle was not.
    expect(policy(b, 'predictive').stats.underProvisionedMinutes).toBeGreaterThan(policy(a, 'predictive').stats.underProvisionedMinutes);
    expect(policy(b, 'oracle').stats.underProvisionedMinutes).toBe(0);
  });

  it('the autoscaler sees the load only after the metric lag, never before it happens', async () => {
    // One-minute steps: 100 for two hours, then 1000. A forecaster that knows only the past level.
    const stepSeconds = 60;
    const jump = 120;
    const series: Series = { startMs: Date.parse('2026-03-02T00:00:00Z'), stepSeconds, values: Array.from({ length: 180 }, (_, i) => (i < jump ? 100 : 1000)) };
    const lastLevel = flatForecaster('last', (values) => values[values.length - 1] as number);
    const result = await replay({
      series,
      startIndex: 60,
      model: lastLevel,
      seasonalPeriods: [],
      refitEverySteps: 30,
      startupDelaySeconds: 0,
      metricLagSeconds: 60,
      capacityPerReplica: 100,
      minReplicas: 1,
      maxReplicas: 100,
    });
    const at = (minutesAfterJump: number) => result.timeline.timesMs.indexOf(series.startMs + (jump + minutesAfterJump) * 60_000);
    const { reactive, predictive } = result.timeline.readyReplicas;
    // Before the jump and until its lagged sample reaches the autoscaler (60 s), every policy that reads the
    // observed load still runs the replicas of 100: ceil(100 / 70) = 2 for the HPA.
    for (const minute of [-2, -1, 0]) {
      expect(reactive[at(minute)], `reactive at ${minute} min`).toBe(2);
      expect(predictive[at(minute)], `predictive at ${minute} min`).toBe(reactive[at(minute)]);
    }
    // Then the HPA reacts (pods ready at once here): within two syncs of the lagged sample it has scaled up.
    expect(reactive[at(2)]).toBeGreaterThan(2);
    expect(result.params.metricLagSeconds).toBe(60);
  });

  it('reports every policy with its ratios to the reactive HPA', { timeout: 60_000 }, async () => {
    const result = await cleanReplay();
    expect(result.policies.map((p) => p.policy)).toEqual(['reactive', 'predictive', 'snaive', 'oracle', 'headroom']);
    const reactive = policy(result, 'reactive');
    expect(reactive.ratiosToReactive.replicaHours).toBe(1);
    for (const p of result.policies) {
      expect(p.stats.replicaHours).toBeGreaterThan(0);
      expect(p.ratiosToReactive.replicaHours).toBeCloseTo(p.stats.replicaHours / reactive.stats.replicaHours, 12);
      expect(p.fallbackMinutes).toBe(0);
    }
    expect(policy(result, 'predictive').refits).toBe(8);
    expect(policy(result, 'predictive').refitFailures).toBe(0);
    expect(result.params.leadTimeSeconds).toBe(180);
    expect(result.params.hpaTargetPerReplica).toBeCloseTo(35, 9);
    expect(result.timeline.timesMs).toHaveLength(DAY);
  });

  it('headroom is the reactive HPA with the lowest target that costs no more than the predictive policy', { timeout: 60_000 }, async () => {
    // A forecaster that always asks for twice the load: far more replica-hours than the plain HPA.
    const series = withSpike(dailySeries(), spikeIndex, 6, 3);
    const doubling = flatForecaster('doubling', (values) => 2 * (values[values.length - 1] as number));
    const result = await replay({ ...options(series), model: doubling });
    const reactive = policy(result, 'reactive');
    const predictive = policy(result, 'predictive');
    const headroom = policy(result, 'headroom');
    expect(predictive.stats.replicaHours).toBeGreaterThan(1.3 * reactive.stats.replicaHours);
    // Within the predictive policy's budget, and using most of it (one more halving step would exceed it).
    expect(headroom.stats.replicaHours).toBeLessThanOrEqual(predictive.stats.replicaHours);
    expect(headroom.stats.replicaHours).toBeGreaterThan(0.97 * predictive.stats.replicaHours);
    expect(result.params.headroomUtilisation).toBeLessThan(0.7);
    // The spare capacity catches more of the spike than the plain HPA.
    expect(headroom.stats.underProvisionedMinutes).toBeLessThan(reactive.stats.underProvisionedMinutes);
    expect(headroom.model).toBeUndefined();

    // A policy cheaper than the plain HPA leaves it no headroom to buy: headroom is the plain HPA.
    const cheap = await replay({ ...options(series), model: flatForecaster('nothing', () => 0), reactiveTrigger: false });
    expect(policy(cheap, 'predictive').stats.replicaHours).toBeLessThan(policy(cheap, 'reactive').stats.replicaHours);
    expect(cheap.params.headroomUtilisation).toBe(0.7);
    expect(policy(cheap, 'headroom').stats).toEqual(policy(cheap, 'reactive').stats);
  });

  it('beside the reactive trigger, a forecast of no load is caught short no more than the reactive HPA', { timeout: 60_000 }, async () => {
    // A deliberately useless forecaster: zero load with zero-width intervals at every step.
    const nothing = flatForecaster('nothing', () => 0);
    const series = withSpike(dailySeries(), spikeIndex, 6, 3);
    const beside = await replay({ ...options(series), model: nothing });
    const alone = await replay({ ...options(series), model: nothing, reactiveTrigger: false });
    expect(beside.params.reactiveTrigger).toBe(true);
    expect(alone.params.reactiveTrigger).toBe(false);
    const reactiveUnder = policy(beside, 'reactive').stats.underProvisionedMinutes;
    expect(reactiveUnder).toBeGreaterThan(0);
    expect(policy(beside, 'predictive').stats.underProvisionedMinutes).toBeLessThanOrEqual(reactiveUnder);
    // Alone, the policy only has its own floor (the observed load at the policy's capacity, no HPA headroom).
    expect(policy(alone, 'predictive').stats.underProvisionedMinutes).toBeGreaterThan(reactiveUnder);
  });

  it('replays the seasonal-naive reference at one day even when the predictive snaive forecasts are reused', { timeout: 60_000 }, async () => {
    // The predictive policy is snaive without seasons (a naive forecast), precomputed as the CLI reuses its scored ones.
    const series = dailySeries();
    const refitIndices = Array.from({ length: 8 }, (_, k) => startIndex + 36 * k);
    const evaluation = await evaluate({ series, models: [seasonalNaive], origins: refitIndices, horizonSteps: 36 + 1 + 1, seasonalPeriods: [], levels: [0.8, 0.95] });
    const base = { ...options(series), model: 'snaive', seasonalPeriods: [] as number[] };
    const reused = await replay({ ...base, precomputed: evaluation.models[0] });
    const refitted = await replay(base);
    expect(policy(reused, 'predictive').stats).toEqual(policy(refitted, 'predictive').stats);
    // The reference is yesterday's load whichever forecasts the predictive policy reused.
    expect(policy(reused, 'snaive').stats).toEqual(policy(refitted, 'snaive').stats);
    expect(policy(reused, 'snaive').stats).not.toEqual(policy(reused, 'predictive').stats);
  });

  it('replays every knob setting of the frontier on the same forecasts, the served setting among them', { timeout: 60_000 }, async () => {
    const result = await replay({ ...options(dailySeries()), budget: { maxUnderProvisionedMinutesPerWeek: 10_080 } });
    const frontier = result.frontier;
    if (!frontier) throw new Error('no frontier');
    expect(frontier.points).toHaveLength(21);
    expect(frontier.snaive).toHaveLength(21);
    // The served setting (q 0.9, guard 0.975, sized at 90 %) is one point: the same run as the predictive policy.
    const served = frontier.points.find((p) => p.knobs.quantile === 0.9 && p.knobs.scaleInGuardQuantile === 0.975 && p.knobs.utilisation === 0.9);
    expect(served?.replicaHours).toBe(policy(result, 'predictive').stats.replicaHours);
    expect(served?.underProvisionedMinutes).toBe(policy(result, 'predictive').stats.underProvisionedMinutes);
    const servedIndex = frontier.points.indexOf(served as (typeof frontier.points)[number]);
    expect(frontier.snaive[servedIndex]?.replicaHours).toBe(policy(result, 'snaive').stats.replicaHours);
    // The plain HPA at 70 % is the reactive policy.
    expect(frontier.plainHpa.find((p) => p.utilisation === 0.7)?.replicaHours).toBe(policy(result, 'reactive').stats.replicaHours);
    // More spare capacity costs more: the most cautious setting against the least.
    const most = frontier.points.find((p) => p.knobs.quantile === 0.975 && p.knobs.utilisation === 0.7);
    const least = frontier.points.find((p) => p.knobs.quantile === 0.8 && p.knobs.scaleInGuardQuantile === null && p.knobs.utilisation === 0.9);
    expect(most?.replicaHours).toBeGreaterThan(least?.replicaHours as number);
    // A budget of a whole week: every setting is within it, so the cheapest is chosen.
    const cheapest = Math.min(...frontier.points.map((p) => p.replicaHours));
    expect(frontier.chosen?.metBudget).toBe(true);
    expect(frontier.points[frontier.chosen?.index as number]?.replicaHours).toBe(cheapest);
  });

  it('sizes the grid\'s quantile/guard pairs at more utilisations on request, both forecasts alike, as the grid sizes them', { timeout: 60_000 }, async () => {
    const result = await replay({ ...options(dailySeries()), alsoSizedAt: [0.7, 0.5] });
    const frontier = result.frontier;
    if (!frontier?.alsoSized) throw new Error('no alsoSized');
    // 7 quantile/guard pairs at each of the two.
    expect(frontier.alsoSized.map((a) => a.knobs.utilisation)).toEqual([...Array(7).fill(0.7), ...Array(7).fill(0.5)]);
    // At 70 % (a grid sizing) each is exactly the grid's point, for the predictive and the seasonal-naive forecasts.
    for (const a of frontier.alsoSized.filter((x) => x.knobs.utilisation === 0.7)) {
      const k = frontier.points.findIndex((p) => p.knobs.quantile === a.knobs.quantile && p.knobs.scaleInGuardQuantile === a.knobs.scaleInGuardQuantile && p.knobs.utilisation === 0.7);
      expect(a.predictive.replicaHours).toBe(frontier.points[k]?.replicaHours);
      expect(a.predictive.underProvisionedMinutes).toBe(frontier.points[k]?.underProvisionedMinutes);
      expect(a.snaive.replicaHours).toBe(frontier.snaive[k]?.replicaHours);
    }
    // Sized on half the capacity, every pair costs more than on 70 % of it.
    for (const a of frontier.alsoSized.filter((x) => x.knobs.utilisation === 0.5)) {
      const at70 = frontier.alsoSized.find((x) => x.knobs.utilisation === 0.7 && x.knobs.quantile === a.knobs.quantile && x.knobs.scaleInGuardQuantile === a.knobs.scaleInGuardQuantile);
      expect(a.snaive.replicaHours).toBeGreaterThan(at70?.snaive.replicaHours ?? Number.POSITIVE_INFINITY);
      expect(a.predictive.replicaHours).toBeGreaterThan(at70?.predictive.replicaHours ?? Number.POSITIVE_INFINITY);
    }
    // Not asked: absent.
    expect((await replay(options(dailySeries()))).frontier?.alsoSized).toBeUndefined();
  });

  it('returns the forecasts each policy was fed: issue time, target times, values at the quantiles used', { timeout: 60_000 }, async () => {
    const result = await cleanReplay();
    const fed = result.fedForecasts.filter((f) => f.policy === 'predictive');
    expect(fed).toHaveLength(8);
    expect(result.fedForecasts.filter((f) => f.policy === 'snaive')).toHaveLength(8);
    const first = fed[0];
    const served = result.servedForecasts[0];
    expect(first?.issuedAtMs).toBe(served?.originMs);
    expect(first?.servedUntilMs).toBe(fed[1]?.issuedAtMs);
    expect(fed[7]?.servedUntilMs).toBe(result.endMs);
    expect(first?.quantile).toBe(0.9);
    expect(first?.guardQuantile).toBe(0.975);
    // The 0.9 quantile is the upper bound of the 80 % interval, the 0.975 one of the 95 % interval.
    expect(first?.load).toEqual(served?.intervals.find((i) => i.level === 0.8)?.upper);
    expect(first?.guardLoad).toEqual(served?.intervals.find((i) => i.level === 0.95)?.upper);
    expect(first?.load).toHaveLength(36 + 1 + 1);
    // How each reference is sized, in words.
    expect(result.params.sizing).toContain('the HPA at 70 % of capacity per pod');
    expect(result.params.sizing).toContain('sized at 90 % of capacity');
    expect(result.params.policyUtilisation).toBe(0.9);
    expect(result.params.scaleInGuardQuantile).toBe(0.975);
  });

  it('replays without the scale-in guard when asked, never costing more than with it', { timeout: 60_000 }, async () => {
    const guarded = await replay({ ...options(dailySeries()), frontier: false });
    const unguarded = await replay({ ...options(dailySeries()), frontier: false, scaleInGuardQuantile: null });
    expect(unguarded.params.scaleInGuardQuantile).toBeNull();
    expect(unguarded.frontier).toBeNull();
    expect(policy(unguarded, 'predictive').stats.replicaHours).toBeLessThanOrEqual(policy(guarded, 'predictive').stats.replicaHours);
    expect(unguarded.fedForecasts[0]?.guardLoad).toBeUndefined();
  });

  it('rejects bad options with PRESCIENT_ERR_VALIDATION', async () => {
    await expect(replay({ ...options(dailySeries()), refitEverySteps: 0 })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION' });
    await expect(replay({ ...options(dailySeries()), quantile: 0.3 })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION' });
    await expect(replay({ ...options(dailySeries()), scaleInGuardQuantile: 1 })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION' });
    await expect(replay({ ...options(dailySeries()), model: 'no-such-model' })).rejects.toMatchObject({ code: 'PRESCIENT_ERR_MODEL_UNKNOWN' });
  });
});
