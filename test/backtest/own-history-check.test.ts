/**
 * The own-history check for a target with no risk budget
 * (src/backtest/selection-frontier.ts): at a model selection its configured
 * knobs are replayed over the selection backtest's span, fed by that
 * backtest's forecasts, and served only when they were short fewer minutes
 * there than the plain HPA spending the same replica-hours; otherwise the
 * target serves reactive scaling, saying why. Real HPA simulations, no fakes.
 */
import { describe, expect, it } from 'vitest';
import { chooseSetting, FRONTIER_LEVELS, frontierGrid, type Frontier } from '../../src/backtest/frontier.js';
import { checkLevels, frontierKind, OWN_HISTORY_SHARE, replaysGrid, selectionFrontier, servedKnobs, SERVICE_HPA_UTILISATION, type FrontierTask } from '../../src/backtest/selection-frontier.js';
import type { Forecast } from '../../src/models/forecaster.js';
import type { PolicyKnobs } from '../../src/scaling/policy.js';

const STEP = 300;
const DAY_STEPS = 288;
const T0 = Date.parse('2026-03-02T00:00:00Z');
const KNOBS: PolicyKnobs = { quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: 180 };

/** Two days: a 100-load base with a 30-minute burst to 200 every 7 hours. */
const VALUES = Array.from({ length: 2 * DAY_STEPS }, (_, i) => (i % 84 < 6 ? 200 : 100));

function task(knobs: PolicyKnobs = KNOBS): FrontierTask {
  return {
    fixed: { capacityPerReplica: 10, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 } },
    leadTimeSeconds: knobs.leadTimeSeconds,
    knobs,
    startMs: T0,
    stepSeconds: STEP,
  };
}

/** One day-ahead backtest origin at the start of day 2, every quantile `value(i)` (zero-width bands). */
function backtest(value: (i: number) => number): { originIndices: number[]; forecasts: Forecast[] } {
  const point = Array.from({ length: DAY_STEPS + 4 }, (_, k) => value(DAY_STEPS + k));
  return { originIndices: [DAY_STEPS], forecasts: [{ point, intervals: checkLevels(KNOBS).map((level) => ({ level, lower: point, upper: point })) }] };
}

describe('the own-history check of a target without a risk budget', () => {
  it('serves reactive scaling when the configured knobs were not short fewer minutes than headroom on the selection span', () => {
    // A forecast that never sees the bursts.
    const frontier = selectionFrontier(task(), VALUES, backtest(() => 100), 'test') as Frontier;
    expect(frontier.budget).toBeUndefined();
    expect(frontier.points).toHaveLength(1);
    expect(frontier.points[0]?.knobs).toEqual(KNOBS);
    expect(frontier.points[0]?.underProvisionedMinutes).toBeGreaterThan(0);
    const chosen = frontier.chosen!;
    expect(chosen.fallback).toBeDefined();
    expect(chosen.reason).toMatch(/^the configured knobs \(quantile 0\.9, guard 0\.975, utilisation 1\); but it was not short fewer minutes than the plain HPA/);
    // No budget: the cheapest HPA target within the knobs' own minutes (the reactive HPA's 70 % is within them here).
    expect(chosen.fallback!.underProvisionedMinutes).toBeLessThanOrEqual(frontier.points[0]!.underProvisionedMinutes);
    expect(chosen.fallback!.utilisation).toBe(0.7);

    const served = servedKnobs({ ...KNOBS, leadTimeSeconds: 300 }, frontier);
    expect(served.from).toBe('config');
    expect(served.reactive).toMatch(/^own-history check: the configured knobs/);
    expect(served.knobs).toEqual({ ...KNOBS, leadTimeSeconds: 300, utilisation: 0.7 });
  });

  it('keeps the configured knobs when they beat headroom there', () => {
    // The future itself, seen a lead ahead.
    const frontier = selectionFrontier(task(), VALUES, backtest((i) => VALUES[i] ?? 100), 'test') as Frontier;
    expect(frontier.chosen?.fallback).toBeUndefined();
    const served = servedKnobs(KNOBS, frontier);
    expect(served).toEqual({ knobs: KNOBS, from: 'config', judgedOn: 'selection-backtest' });
  });

  it('ignores a frontier of the other kind: a budget frontier for a target whose budget was removed, and the other way round', () => {
    const check = selectionFrontier(task(), VALUES, backtest(() => 100), 'test') as Frontier;
    const budgetFrontier: Frontier = { ...check, budget: { maxUnderProvisionedMinutesPerWeek: 5 } };
    expect(servedKnobs(KNOBS, budgetFrontier)).toEqual({ knobs: KNOBS, from: 'config' });
    expect(servedKnobs({ ...KNOBS, budget: { maxUnderProvisionedMinutesPerWeek: 5 } }, check)).toEqual({ knobs: { ...KNOBS, budget: { maxUnderProvisionedMinutesPerWeek: 5 } }, from: 'config' });
  });

  it('reads the configured quantile\'s and guard\'s levels, and refuses a task with neither budget nor knobs', () => {
    expect(checkLevels(KNOBS)).toEqual([0.8, 0.95]);
    expect(checkLevels({ quantile: 0.8, scaleInGuardQuantile: null })).toEqual([0.6]);
    const { knobs: _k, ...bare } = task();
    expect(() => selectionFrontier(bare, VALUES, backtest(() => 100), 'test')).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });
});

