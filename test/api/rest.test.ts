import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildTestApp, DATA_DIR, fileTarget, type TestApp } from '../support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({
    targets: [
      // Replayed as if it ended now, so its forecast is fresh (staleness is the age of the data).
      fileTarget('rds', 'x', { scaling: { capacityPerReplica: 10 }, source: { type: 'file', path: join(DATA_DIR, 'nab/rds_cpu_utilization_cc0c53.csv'), shiftToNow: true } }),
      fileTarget('never-fitted', 'nab/ec2_cpu_utilization_53ea38.csv'),
    ],
  });
  await t.app.prescient.engine.refresh('rds');
});

afterAll(async () => {
  await t.close();
});

describe('health', () => {
  it('answers /healthz', async () => {
    const res = await t.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('reports not ready while a target has neither a forecast nor an error', async () => {
    const res = await t.app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ ready: false, pending: ['never-fitted'], failing: [] });
  });
});

describe('GET /api/v1/targets', () => {
  it('lists every target with its state', async () => {
    const res = await t.app.inject('/api/v1/targets');
    expect(res.statusCode).toBe(200);
    const { targets } = res.json() as { targets: Array<Record<string, unknown>> };
    expect(targets.map((x) => [x.name, x.state])).toEqual([
      ['rds', 'fitted'],
      ['never-fitted', 'pending'],
    ]);
    const rds = targets[0] as Record<string, unknown>;
    expect(rds.model).toBe('mstl');
    expect(rds.seasonalPeriods).toEqual([288]);
    expect(rds.stale).toBe(false);
    expect(typeof rds.lastFitAt).toBe('string');
  });

  it('returns 404 PRESCIENT_ERR_TARGET_NOT_FOUND for an unknown target', async () => {
    const res = await t.app.inject('/api/v1/targets/nope/forecast');
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_TARGET_NOT_FOUND', issues: [{ path: 'params.name' }] });
  });
});

describe('GET /api/v1/targets/:name/forecast', () => {
  it('serves the whole stored forecast with every level by default', async () => {
    const res = await t.app.inject('/api/v1/targets/rds/forecast');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ target: 'rds', model: 'mstl', step: '5m', stepSeconds: 300, stale: false });
    expect(body.point).toHaveLength(288);
    expect(body.timestamps).toHaveLength(288);
    expect(Date.parse(body.timestamps[1]) - Date.parse(body.timestamps[0])).toBe(300_000);
    // The target states no knob, so every level a setting of the own-history grid reads (0.6–0.95; 0.8 and 0.95 are the defaults' too).
    expect(body.intervals.map((i: { level: number }) => i.level)).toEqual([0.6, 0.8, 0.9, 0.95]);
    for (const interval of body.intervals as Array<{ lower: number[]; upper: number[] }>) {
      interval.lower.forEach((lower, i) => {
        expect(lower).toBeLessThanOrEqual(body.point[i]);
        expect(interval.upper[i]).toBeGreaterThanOrEqual(body.point[i]);
      });
    }
  });

  it('cuts the forecast to a horizon and levels', async () => {
    const res = await t.app.inject('/api/v1/targets/rds/forecast?horizon=1h&levels=0.95');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.point).toHaveLength(12);
    expect(body.intervals).toHaveLength(1);
    expect(body.intervals[0].level).toBe(0.95);
    expect(body.intervals[0].upper).toHaveLength(12);
  });

  it('returns 400 PRESCIENT_ERR_HORIZON_TOO_LONG past the stored horizon', async () => {
    const res = await t.app.inject('/api/v1/targets/rds/forecast?horizon=2d');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_HORIZON_TOO_LONG', issues: [{ path: 'query.horizon' }] });
  });

  it('returns 400 PRESCIENT_ERR_LEVEL_UNAVAILABLE for a level not forecast', async () => {
    const res = await t.app.inject('/api/v1/targets/rds/forecast?levels=0.5');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_LEVEL_UNAVAILABLE', issues: [{ path: 'query.levels' }] });
  });

  it.each([
    ['horizon=abc', 'query.horizon'],
    ['horizon=-5m', 'query.horizon'],
    ['levels=0.8,1.5', 'query.levels'],
    ['levels=', 'query.levels'],
  ])('returns 400 PRESCIENT_ERR_VALIDATION for %s', async (query, path) => {
    const res = await t.app.inject(`/api/v1/targets/rds/forecast?${query}`);
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('returns 400 PRESCIENT_ERR_VALIDATION naming an unknown query key', async () => {
    const res = await t.app.inject('/api/v1/targets/rds/forecast?horizn=1h');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(res.json().error.message).toContain('horizn');
  });

  it('returns 503 PRESCIENT_ERR_FORECAST_UNAVAILABLE before the first fit', async () => {
    const res = await t.app.inject('/api/v1/targets/never-fitted/forecast');
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_FORECAST_UNAVAILABLE', retryable: true });
  });
});

