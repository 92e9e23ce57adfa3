import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_DIR } from '../support/app.js';
import { HOUR, iso, NOW, SPIKE_FROM, SPIKE_TO, useTaxiEventsServer } from './taxi-events.js';

/**
 * What each kind of known event does to a real series (NYC taxi, 30 min),
 * over real HTTP with real fits in the worker pool: a slow suite. The
 * routes' own behaviour (coded errors, Alertmanager, persistence) is in
 * event-routes.test.ts; both share taxi-events.ts.
 */
const server = useTaxiEventsServer();
const { start, post, get, metric } = server;


describe('what each kind of event does', () => {
  it('an incident window is excluded from training: the spiked points are replaced, not learnt', async () => {
    await start(server.spiked);
    const engine = server.app?.app.prescient.engine;
    await engine?.refresh('taxi');
    const before = server.app?.app.prescient.states.get('taxi')?.forecast;
    // Seasonal naive repeats the last day: without the event the spike comes back a day later.
    const step = (ms: number) => Math.round((ms + 86_400_000 - (before?.startMs ?? 0)) / 1_800_000);
    const spikedPoint = before?.point[step(SPIKE_FROM + 2 * HOUR)] as number;

    const res = await post('/api/v1/events', { target: 'taxi', kind: 'incident', start: iso(SPIKE_FROM), end: iso(SPIKE_TO), note: 'dispatch outage: retries storm' });
    expect(res.status).toBe(201);
    // A new incident refits at once: wait for the refit it started.
    await expect.poll(() => server.app?.app.prescient.states.get('taxi')?.forecast?.notes.some((n) => n.includes('incident windows were replaced')), { timeout: 20_000 }).toBe(true);
    const after = server.app?.app.prescient.states.get('taxi')?.forecast;
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
    await start(server.spiked);
    await server.app?.app.prescient.engine.refresh('taxi');
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
    await server.app?.app.prescient.engine.refresh('taxi');
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
