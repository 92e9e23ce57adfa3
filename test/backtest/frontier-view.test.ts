/**
 * What the frontier's table and plot mark as served (src/backtest/frontier-view.ts,
 * src/backtest/report.ts): the risk budget's choice, or — when that choice did
 * not beat headroom on the target's own history — the reactive scaling served
 * instead, never the predictive setting that was not served.
 */
import { describe, expect, it } from 'vitest';
import { frontierRows, markedIndex } from '../../src/backtest/frontier-view.js';
import { frontierPlot } from '../../src/backtest/report.js';
import { replayResultSchema, type BacktestResult } from '../../src/backtest/result.js';

type Replay = NonNullable<BacktestResult['replay']>;

const DAY_MS = 86_400_000;
const stats = (minutes: number, replicaHours: number) => ({ underProvisionedMinutes: minutes, underProvisionedMinutesPerWeek: minutes * 7, replicaHours, scaleEvents: 4, fallbackMinutes: 0 });
const knobs = (quantile: number, utilisation: number) => ({ quantile, scaleInGuardQuantile: 0.95, utilisation, leadTimeSeconds: 180 });

/** A one-day replay, schema-checked, whose frontier has three settings and two plain-HPA targets. */
function replayWith(chosen: object | undefined): Replay {
  return replayResultSchema.parse({
    params: {
      capacityPerReplica: 10, hpaTargetPerReplica: 7, headroomUtilisation: 0.6, policyCapacityPerReplica: 9, policyUtilisation: 0.9,
      scaleInGuardQuantile: 0.95, sizing: 'at 90 % of capacity', reactiveTrigger: true, startupDelaySeconds: 120, metricLagSeconds: 60,
      leadTimeSeconds: 180, quantile: 0.9, minReplicas: 1, maxReplicas: 100, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
      refitEverySeconds: 3600, syncPeriodSeconds: 15, historyCapSteps: null, model: 'auto', loadInterpolation: 'hold',
    },
    startMs: 0,
    endMs: DAY_MS,
    policies: [],
    timeline: { stepSeconds: 300, timesMs: [], load: [], readyReplicas: { reactive: [], predictive: [], snaive: [], oracle: [], headroom: [] } },
    fedForecasts: [],
    frontier: {
      startMs: 0,
      endMs: DAY_MS,
      model: 'auto',
      points: [
        { ...stats(9, 100), knobs: knobs(0.8, 0.9) },
        { ...stats(4, 120), knobs: knobs(0.9, 0.9) },
        { ...stats(1, 150), knobs: knobs(0.95, 0.8) },
      ],
      snaive: [stats(8, 110), stats(5, 130), stats(2, 160)],
      plainHpa: [
        { ...stats(12, 90), utilisation: 0.7 },
        { ...stats(3, 140), utilisation: 0.5 },
      ],
      budget: { maxUnderProvisionedMinutesPerWeek: 35 },
      ...(chosen ? { chosen } : {}),
      computeMs: 1,
    },
  }) as Replay;
}

const budgetChoice = { index: 1, knobs: knobs(0.9, 0.9), metBudget: true, reason: 'the cheapest setting within 35 min/week' };
const fallback = { utilisation: 0.55, underProvisionedMinutes: 3.5, replicaHours: 130 };

/** The rings of the plot, as their titles. */
function ringTitles(replay: Replay): string[] {
  const svg = frontierPlot({ replay } as BacktestResult);
  return [...svg.matchAll(/<circle [^>]*fill="none"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1] as string);
}

describe('the frontier marks what is served', () => {
  it("marks the budget's choice when it is served", () => {
    const replay = replayWith(budgetChoice);
    expect(markedIndex(replay)).toBe(1);
    const marked = frontierRows(replay).rows.filter((r) => r[0]?.startsWith('* '));
    expect(marked).toEqual([['* q 0.9, guard 0.95, at 90 %', '4.0', '120.0', '5.0', '130.0']]);
    expect(ringTitles(replay)).toEqual(['served: q 0.9, guard 0.95, at 90 %']);
  });

  it('marks the reactive fallback, not the choice, when the choice did not beat headroom', () => {
    const replay = replayWith({ ...budgetChoice, fallback, reason: `${budgetChoice.reason}; but it did not beat headroom` });
    expect(markedIndex(replay)).toBe(-1);
    const marked = frontierRows(replay).rows.filter((r) => r[0]?.startsWith('* '));
    expect(marked).toEqual([['* reactive fallback: plain HPA at 55 %', '3.5', '130.0', '', '']]);
    expect(ringTitles(replay)).toEqual(['served: reactive fallback: plain HPA at 55 %']);
    expect(frontierPlot({ replay } as BacktestResult)).toContain('ringed: the reactive scaling served instead of the budget’s choice');
  });

  it('without a budget marks the setting the replay ran with (its params)', () => {
    const replay = replayWith(undefined);
    expect(markedIndex(replay)).toBe(1);
    expect(ringTitles(replay)).toEqual(['served: q 0.9, guard 0.95, at 90 %']);
  });
});
