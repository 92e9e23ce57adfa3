import { describe, expect, it } from 'vitest';
import { chooseSetting, frontierGrid, relativeBudget, type FrontierPoint, type PlainHpaPoint } from '../../src/backtest/frontier.js';

function point(quantile: number, underPerWeek: number, replicaHours: number): FrontierPoint {
  return {
    knobs: { quantile, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: 180 },
    underProvisionedMinutes: underPerWeek,
    underProvisionedMinutesPerWeek: underPerWeek,
    replicaHours,
    scaleEvents: 0,
    fallbackMinutes: 0,
  };
}

describe('frontier', () => {
  it('has 21 settings: a guard at or below the quantile is dropped, as it never binds', () => {
    const grid = frontierGrid(360);
    expect(grid).toHaveLength(21);
    expect(grid.every((k) => k.leadTimeSeconds === 360)).toBe(true);
    expect(grid.some((k) => k.quantile === 0.975 && k.scaleInGuardQuantile === 0.975)).toBe(false);
    expect(new Set(grid.map((k) => JSON.stringify(k))).size).toBe(21);
  });

  it('chooses the cheapest setting within the budget', () => {
    const points = [point(0.8, 12, 100), point(0.9, 4, 110), point(0.95, 1, 130), point(0.975, 0, 150)];
    const choice = chooseSetting(points, { maxUnderProvisionedMinutesPerWeek: 5 });
    expect(choice.index).toBe(1);
    expect(choice.metBudget).toBe(true);
    expect(choice.reason).toContain('3/4 settings within 5');
    expect(chooseSetting(points, { maxUnderProvisionedMinutesPerWeek: 0 }).index).toBe(3);
    expect(chooseSetting(points, { maxUnderProvisionedMinutesPerWeek: 100 }).index).toBe(0);
  });

  it('chooses the setting short the fewest minutes when none meets the budget, and says so', () => {
    const points = [point(0.8, 30, 100), point(0.9, 9, 120), point(0.95, 9, 115)];
    const choice = chooseSetting(points, { maxUnderProvisionedMinutesPerWeek: 5 });
    expect(choice.metBudget).toBe(false);
    // A tie on minutes goes to the cheaper setting.
    expect(choice.index).toBe(2);
    expect(choice.reason).toContain('no setting stayed within 5');
  });

  it('sets a relative budget at a share of the plain HPA\'s short minutes at its target, and chooses the cheapest setting within it', () => {
    const hpa = (utilisation: number, underPerWeek: number): PlainHpaPoint => ({ utilisation, underProvisionedMinutes: underPerWeek, underProvisionedMinutesPerWeek: underPerWeek, replicaHours: 100, scaleEvents: 0, fallbackMinutes: 0 });
    const budget = relativeBudget({ plainHpa: [hpa(0.6, 20), hpa(0.7, 40), hpa(0.8, 90)] }, 0.15, 0.7);
    expect(budget.maxUnderProvisionedMinutesPerWeek).toBeCloseTo(6, 9);
    const points = [point(0.8, 12, 100), point(0.9, 5.9, 110), point(0.95, 1, 130)];
    expect(chooseSetting(points, budget).index).toBe(1);
    // The reactive HPA was never short: only a setting never short meets it.
    expect(relativeBudget({ plainHpa: [hpa(0.7, 0)] }, 0.15, 0.7).maxUnderProvisionedMinutesPerWeek).toBe(0);
    expect(() => relativeBudget({ plainHpa: [hpa(0.6, 20)] }, 0.15, 0.7)).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });

  it('refuses an empty frontier with PRESCIENT_ERR_VALIDATION', () => {
    expect(() => chooseSetting([], { maxUnderProvisionedMinutesPerWeek: 5 })).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });
});
