/**
 * A risk-budget target whose frontier fell back to reactive scaling (the
 * chosen setting did not beat headroom on its own history,
 * src/backtest/frontier.ts withReactiveFallback) is served the reactive
 * recommendation at the fallback's utilisation, saying why; one whose
 * choice held is served the chosen knobs.
 */
import { describe, expect, it } from 'vitest';
import type { Frontier } from '../../src/backtest/frontier.js';
import { configSchema } from '../../src/config/schema.js';
import { Recommender } from '../../src/engine/recommender.js';
import { TargetStates } from '../../src/engine/target-state.js';
import { forecastAt } from '../keda/helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const KNOBS = { quantile: 0.9, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: 300 };
const STATS = { underProvisionedMinutes: 0, underProvisionedMinutesPerWeek: 0, replicaHours: 10, scaleEvents: 0, fallbackMinutes: 0 };

function frontier(fallback?: { utilisation: number }): Frontier {
  return {
    startMs: T0 - 3 * 86_400_000,
    endMs: T0,
    model: 'mstl',
    points: [{ knobs: KNOBS, ...STATS }],
    plainHpa: [{ utilisation: 0.5, ...STATS }],
    budget: { maxUnderProvisionedMinutesPerWeek: 5 },
    chosen: {
      index: 0,
      knobs: KNOBS,
      metBudget: true,
      reason: fallback ? 'cheapest; but it was not short fewer minutes than the plain HPA spending as many replica-hours' : 'cheapest',
      ...(fallback ? { fallback: { utilisation: fallback.utilisation, underProvisionedMinutes: 0, replicaHours: 12 } } : {}),
    },
    computeMs: 1,
  };
}

/** Knobs stated by hand (at their default values: stated all the same). */
const STATED = { quantile: 0.9, utilisation: 1 };

function states(withBudget = true, extra: Record<string, unknown> = {}): TargetStates {
  const config = configSchema.parse({
    targets: [
      {
        name: 'web',
        source: { type: 'file', path: 'data/web.csv' },
        levels: [0.6, 0.8, 0.9, 0.95],
        scaling: { capacityPerReplica: 100, leadTime: '5m', minReplicas: 1, maxReplicas: 50, ...(withBudget ? { budget: { maxUnderProvisionedMinutesPerWeek: 5 } } : {}), ...extra },
      },
    ],
  });
  return new TargetStates(config.targets);
}

describe('a risk-budget target whose choice fell back to reactive scaling', () => {
  it('is served the reactive recommendation at the fallback utilisation, with the reason', () => {
    const s = states();
    // The forecast says 900 (0.9 quantile); the load observed now is 240.
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: frontier({ utilisation: 0.5 }) });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('reactive');
    expect(rec.basis.reason).toContain('risk budget: cheapest; but it was not short fewer minutes');
    expect(rec.basis.knobsFrom).toBe('budget');
    expect(rec.basis.utilisation).toBe(0.5);
    // ceil(240 / (100 × 0.5)): sized on the observed load, the forecast ignored.
    expect(rec.replicas).toBe(5);
  });

  it('is served the chosen knobs on the forecast when the choice held', () => {
    const s = states();
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: frontier() });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis.reason).toBeUndefined();
    expect(rec.basis.utilisation).toBe(0.9);
    // ceil(900 / (100 × 0.9)): sized on the forecast.
    expect(rec.replicas).toBe(10);
  });
});

describe('a target with knobs stated and no budget whose own-history check fell back to reactive scaling', () => {
  /** The check's frontier: the configured knobs alone, no budget (src/backtest/selection-frontier.ts). */
  function checked(fallback?: { utilisation: number }): Frontier {
    const { budget: _b, ...f } = frontier(fallback);
    return { ...f, chosen: { ...f.chosen!, reason: fallback ? 'the configured knobs; but it was not short fewer minutes than the plain HPA spending as many replica-hours' : 'the configured knobs' } };
  }

  it('is served the reactive recommendation at the fallback utilisation, with the reason, its knobs still from the config', () => {
    const s = states(false, STATED);
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: checked({ utilisation: 0.7 }) });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('reactive');
    expect(rec.basis.reason).toContain('own-history check: the configured knobs; but it was not short fewer minutes');
    expect(rec.basis.knobsFrom).toBe('config');
    expect(rec.basis.utilisation).toBe(0.7);
    // ceil(240 / (100 × 0.7)).
    expect(rec.replicas).toBe(4);
  });

  it('is served its configured knobs on the forecast when the check held', () => {
    const s = states(false, STATED);
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: checked() });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis.knobsFrom).toBe('config');
    // As stated: quantile 0.9, sized on the whole capacity: ceil(900 / 100).
    expect(rec.basis.utilisation).toBe(1);
    expect(rec.replicas).toBe(9);
  });

  it('is served its configured knobs unchecked with ownHistoryCheck: false, whatever the frontier says', () => {
    const s = states(false, { ...STATED, ownHistoryCheck: false });
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: checked({ utilisation: 0.7 }) });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.replicas).toBe(9);
  });
});

describe('a target that states neither knobs nor a budget', () => {
  /** The own-history rule's frontier (src/backtest/selection-frontier.ts): the grid, a budget derived from the reactive HPA, the share set. */
  function ruled(fallback?: { utilisation: number }): Frontier {
    const f = frontier(fallback);
    return { ...f, budget: { maxUnderProvisionedMinutesPerWeek: 2.5 }, ownHistoryShare: 0.15, chosen: { ...f.chosen!, reason: `chosen on own history: ${f.chosen!.reason}` } };
  }

  it('is served the setting the own-history rule chose, with knobsFrom own-history', () => {
    const s = states(false);
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: ruled() });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis.knobsFrom).toBe('own-history');
    // The chosen setting (guard none, sized at 90 %), not the documented defaults (guard 0.975, 100 %): ceil(900 / (100 × 0.9)).
    expect(rec.basis.scaleInGuardQuantile).toBeNull();
    expect(rec.basis.utilisation).toBe(0.9);
    expect(rec.replicas).toBe(10);
  });

  it('is served reactive scaling, saying the own-history choice lost to headroom, when it did', () => {
    const s = states(false);
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: ruled({ utilisation: 0.6 }) });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('reactive');
    expect(rec.basis.reason).toMatch(/^own-history choice: chosen on own history: cheapest; but it was not short fewer minutes/);
    expect(rec.basis.knobsFrom).toBe('own-history');
    // ceil(240 / (100 × 0.6)).
    expect(rec.replicas).toBe(4);
  });

  it('is served the documented defaults, saying so, until a frontier of its kind exists (a stated-knobs check frontier from before is not one)', () => {
    const s = states(false);
    const { budget: _b, ...checkFrontier } = frontier({ utilisation: 0.7 });
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: checkFrontier });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis.knobsFrom).toBe('default');
    expect(rec.basis).toMatchObject({ quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1 });
  });

  it('is served the documented defaults unchecked with ownHistoryCheck: false, even with a rule frontier', () => {
    const s = states(false, { ownHistoryCheck: false });
    s.setForecast('web', { ...forecastAt(T0, 900, { observed: 240 }), frontier: ruled({ utilisation: 0.6 }) });
    const rec = new Recommender(s).recommend('web', T0 + 1_000);
    expect(rec.basis.mode).toBe('predictive');
    expect(rec.basis.knobsFrom).toBe('default');
    expect(rec.replicas).toBe(9);
  });
});
