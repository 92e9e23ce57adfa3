import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { levelsFor } from '../../src/engine/engine.js';
import { fileTarget, useTestApps } from '../support/app.js';

const { start } = useTestApps();

function target(extra: Record<string, unknown>) {
  return configSchema.parse({ targets: [{ name: 'web', source: { type: 'file', path: '/x.csv' }, ...extra }] }).targets[0]!;
}

describe('levelsFor', () => {
  it("adds the scaling quantile's level (2q − 1) to the target's own, once, ascending", () => {
    const noGuard = { scaleInGuardQuantile: 'none' };
    expect(levelsFor(target({ levels: [0.8], scaling: { capacityPerReplica: 10, quantile: 0.95, ...noGuard } }))).toEqual([0.8, 0.9]);
    expect(levelsFor(target({ levels: [0.95, 0.5], scaling: { capacityPerReplica: 10, quantile: 0.9, ...noGuard } }))).toEqual([
      0.5, 0.8, 0.95,
    ]);
    // Already there (up to rounding: 2 · 0.9 − 1 is 0.8000000000000002): not twice.
    expect(levelsFor(target({ levels: [0.8, 0.95], scaling: { capacityPerReplica: 10, quantile: 0.9, ...noGuard } }))).toEqual([0.8, 0.95]);
    expect(levelsFor(target({ levels: [0.8] }))).toEqual([0.8]);
  });

  it("adds the scale-in guard quantile's level too, so the guard has its band", () => {
    expect(levelsFor(target({ levels: [0.8], scaling: { capacityPerReplica: 10, quantile: 0.9, scaleInGuardQuantile: 0.99 } }))).toEqual([
      0.8, 0.98,
    ]);
    expect(levelsFor(target({ levels: [0.5], scaling: { capacityPerReplica: 10, quantile: 0.75, scaleInGuardQuantile: 0.975 } }))).toEqual([
      0.5, 0.95,
    ]);
  });

  it('adds every level of the grid when the grid chooses the knobs: a risk budget, or no knob stated (the own-history rule)', () => {
    const grid = [0.6, 0.8, 0.9, 0.95];
    expect(levelsFor(target({ levels: [0.5], scaling: { capacityPerReplica: 10 } }))).toEqual([0.5, ...grid]);
    expect(levelsFor(target({ levels: [0.5], scaling: { capacityPerReplica: 10, budget: { maxUnderProvisionedMinutesPerWeek: 5 } } }))).toEqual([0.5, ...grid]);
    // Knobs stated, or the check off: only the knobs' own levels.
    expect(levelsFor(target({ levels: [0.5], scaling: { capacityPerReplica: 10, quantile: 0.9 } }))).toEqual([0.5, 0.8, 0.95]);
    expect(levelsFor(target({ levels: [0.5], scaling: { capacityPerReplica: 10, ownHistoryCheck: false } }))).toEqual([0.5, 0.8, 0.95]);
  });
});

describe('Engine', () => {
  it("forecasts the scaling quantile's level even when the target's levels leave it out, so a recommendation can be made", async () => {
    const rds = fileTarget('rds', 'nab/rds_cpu_utilization_cc0c53.csv', {
      models: ['snaive'],
      levels: [0.8],
      scaling: { capacityPerReplica: 20, quantile: 0.95, scaleInGuardQuantile: 'none' },
    });
    // Replayed as if it ended now, so the forecast covers the present.
    const t = await start({ targets: [{ ...rds, source: { ...(rds['source'] as object), shiftToNow: true } }] });
    await t.app.prescient.engine.refresh('rds');
    const forecast = t.app.prescient.states.get('rds')?.forecast;
    expect(forecast?.intervals.map((i) => i.level)).toEqual([0.8, 0.9]);
    const res = await t.app.inject('/api/v1/targets/rds/recommendation');
    expect(res.statusCode).toBe(200);
    expect(res.json().basis.quantile).toBe(0.95);
  });
});
