import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FRONTIER_LEVELS } from '../../src/backtest/frontier.js';
import { levelsFor } from '../../src/engine/target-settings.js';
import { buildTestApp, DATA_DIR, fileTarget, type TestApp } from '../support/app.js';

const open: TestApp[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

// rds_cpu_utilization_cc0c53 runs at 5–25 % CPU; a replica serving 2 % keeps the counts between 3 and 13.
const scaling = { capacityPerReplica: 2, leadTime: '3m', minReplicas: 1, maxReplicas: 60 };
// Replayed as if it ended now, so a recommendation for now falls inside the forecast.
const rds = { type: 'file', path: join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), shiftToNow: true };

interface Chosen {
  knobs: { quantile: number; scaleInGuardQuantile: number | null; utilisation: number };
  fallback?: { utilisation: number };
  reason: string;
}

/** The recommendation is made with the frontier's chosen knobs and says where they came from; or reactively at the fallback's utilisation, with the reason. */
function expectServedAsChosen(rec: { basis: Record<string, unknown> }, chosen: Chosen, knobsFrom: string, reasonPrefix: string): void {
  expect(rec.basis.knobsFrom).toBe(knobsFrom);
  expect(rec.basis.quantile).toBe(chosen.knobs.quantile);
  expect(rec.basis.scaleInGuardQuantile).toBe(chosen.knobs.scaleInGuardQuantile);
  expect(rec.basis.mode).toBe(chosen.fallback ? 'reactive' : 'predictive');
  expect(rec.basis.utilisation).toBe(chosen.fallback ? chosen.fallback.utilisation : chosen.knobs.utilisation);
  if (chosen.fallback) expect(rec.basis.reason).toBe(`${reasonPrefix}: ${chosen.reason}`);
}

