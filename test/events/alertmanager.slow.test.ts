import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, DATA_DIR, type TestApp } from '../support/app.js';
import { startAlerting, type AlertingStack } from '../support/alerting.js';

/**
 * The real chain: a Prometheus alert rule fires, Prometheus sends it to a
 * real Alertmanager (Debian's), whose webhook receiver posts version-4
 * payloads with the bearer token to the app listening on loopback. A deploy
 * alert must refit the target (seen on /metrics); an incident alert that
 * stops firing must come back resolved, closing its event.
 */
const TOKEN = 'alertmanager-test-token-0123456789';
let t: TestApp;
let stack: AlertingStack;
let base = '';
let incidentEndsAfterS = 0;

beforeAll(async () => {
  t = await buildTestApp({
    server: { authToken: TOKEN },
    targets: [{ name: 'taxi', source: { type: 'file', path: join(DATA_DIR, 'nab/nyc_taxi.csv') }, history: '14d', horizon: '1d', models: ['snaive'], seasonalPeriods: ['1d'] }],
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  await t.app.prescient.engine.refresh('taxi');
  // The incident fires for about 30 s of real time (start-up included), then its expression is empty: Prometheus resolves it.
  incidentEndsAfterS = Math.floor(Date.now() / 1000) + 30;
  stack = await startAlerting({
    webhookUrl: `${base}/api/v1/webhooks/alertmanager`,
    token: TOKEN,
    rules: [
      { alert: 'TaxiRollout', expr: 'vector(1)', labels: { prescient_target: 'taxi', prescient_kind: 'deploy' }, summary: 'taxi v2 rolled out' },
      { alert: 'TaxiDispatchDown', expr: `vector(time()) < ${incidentEndsAfterS}`, labels: { prescient_target: 'taxi' }, summary: 'dispatch is down' },
      { alert: 'Unrelated', expr: 'vector(1)', labels: { severity: 'page' }, summary: 'not about a target' },
    ],
  });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await t?.close();
});

type Listed = { events: { kind: string; source: string; note: string; start: string; end?: string; targets: string[] }[] };
const events = async () => ((await (await fetch(`${base}/api/v1/events`)).json()) as Listed).events;
async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('a real Alertmanager posting to the webhook', () => {
  it('a firing deploy alert becomes a deploy event that refits the target (on /metrics)', async () => {
    await expect.poll(async () => (await events()).find((e) => e.kind === 'deploy'), { timeout: 60_000, interval: 500 }).toMatchObject({
      kind: 'deploy',
      source: 'alertmanager',
      note: 'taxi v2 rolled out',
      targets: ['taxi'],
    });
    expect(await metric('prescient_early_refits_total', 'target="taxi",reason="deploy"')).toBe(1);
    await expect.poll(() => metric('prescient_fits_total', 'target="taxi"'), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
  });

  it('an incident alert is an open incident while firing, and is closed by the resolved notification', async () => {
    await expect.poll(async () => (await events()).find((e) => e.kind === 'incident'), { timeout: 60_000, interval: 500 }).toMatchObject({ source: 'alertmanager', note: 'dispatch is down' });
    await expect.poll(async () => (await events()).find((e) => e.kind === 'incident')?.end, { timeout: 60_000, interval: 500 }).toBeDefined();
    const incident = (await events()).find((e) => e.kind === 'incident');
    expect(Date.parse(incident?.end as string)).toBeGreaterThan(Date.parse(incident?.start as string));
    // Repeated and resolved notifications update the one event; the unlabelled alert made none.
    expect((await events()).map((e) => e.kind).sort()).toEqual(['deploy', 'incident']);
    expect(await metric('prescient_events_total', 'kind="incident",source="alertmanager"')).toBe(1);
  });
});
