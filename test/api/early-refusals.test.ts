import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeriesValue, seriesValue } from '../../src/bodies/fields.js';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * A body of many invalid values is refused for the cost of one loop
 * (src/bodies/issues.ts, in the requests lane's worker), and any invalid request answers at most 20
 * issues and a count (src/api/error-handler.ts), never one issue per value.
 */

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ limits: { fitRequests: { max: 1000 } } });
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json' } });

interface ErrorAnswer {
  error: { code: string; message: string; issues: Array<{ path: string; message: string }> };
}

describe('isSeriesValue', () => {
  it('accepts exactly what the seriesValue schema accepts', () => {
    const edges = [null, 0, -0, 1e15, -1e15, 1e15 + 2, -1e15 - 2, 1e300, Number.NaN, Infinity, '1', true, [], {}, undefined];
    for (const v of edges) expect(isSeriesValue(v), String(v)).toBe(seriesValue.safeParse(v).success);
    fc.assert(fc.property(fc.oneof(fc.double(), fc.anything()), (v) => isSeriesValue(v) === seriesValue.safeParse(v).success));
  });
});

describe('a body of many invalid values', () => {
  it('POST /api/v1/forecast with 60,000 values out of range answers 400 with the first 20 values and a count, from one loop', async () => {
    const res = await post('/api/v1/forecast', { values: Array.from({ length: 60_000 }, (_, i) => 1e16 + i), step: 60, horizon: 60 });
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as ErrorAnswer;
    expect(error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(error.message).toBe('60000 of 60000 values in body.values are not numbers within ±1000000000000000 or null');
    expect(error.issues.slice(0, 20).map((i) => i.path)).toEqual(Array.from({ length: 20 }, (_, i) => `body.values.${i}`));
    expect(error.issues[20]).toEqual({ path: 'body', message: 'and 59980 more problems like these' });
    expect(error.issues).toHaveLength(21);
  });

  it('POST /api/v1/backtests with 1,000 values out of range does the same for body.series.values', async () => {
    const values = Array.from({ length: 1_000 }, (_, i) => (i % 2 === 0 ? 1e16 : i));
    const res = await post('/api/v1/backtests', { series: { values, step: 60 } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as ErrorAnswer;
    expect(error.message).toMatch(/^500 of 1000 values in body\.series\.values/);
    expect(error.issues[0]).toMatchObject({ path: 'body.series.values.0' });
    expect(error.issues[1]).toMatchObject({ path: 'body.series.values.2' });
    expect(error.issues).toHaveLength(21);
  });

  it('leaves a few bad values to the schema, which names every field at fault', async () => {
    const res = await post('/api/v1/forecast', { values: [1, 'x', 3], step: 1e300, horizon: 60 });
    expect(res.statusCode).toBe(400);
    expect((res.json() as ErrorAnswer).error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['body.values.1', 'body.step']));
  });

  it('caps the issues of any other invalid body at 20 and a count (an Alertmanager payload of 200 bad alerts)', async () => {
    const res = await post('/api/v1/webhooks/alertmanager', { version: '4', groupKey: 'g', status: 'firing', receiver: 'r', alerts: Array.from({ length: 200 }, () => ({})) });
    expect(res.statusCode).toBe(400);
    const { error } = res.json() as ErrorAnswer;
    expect(error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(error.issues).toHaveLength(21);
    expect(error.issues[20]?.message).toMatch(/^and \d+ more problems like these$/);
  });

  it('POST /api/v1/events refuses a body larger than one event needs (64 KiB) with 413 PRESCIENT_ERR_BODY_TOO_LARGE', async () => {
    const res = await post('/api/v1/events', { kind: 'deploy', start: '2026-01-01T00:00:00Z', note: 'x'.repeat(70_000) });
    expect(res.statusCode).toBe(413);
    expect((res.json() as ErrorAnswer).error.code).toBe('PRESCIENT_ERR_BODY_TOO_LARGE');
  });
});
