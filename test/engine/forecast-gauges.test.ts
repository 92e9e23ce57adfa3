import { describe, expect, it, vi } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { sharedRecommender } from '../../src/engine/recommender.js';
import { TargetStates } from '../../src/engine/target-state.js';
import { TARGETS_PER_SLICE, registerForecastGauges } from '../../src/engine/forecast-gauges.js';
import { createMetrics, exposition } from '../../src/telemetry/metrics.js';
import { forecastAt, statesWith, testConfig } from '../keda/helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');

/** Parses exposition text into "name{labels}" → value, for the series with a target label (the process's are left out). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#') || !line.includes('target="')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('registerForecastGauges', () => {
  it('exports yhat, interval bounds per level and horizon, recommended replicas and forecast age', async () => {
    const config = testConfig();
    const states = statesWith(config);
    let nowMs = T0;
    const metrics = createMetrics();
    registerForecastGauges(metrics, states, () => nowMs);

    // Nothing forecast yet: no series at all (never a fake 0).
    expect(samples(String(await exposition(metrics))).size).toBe(0);

    // Step i (one a minute from T0) has q90 = 100 + i.
    const load = Array.from({ length: 120 }, (_, i) => 100 + i);
    states.setForecast('web', forecastAt(T0, load, { observed: 97 }));
    nowMs = T0 + 30_000;
    const s = samples(String(await exposition(metrics)));
    // 5 m ahead of T0 + 30 s → first step at or after T0 + 5.5 min is step 6.
    expect(s.get('prescient_forecast_yhat{target="web",horizon="5m"}')).toBeCloseTo(106 * 0.8, 9);
    expect(s.get('prescient_forecast_yhat{target="web",horizon="15m"}')).toBeCloseTo(116 * 0.8, 9);
    expect(s.get('prescient_forecast_yhat{target="web",horizon="1h"}')).toBeCloseTo(161 * 0.8, 9);
    expect(s.get('prescient_forecast_yhat_upper{target="web",level="0.8",horizon="5m"}')).toBe(106);
    expect(s.get('prescient_forecast_yhat_upper{target="web",level="0.95",horizon="5m"}')).toBeCloseTo(106 * 1.1, 9);
    expect(s.get('prescient_forecast_yhat_lower{target="web",level="0.8",horizon="1h"}')).toBeCloseTo(161 * 0.64, 9);
    // Window [T0 + 30 s, T0 + 5.5 min] → max q90 at step 5 = 105 → 2 replicas.
    expect(s.get('prescient_recommended_replicas{target="web"}')).toBe(2);
    expect(s.get('prescient_scaling_window_load{target="web"}')).toBe(105);
    expect(s.get('prescient_forecast_age_seconds{target="web"}')).toBe(30);
    expect(s.get('prescient_forecast_stale{target="web"}')).toBe(0);
    expect(s.get('prescient_observed_load{target="web"}')).toBe(97);
    // The target without scaling gets no replica series.
    expect([...s.keys()].some((k) => k.includes('target="batch"'))).toBe(false);
  });

  it('drops horizons past the end of the forecast and marks old forecasts stale', async () => {
    const config = testConfig();
    const states = statesWith(config);
    const metrics = createMetrics();
    let nowMs = T0;
    registerForecastGauges(metrics, states, () => nowMs);
    states.setForecast('web', forecastAt(T0, 200, { steps: 90 }));
    nowMs = T0 + 61 * 60_000;
    const s = samples(String(await exposition(metrics)));
    expect(s.has('prescient_forecast_yhat{target="web",horizon="5m"}')).toBe(true);
    expect(s.has('prescient_forecast_yhat{target="web",horizon="1h"}')).toBe(false);
    expect(s.get('prescient_forecast_stale{target="web"}')).toBe(1);
  });

  it("computes a scrape's recommendations once for both gauges, in slices that leave the event loop to others", async () => {
    const names = Array.from({ length: 120 }, (_, i) => `web-${i}`);
    const config = configSchema.parse({
      targets: names.map((name) => ({
        name,
        source: { type: 'file', path: 'data/web.csv' },
        scaling: { capacityPerReplica: 100, quantile: 0.9, leadTime: '5m', minReplicas: 1, maxReplicas: 50 },
      })),
    });
    const states = new TargetStates(config.targets);
    for (const name of names) states.setForecast(name, { ...forecastAt(T0, 150), target: name });
    const recommender = sharedRecommender(states);
    const calls = vi.spyOn(recommender, 'recommend');
    const metrics = createMetrics();
    registerForecastGauges(metrics, states, () => T0 + 30_000, recommender);

    const scrape = exposition(metrics);
    let callsWhenOthersRan = Number.NaN;
    setImmediate(() => (callsWhenOthersRan = calls.mock.calls.length));
    const s = samples(String(await scrape));
    // Once per target for both gauges (not once per gauge), and other work ran before the last slice.
    expect(calls).toHaveBeenCalledTimes(120);
    expect(callsWhenOthersRan).toBeGreaterThanOrEqual(TARGETS_PER_SLICE);
    expect(callsWhenOthersRan).toBeLessThan(120);
    expect(s.get('prescient_scaling_window_load{target="web-0"}')).toBe(150);
    expect(s.get('prescient_scaling_window_load{target="web-119"}')).toBe(150);
    expect(s.get('prescient_recommended_replicas{target="web-119"}')).toBe(recommender.recommend('web-119', T0 + 30_000).replicas);
    expect(s.get('prescient_recommended_replicas{target="web-119"}')).toBeGreaterThanOrEqual(2);
  });

  it('exports the bounds at the levels the target states, not the extra levels its knob frontier reads', async () => {
    const config = configSchema.parse({
      targets: [
        // States nothing: knobs chosen on its history, so its forecasts carry the frontier's levels 0.6 … 0.95.
        { name: 'chosen', source: { type: 'file', path: 'data/web.csv' }, scaling: { capacityPerReplica: 100 } },
        {
          name: 'stated',
          source: { type: 'file', path: 'data/web.csv' },
          levels: [0.5],
          scaling: { capacityPerReplica: 100, quantile: 0.95, scaleInGuardQuantile: 'none' },
        },
      ],
    });
    const states = new TargetStates(config.targets);
    const point = Array.from({ length: 120 }, () => 100);
    const intervals = [0.5, 0.6, 0.8, 0.9, 0.95].map((level) => ({
      level,
      lower: point.map((v) => v - 10 * level),
      upper: point.map((v) => v + 10 * level),
    }));
    for (const name of ['chosen', 'stated']) states.setForecast(name, { ...forecastAt(T0, 110), target: name, point, intervals });
    const metrics = createMetrics();
    registerForecastGauges(metrics, states, () => T0);
    const s = samples(String(await exposition(metrics)));
    const levelsOf = (target: string): string[] =>
      [
        ...new Set(
          [...s.keys()]
            .filter((k) => k.startsWith(`prescient_forecast_yhat_upper{target="${target}"`))
            .map((k) => /level="([^"]+)"/.exec(k)?.[1] as string),
        ),
      ].sort();
    // Its own levels (default 0.8, 0.95), its default quantile's (0.9 → 0.8) and guard's (0.975 → 0.95).
    expect(levelsOf('chosen')).toEqual(['0.8', '0.95']);
    // levels [0.5] and quantile 0.95 (→ 0.9), no guard.
    expect(levelsOf('stated')).toEqual(['0.5', '0.9']);
    expect(s.get('prescient_forecast_yhat_lower{target="stated",level="0.9",horizon="15m"}')).toBe(91);
  });
});
