import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecasters } from '../../src/models/registry.js';
import { buildTestApp, fileTarget, type TestApp } from '../support/app.js';
import { asgLastDays, expectValidBounded, SHAPES, type ForecastBody, type Shape } from '../support/shapes.js';

/**
 * Issue 16's shapes × every model in the registry (the LSTM included) and
 * `auto`, through the real HTTP route and worker pool, and a target on the
 * asg file through the engine: each gets a valid, bounded forecast.
 */
let t: TestApp;
let shapes: Shape[];

beforeAll(async () => {
  t = await buildTestApp({
    pool: { threads: 1, fitTimeout: '120s' },
    // Every model on every shape is more ad-hoc fits a minute than the default rate limit allows one client.
    limits: { fitRequests: { max: 1000 } },
    targets: [
      fileTarget('asg-cpu', 'nab/cpu_utilization_asg_misconfiguration.csv', {
        models: ['auto'],
        seasonalPeriods: undefined,
        bounds: { upper: 100 },
      }),
    ],
  });
  shapes = [...SHAPES, await asgLastDays(14)];
});

afterAll(async () => {
  await t.close();
});

describe('every model on every shape', () => {
  for (const model of forecasters.keys()) {
    it(
      `${model}: a valid, bounded forecast for each shape (flat, flat + noise, constant, zeros, one spike, cold starts, the asg file)`,
      { timeout: 900_000 },
      async () => {
        for (const shape of shapes) {
          const res = await t.app.inject({
            method: 'POST',
            url: '/api/v1/forecast',
            payload: { values: shape.values, step: shape.stepSeconds, horizon: shape.horizonSeconds, model },
          });
          expect(res.statusCode, `${model} on ${shape.name}: ${res.body.slice(0, 300)}`).toBe(200);
          const body = res.json() as ForecastBody;
          expectValidBounded(body, shape.values, Math.ceil(shape.horizonSeconds / shape.stepSeconds));
          // A stand-in is named: the model asked for, and why it did not serve.
          if (body.fallbackFrom) expect(body.notes.some((n) => n.startsWith(`${body.fallbackFrom} failed:`))).toBe(true);
        }
      },
    );
  }
});

describe('a target never goes without a forecast', () => {
  it("serves the asg file's last 14 days with CPU bounds [0, 100] from the target config", { timeout: 300_000 }, async () => {
    await t.app.prescient.engine.refresh('asg-cpu');
    const res = await t.app.inject('/api/v1/targets/asg-cpu/forecast');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expectValidBounded(res.json() as ForecastBody, (await asgLastDays(14)).values, 288, 100);
  });
});
