import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusSchema } from '../../src/config/schema.js';
import { PrescientError } from '../../src/errors.js';
import { CircuitBreaker, type CircuitState } from '../../src/sources/circuit-breaker.js';
import { createPrometheusClient, type PrometheusClient } from '../../src/sources/prometheus.js';
import { buildTestApp, type TestApp } from '../support/app.js';
import { startPrometheus, type PrometheusHarness } from '../support/prometheus.js';

/** The circuit breaker in front of a real Prometheus that goes away and comes back. */

let prometheus: PrometheusHarness;
beforeAll(async () => {
  prometheus = await startPrometheus();
}, 120_000);
afterAll(async () => {
  await prometheus?.close();
});

const HOUR_MS = 3_600_000;
const query = (breaker: CircuitBreaker<PrometheusClient>) => {
  const end = prometheus.history.endMs;
  return breaker.queryRange('prescient_test_load', end - HOUR_MS, end, 300);
};
const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return err instanceof PrescientError ? err.code : String(err);
  }
};

describe('the circuit breaker per Prometheus', () => {
  it('opens after consecutive failures, fails fast, probes once half-open, and closes on success', async () => {
    let clockMs = Date.now();
    const transitions: string[] = [];
    let requests = 0;
    const client = createPrometheusClient(prometheusSchema.parse({ url: prometheus.url, retries: 0, timeout: '2s' }), { onRequest: () => void requests++ });
    const breaker = new CircuitBreaker(client, {
      failureThreshold: 3,
      openSeconds: 30,
      now: () => clockMs,
      onStateChange: (from: CircuitState, to: CircuitState) => transitions.push(`${from}→${to}`),
    });
    try {
      expect(await codeOf(query(breaker))).toBe('ok');
      // A query Prometheus rejects is Prometheus answering: it does not count.
      expect(await codeOf(breaker.queryRange('sum(', 0, HOUR_MS, 300))).toBe('PRESCIENT_ERR_PROMETHEUS_QUERY');
      await prometheus.stop();
      for (let i = 0; i < 3; i++) expect(await codeOf(query(breaker))).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
      expect(breaker.state()).toBe('open');
      const before = requests;
      for (let i = 0; i < 10; i++) expect(await codeOf(query(breaker))).toBe('PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN');
      expect(requests).toBe(before); // no request reached the network while open

      clockMs += 30_000;
      expect(breaker.state()).toBe('half-open');
      // The probe fails (Prometheus still down): open again for another 30 s.
      expect(await codeOf(query(breaker))).toBe('PRESCIENT_ERR_PROMETHEUS_UNREACHABLE');
      expect(breaker.state()).toBe('open');

      await prometheus.restart();
      clockMs += 30_000;
      // One probe at a time: a second query while it runs fails fast.
      const probe = query(breaker);
      expect(await codeOf(query(breaker))).toBe('PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN');
      expect(await codeOf(probe)).toBe('ok');
      expect(breaker.state()).toBe('closed');
      expect(transitions).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open', 'half-open→closed']);
    } finally {
      breaker.close();
      if (!prometheus.running()) await prometheus.restart();
    }
  }, 120_000);

  it('shows its state on /metrics and /readyz of the service', async () => {
    let t: TestApp | undefined;
    try {
      t = await buildTestApp({
        prometheus: { url: prometheus.url, retries: 0, timeout: '2s', circuitBreaker: { failureThreshold: 2, openFor: '1h' } },
        targets: [{ name: 'load', source: { type: 'prometheus', query: 'prescient_test_load', step: '5m' }, history: '7d', models: ['snaive'] }],
      });
      await t.app.prescient.engine.refresh('load');
      expect((await t.app.inject('/readyz')).json().prometheus).toEqual({ circuit: 'closed' });
      await prometheus.stop();
      await t.app.prescient.engine.refresh('load');
      await t.app.prescient.engine.refresh('load');
      await t.app.prescient.engine.refresh('load');
      const ready = (await t.app.inject('/readyz')).json();
      expect(ready).toMatchObject({ prometheus: { circuit: 'open' }, failing: ['load'] });
      const target = (await t.app.inject('/api/v1/targets/load')).json();
      expect(target.lastError.code).toBe('PRESCIENT_ERR_PROMETHEUS_CIRCUIT_OPEN');
      // The last good forecast is still served.
      expect((await t.app.inject('/api/v1/targets/load/forecast')).statusCode).toBe(200);
      const metrics = (await t.app.inject('/metrics')).body;
      expect(metrics).toMatch(/prescient_prometheus_circuit_state\{state="open"\} 1/);
      expect(metrics).toMatch(/prescient_prometheus_circuit_state\{state="closed"\} 0/);
      expect(metrics).toMatch(/prescient_prometheus_circuit_transitions_total\{from="closed",to="open"\} 1/);
    } finally {
      await t?.close();
      if (!prometheus.running()) await prometheus.restart();
    }
  }, 120_000);
});
