import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/app.js';
import { asgLastDays, expectValidBounded, SHAPES, type ForecastBody, type Shape } from '../support/shapes.js';

/**
 * Issue 16, "never refuse what can be forecast", through the real HTTP
 * route and worker pool: the failing cases (422 for every model
 * before) get a valid, bounded forecast, and every repair is noted and
 * counted. Every shape × every model, the LSTM and a target: shapes.slow.test.ts.
 */
let t: TestApp;
const served: ForecastBody[] = [];

beforeAll(async () => {
  t = await buildTestApp({ targets: [] });
});

afterAll(async () => {
  await t.close();
});

async function forecast(shape: Shape, model: string, extra: Record<string, unknown> = {}): Promise<ForecastBody> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/forecast',
    payload: { values: shape.values, step: shape.stepSeconds, horizon: shape.horizonSeconds, model, ...extra },
  });
  expect(res.statusCode, `${model} on ${shape.name}: ${res.body.slice(0, 300)}`).toBe(200);
  const body = res.json() as ForecastBody;
  served.push(body);
  return body;
}

describe('POST /api/v1/forecast never refuses a finite series of two values or more', () => {
  it('forecasts 60 values around 10 ± 0.1 at 15 s and a noisy day at 5 min (422 before), with auto and the last resort', { timeout: 120_000 }, async () => {
    for (const shape of SHAPES.slice(0, 2)) {
      for (const model of ['auto', 'snaive']) {
        expectValidBounded(await forecast(shape, model), shape.values, Math.ceil(shape.horizonSeconds / shape.stepSeconds));
      }
    }
  });

  it("forecasts the asg file's last 14 days with the last resort (422 before), bands clipped at 0", { timeout: 60_000 }, async () => {
    const asg = await asgLastDays(14);
    const body = await forecast(asg, 'snaive');
    expectValidBounded(body, asg.values, 288);
    expect(body.notes.some((n) => /clipped to the target's bounds \(lower 0: the history is never negative\)/.test(n))).toBe(true);
  });

  it('falls down the ladder to seasonal naive when the model asked for cannot fit, and names it', async () => {
    const body = await forecast({ name: 'two values', values: [3, 4], stepSeconds: 60, horizonSeconds: 600 }, 'sarima');
    expect(body).toMatchObject({ model: 'snaive', fallbackFrom: 'sarima' });
    expect(body.notes[0]).toMatch(/^sarima failed: PRESCIENT_ERR_SERIES_TOO_SHORT/);
  });

  it('counts every repair on /metrics as its note says: clipped bands and bounds, replaced points', async () => {
    const metrics = (await t.app.inject('/metrics')).body;
    const count = (kind: string): number => Number(new RegExp(`prescient_forecast_adjustments_total\\{target="ad-hoc",kind="${kind}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    const noted = (pattern: RegExp): number => served.filter((b) => b.notes.some((n) => pattern.test(n))).length;
    expect(noted(/clipped to the target's bounds/)).toBeGreaterThan(0);
    expect(count('bounds_clipped')).toBe(noted(/clipped to the target's bounds/));
    expect(count('interval_clipped')).toBe(noted(/beyond the plausible range .* clipped to it/));
    expect(count('point_replaced')).toBe(noted(/PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE/));
    expect(metrics).toContain('prescient_model_fallbacks_total{target="ad-hoc",from="sarima",to="snaive"} 1');
  });

  it('clips to the bounds given in the request, and lets a null lower bound through', async () => {
    const values = Array.from({ length: 288 }, (_, i) => 90 + 9 * Math.sin((2 * Math.PI * i) / 96));
    const capped = await forecast({ name: 'cpu', values, stepSeconds: 300, horizonSeconds: 86_400 }, 'snaive', { bounds: { upper: 100 } });
    expect(Math.max(...capped.intervals.flatMap((i) => i.upper))).toBeLessThanOrEqual(100);
    const signed = { name: 'signed', values: [1, -1, 2, -2, 1, -1, 2, -2], stepSeconds: 60, horizonSeconds: 600 };
    const free = await forecast(signed, 'snaive', { bounds: { lower: null } });
    expect(Math.min(...free.intervals.flatMap((i) => i.lower))).toBeLessThan(-2);
  });

  it('rejects bounds whose upper is not above lower with 400 PRESCIENT_ERR_VALIDATION', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/forecast', payload: { values: [1, 2, 3], step: 60, horizon: 600, bounds: { lower: 5, upper: 5 } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('PRESCIENT_ERR_VALIDATION');
  });
});