describe('POST /api/v1/forecast', () => {
  const daily = Array.from({ length: 288 * 3 }, (_, i) => 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + ((i * 7919) % 13) / 13);

  it('forecasts a series given in the body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/forecast',
      payload: { values: daily, step: '5m', start: '2026-01-01T00:00:00Z', horizon: '2h', model: 'mstl', levels: [0.9] },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.model).toBe('mstl');
    expect(body.point).toHaveLength(24);
    expect(body.timestamps[0]).toBe(new Date(Date.parse('2026-01-01T00:00:00Z') + 288 * 3 * 300_000).toISOString());
    expect(body.intervals[0].level).toBe(0.9);
    // The seasonal shape is followed: the forecast of the next 2 h tracks the same hours of the last day.
    const sameHoursYesterday = daily.slice(288 * 2, 288 * 2 + 24);
    const meanError = body.point.reduce((s: number, p: number, i: number) => s + Math.abs(p - (sameHoursYesterday[i] as number)), 0) / 24;
    expect(meanError).toBeLessThan(3);
  });

  it('fills null gaps and says so', async () => {
    const values: Array<number | null> = [...daily];
    values[100] = null;
    values[101] = null;
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values, step: 300, horizon: 600, model: 'snaive' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().notes).toContain('2 gaps filled by interpolation');
    expect(res.json().point).toHaveLength(2);
  });

  it.each([
    [{ step: '5m', horizon: '1h' }, 'body.values'],
    [{ values: [1, 'x', 3], step: '5m', horizon: '1h' }, 'body.values.1'],
    [{ values: [1, 2, 3], step: 'soon', horizon: '1h' }, 'body.step'],
    [{ values: [1, 2, 3], step: '5m' }, 'body.horizon'],
    [{ values: [1, 2, 3], step: '5m', horizon: '1h', levels: [1.2] }, 'body.levels.0'],
    [{ values: [1, 2, 3], step: '5m', horizon: '1h', extra: true }, 'body'],
  ])('returns 400 PRESCIENT_ERR_VALIDATION for %j', async (payload, path) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it('returns 400 PRESCIENT_ERR_MODEL_UNKNOWN for an unknown model', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [1, 2, 3], step: '5m', horizon: '1h', model: 'prophecy' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_MODEL_UNKNOWN', issues: [{ path: 'body.model' }] });
  });

  it('returns 400 PRESCIENT_ERR_HORIZON_TOO_LONG past limits.maxHorizonSteps', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [1, 2, 3], step: '1s', horizon: '7d', model: 'snaive' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_HORIZON_TOO_LONG');
  });

  it('serves seasonal naive, named in fallbackFrom, when the model asked for needs more history (issue 16: never refuse)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [1, 2, 3], step: '5m', horizon: '1h', model: 'mstl' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ model: 'snaive', fallbackFrom: 'mstl' });
    expect(res.json().notes[0]).toMatch(/^mstl failed: PRESCIENT_ERR_SERIES_TOO_SHORT/);
  });

  it('returns 422 PRESCIENT_ERR_SERIES_INVALID when no value is finite', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [null, null, null], step: '5m', horizon: '1h', model: 'snaive' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_SERIES_INVALID');
  });

  it('returns 400 PRESCIENT_ERR_VALIDATION for malformed JSON', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: '{"values": [1,', headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_VALIDATION');
  });

  it('returns 413 PRESCIENT_ERR_BODY_TOO_LARGE past server.bodyLimitBytes', async () => {
    const huge = JSON.stringify({ values: Array.from({ length: 700_000 }, () => 12345.678), step: '1m', horizon: '1h' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: huge, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_BODY_TOO_LARGE');
  });
});

describe('observability', () => {
  it('exposes fit durations and gap counts on /metrics', async () => {
    const res = await t.app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/prescient_fits_total\{target="rds",model="mstl"\} 1/);
    expect(res.body).toMatch(/prescient_fit_duration_seconds_count\{model="mstl"\} 1/);
    expect(res.body).toMatch(/prescient_history_filled_gaps\{target="rds"\} \d+/);
  });

  it('serves an OpenAPI document listing the routes', async () => {
    const res = await t.app.inject('/docs/json');
    expect(res.statusCode).toBe(200);
    const paths = Object.keys(res.json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v1/targets', '/api/v1/targets/{name}/forecast', '/api/v1/forecast', '/readyz']));
  });

  it('answers unknown routes with 404 PRESCIENT_ERR_NOT_FOUND', async () => {
    const res = await t.app.inject('/api/v2/everything');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_NOT_FOUND');
  });
});
