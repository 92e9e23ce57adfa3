import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auto } from '../../src/models/auto.js';
import { blendFromName } from '../../src/models/auto/combination.js';
import { OPT_IN } from '../../src/models/auto/options.js';
import { forecasters } from '../../src/models/registry.js';
import { regularize } from '../../src/series/regularize.js';
import { detectSeasonalPeriods } from '../../src/series/seasonality.js';
import { readSamplesFile } from '../../src/sources/file.js';

const DATA = join(import.meta.dirname, '..', '..', 'data');

describe('auto on 28 days of real 5-minute data', () => {
  it('backtests every registered candidate, serves a combination no worse than its members on average, and forecasts a valid day', async () => {
    const samples = await readSamplesFile(join(DATA, 'worldcup98/invocation_count.csv'));
    const { series } = regularize(samples, { stepSeconds: 300 });
    const values = series.values.slice(-28 * 288);
    const periods = detectSeasonalPeriods(values, 300);
    expect(periods).toContain(288);
    const started = performance.now();
    const fitted = await auto.fit(values, {
      stepSeconds: 300,
      startMs: series.startMs,
      seasonalPeriods: periods,
      deadlineMs: Date.now() + 120_000,
      seed: 1,
    });
    // Reported, not asserted (speed goals live in benchmarks/).
    console.log(`auto fit on 28 days at 5 min: ${((performance.now() - started) / 1000).toFixed(1)} s, chose ${fitted.info.model}`);
    const scores = fitted.info.scores ?? {};
    const candidates = [...forecasters.keys()].filter((name) => name !== 'auto' && !OPT_IN.has(name));
    expect(Object.keys(scores)).not.toContain('theta');
    expect(Object.keys(scores)).not.toContain('damped');
    for (const name of candidates) expect(Object.keys(scores)).toContain(name);
    const served = fitted.info.model;
    const blend = blendFromName(served);
    if (blend) {
      // |a − Σ wᵢfᵢ| ≤ Σ wᵢ|a − fᵢ|: a blend's backtest MASE is at most its members' weighted mean.
      const membersMase = blend.members.reduce((s, m, k) => s + (blend.weights[k] as number) * (scores[m]?.['mase'] as number), 0);
      expect(scores[served]?.['mase']).toBeLessThanOrEqual(membersMase + 1e-9);
    } else {
      const eligible = Object.entries(scores).filter(([, s]) => s['failures'] === 0);
      expect(scores[served]?.['mase']).toBeLessThanOrEqual(Math.min(...eligible.map(([, s]) => s['mase'] as number)) * 1.01);
    }

    const forecast = fitted.predict(288, [0.8, 0.95]);
    expect(forecast.point).toHaveLength(288);
    const [i80, i95] = forecast.intervals;
    forecast.point.forEach((p, h) => {
      expect(Number.isFinite(p)).toBe(true);
      expect(i95!.lower[h]).toBeLessThanOrEqual(i80!.lower[h]!);
      expect(i80!.lower[h]).toBeLessThanOrEqual(p);
      expect(i80!.upper[h]).toBeGreaterThanOrEqual(p);
      expect(i95!.upper[h]).toBeGreaterThanOrEqual(i80!.upper[h]!);
    });
    fitted.dispose();
  });
});
