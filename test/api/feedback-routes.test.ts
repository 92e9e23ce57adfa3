import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { LiveAccuracyBook } from '../../src/feedback/live-accuracy.js';
import { forecastAt, testConfig } from '../keda/helpers.js';

const TOKEN = 'test-token-0123456789';
const T0 = Date.parse('2026-03-02T08:00:00Z');
let app: FastifyInstance;

beforeEach(async () => {
  app = await buildApp({ config: testConfig(), now: () => T0, logger: false, startEngine: false });
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

const reactive = { state: 'reactive' as const, reason: 'the refit did not recover within 7200 s: live MASE 4.1 > 2', sinceMs: T0 - 60_000, judgeFromMs: T0 - 60_000 };

describe('a target the watchdog demoted', () => {
  it('is sized on the observed load on every HTTP face, marked reactive with the reason', async () => {
    // The forecast asks for 730 load (8 replicas); the observed load is 260 (3 replicas).
    app.prescient.states.setForecast('web', forecastAt(T0, 730, { observed: 260 }), { health: reactive });
    const rest = (await app.inject('/api/v1/targets/web/recommendation')).json();
    expect(rest.replicas).toBe(3);
    expect(rest.basis).toMatchObject({ mode: 'reactive', reason: reactive.reason, windowMaxLoad: 260, observedLoad: 260, forecastReplicas: 3 });

    const keda = (await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(keda).toMatchObject({ replicas: 3, windowMaxLoad: 260, mode: 'reactive', reason: reactive.reason });

    const external = (await app.inject('/apis/external.metrics.k8s.io/v1beta1/namespaces/default/prescient-web-replicas')).json();
    expect(external.items[0]).toMatchObject({ value: '3', metricLabels: { mode: 'reactive' } });

    const target = (await app.inject('/api/v1/targets/web')).json();
    expect(target.health).toEqual({ state: 'reactive', reason: reactive.reason, since: new Date(reactive.sinceMs).toISOString() });
  });

  it('answers predictive again once trusted', async () => {
    app.prescient.states.setForecast('web', forecastAt(T0, 730, { observed: 260 }), { health: { ...reactive, state: 'trusted', reason: 'shadow forecasts held' } });
    const rest = (await app.inject('/api/v1/targets/web/recommendation')).json();
    expect(rest.replicas).toBe(8);
    expect(rest.basis.mode).toBe('predictive');
    expect(rest.basis.reason).toBeUndefined();
  });
});

describe('GET /api/v1/targets/:name/accuracy', () => {
  it('returns the live accuracy windows with their range and count', async () => {
    const book = new LiveAccuracyBook();
    const settings = { stepSeconds: 60, levels: [0.8, 0.95], leadTimeSeconds: 300, refreshIntervalSeconds: 900, scalingLevel: 0.8 };
    const made = forecastAt(T0 - 3_600_000, 100);
    book.update('web', settings, { startMs: T0 - 3_660_000, stepSeconds: 60, values: [80] }, made, T0 - 3_600_000);
    const actuals = { startMs: T0 - 3_600_000, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => 70 + (i % 20)) };
    const accuracy = book.update('web', settings, actuals, forecastAt(T0, 100), T0);
    app.prescient.states.setForecast('web', forecastAt(T0, 100), { accuracy });
    const res = await app.inject('/api/v1/targets/web/accuracy');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ target: 'web', at: new Date(T0).toISOString(), leadTimeSeconds: 300, scalingLevel: 0.8 });
    const hour = body.windows.find((w: { window: string }) => w.window === '1h');
    // Steps scored: those at least 5 min after the forecast knew its last value, up to its kept steps.
    expect(hour.count).toBeGreaterThan(10);
    expect(hour.count).toBe(body.windows[1].count);
    expect(Date.parse(hour.from)).toBeGreaterThanOrEqual(T0 - 3_600_000);
    expect(hour.mase).toBeGreaterThan(0);
    expect(hour.coverage.map((c: { level: number }) => c.level)).toEqual([0.8, 0.95]);
  });

  it('answers an empty list before any scoring, and 404 for an unknown target', async () => {
    expect((await app.inject('/api/v1/targets/web/accuracy')).json()).toEqual({ target: 'web', windows: [] });
    const missing = await app.inject('/api/v1/targets/nope/accuracy');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('PRESCIENT_ERR_TARGET_NOT_FOUND');
  });
});