describe('the own-history rule of a target that states neither knobs nor a budget', () => {
  /** The grid's levels: every quantile of the grid can be read (src/backtest/frontier.ts FRONTIER_LEVELS). */
  function gridBacktest(value: (i: number) => number): { originIndices: number[]; forecasts: Forecast[] } {
    const point = Array.from({ length: DAY_STEPS + 4 }, (_, k) => value(DAY_STEPS + k));
    return { originIndices: [DAY_STEPS], forecasts: [{ point, intervals: FRONTIER_LEVELS.map((level) => ({ level, lower: point, upper: point })) }] };
  }
  const { knobs: _k, ...bare } = task();
  const ruleTask: FrontierTask = { ...bare, ownHistory: true };
  const unstated = { ...KNOBS, knobsStated: false };

  it('replays the whole grid and chooses the cheapest setting within 0.15 × the reactive HPA\'s short minutes there, as the replay benchmark\'s rule does', () => {
    const frontier = selectionFrontier(ruleTask, VALUES, gridBacktest((i) => VALUES[i] ?? 100), 'test') as Frontier;
    expect(frontier.points).toHaveLength(frontierGrid(KNOBS.leadTimeSeconds).length);
    expect(frontier.ownHistoryShare).toBe(OWN_HISTORY_SHARE);
    // The bursts leave the reactive HPA short: the rule's budget is a share of that, not zero.
    const reactive = frontier.plainHpa.find((p) => p.utilisation === SERVICE_HPA_UTILISATION)!;
    expect(reactive.underProvisionedMinutes).toBeGreaterThan(0);
    expect(frontier.budget?.maxUnderProvisionedMinutesPerWeek).toBeCloseTo(OWN_HISTORY_SHARE * reactive.underProvisionedMinutesPerWeek, 9);
    const expected = chooseSetting(frontier.points, frontier.budget!);
    expect(frontier.chosen?.knobs).toEqual(expected.knobs);
    expect(frontier.chosen?.reason).toMatch(/^chosen on own history \(within 0\.15 × the reactive HPA's short minutes there\): the cheapest of/);
    // Seeing the future a lead ahead, the setting beats headroom and is served as chosen.
    expect(frontier.chosen?.fallback).toBeUndefined();
    expect(servedKnobs({ ...unstated, leadTimeSeconds: 300 }, frontier)).toEqual({ knobs: { ...expected.knobs, leadTimeSeconds: 300 }, from: 'own-history', judgedOn: 'selection-backtest' });
    // The same target with its knobs stated ignores this frontier (of another kind): its stated knobs, until its check runs.
    expect(servedKnobs(KNOBS, frontier)).toEqual({ knobs: KNOBS, from: 'config' });
  });

  it('serves reactive scaling, saying why, when the chosen setting did not beat headroom there', () => {
    const frontier = selectionFrontier(ruleTask, VALUES, gridBacktest(() => 100), 'test') as Frontier;
    expect(frontier.chosen?.fallback).toBeDefined();
    const served = servedKnobs(unstated, frontier);
    expect(served.from).toBe('own-history');
    expect(served.reactive).toMatch(/^own-history choice: chosen on own history .*; but it was not short fewer minutes than the plain HPA/);
    expect(served.knobs.utilisation).toBe(frontier.chosen?.fallback?.utilisation);
  });

  it('tells the kinds apart: a budget, no knob stated, knobs stated, the check off', () => {
    expect(frontierKind({ budget: { maxUnderProvisionedMinutesPerWeek: 5 }, knobsStated: false })).toBe('budget');
    expect(frontierKind({ knobsStated: false })).toBe('own-history');
    expect(frontierKind({ knobsStated: true })).toBe('checked');
    // A policy built by hand, with no word on it, is served as built.
    expect(frontierKind({})).toBe('checked');
    expect(frontierKind({ knobsStated: false, ownHistoryCheck: false })).toBe('unchecked');
    expect(replaysGrid('own-history') && replaysGrid('budget') && !replaysGrid('checked') && !replaysGrid('unchecked')).toBe(true);
  });
});
