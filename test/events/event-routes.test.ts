import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOUR, iso, NOW, SPIKE_FROM, SPIKE_TO, useTaxiEventsServer } from './taxi-events.js';

/**
 * Known events over real HTTP (the app listening on a loopback port): the
 * generic route and Alertmanager's webhook, their coded errors and
 * persistence across a restart. What each kind does to the series is in
 * event-effects.slow.test.ts; both share taxi-events.ts.
 */
const server = useTaxiEventsServer();
const { start, post, get, metric } = server;

/** A notification exactly as Alertmanager's webhook sends it (version 4; prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
function alertmanagerPayload(status: 'firing' | 'resolved', labels: Record<string, string>, startsAt: string, endsAt = '0001-01-01T00:00:00Z'): Record<string, unknown> {
  const alert = { status, labels: { alertname: 'TaxiOutage', ...labels }, annotations: { summary: 'taxi dispatch down' }, startsAt, endsAt, generatorURL: 'http://prometheus:9090/graph?g0.expr=up+%3D%3D+0', fingerprint: 'c6eadffa33fcdf37' };
  return {
    version: '4',
    groupKey: '{}:{alertname="TaxiOutage"}',
    truncatedAlerts: 0,
    status,
    receiver: 'prescient',
    groupLabels: { alertname: 'TaxiOutage' },
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://alertmanager:9093',
    alerts: [alert],
  };
}


describe('bad event payloads get coded errors', () => {
  it('refuses writes without the token (401 PRESCIENT_ERR_UNAUTHORIZED), on both routes', async () => {
    await start(server.spiked);
    const body = { target: 'taxi', kind: 'deploy', start: iso(NOW), note: 'v2' };
    for (const path of ['/api/v1/events', '/api/v1/webhooks/alertmanager']) {
      const res = await post(path, body, { 'content-type': 'application/json' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PRESCIENT_ERR_UNAUTHORIZED');
    }
  });

  it.each([
    ['no note', { target: 'taxi', kind: 'deploy', start: '2015-02-01T00:00:00Z' }, 'body.note'],
    ['an unknown kind', { target: 'taxi', kind: 'release', start: '2015-02-01T00:00:00Z', note: 'x' }, 'body.kind'],
    ['both target and selector', { target: 'taxi', selector: 'taxi*', kind: 'deploy', start: '2015-02-01T00:00:00Z', note: 'x' }, 'body.target'],
    ['a time without a zone', { target: 'taxi', kind: 'deploy', start: '2015-02-01 00:00', note: 'x' }, 'body.start'],
    ['an end before the start', { target: 'taxi', kind: 'incident', start: '2015-02-01T02:00:00Z', end: '2015-02-01T01:00:00Z', note: 'x' }, 'body.end'],
    ['a multiplier on a deploy', { target: 'taxi', kind: 'deploy', start: '2015-02-01T00:00:00Z', note: 'x', multiplier: 2 }, 'body.multiplier'],
    ['a campaign multiplier without an end', { target: 'taxi', kind: 'campaign', start: '2015-02-01T00:00:00Z', note: 'x', multiplier: 2 }, 'body.end'],
    ['an unknown field', { target: 'taxi', kind: 'deploy', start: '2015-02-01T00:00:00Z', note: 'x', severity: 'high' }, 'body'],
  ])('answers 400 PRESCIENT_ERR_VALIDATION for %s, naming the field', async (_what, body, path) => {
    if (!server.app) await start(server.spiked);
    const res = await post('/api/v1/events', body);
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(error.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(error.issues.map((i) => i.path)).toContain(path);
    expect((await get('/api/v1/events')).events).toEqual([]);
  });

  it('answers 422 PRESCIENT_ERR_EVENT_NO_TARGET when the target or selector matches nothing, and stores nothing', async () => {
    await start(server.spiked);
    for (const by of [{ target: 'checkout' }, { selector: 'checkout-*' }]) {
      const res = await post('/api/v1/events', { ...by, kind: 'deploy', start: iso(NOW), note: 'v2' });
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PRESCIENT_ERR_EVENT_NO_TARGET');
    }
    expect((await get('/api/v1/events')).events).toEqual([]);
  });

  it('answers 400 PRESCIENT_ERR_WEBHOOK_VERSION for an Alertmanager payload of another version, and 400 VALIDATION for a malformed one', async () => {
    await start(server.spiked);
    const v3 = await post('/api/v1/webhooks/alertmanager', { ...alertmanagerPayload('firing', { prescient_target: 'taxi' }, iso(NOW)), version: '3' });
    expect(v3.status).toBe(400);
    expect(((await v3.json()) as { error: { code: string } }).error.code).toBe('PRESCIENT_ERR_WEBHOOK_VERSION');
    const { alerts: _dropped, ...noAlerts } = alertmanagerPayload('firing', { prescient_target: 'taxi' }, iso(NOW));
    const malformed = await post('/api/v1/webhooks/alertmanager', noAlerts);
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toContain('body.alerts');
    expect((await get('/api/v1/events')).events).toEqual([]);
  });
});

describe("Alertmanager's webhook", () => {
  it('turns a labelled alert into an incident, closes it when resolved, lists unlabelled alerts as ignored, and keeps everything across a restart', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'prescient-events-models-'));
    try {
      await start(server.spiked, modelsDir);
      const startsAt = iso(SPIKE_FROM);
      const firing = await post('/api/v1/webhooks/alertmanager', alertmanagerPayload('firing', { prescient_target: 'taxi' }, startsAt));
      expect(firing.status).toBe(200);
      const answer = (await firing.json()) as { added: { id: string; kind: string; targets: string[]; end?: string; note: string; source: string }[]; ignored: unknown[] };
      expect(answer.added).toHaveLength(1);
      expect(answer.added[0]).toMatchObject({ kind: 'incident', targets: ['taxi'], note: 'taxi dispatch down', source: 'alertmanager' });
      expect(answer.added[0]?.end).toBeUndefined();

      // Alertmanager repeats a firing group every repeat_interval: the same alert is the same event.
      const again = (await (await post('/api/v1/webhooks/alertmanager', alertmanagerPayload('firing', { prescient_target: 'taxi' }, startsAt))).json()) as { added: unknown[] };
      expect(again.added).toEqual([]);

      const resolved = (await (await post('/api/v1/webhooks/alertmanager', alertmanagerPayload('resolved', { prescient_target: 'taxi' }, startsAt, iso(SPIKE_TO)))).json()) as { updated: { end?: string }[] };
      expect(resolved.updated[0]?.end).toBe(iso(SPIKE_TO));

      const unlabelled = (await (await post('/api/v1/webhooks/alertmanager', alertmanagerPayload('firing', { severity: 'page' }, startsAt))).json()) as { ignored: { reason: string }[] };
      expect(unlabelled.ignored[0]?.reason).toContain('no prescient_target label');
      const wrongKind = (await (await post('/api/v1/webhooks/alertmanager', alertmanagerPayload('firing', { prescient_target: 'taxi', prescient_kind: 'outage' }, startsAt))).json()) as { ignored: { reason: string }[] };
      expect(wrongKind.ignored[0]?.reason).toContain('prescient_kind="outage"');

      const listed = (await get('/api/v1/events?target=taxi')).events as { id: string; end?: string }[];
      expect(listed).toHaveLength(1);
      expect(listed[0]?.end).toBe(iso(SPIKE_TO));
      expect(await metric('prescient_events_total', 'kind="incident",source="alertmanager"')).toBe(1);

      await server.stop();
      await start(server.spiked, modelsDir);
      expect((await get('/api/v1/events')).events).toEqual(listed);
    } finally {
      rmSync(modelsDir, { recursive: true, force: true });
    }
  });

  it('a selector glob reaches every matching target', async () => {
    await start(server.spiked);
    const res = await post('/api/v1/events', { selector: 'taxi*', kind: 'maintenance', start: iso(NOW), end: iso(NOW + HOUR), note: 'db failover' });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { targets: string[] }).targets).toEqual(['taxi', 'taxi-copy']);
  });
});
