import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { targetSummarySchema } from '../../src/api/schemas.js';
import { TARGETS_PER_LISTING_SLICE } from '../../src/api/target-routes.js';
import { configSchema } from '../../src/config/schema.js';
import { scoreRecord } from '../../src/models/auto/candidates.js';
import { forecastAt, testConfig } from '../keda/helpers.js';
import { turnsWhile } from '../support/event-loop.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');
let app: FastifyInstance;

beforeEach(async () => {
  app = await buildApp({ config: testConfig(), now: () => T0, logger: false, startEngine: false });
  await app.ready();
});
afterEach(async () => {
  await app.close();
});

describe('scores are finite or absent where they are made', () => {
  it('leaves out a score that could not be computed instead of writing NaN', () => {
    const record = scoreRecord([]);
    for (const value of Object.values(record)) expect(Number.isFinite(value)).toBe(true);
    expect(record).not.toHaveProperty('mase');
    expect(record).toMatchObject({ origins: 0 });
  });
});

describe('GET /api/v1/targets never fails because of one entry', () => {
  it('lists every target, withholding the details of one whose state holds a NaN', async () => {
    app.prescient.states.setForecast('web', forecastAt(T0, 400), { scores: { mstl: { mase: Number.NaN, smape: 0.1 } } });
    app.prescient.states.setForecast('batch', { ...forecastAt(T0, 10), target: 'batch' });
    const res = await app.inject('/api/v1/targets');
    expect(res.statusCode).toBe(200);
    const [web, batch] = res.json().targets;
    expect(web).toMatchObject({ name: 'web', state: 'fitted', stale: false, notes: [expect.stringMatching(/details withheld/)] });
    expect(web).not.toHaveProperty('scores');
    expect(batch).toMatchObject({ name: 'batch', state: 'fitted', model: 'mstl', stale: false });
    const one = await app.inject('/api/v1/targets/web');
    expect(one.statusCode).toBe(200);
    expect(one.json().notes[0]).toMatch(/details withheld/);
  });

  it('answers JSON that its documented schema accepts as it is, entry for entry', async () => {
    app.prescient.states.setForecast('web', forecastAt(T0, 400), { scores: { mstl: { mase: 0.8, smape: 0.1 } } });
    const res = await app.inject('/api/v1/targets');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const { targets } = res.json() as { targets: unknown[] };
    expect(targets.length).toBeGreaterThanOrEqual(2);
    // strict(): the listing carries no field the schema does not document.
    for (const entry of targets) expect(targetSummarySchema.strict().parse(entry)).toEqual(entry);
    expect(targets[0]).toMatchObject({ name: 'web', state: 'fitted', scores: { mstl: { mase: 0.8, smape: 0.1 } } });
  });
});

describe('GET /api/v1/targets of many targets', () => {
  it('is written in slices with the event loop free between them, every entry once and in order', async () => {
    const names = Array.from({ length: 2 * TARGETS_PER_LISTING_SLICE + 7 }, (_, i) => `svc-${i}`);
    const config = configSchema.parse({ targets: names.map((name) => ({ name, source: { type: 'file', path: 'data/web.csv' } })) });
    const many = await buildApp({ config, now: () => T0, logger: false, startEngine: false });
    try {
      for (const name of names) many.prescient.states.setForecast(name, { ...forecastAt(T0, 10), target: name });
      const { result: res, turns } = await turnsWhile(() => many.inject('/api/v1/targets'));
      expect(res.statusCode).toBe(200);
      expect(turns).toBeGreaterThanOrEqual(2);
      const { targets } = res.json() as { targets: Array<{ name: string; state: string }> };
      expect(targets.map((t) => t.name)).toEqual(names);
      expect(targets.every((t) => t.state === 'fitted')).toBe(true);
    } finally {
      await many.close();
    }
  });
});
