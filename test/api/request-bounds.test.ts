import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonShapeScanner } from '../../src/bodies/json-shape.js';
import { buildTestApp, type TestApp } from '../support/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({});
});
afterAll(async () => {
  await t.close();
});

const post = (url: string, payload: string | object) =>
  t.app.inject({ method: 'POST', url, payload: typeof payload === 'string' ? payload : JSON.stringify(payload), headers: { 'content-type': 'application/json' } });

function issuePaths(body: { error: { issues: Array<{ path: string }> } }): string[] {
  return body.error.issues.map((i) => i.path);
}

describe('JSON bodies too deep or too wide', () => {
  it('refuses a 4 MB deeply nested body with 413 PRESCIENT_ERR_BODY_TOO_COMPLEX', async () => {
    const depth = 1_000_000;
    const res = await post('/api/v1/forecast', '['.repeat(depth) + ']'.repeat(depth));
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ code: 'PRESCIENT_ERR_BODY_TOO_COMPLEX', issues: [{ path: 'body' }] });
  });

  it('refuses a flat array of more values than server.maxJsonElements', async () => {
    const res = await post('/api/v1/backtests', `{"series":{"values":[${'1,'.repeat(150_000)}1],"step":60}}`);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_BODY_TOO_COMPLEX');
  });

  it('counts only structure: brackets and commas inside strings do not count', () => {
    const scan = (text: string) => new JsonShapeScanner({ maxDepth: 3, maxElements: 5, maxValueBytes: 10_000 }).scan(Buffer.from(text))?.message;
    expect(scan(JSON.stringify({ a: '[[[[,,,,]]]]'.repeat(100), b: [[1]] }))).toBeUndefined();
    expect(scan(JSON.stringify({ a: '\\"[[[[' , b: [[[1]]] }))).toMatch(/deeper than 3/);
  });

  it('still refuses prototype poisoning', async () => {
    const res = await post('/api/v1/forecast', '{"__proto__":{"x":1},"values":[1,2],"step":60,"horizon":60}');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_VALIDATION');
  });
});

describe('numeric fields out of range answer 400 naming the field', () => {
  it.each([
    [{ values: [1, 2, 3], step: 1e300, horizon: 1e300 }, ['body.step', 'body.horizon']],
    [{ values: [1, 2, 3], step: 60, horizon: 60, start: 8_640_000_000_000_000 }, ['body.start']],
    [{ values: [1, 2, 3], step: 1e-300, horizon: 60 }, ['body.step']],
    [{ values: [1, 2, 3], step: 0.5, horizon: 60 }, ['body.step']],
    [{ values: [1, 2, 3], step: '500ms', horizon: 60 }, ['body.step']],
    [{ values: [1, 1e300, 3], step: 60, horizon: 60 }, ['body.values.1']],
    [{ values: [1, 2, 3], step: 60, horizon: 60, start: '9999-01-01T00:00:00Z' }, ['body.start']],
    [{ values: [1, 2, 3], step: 60, horizon: 60, seasonalPeriods: [1e300] }, ['body.seasonalPeriods.0']],
  ])('POST /api/v1/forecast %j', async (payload, paths) => {
    const res = await post('/api/v1/forecast', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(issuePaths(res.json())).toEqual(expect.arrayContaining(paths));
  });

  it.each([
    [{ series: { values: Array(10).fill(1), step: 1e-3 } }, ['body.series.step']],
    [{ series: { values: Array(10).fill(1), step: 60, start: -1 } }, ['body.series.start']],
    [{ series: { values: Array(10).fill(1), step: 60 }, horizon: 1e308 }, ['body.horizon']],
    [{ target: 'x', window: '520w' }, ['body.window']],
    [{ series: { values: Array(10).fill(1), step: 60 }, replay: { capacityPerReplica: 1e300, leadTime: 1e300 } }, ['body.replay.capacityPerReplica', 'body.replay.leadTime']],
  ])('POST /api/v1/backtests %j', async (payload, paths) => {
    const res = await post('/api/v1/backtests', payload);
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res.json())).toEqual(expect.arrayContaining(paths));
  });

  it.each(['0x10', '1e1', '16.5', '0', ' 16', '99999'])('GET schedule?hours=%s is refused', async (hours) => {
    const res = await t.app.inject(`/api/v1/targets/none/schedule?hours=${encodeURIComponent(hours)}`);
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res.json())).toEqual(['query.hours']);
  });

  it('GET schedule?hours=16 passes validation (then 404: no such target)', async () => {
    expect((await t.app.inject('/api/v1/targets/none/schedule?hours=16')).statusCode).toBe(404);
  });

  it('GET forecast?horizon past a year is refused naming query.horizon', async () => {
    const res = await t.app.inject('/api/v1/targets/none/forecast?horizon=1e300');
    expect(res.statusCode).toBe(400);
    expect(issuePaths(res.json())).toEqual(['query.horizon']);
  });
});
