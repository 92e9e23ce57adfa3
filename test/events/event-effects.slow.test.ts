import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DATA_DIR, type TestApp } from '../support/app.js';

/**
 * What each kind of known event does to a real series (NYC taxi, 30 min),
 * over real HTTP with real fits in the worker pool: a slow suite. The
 * routes' own behaviour (coded errors, Alertmanager, persistence) is in
 * event-routes.test.ts, which shares this set-up.
 */
const TOKEN = 'events-test-token-0123456789';
const FILE_END = Date.parse('2015-01-31T23:30:00Z');
const NOW = FILE_END + 1_800_000;
const HOUR = 3_600_000;

let dir: string;
let spiked: string;
/** The last day's 12:00–18:00 of the real series, ten times over: the "incident". */
const SPIKE_FROM = Date.parse('2015-01-31T12:00:00Z');
const SPIKE_TO = Date.parse('2015-01-31T18:00:00Z');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prescient-events-'));
  const lines = readFileSync(join(DATA_DIR, 'nab/nyc_taxi.csv'), 'utf8').trim().split('\n');
  const out = lines.map((line, i) => {
    if (i === 0) return line;
    const [ts, value] = line.split(',') as [string, string];
    const t = Date.parse(`${ts.replace(' ', 'T')}Z`);
    return t >= SPIKE_FROM && t < SPIKE_TO ? `${ts},${Number(value) * 10}` : line;
  });
  spiked = join(dir, 'taxi-spiked.csv');
  writeFileSync(spiked, `${out.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(file: string): Record<string, unknown> {
  return {
    server: { authToken: TOKEN },
    targets: [
      {
        name: 'taxi',
        source: { type: 'file', path: file },
        history: '14d',
        horizon: '1d',
        models: ['snaive'],
        seasonalPeriods: ['1d'],
        scaling: { capacityPerReplica: 1000, leadTime: '30m', maxReplicas: 200 },
      },
      { name: 'taxi-copy', source: { type: 'file', path: join(DATA_DIR, 'nab/nyc_taxi.csv') }, history: '14d', horizon: '1d', models: ['snaive'], seasonalPeriods: ['1d'] },
    ],
  };
}

let t: TestApp | undefined;
let base = '';
async function start(file: string, modelsDir?: string): Promise<TestApp> {
  t = await buildTestApp(config(file), { now: () => NOW, ...(modelsDir ? { modelsDir } : {}) });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return t;
}
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const post = (path: string, body: unknown, headers: Record<string, string> = auth) => fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
const get = async (path: string) => (await fetch(`${base}${path}`)).json() as Promise<Record<string, unknown>>;
const iso = (ms: number) => new Date(ms).toISOString();

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('what each kind of event does', () => {
  it('an incident window is excluded from training: the spiked points are replaced, not learnt', async () => {
    await start(spiked);
    const engine = t?.app.prescient.engine;
    await engine?.refresh('taxi');
    const before = t?.app.prescient.states.get('taxi')?.forecast;
    // Seasonal naive repeats the last day: without the event the spike comes back a day later.
    const step = (ms: number) => Math.round((ms + 86_400_000 - (before?.startMs ?? 0)) / 1_800_000);
    const spikedPoint = before?.point[step(SPIKE_FROM + 2 * HOUR)] as number;

    const res = await post('/api/v1/events', { target: 'taxi', kind: 'incident', start: iso(SPIKE_FROM), end: iso(SPIKE_TO), note: 'dispatch outage: retries storm' });
    expect(res.status).toBe(201);
    // A new incident refits at once: wait for the refit it started.
    await expect.poll(() => t?.app.prescient.states.get('taxi')?.forecast?.notes.some((n) => n.includes('incident windows were replaced')), { timeout: 20_000 }).toBe(true);
    const after = t?.app.prescient.states.get('taxi')?.forecast;
    const original = readFileSync(join(DATA_DIR, 'nab/nyc_taxi.csv'), 'utf8');
    const dayBefore = (ms: number) => Number(original.split('\n').find((l) => l.startsWith(new Date(ms - 86_400_000).toISOString().slice(0, 19).replace('T', ' ')))?.split(',')[1]);
    for (let ms = SPIKE_FROM; ms < SPIKE_TO; ms += 1_800_000) {
      // Filled from the clean day before, so the forecast a day later repeats that day.
      expect(after?.point[step(ms)]).toBeCloseTo(dayBefore(ms), 6);
    }
    expect(spikedPoint).toBeGreaterThan(5 * (after?.point[step(SPIKE_FROM + 2 * HOUR)] as number));
    expect(after?.notes.find((n) => n.includes('incident windows'))).toBe('12 steps in incident windows were replaced before fitting');
    expect(await metric('prescient_early_refits_total', 'reason="incident"')).toBe(1);
  });

  it('a deploy refits at once: the refit shows on /metrics', async () => {
    await start(spiked);
    await t?.app.prescient.engine.refresh('taxi');
    const fits = () => metric('prescient_fits_total', 'target="taxi"');
    expect(await fits()).toBe(1);
    const res = await post('/api/v1/events', { target: 'taxi', kind: 'deploy', start: iso(NOW), note: 'checkout v2.3.1' });
    expect(res.status).toBe(201);
    expect(await metric('prescient_early_refits_total', 'target="taxi",reason="deploy"')).toBe(1);
    await expect.poll(fits, { timeout: 20_000 }).toBe(2);
    expect(await metric('prescient_events_total', 'kind="deploy",source="api"')).toBe(1);
  });

  it('a campaign multiplies the forecast over its window, and the recommendation follows; nothing outside it changes', async () => {
    await start(join(DATA_DIR, 'nab/nyc_taxi.csv'));
    await t?.app.prescient.engine.refresh('taxi');
    const before = (await get('/api/v1/targets/taxi/forecast?horizon=12h')) as { point: number[]; timestamps: string[] };
    const recBefore = (await get('/api/v1/targets/taxi/recommendation')) as { replicas: number; basis: { windowMaxLoad: number } };
    const res = await post('/api/v1/events', { target: 'taxi', kind: 'campaign', start: iso(NOW - HOUR), end: iso(NOW + 3 * HOUR), note: 'winter sale', multiplier: 2.5 });
    expect(res.status).toBe(201);
    const after = (await get('/api/v1/targets/taxi/forecast?horizon=12h')) as { point: number[]; timestamps: string[]; notes?: string[] };
    after.timestamps.forEach((ts, i) => {
      const inside = Date.parse(ts) < NOW + 3 * HOUR;
      expect(after.point[i]).toBeCloseTo((before.point[i] as number) * (inside ? 2.5 : 1), 6);
    });
    const recAfter = (await get('/api/v1/targets/taxi/recommendation')) as { replicas: number; basis: { windowMaxLoad: number } };
    expect(recAfter.basis.windowMaxLoad).toBeCloseTo(recBefore.basis.windowMaxLoad * 2.5, 6);
    expect(recAfter.replicas).toBeGreaterThan(recBefore.replicas);
  });
});
