import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { forecastAgeMs, isStale, isTooStaleToScale } from '../../src/engine/target-state.js';
import { loadHistory, type RangeQuerier } from '../../src/sources/history.js';
import { forecastAt, testConfig } from '../keda/helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
const HOUR = 3_600_000;
let app: FastifyInstance;

beforeEach(async () => {
  app = await buildApp({ config: testConfig(), now: () => T0, logger: false, startEngine: false });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

/** A forecast made just now from a series whose newest sample is `hoursBehind` old. */
function madeNowFromOldData(hoursBehind: number) {
  const fresh = forecastAt(T0 - hoursBehind * HOUR, 400);
  return { ...fresh, generatedAtMs: T0 };
}

describe('one definition of staleness', () => {
  it('ages a forecast by its data, not by when it was made', () => {
    const forecast = madeNowFromOldData(3);
    expect(forecastAgeMs(forecast, T0)).toBe(3 * HOUR);
    const state = { config: testConfig().targets[0]!, forecast };
    expect(isStale(state, T0)).toBe(true);
    expect(isTooStaleToScale(state, T0)).toBe(true);
    const fresh = { config: state.config, forecast: forecastAt(T0, 400) };
    expect(isStale(fresh, T0)).toBe(false);
  });

  it('says stale on every face when the newest sample is hours old, however fresh the fit', async () => {
    app.prescient.states.setForecast('web', madeNowFromOldData(3));
    const listed = (await app.inject('/api/v1/targets')).json().targets.find((t: { name: string }) => t.name === 'web');
    expect(listed).toMatchObject({ stale: true, forecastAgeSeconds: 3 * 3600 });
    expect((await app.inject('/api/v1/targets/web')).json().stale).toBe(true);
    expect((await app.inject('/api/v1/targets/web/forecast')).json().stale).toBe(true);
    // An autoscaler is refused past twice staleAfter (1 h here), as before.
    const keda = await app.inject({ url: '/api/v1/keda/web', headers: { authorization: 'Bearer test-token-0123456789' } });
    expect(keda.statusCode).toBe(503);
    expect(keda.json().error.message).toContain('more than twice staleAfter');
    const metrics = (await app.inject('/metrics')).body;
    expect(metrics).toMatch(/prescient_forecast_stale\{target="web"\} 1/);
    expect(metrics).toMatch(/prescient_forecast_age_seconds\{target="web"\} 10800/);
  });

  it('says fresh on every face when the data is current', async () => {
    app.prescient.states.setForecast('web', forecastAt(T0, 400));
    expect((await app.inject('/api/v1/targets/web')).json().stale).toBe(false);
    expect((await app.inject('/api/v1/targets/web/forecast')).json().stale).toBe(false);
    expect((await app.inject('/api/v1/targets/web/recommendation')).json().stale).toBe(false);
    expect((await app.inject('/metrics')).body).toMatch(/prescient_forecast_stale\{target="web"\} 0/);
  });
});

describe('samples outside the history window', () => {
  it('are dropped and counted, so a clock years ahead cannot make old data look current', async () => {
    const target = { ...testConfig().targets[0]!, source: { type: 'prometheus' as const, query: 'up', stepSeconds: 60 }, historySeconds: 3600 };
    // A source that disobeys the window: two samples dated years ahead, one before the start.
    const source: RangeQuerier = {
      async queryRange(_query, startMs, endMs, stepSeconds) {
        const timestampsMs = [];
        for (let t = startMs; t <= endMs; t += stepSeconds * 1000) timestampsMs.push(t);
        timestampsMs.unshift(startMs - 60_000);
        timestampsMs.push(endMs + 3 * 365 * 86_400_000, endMs + 4 * 365 * 86_400_000);
        return { timestampsMs, values: timestampsMs.map(() => 1) };
      },
    };
    const history = await loadHistory(target, T0, source);
    expect(history.droppedOutsideWindow).toBe(3);
    expect(Math.max(...history.samples.timestampsMs)).toBe(T0);
    expect(Math.min(...history.samples.timestampsMs)).toBe(T0 - HOUR);
  });
});
