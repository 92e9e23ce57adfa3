import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHADOW_REASON } from '../../src/engine/recommender.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';
import { generateRegimeHistory, type RegimeHistory } from '../support/regime-openmetrics.js';

/**
 * Shadow mode against a real Prometheus holding both the load
 * (`prescient_regime_load`) and the replicas a lagging reactive HPA ran
 * (`prescient_regime_replicas`). The service's clock walks a day and a half
 * of the history hour by hour, as the scheduler would refresh; the report's
 * "ran" figures are checked against the backfilled samples themselves.
 */
const HOUR_MS = 3_600_000;
const STEP_MS = 300_000;
const CAPACITY = 100;
let prometheus: PrometheusHarness<RegimeHistory>;
let t: TestApp;
let clockMs = 0;
let modelsDir = '';
const served: { replicas: number; observed: number; mode: string; reason?: string }[] = [];

const config = () => ({
  prometheus: { url: prometheus.url, timeout: '5s', retries: 1 },
  targets: [
    {
      name: 'shop',
      source: { type: 'prometheus', query: 'prescient_regime_load', step: '5m' },
      history: '14d',
      horizon: '6h',
      models: ['mstl'],
      seasonalPeriods: ['1d'],
      refreshInterval: '1h',
      staleAfter: '3h',
      scaling: { capacityPerReplica: CAPACITY, quantile: 0.9, leadTime: '5m', mode: 'shadow', shadow: { replicasQuery: 'prescient_regime_replicas' } },
    },
  ],
});

/** The backfilled samples of one metric, by time (ms). */
function samples(metric: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of prometheus.history.openMetrics.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const parts = line.split(' ');
    out.set(Number(parts[2]) * 1000, Number(parts[1]));
  }
  return out;
}

beforeAll(async () => {
  // No regime change inside the walk: 20 days, the change after the end.
  prometheus = await startPrometheus({ history: generateRegimeHistory({ days: 20, changeDaysBeforeEnd: -1 }), readyQuery: 'prescient_regime_load' });
  const endMs = prometheus.history.endMs;
  clockMs = endMs - 36 * HOUR_MS;
  t = await buildTestApp(config(), { now: () => clockMs });
  modelsDir = t.modelsDir;
  for (; clockMs <= endMs; clockMs += HOUR_MS) {
    await t.app.prescient.engine.refresh('shop');
    const rec = (await t.app.inject('/api/v1/targets/shop/recommendation')).json();
    served.push({ replicas: rec.replicas, observed: rec.basis.observedLoad, mode: rec.basis.mode, reason: rec.basis.reason });
  }
  clockMs = endMs;
}, 600_000);

afterAll(async () => {
  await t?.close();
  await prometheus?.close();
});

type Report = {
  windows: { window: string; from?: string; to?: string; count: number; stepSeconds: number; underProvisionedMinutes: { ran: number; recommended: number }; replicaHours: { ran: number; recommended: number } }[];
};

describe('a target in shadow mode', () => {
  it('serves the reactive recommendation on its faces, saying why', () => {
    expect(served.length).toBeGreaterThan(30);
    for (const s of served) {
      expect(s.mode).toBe('reactive');
      expect(s.reason).toBe(SHADOW_REASON);
      expect(s.replicas).toBe(Math.max(1, Math.ceil(s.observed / CAPACITY)));
    }
  });

  it('reports under-provisioned minutes and replica-hours of what ran, matching the backfilled samples, beside the recommended ones', async () => {
    const res = await t.app.inject('/api/v1/targets/shop/shadow');
    expect(res.statusCode).toBe(200);
    const report = res.json() as Report;
    const day = report.windows.find((w) => w.window === '1d');
    const week = report.windows.find((w) => w.window === '1w');
    // Every 5-minute step of the last day is compared (the walk began 36 h before its end).
    expect(day?.count).toBe(288);
    expect(week?.count).toBeGreaterThanOrEqual(12 * 35);
    const load = samples('prescient_regime_load');
    const ran = samples('prescient_regime_replicas');
    let under = 0;
    let hours = 0;
    for (let tMs = Date.parse(day?.from as string); tMs <= Date.parse(day?.to as string); tMs += STEP_MS) {
      const l = load.get(tMs) as number;
      const r = ran.get(tMs) as number;
      if (l > r * CAPACITY) under += 5;
      hours += r / 12;
    }
    expect(day?.underProvisionedMinutes.ran).toBe(under);
    expect(day?.replicaHours.ran).toBeCloseTo(hours, 6);
    expect(under).toBeGreaterThan(0);
    expect(day?.replicaHours.recommended).toBeGreaterThan(0);
    console.log(`shadow, last day: under-provisioned minutes ran ${day?.underProvisionedMinutes.ran} vs recommended ${day?.underProvisionedMinutes.recommended}; replica-hours ran ${day?.replicaHours.ran.toFixed(1)} vs recommended ${day?.replicaHours.recommended.toFixed(1)}`);

    const metrics = (await t.app.inject('/metrics')).body;
    const gauge = (name: string, basis: string) => Number(metrics.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('window="1d"') && l.includes(`basis="${basis}"`))?.split(' ').pop());
    expect(gauge('prescient_shadow_under_provisioned_minutes', 'ran')).toBe(day?.underProvisionedMinutes.ran);
    expect(gauge('prescient_shadow_under_provisioned_minutes', 'recommended')).toBe(day?.underProvisionedMinutes.recommended);
    expect(gauge('prescient_shadow_replica_hours', 'recommended')).toBeCloseTo(day?.replicaHours.recommended as number, 6);
  });

  it('keeps its record across a restart', async () => {
    const before = (await t.app.inject('/api/v1/targets/shop/shadow')).json() as Report;
    await t.app.close();
    t = await buildTestApp(config(), { now: () => clockMs, modelsDir });
    await t.app.prescient.engine.start();
    const after = (await t.app.inject('/api/v1/targets/shop/shadow')).json() as Report;
    expect(after).toEqual(before);
  });

  it('answers 409 PRESCIENT_ERR_SHADOW_NOT_CONFIGURED for a target that is not in shadow mode', async () => {
    const other = await buildTestApp({ ...config(), targets: [{ ...config().targets[0], name: 'active', scaling: { capacityPerReplica: CAPACITY } }] });
    try {
      const res = await other.app.inject('/api/v1/targets/active/shadow');
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('PRESCIENT_ERR_SHADOW_NOT_CONFIGURED');
      expect((await other.app.inject('/api/v1/targets/nope/shadow')).json().error.code).toBe('PRESCIENT_ERR_TARGET_NOT_FOUND');
    } finally {
      await other.close();
    }
  });
});
