import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toQuantity } from '../../src/api/scaling-routes.js';
import { buildApp } from '../../src/app.js';
import type { TargetStates } from '../../src/engine/target-state.js';
import { sharedRecommender } from '../../src/engine/recommender.js';
import { forecastAt, testConfig } from '../keda/helpers.js';

const TOKEN = 'test-token-0123456789';
const T0 = Date.parse('2026-03-02T08:00:00Z');
let nowMs = T0;
let states: TargetStates;
let app: FastifyInstance;

// The real app (compilers, error handler, OpenAPI), with the engine stopped:
// tests put forecasts into its TargetStates directly.
beforeEach(async () => {
  nowMs = T0;
  const config = testConfig();
  app = await buildApp({ config, now: () => nowMs, logger: false, startEngine: false });
  states = app.prescient.states;
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

describe('GET /api/v1/targets/:name/recommendation', () => {
  it('explains the recommendation: model, quantile, window max, observed load, clamps, HPA tolerance', async () => {
    const load = Array.from({ length: 120 }, (_, i) => (i === 2 ? 730 : 240));
    states.setForecast('web', forecastAt(nowMs, load, { observed: 260 }));
    const res = await app.inject({ url: '/api/v1/targets/web/recommendation' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      target: 'web',
      replicas: 8,
      at: '2026-03-02T08:00:00.000Z',
      basis: {
        mode: 'predictive',
        model: 'mstl',
        quantile: 0.9,
        scaleInGuardQuantile: 0.975,
        utilisation: 1,
        knobsFrom: 'config',
        windowMaxLoad: 730,
        windowMaxUpperLoad: expect.closeTo(803, 6),
        observedLoad: 260,
        leadTimeSeconds: 300,
        capacityPerReplica: 100,
        forecastReplicas: 8,
        reactiveFloorReplicas: 3,
      },
      clampedBy: [],
      withinHpaTolerance: false,
      stale: false,
    });
    // Asked again a moment later: compared with the previous one, within the HPA's tolerance.
    nowMs += 10_000;
    const again = (await app.inject({ url: '/api/v1/targets/web/recommendation' })).json();
    expect(again).toMatchObject({ replicas: 8, withinHpaTolerance: true, basis: { previousReplicas: 8 } });
  });

  it('still answers for a too-stale forecast, marked stale', async () => {
    states.setForecast('web', forecastAt(nowMs, 240, { steps: 600 }));
    nowMs += 3 * 3600_000;
    const res = await app.inject({ url: '/api/v1/targets/web/recommendation' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stale: true, replicas: 3 });
  });

  it('answers 404, 409 and 503 with coded error bodies', async () => {
    const notFound = await app.inject({ url: '/api/v1/targets/nope/recommendation' });
    expect(notFound.statusCode).toBe(404);
    expect(notFound.json().error.code).toBe('PRESCIENT_ERR_TARGET_NOT_FOUND');
    const noScaling = await app.inject({ url: '/api/v1/targets/batch/recommendation' });
    expect(noScaling.statusCode).toBe(409);
    expect(noScaling.json().error.code).toBe('PRESCIENT_ERR_SCALING_NOT_CONFIGURED');
    const noForecast = await app.inject({ url: '/api/v1/targets/web/recommendation' });
    expect(noForecast.statusCode).toBe(503);
    expect(noForecast.json().error).toMatchObject({ code: 'PRESCIENT_ERR_FORECAST_UNAVAILABLE', retryable: true });
  });
});

describe('GET /api/v1/targets/:name/schedule', () => {
  it('gives replicas per step for the hours asked, cut where the forecast ends', async () => {
    const load = Array.from({ length: 120 }, (_, i) => (i >= 60 && i < 90 ? 1200 : 300));
    states.setForecast('web', forecastAt(nowMs, load));
    const oneHour = (await app.inject({ url: '/api/v1/targets/web/schedule?hours=1' })).json();
    expect(oneHour.steps).toHaveLength(60);
    expect(oneHour.steps[0]).toMatchObject({ at: '2026-03-02T08:00:00.000Z', replicas: 3, load: 300 });
    // The peak at +60 min is planned for 5 minutes (the lead time) ahead.
    expect(oneHour.steps[54].replicas).toBe(3);
    expect(oneHour.steps[55].replicas).toBe(12);
    const all = (await app.inject({ url: '/api/v1/targets/web/schedule' })).json();
    expect(all.steps).toHaveLength(120);
    expect(all.endsAt).toBe(new Date(T0 + 120 * 60_000).toISOString());
  });

  it('rejects a bad hours value with 400 PRESCIENT_ERR_VALIDATION', async () => {
    states.setForecast('web', forecastAt(nowMs, 300));
    for (const hours of ['0', '-3', 'abc', '10000']) {
      const res = await app.inject({ url: `/api/v1/targets/web/schedule?hours=${hours}` });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.issues[0].path).toBe('query.hours');
    }
  });
});

describe('GET /api/v1/keda/:target (KEDA metrics-api)', () => {
  it('needs the token (Bearer or X-Api-Key)', async () => {
    states.setForecast('web', forecastAt(nowMs, 450));
    const none = await app.inject({ url: '/api/v1/keda/web' });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('PRESCIENT_ERR_UNAUTHORIZED');
    expect((await app.inject({ url: '/api/v1/keda/web', headers: { authorization: 'Bearer wrong-token-0123456789' } })).statusCode).toBe(401);
    // A wrong token of the right length is refused too: the check compares the bytes, not just the length.
    const sameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('9') ? '8' : '9');
    expect(sameLength).toHaveLength(TOKEN.length);
    for (const headers of [{ authorization: `Bearer ${sameLength}` }, { 'x-api-key': sameLength }]) {
      const res = await app.inject({ url: '/api/v1/keda/web', headers });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('PRESCIENT_ERR_UNAUTHORIZED');
    }
    const bearer = await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.statusCode).toBe(200);
    expect(bearer.json()).toMatchObject({ target: 'web', replicas: 5, windowMaxLoad: 450, quantile: 0.9, leadTimeSeconds: 300, stale: false });
    expect((await app.inject({ url: '/api/v1/keda/web', headers: { 'x-api-key': TOKEN } })).statusCode).toBe(200);
  });

  it('answers 503 PRESCIENT_ERR_FORECAST_UNAVAILABLE before the first forecast (never a silent 0)', async () => {
    const res = await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_FORECAST_UNAVAILABLE', retryable: true });
    expect(res.json().error.message).toContain('no forecast yet');
  });

  it('reports the reactive floor as the window load when the observed load is above the forecast', async () => {
    states.setForecast('web', forecastAt(nowMs, 150, { observed: 480 }));
    const res = await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ replicas: 5, windowMaxLoad: 480, observedLoad: 480 });
  });

  it('answers 503 when the forecast is too stale to scale on, so KEDA falls back', async () => {
    states.setForecast('web', forecastAt(nowMs, 450, { steps: 600 }));
    nowMs += 121 * 60_000;
    const res = await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
  });
});

