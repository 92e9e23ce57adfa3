import type { FastifyInstance } from 'fastify';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSynthetic, toCsv } from '../../data/generate.js';
import { buildApp } from '../../src/app.js';
import { backtestResultSchema } from '../../src/backtest/result.js';
import { configSchema } from '../../src/config/schema.js';

const TOKEN = 'test-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
let dir: string;
let app: FastifyInstance;

const synthetic = generateSynthetic({ days: 8, stepSeconds: 300, seed: 11, gapShare: 0 });
const inlineSeries = { values: synthetic.values, step: '5m', start: synthetic.timestampsMs[0] };

// The real app (compilers, error handler, auth, its one-at-a-time backtest lane), engine stopped. One app
// serves the file's tests in turn (its backtest thread starts once, not once a test): every test waits for
// the backtests it starts, so each finds the lane free; the listing test has an app of its own.
async function startApp(): Promise<FastifyInstance> {
  const config = configSchema.parse({
    server: { authToken: TOKEN },
    targets: [
      { name: 'web', source: { type: 'file', path: join(dir, 'web.csv') } },
      {
        name: 'shop',
        source: { type: 'file', path: join(dir, 'web.csv') },
        refreshInterval: '6h',
        scaling: { capacityPerReplica: 40, leadTime: '10m', quantile: 0.95, scaleIn: { maxReplicas: 2, stabilizationWindow: '10m' } },
      },
    ],
  });
  const built = await buildApp({ config, logger: false, startEngine: false });
  await built.ready();
  return built;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prescient-backtest-api-'));
  writeFileSync(join(dir, 'web.csv'), toCsv(synthetic));
  app = await startApp();
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(id: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ url: `/api/v1/backtests/${id}`, headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, unknown>;
    if (body.status !== 'running' || Date.now() > until) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('POST /api/v1/backtests', () => {
  it('runs a backtest of an inline series in a worker and serves the result by id', { timeout: 90_000 }, async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/backtests',
      headers: auth,
      payload: { series: inlineSeries, origins: 1, models: ['snaive'], seasonalPeriods: ['1d'], replay: { startupDelay: '5m', reactiveTrigger: false } },
    });
    expect(res.statusCode).toBe(202);
    const { id, status, location } = res.json() as { id: string; status: string; location: string };
    expect(status).toBe('running');
    expect(location).toBe(`/api/v1/backtests/${id}`);
    expect(res.headers.location).toBe(location);

    const job = await waitFor(id);
    expect(job.error).toBeUndefined();
    expect(job.status).toBe('succeeded');
    const result = backtestResultSchema.parse(job.result);
    expect(result.source).toBe('request body');
    expect(result.models.map((m) => m.model)).toEqual(['snaive']);
    expect(result.models[0]?.originsScored).toBe(1);
    expect(result.replay?.params.startupDelaySeconds).toBe(300);
    expect(result.replay?.params.leadTimeSeconds).toBe(360);
    expect(result.replay?.params.reactiveTrigger).toBe(false);
    expect(result.replay?.policies).toHaveLength(5);
  });

  it('backtests a configured target from its own source', { timeout: 90_000 }, async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { target: 'web', origins: 1, models: ['snaive'], replay: false } });
    expect(res.statusCode).toBe(202);
    const job = await waitFor((res.json() as { id: string }).id);
    expect(job.status).toBe('succeeded');
    const result = backtestResultSchema.parse(job.result);
    expect(result.source).toBe('target web');
    expect(result.replay).toBeNull();
  });

  it('replays a configured target at its own refresh and scaling, the request winning where it says more', { timeout: 90_000 }, async () => {
    const payload = { target: 'shop', origins: 1, models: ['snaive'], seasonalPeriods: ['1d'], replay: { model: 'snaive', startupDelay: '1m' } };
    const res = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload });
    expect(res.statusCode).toBe(202);
    const job = await waitFor((res.json() as { id: string }).id);
    expect(job.status).toBe('succeeded');
    const params = backtestResultSchema.parse(job.result).replay?.params;
    expect(params).toMatchObject({
      refitEverySeconds: 6 * 3600,
      capacityPerReplica: 40,
      policyCapacityPerReplica: 40,
      leadTimeSeconds: 600,
      quantile: 0.95,
      scaleIn: { maxReplicas: 2, stabilizationWindowSeconds: 600, intervalSeconds: 60 },
      startupDelaySeconds: 60,
    });
  });

  it('refuses a second backtest while the first runs with 503 PRESCIENT_ERR_POOL_FULL', { timeout: 90_000 }, async () => {
    const payload = { series: inlineSeries, origins: 2, models: ['mstl'], seasonalPeriods: ['1d'] };
    const first = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload });
    expect(first.statusCode).toBe(202);
    const second = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload });
    expect(second.statusCode).toBe(503);
    expect(second.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_POOL_FULL', retryable: true } });
    expect((await waitFor((first.json() as { id: string }).id)).status).toBe('succeeded');
  });

  it('needs the token: 401 PRESCIENT_ERR_UNAUTHORIZED', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/backtests', payload: { series: inlineSeries } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_UNAUTHORIZED' } });
  });

  it('returns 400 PRESCIENT_ERR_VALIDATION for a bad body, field by field', async () => {
    const both = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { target: 'web', series: inlineSeries } });
    expect(both.statusCode).toBe(400);
    expect(both.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_VALIDATION' } });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { series: inlineSeries, origins: 0, quantile: 2, url: 'http://evil' } });
    expect(bad.statusCode).toBe(400);
    const paths = (bad.json() as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.origins', 'body.quantile']));
  });

  it('returns 400 PRESCIENT_ERR_MODEL_UNKNOWN and 404 PRESCIENT_ERR_TARGET_NOT_FOUND before starting anything', async () => {
    const model = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { series: inlineSeries, models: ['nope'] } });
    expect(model.statusCode).toBe(400);
    expect(model.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_MODEL_UNKNOWN' } });
    const target = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { target: 'nope' } });
    expect(target.statusCode).toBe(404);
    expect(target.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_TARGET_NOT_FOUND' } });
    // Nothing was started: the one backtest lane is still free for a valid request.
    const valid = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { series: inlineSeries, origins: 1, models: ['snaive'], replay: false } });
    expect(valid.statusCode).toBe(202);
    expect((await waitFor((valid.json() as { id: string }).id)).status).toBe('succeeded');
  });

  it('records a failing backtest as failed with its code', { timeout: 60_000 }, async () => {
    // One day of data cannot hold an origin with a one-day horizon and history before it.
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/backtests',
      headers: auth,
      payload: { series: { ...inlineSeries, values: synthetic.values.slice(0, 288) }, origins: 1, horizon: '2d', models: ['snaive'] },
    });
    expect(res.statusCode).toBe(202);
    const job = await waitFor((res.json() as { id: string }).id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ code: 'PRESCIENT_ERR_VALIDATION' });
  });
});

