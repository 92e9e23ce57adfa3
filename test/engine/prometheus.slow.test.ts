import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { loadShape } from '../support/synthetic-openmetrics.js';

/**
 * The service end to end against a real Prometheus holding 28 days of
 * backfilled history: forecasts from PromQL, a counter with a reset through
 * rate(), a gap, several series, no data, and Prometheus going away and
 * coming back.
 */

let prometheus: PrometheusHarness;
let t: TestApp;

const promTarget = (name: string, query: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  source: { type: 'prometheus', query, step: '5m' },
  history: '28d',
  horizon: '1d',
  models: ['mstl'],
  seasonalPeriods: ['1d', '1w'],
  refreshInterval: '3s',
  ...extra,
});

beforeAll(async () => {
  prometheus = await startPrometheus();
  t = await buildTestApp({
    // The circuit breaker stays closed here: five targets refreshing every 3 s would open it (3 failures in a
    // row) within moments of the stop below, and the error then depends on how quickly the machine ran them.
    // The breaker's own opening and probing are tested in test/sources/circuit-breaker.slow.test.ts.
    prometheus: { url: prometheus.url, timeout: '2s', retries: 1, circuitBreaker: { failureThreshold: 100 } },
    targets: [
      promTarget('load', 'prescient_test_load'),
      promTarget('requests', 'sum(rate(prescient_test_requests_total[5m]))'),
      promTarget('multi', 'prescient_test_multi'),
      promTarget('multi-summed', 'prescient_test_multi', { source: { type: 'prometheus', query: 'prescient_test_multi', step: '5m', aggregate: 'sum' } }),
      promTarget('nothing', 'prescient_metric_that_does_not_exist'),
    ],
  }, { startEngine: true });
  await Promise.all(['load', 'requests', 'multi', 'multi-summed', 'nothing'].map((n) => t.app.prescient.engine.refresh(n)));
}, 180_000);

afterAll(async () => {
  await t?.close();
  await prometheus?.close();
});

const target = async (name: string): Promise<Record<string, any>> => (await t.app.inject(`/api/v1/targets/${name}`)).json();
const forecast = async (name: string): Promise<Record<string, any>> => (await t.app.inject(`/api/v1/targets/${name}/forecast`)).json();

describe('forecasting from a real Prometheus', () => {
  it('forecasts the daily and weekly cycle of a gauge, filling its gap', async () => {
    const state = await target('load');
    expect(state).toMatchObject({ state: 'fitted', model: 'mstl', seasonalPeriods: [288, 2016], stale: false });
    // The 3 h without samples (36 steps; Prometheus' 5-minute lookback may bridge the first) and the NaN samples were filled, and counted.
    expect(state.filledGaps).toBeGreaterThanOrEqual(36);
    const body = await forecast('load');
    expect(body.point).toHaveLength(288);
    const errors = body.point.map((p: number, i: number) => Math.abs(p - loadShape(Date.parse(body.timestamps[i]))));
    const meanAbsoluteError = errors.reduce((a: number, b: number) => a + b, 0) / errors.length;
    // The noise has σ = 8 around a cycle of ±110: a forecast that knows the cycle lands close.
    expect(meanAbsoluteError).toBeLessThan(20);
  });

  it('forecasts a rate() over a counter with a reset without a negative spike', async () => {
    const body = await forecast('requests');
    expect(body.model).toBe('mstl');
    expect(Math.min(...body.point)).toBeGreaterThan(0);
    expect(Math.max(...body.point)).toBeLessThan(150);
  });

  it('records a coded error for a query returning several series, and sums them when told to', async () => {
    const multi = await target('multi');
    expect(multi).toMatchObject({ state: 'error', lastError: { code: 'PRESCIENT_ERR_PROMETHEUS_MULTIPLE_SERIES' } });
    expect((await t.app.inject('/api/v1/targets/multi/forecast')).statusCode).toBe(503);
    const summed = await target('multi-summed');
    expect(summed.state).toBe('fitted');
  });

  it('records PRESCIENT_ERR_PROMETHEUS_NO_DATA for a query returning nothing', async () => {
    expect(await target('nothing')).toMatchObject({ state: 'error', lastError: { code: 'PRESCIENT_ERR_PROMETHEUS_NO_DATA' } });
  });

  it('counts Prometheus requests on /metrics', async () => {
    const metrics = (await t.app.inject('/metrics')).body;
    expect(metrics).toMatch(/prescient_prometheus_request_duration_seconds_count\{outcome="success"\} [1-9]/);
  });
});

describe('Prometheus going away', () => {
  it('serves the last forecast marked stale, then recovers by itself when Prometheus is back', async () => {
    await prometheus.stop();
    // The first call may join a scheduled refresh that fetched before the stop; the second starts after it.
    await t.app.prescient.engine.refresh('load');
    await t.app.prescient.engine.refresh('load');
    const during = await forecast('load');
    expect(during.stale).toBe(true);
    expect(during.point).toHaveLength(288);
    const failing = await target('load');
    expect(failing.lastError.code).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
    // The forecast served is the last good one, made before the failure.
    expect(Date.parse(failing.lastError.at)).toBeGreaterThan(Date.parse(during.generatedAt));
    expect((await t.app.inject('/readyz')).json().failing).toContain('load');
    expect((await t.app.inject('/metrics')).body).toMatch(/prescient_prometheus_errors_total\{code="PRESCIENT_ERR_PROMETHEUS_UNREACHABLE"\} [1-9]/);

    await prometheus.restart();
    // No manual refresh from here: the engine's own schedule must bring it back.
    const deadline = Date.now() + 60_000;
    let after = await forecast('load');
    while (after.stale && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      after = await forecast('load');
    }
    expect(after.stale).toBe(false);
    expect(Date.parse(after.generatedAt)).toBeGreaterThan(Date.parse(failing.lastError.at));
    expect((await target('load')).lastError).toBeUndefined();
  }, 120_000);
});
