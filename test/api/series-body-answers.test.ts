import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';

/**
 * What the two series routes (POST /api/v1/forecast, POST /api/v1/backtests)
 * answer for bodies they refuse and bodies they accept, over real HTTP on a
 * listening app with a token. Their bodies are parsed and validated in the
 * requests lane's worker (src/engine/body-task.ts), not on the event loop:
 * every answer here — status, code, message, issues — was recorded from the
 * main-thread validation before that move, and must not change.
 */

const TOKEN = 'series-body-token';
const MAX_POINTS = 2_000;
let t: TestApp;
let base: string;

beforeAll(async () => {
  t = await buildTestApp({ server: { authToken: TOKEN }, limits: { maxPoints: MAX_POINTS, maxHorizonSteps: 500, fitRequests: { max: 1000 } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t.close();
});

async function post(
  path: string,
  body: string | undefined,
  { token = TOKEN, json = true, type = json ? 'application/json' : undefined }: { token?: string; json?: boolean; type?: string | undefined } = {},
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...(type ? { 'content-type': type } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body }),
  });
  return { status: res.status, body: await res.json() };
}

const ramp = (n: number) => Array.from({ length: n }, (_, i) => 100 + (i % 24));

describe('POST /api/v1/forecast refuses', () => {
  it('an unauthenticated body with 401 before looking at it (no schema learnt)', async () => {
    expect(await post('/api/v1/forecast', '{"values":"x"}', { token: '' })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_UNAUTHORIZED",
            "issues": [],
            "message": "missing or wrong token (Authorization: Bearer … or X-Api-Key)",
            "retryable": false,
          },
        },
        "status": 401,
      }
    `);
  });

  it('a request with no body', async () => {
    expect(await post('/api/v1/forecast', undefined, { json: false })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected object, received null",
                "path": "body",
              },
            ],
            "message": "body: Invalid input: expected object, received null",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('an empty JSON body', async () => {
    expect(await post('/api/v1/forecast', '')).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Body cannot be empty when content-type is set to 'application/json'",
                "path": "body",
              },
            ],
            "message": "Body cannot be empty when content-type is set to 'application/json'",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a body that is not JSON', async () => {
    expect(await post('/api/v1/forecast', '{"values":[1,2')).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Body is not valid JSON but content-type is set to 'application/json'",
                "path": "body",
              },
            ],
            "message": "Body is not valid JSON but content-type is set to 'application/json'",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('prototype poisoning', async () => {
    expect(await post('/api/v1/forecast', '{"values":[1,2],"step":60,"horizon":60,"__proto__":{"x":1}}')).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Body is not valid JSON but content-type is set to 'application/json'",
                "path": "body",
              },
            ],
            "message": "Body is not valid JSON but content-type is set to 'application/json'",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a JSON body sent as text/plain (fastify reads it as text; the schema refuses a string)', async () => {
    expect(await post('/api/v1/forecast', JSON.stringify({ values: [1, 2], step: 60, horizon: 60 }), { type: 'text/plain' })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected object, received string",
                "path": "body",
              },
            ],
            "message": "body: Invalid input: expected object, received string",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a body of a type no parser reads', async () => {
    expect(await post('/api/v1/forecast', 'values=1', { type: 'application/x-www-form-urlencoded' })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_UNSUPPORTED_MEDIA_TYPE",
            "issues": [
              {
                "message": "expected application/json",
                "path": "headers.content-type",
              },
            ],
            "message": "the body must be JSON (Content-Type: application/json)",
            "retryable": false,
          },
        },
        "status": 415,
      }
    `);
  });

  it('a body that is not an object', async () => {
    expect(await post('/api/v1/forecast', '[1,2,3]')).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected object, received array",
                "path": "body",
              },
            ],
            "message": "body: Invalid input: expected object, received array",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('several fields at fault, each named', async () => {
    expect(await post('/api/v1/forecast', JSON.stringify({ values: [1, 'x', null], step: 0.5, horizon: 1e300, levels: [1.5], extra: true }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.values.1",
              },
              {
                "message": "must be at least 1s",
                "path": "body.step",
              },
              {
                "message": "must be at most 366d",
                "path": "body.horizon",
              },
              {
                "message": "Too big: expected number to be <1",
                "path": "body.levels.0",
              },
              {
                "message": "Unrecognized key: "extra"",
                "path": "body",
              },
            ],
            "message": "body.values.1: Invalid input: expected number, received string; body.step: must be at least 1s; body.horizon: must be at most 366d; body.levels.0: Too big: expected number to be <1; body: Unrecognized key: "extra"",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('more than 20 bad values with the first 20 and a count', async () => {
    const values = [...ramp(10), ...Array.from({ length: 25 }, (_, i) => 1e16 + i)];
    expect(await post('/api/v1/forecast', JSON.stringify({ values, step: 60, horizon: 60 }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.10",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.11",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.12",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.13",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.14",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.15",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.16",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.17",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.18",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.19",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.20",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.21",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.22",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.23",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.24",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.25",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.26",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.27",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.28",
              },
              {
                "message": "expected a number between -1000000000000000 and 1000000000000000, or null",
                "path": "body.values.29",
              },
              {
                "message": "and 5 more problems like these",
                "path": "body",
              },
            ],
            "message": "25 of 35 values in body.values are not numbers within ±1000000000000000 or null",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('an unknown model', async () => {
    expect(await post('/api/v1/forecast', JSON.stringify({ values: ramp(10), step: 60, horizon: 60, model: 'prophet9' }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_MODEL_UNKNOWN",
            "issues": [
              {
                "message": "one of auto, snaive, lnaive, dnaive, smean, theta, damped, mstl, sarima, lstm",
                "path": "body.model",
              },
            ],
            "message": "unknown model "prophet9"",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('more values than limits.maxPoints', async () => {
    expect(await post('/api/v1/forecast', JSON.stringify({ values: ramp(MAX_POINTS + 1), step: 60, horizon: 60 }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "at most 2000 values",
                "path": "body.values",
              },
            ],
            "message": "too many values (2001)",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a horizon past limits.maxHorizonSteps', async () => {
    expect(await post('/api/v1/forecast', JSON.stringify({ values: ramp(10), step: 60, horizon: 60 * 501 }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_HORIZON_TOO_LONG",
            "issues": [
              {
                "message": "at most 500 steps (500m)",
                "path": "body.horizon",
              },
            ],
            "message": "horizon of 501 steps exceeds the limit",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });
});

describe('POST /api/v1/forecast accepts', () => {
  it('a series with gaps, forecasting from its last value', async () => {
    const values: Array<number | null> = ramp(48);
    values[5] = null;
    const { status, body } = await post('/api/v1/forecast', JSON.stringify({ values, step: 3600, start: '2026-01-01T00:00:00Z', horizon: 3 * 3600, model: 'snaive', seasonalPeriods: ['1d'], levels: [0.9] }));
    expect(status).toBe(200);
    expect(body).toMatchObject({
      target: 'ad-hoc',
      model: 'snaive',
      step: '1h',
      stepSeconds: 3600,
      timestamps: ['2026-01-03T00:00:00.000Z', '2026-01-03T01:00:00.000Z', '2026-01-03T02:00:00.000Z'],
      point: [100, 101, 102],
      stale: false,
      notes: ['1 gaps filled by interpolation'],
    });
    expect((body as { intervals: Array<{ level: number; lower: number[] }> }).intervals.map((i) => [i.level, i.lower.length])).toEqual([[0.9, 3]]);
  });
});

describe('POST /api/v1/backtests refuses', () => {
  it('an unauthenticated body with 401 before looking at it', async () => {
    expect(await post('/api/v1/backtests', '{}', { token: 'wrong' })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_UNAUTHORIZED",
            "issues": [],
            "message": "missing or wrong token (Authorization: Bearer … or X-Api-Key)",
            "retryable": false,
          },
        },
        "status": 401,
      }
    `);
  });

  it('a body with both a target and a series', async () => {
    expect(await post('/api/v1/backtests', JSON.stringify({ target: 'x', series: { values: ramp(20), step: 60 } }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "give exactly one of "target" and "series"",
                "path": "body.target",
              },
            ],
            "message": "body.target: give exactly one of "target" and "series"",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a series too short, with an unknown key', async () => {
    expect(await post('/api/v1/backtests', JSON.stringify({ series: { values: ramp(5), step: 60, extra: 1 } }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Too small: expected array to have >=10 items",
                "path": "body.series.values",
              },
              {
                "message": "Unrecognized key: "extra"",
                "path": "body.series",
              },
            ],
            "message": "body.series.values: Too small: expected array to have >=10 items; body.series: Unrecognized key: "extra"",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('more than 20 bad values in body.series.values with the first 20 and a count', async () => {
    const values = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'v' : i));
    expect(await post('/api/v1/backtests', JSON.stringify({ series: { values, step: 60 } }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.0",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.2",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.4",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.6",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.8",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.10",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.12",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.14",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.16",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.18",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.20",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.22",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.24",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.26",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.28",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.30",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.32",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.34",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.36",
              },
              {
                "message": "Invalid input: expected number, received string",
                "path": "body.series.values.38",
              },
            ],
            "message": "body.series.values.0: Invalid input: expected number, received string; body.series.values.2: Invalid input: expected number, received string; body.series.values.4: Invalid input: expected number, received string; body.series.values.6: Invalid input: expected number, received string; body.series.values.8: Invalid input: expected number, received string; body.series.values.10: Invalid input: expected number, received string; body.series.values.12: Invalid input: expected number, received string; body.series.values.14: Invalid input: expected number, received string; body.series.values.16: Invalid input: expected number, received string; body.series.values.18: Invalid input: expected number, received string; body.series.values.20: Invalid input: expected number, received string; body.series.values.22: Invalid input: expected number, received string; body.series.values.24: Invalid input: expected number, received string; body.series.values.26: Invalid input: expected number, received string; body.series.values.28: Invalid input: expected number, received string; body.series.values.30: Invalid input: expected number, received string; body.series.values.32: Invalid input: expected number, received string; body.series.values.34: Invalid input: expected number, received string; body.series.values.36: Invalid input: expected number, received string; body.series.values.38: Invalid input: expected number, received string",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('an unknown model', async () => {
    expect(await post('/api/v1/backtests', JSON.stringify({ series: { values: ramp(20), step: 60 }, models: ['snaive', 'nope'] }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_MODEL_UNKNOWN",
            "issues": [
              {
                "message": "one of auto, snaive, lnaive, dnaive, smean, theta, damped, mstl, sarima, lstm",
                "path": "body.models.1",
              },
            ],
            "message": "unknown model "nope"",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a body sent as text/plain', async () => {
    expect(await post('/api/v1/backtests', '{"target":"web"}', { type: 'text/plain; charset=utf-8' })).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_VALIDATION",
            "issues": [
              {
                "message": "Invalid input: expected object, received string",
                "path": "body",
              },
            ],
            "message": "body: Invalid input: expected object, received string",
            "retryable": false,
          },
        },
        "status": 400,
      }
    `);
  });

  it('a target that is not configured', async () => {
    expect(await post('/api/v1/backtests', JSON.stringify({ target: 'nowhere' }))).toMatchInlineSnapshot(`
      {
        "body": {
          "error": {
            "code": "PRESCIENT_ERR_TARGET_NOT_FOUND",
            "issues": [],
            "message": "no target "nowhere" is configured",
            "retryable": false,
          },
        },
        "status": 404,
      }
    `);
  });
});

describe('POST /api/v1/backtests accepts', () => {
  it('a series, and runs its backtest on the series given', async () => {
    const values: Array<number | null> = ramp(24 * 14);
    values[30] = null;
    const { status, body } = await post('/api/v1/backtests', JSON.stringify({ series: { values, step: 3600, start: 0 }, origins: 2, horizon: 6 * 3600, history: 7 * 86_400, models: ['snaive'], replay: false }));
    expect(status).toBe(202);
    const { location } = body as { location: string };
    let job: { status: string; result?: { series: unknown } } = { status: 'running' };
    for (let i = 0; i < 600 && job.status === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = (await (await fetch(`${base}${location}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as typeof job;
    }
    expect(job.status).toBe('succeeded');
    expect(job.result?.series).toEqual({ startMs: 0, stepSeconds: 3600, length: 24 * 14, filledGaps: 1 });
  });
});