describe('a risk budget per target', () => {
  it('replays the frontier at the model selection, serves the setting it chose and returns the frontier', { timeout: 120_000 }, async () => {
    const t = await buildTestApp({
      targets: [fileTarget('rds', 'x', { source: rds, models: ['auto'], scaling: { ...scaling, budget: { maxUnderProvisionedMinutesPerWeek: 5 } } })],
    });
    open.push(t);
    const { engine } = t.app.prescient;
    await engine.refresh('rds');

    const res = await t.app.inject('/api/v1/targets/rds/frontier');
    expect(res.statusCode).toBe(200);
    const frontier = res.json();
    expect(frontier.target).toBe('rds');
    expect(frontier.points).toHaveLength(21);
    expect(frontier.plainHpa.map((p: { utilisation: number }) => p.utilisation)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    // The span of auto's selection backtest: 3 days of the history before its end.
    expect(frontier.endMs - frontier.startMs).toBe(3 * 86_400_000);
    for (const p of frontier.points) {
      expect(p.replicaHours).toBeGreaterThan(0);
      expect(p.knobs.leadTimeSeconds).toBe(180);
    }
    const chosen = frontier.chosen;
    expect(chosen.knobs).toEqual(frontier.points[chosen.index].knobs);
    const within = frontier.points.filter((p: { underProvisionedMinutesPerWeek: number }) => p.underProvisionedMinutesPerWeek <= 5);
    expect(chosen.metBudget).toBe(within.length > 0);
    if (within.length > 0) {
      expect(frontier.points[chosen.index].replicaHours).toBe(Math.min(...within.map((p: { replicaHours: number }) => p.replicaHours)));
    }

    // The recommendation is made with the chosen knobs, and says so; or, when the choice did not beat
    // headroom over the replayed days (src/backtest/frontier.ts withReactiveFallback), reactively at the fallback's utilisation.
    expectServedAsChosen((await t.app.inject({ url: '/api/v1/targets/rds/recommendation' })).json(), chosen, 'budget', 'risk budget');

    // A refit of the same choice keeps the frontier (no new selection, no new replay).
    await engine.refresh('rds');
    const again = (await t.app.inject('/api/v1/targets/rds/frontier')).json();
    expect(again.startMs).toBe(frontier.startMs);
    expect(again.chosen).toEqual(frontier.chosen);
  });

  it('serves a target that states neither knobs nor a budget the setting chosen on its own history, checked against headroom', { timeout: 120_000 }, async () => {
    const t = await buildTestApp({ targets: [fileTarget('rds', 'x', { source: rds, models: ['auto'], scaling })] });
    open.push(t);
    await t.app.prescient.engine.refresh('rds');
    const forecast = t.app.prescient.states.get('rds')?.forecast;
    const res = await t.app.inject('/api/v1/targets/rds/frontier');
    expect(res.statusCode).toBe(200);
    const frontier = res.json();
    // The whole grid over auto's 3 selection days, the rule's budget derived from the reactive HPA (70 %) there.
    expect(frontier.points).toHaveLength(21);
    expect(frontier.ownHistoryShare).toBe(0.15);
    const reactive = frontier.plainHpa.find((p: { utilisation: number }) => p.utilisation === 0.7);
    expect(frontier.budget.maxUnderProvisionedMinutesPerWeek).toBeCloseTo(0.15 * reactive.underProvisionedMinutesPerWeek, 9);
    const chosen = frontier.chosen;
    expect(chosen.knobs).toEqual(frontier.points[chosen.index].knobs);
    expect(forecast?.notes).toContain(`own-history choice: ${chosen.reason}`);
    // A target with no served record yet is judged on the selection backtest's forecasts, and says so.
    expect(frontier.judgedOn).toBe('selection-backtest');
    const rec = (await t.app.inject({ url: '/api/v1/targets/rds/recommendation' })).json();
    expectServedAsChosen(rec, chosen, 'own-history', 'own-history choice');
    expect(rec.basis.knobsJudgedOn).toBe('selection-backtest');
    // The served forecast carries every level a setting of the grid reads.
    expect(forecast?.intervals.map((i) => i.level)).toEqual(expect.arrayContaining([0.6, 0.8, 0.9, 0.95]));
  });

  it('judges the knobs on the forecasts the target served once its served record holds 3 days of them', { timeout: 120_000 }, async () => {
    const nowMs = Date.parse('2026-03-09T12:00:00Z');
    const t = await buildTestApp({ targets: [fileTarget('rds', 'x', { source: rds, models: ['auto'], scaling })] }, { now: () => nowMs });
    open.push(t);
    const { engine, states } = t.app.prescient;
    // The record the engine keeps for the target (src/feedback/live-accuracy.ts), fed as the engine feeds it:
    // every 15 minutes over the last 3.2 days the actuals scored, then a forecast served (flat, sharp bands).
    const target = states.get('rds')!.config;
    const record = engine.feedback.book.recordFor('rds', engine.feedback.settings(target, 300, levelsFor(target)));
    const stepMs = 300_000;
    const fromMs = nowMs - Math.round(3.2 * 288) * stepMs;
    const flat = (n: number, v: number) => new Array<number>(n).fill(v);
    for (let originMs = fromMs; originMs < nowMs; originMs += 3 * stepMs) {
      record.observe({ startMs: fromMs, stepSeconds: 300, values: flat((originMs - fromMs) / stepMs, 15) }, 288);
      record.record({ generatedAtMs: originMs, startMs: originMs, stepSeconds: 300, point: flat(13, 15), intervals: record.options.levels.map((level) => ({ level, lower: flat(13, 14), upper: flat(13, 16 + level) })), lastObserved: { atMs: originMs - stepMs } });
    }
    record.observe({ startMs: fromMs, stepSeconds: 300, values: flat((nowMs - fromMs) / stepMs, 15) }, 288);
    expect(record.options.levels).toEqual(expect.arrayContaining([...FRONTIER_LEVELS]));
    const newestMs = record.columns().atMs.at(-1)!;

    await engine.refresh('rds');
    const frontier = states.get('rds')?.forecast?.frontier;
    expect(frontier?.judgedOn).toBe('served');
    // The last 3 days of scored steps, not the selection backtest's span.
    expect(frontier?.endMs).toBe(newestMs + stepMs);
    expect(frontier!.endMs - frontier!.startMs).toBe(3 * 86_400_000);
    expect(frontier?.points).toHaveLength(21);
    const rec = (await t.app.inject({ url: '/api/v1/targets/rds/recommendation' })).json();
    expectServedAsChosen(rec, frontier!.chosen!, 'own-history', 'own-history choice');
    expect(rec.basis.knobsJudgedOn).toBe('served');
    const returned = (await t.app.inject('/api/v1/targets/rds/frontier')).json();
    expect(returned.judgedOn).toBe('served');
  });

  it('checks the stated knobs of a target without a budget against headroom at the selection, and serves reactive scaling when they lost', { timeout: 120_000 }, async () => {
    const t = await buildTestApp({ targets: [fileTarget('rds', 'x', { source: rds, models: ['auto'], scaling: { ...scaling, quantile: 0.9, utilisation: 1 } })] });
    open.push(t);
    await t.app.prescient.engine.refresh('rds');
    const forecast = t.app.prescient.states.get('rds')?.forecast;
    const frontier = forecast?.frontier;
    // The check alone: the configured knobs over auto's 3 selection days, no budget.
    expect(frontier?.budget).toBeUndefined();
    expect(frontier?.points.map((p) => p.knobs)).toEqual([{ quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: 180 }]);
    expect(frontier!.endMs - frontier!.startMs).toBe(3 * 86_400_000);
    const chosen = frontier!.chosen!;
    expect(forecast?.notes).toContain(`own-history check: ${chosen.reason}`);
    const rec = (await t.app.inject({ url: '/api/v1/targets/rds/recommendation' })).json();
    expect(rec.basis.knobsFrom).toBe('config');
    expect(rec.basis.mode).toBe(chosen.fallback ? 'reactive' : 'predictive');
    expect(rec.basis.utilisation).toBe(chosen.fallback ? chosen.fallback.utilisation : 1);
    if (chosen.fallback) expect(rec.basis.reason).toBe(`own-history check: ${chosen.reason}`);
  });

  it('answers 409 for a target with stated knobs or the check off, and 503 before the first frontier', async () => {
    const t = await buildTestApp({
      targets: [
        fileTarget('plain', 'x', { source: rds, models: ['snaive'], scaling: { ...scaling, quantile: 0.9 } }),
        fileTarget('unchecked', 'x', { source: rds, models: ['snaive'], scaling: { ...scaling, ownHistoryCheck: false } }),
        fileTarget('budgeted', 'x', { source: rds, models: ['snaive'], scaling: { ...scaling, budget: { maxUnderProvisionedMinutesPerWeek: 5 } } }),
      ],
    });
    open.push(t);
    const plain = await t.app.inject('/api/v1/targets/plain/frontier');
    expect(plain.statusCode).toBe(409);
    expect(plain.json().error.code).toBe('PRESCIENT_ERR_SCALING_NOT_CONFIGURED');
    expect((await t.app.inject('/api/v1/targets/unchecked/frontier')).statusCode).toBe(409);
    // snaive selects nothing, so no frontier is ever replayed for it; the documented default knobs serve, and basis says so.
    await t.app.prescient.engine.refresh('budgeted');
    const none = await t.app.inject('/api/v1/targets/budgeted/frontier');
    expect(none.statusCode).toBe(503);
    expect(none.json().error.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
    const rec = (await t.app.inject({ url: '/api/v1/targets/budgeted/recommendation' })).json();
    expect(rec.basis.knobsFrom).toBe('default');
    expect(rec.basis.quantile).toBe(0.9);
  });
});
