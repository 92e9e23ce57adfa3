import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';

const TOKEN = 'a-token-of-sixteen-chars';
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ server: { authToken: TOKEN }, limits: { fitRequests: { max: 3, window: '1m' } } });
});
afterAll(async () => {
  await t.close();
});

const invalidForecast = { values: [1], step: 'not a duration', horizon: -1, extra: true };

describe('the token', () => {
  it.each([
    ['POST', '/api/v1/forecast', invalidForecast],
    ['POST', '/api/v1/backtests', { target: 'x', series: 'not a series' }],
    ['GET', '/api/v1/backtests/some-id', undefined],
  ] as const)('guards %s %s, and is checked before validation', async (method, url, payload) => {
    const res = await t.app.inject({ method, url, ...(payload ? { payload } : {}), headers: { 'x-forwarded-for': '10.0.0.1' } });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'PRESCIENT_ERR_UNAUTHORIZED', message: expect.any(String), retryable: false, issues: [] } });
    // Nothing of the schema leaks to an unauthenticated client.
    expect(res.body).not.toMatch(/values|step|horizon|series/);
  });

  it('accepts the bearer scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const res = await t.app.inject({ url: '/api/v1/backtests/unknown-id', headers: { authorization: `${scheme} ${TOKEN}` } });
      expect(res.statusCode, scheme).toBe(404);
      expect(res.json().error.code).toBe('PRESCIENT_ERR_NOT_FOUND');
    }
  });

  it('refuses a wrong token with the right scheme', async () => {
    const res = await t.app.inject({ url: '/api/v1/backtests/unknown-id', headers: { authorization: `Bearer ${TOKEN.toUpperCase()}` } });
    expect(res.statusCode).toBe(401);
  });
});

describe('the per-client limit on requests that fit', () => {
  it('answers 429 PRESCIENT_ERR_RATE_LIMITED with Retry-After past limits.fitRequests.max, per client', async () => {
    const send = (ip: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: invalidForecast, remoteAddress: ip, headers: { authorization: `Bearer ${TOKEN}` } });
    for (let i = 0; i < 3; i++) expect((await send('10.1.1.1')).statusCode).toBe(400);
    const limited = await send('10.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.json()).toEqual({ error: { code: 'PRESCIENT_ERR_RATE_LIMITED', message: expect.stringMatching(/retry in/), retryable: true, issues: [] } });
    // Another client still has its own budget.
    expect((await send('10.2.2.2')).statusCode).toBe(400);
  });

  it('does not limit reads', async () => {
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ url: '/api/v1/targets', remoteAddress: '10.3.3.3' })).statusCode).toBe(200);
  });
});