describe('GET /api/v1/backtests/:id', () => {
  it('returns 404 PRESCIENT_ERR_NOT_FOUND for an unknown id', async () => {
    const res = await app.inject({ url: '/api/v1/backtests/does-not-exist', headers: auth });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_NOT_FOUND' } });
  });
});

describe('GET /api/v1/backtests and /api/v1/backtests/:id/report', () => {
  // An app of its own, so the list starts empty whatever ran before.
  let shared: FastifyInstance;
  beforeAll(async () => {
    shared = app;
    app = await startApp();
  });
  afterAll(async () => {
    await app.close();
    app = shared;
  });

  it('lists the backtests kept, newest first, and serves a finished one as the HTML report', { timeout: 90_000 }, async () => {
    expect((await app.inject({ url: '/api/v1/backtests' })).json()).toEqual({ backtests: [] });
    const res = await app.inject({ method: 'POST', url: '/api/v1/backtests', headers: auth, payload: { target: 'web', origins: 1, models: ['snaive'], replay: false } });
    const { id } = res.json() as { id: string };
    const running = await app.inject({ url: `/api/v1/backtests/${id}/report` });
    expect(running.statusCode).toBe(404);
    expect(running.json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_NOT_FOUND', message: expect.stringContaining('still running') } });
    expect((await waitFor(id)).status).toBe('succeeded');
    const list = (await app.inject({ url: '/api/v1/backtests' })).json() as { backtests: Array<Record<string, string>> };
    expect(list.backtests).toEqual([expect.objectContaining({ id, status: 'succeeded', source: 'target web' })]);
    const report = await app.inject({ url: `/api/v1/backtests/${id}/report` });
    expect(report.statusCode).toBe(200);
    expect(report.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(report.body).toMatch(/^<!doctype html>/i);
    expect(report.body).toContain('target web');
    expect((await app.inject({ url: '/api/v1/backtests/unknown/report' })).json()).toMatchObject({ error: { code: 'PRESCIENT_ERR_NOT_FOUND' } });
  });
});