describe('HPA external metrics API', () => {
  const base = '/apis/external.metrics.k8s.io/v1beta1';

  it('answers an ExternalMetricValueList with quantity strings', async () => {
    states.setForecast('web', forecastAt(nowMs, 1234.5));
    const replicas = await app.inject({ url: `${base}/namespaces/shop/prescient-web-replicas?labelSelector=app%3Dweb` });
    expect(replicas.statusCode).toBe(200);
    expect(replicas.json()).toEqual({
      kind: 'ExternalMetricValueList',
      apiVersion: 'external.metrics.k8s.io/v1beta1',
      metadata: {},
      items: [
        {
          metricName: 'prescient-web-replicas',
          metricLabels: { target: 'web', quantile: '0.9', model: 'mstl', mode: 'predictive' },
          timestamp: '2026-03-02T08:00:00Z',
          value: '13',
        },
      ],
    });
    const load = (await app.inject({ url: `${base}/namespaces/any/prescient-web-load` })).json();
    expect(load.items[0].value).toBe('1234500m');
  });

  it('answers 503 PRESCIENT_ERR_FORECAST_UNAVAILABLE before the first forecast', async () => {
    for (const metric of ['prescient-web-replicas', 'prescient-web-load']) {
      const res = await app.inject({ url: `${base}/namespaces/shop/${metric}` });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_FORECAST_UNAVAILABLE', retryable: true });
    }
  });

  it('answers 503 once the forecast is older than twice staleAfter, and serves it until then', async () => {
    states.setForecast('web', forecastAt(nowMs, 450, { steps: 600 }));
    // Stale (older than staleAfter, 1 h) but within twice staleAfter: still served.
    nowMs += 119 * 60_000;
    const stale = await app.inject({ url: `${base}/namespaces/shop/prescient-web-replicas` });
    expect(stale.statusCode).toBe(200);
    expect(stale.json().items[0].value).toBe('5');
    // Exactly twice staleAfter is the last moment it is served; a second later it is refused.
    nowMs = T0 + 120 * 60_000;
    expect((await app.inject({ url: `${base}/namespaces/shop/prescient-web-replicas` })).statusCode).toBe(200);
    nowMs += 1_000;
    for (const metric of ['prescient-web-replicas', 'prescient-web-load']) {
      const res = await app.inject({ url: `${base}/namespaces/shop/${metric}` });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('PRESCIENT_ERR_FORECAST_UNAVAILABLE');
      expect(res.json().error.message).toContain('more than twice staleAfter');
    }
  });

  it('reports the reactive floor as the load when the observed load is above the forecast', async () => {
    states.setForecast('web', forecastAt(nowMs, 150, { observed: 480 }));
    const load = (await app.inject({ url: `${base}/namespaces/shop/prescient-web-load` })).json();
    expect(load.items[0].value).toBe('480');
    const replicas = (await app.inject({ url: `${base}/namespaces/shop/prescient-web-replicas` })).json();
    expect(replicas.items[0].value).toBe('5');
  });

  it('lists the metrics it serves for API discovery', async () => {
    const res = (await app.inject({ url: base })).json();
    expect(res.groupVersion).toBe('external.metrics.k8s.io/v1beta1');
    expect(res.resources.map((r: { name: string }) => r.name)).toEqual(['prescient-web-replicas', 'prescient-web-load']);
  });

  it('rejects other metric names and unknown targets with coded errors', async () => {
    const bad = await app.inject({ url: `${base}/namespaces/shop/cpu_usage` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].path).toBe('params.metric');
    const unknown = await app.inject({ url: `${base}/namespaces/shop/prescient-nope-replicas` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('PRESCIENT_ERR_TARGET_NOT_FOUND');
  });
});

describe('one recommender behind every face', () => {
  it('REST, metrics-api, external metrics and /metrics share scale-in memory', async () => {
    // A peak asked for through REST ...
    states.setForecast('web', forecastAt(nowMs, 730));
    expect((await app.inject({ url: '/api/v1/targets/web/recommendation' })).json().replicas).toBe(8);
    // ... then the load drops: a minute later every other face still holds 8 (the 300 s stabilisation window),
    // which only memory of the REST answer can explain (a fresh policy would say 3).
    nowMs += 60_000;
    states.setForecast('web', forecastAt(nowMs, 240));
    const metrics = (await app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^prescient_recommended_replicas\{target="web"\} 8$/m);
    const keda = (await app.inject({ url: '/api/v1/keda/web', headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(keda.replicas).toBe(8);
    const external = (await app.inject({ url: '/apis/external.metrics.k8s.io/v1beta1/namespaces/shop/prescient-web-replicas' })).json();
    expect(external.items[0].value).toBe('8');
    // The gRPC scaler takes sharedRecommender(states) by default (src/server.ts passes none): the same memory.
    const rec = sharedRecommender(states).recommend('web', nowMs, { forAutoscaler: true });
    expect(rec).toMatchObject({ replicas: 8, clampedBy: ['stabilizationWindow'], basis: { forecastReplicas: 3, previousReplicas: 8 } });
  });
});

describe('toQuantity', () => {
  it('writes whole numbers plainly and others in thousandths rounded up', () => {
    expect(toQuantity(3)).toBe('3');
    expect(toQuantity(1.5)).toBe('1500m');
    expect(toQuantity(0.0001)).toBe('1m');
    expect(toQuantity(0)).toBe('0');
  });
});

describe('OpenAPI', () => {
  it('documents the scaling routes', async () => {
    const res = await app.inject({ url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/targets/{name}/recommendation',
        '/api/v1/targets/{name}/schedule',
        '/api/v1/keda/{target}',
        '/apis/external.metrics.k8s.io/v1beta1/namespaces/{ns}/{metric}',
      ]),
    );
  });
});
