/**
 * The forecast gauges' exposition, written by hand in slices
 * (src/engine/forecast-gauges.ts), read by Prometheus' own parser: a child
 * process (Debian's promtool), hence a slow suite.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { TARGETS_PER_SLICE, registerForecastGauges } from '../../src/engine/forecast-gauges.js';
import { TargetStates } from '../../src/engine/target-state.js';
import { createMetrics, exposition } from '../../src/telemetry/metrics.js';
import { forecastAt } from '../keda/helpers.js';
import { findExecutable } from '../support/prometheus.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('forecast gauges, read by promtool', () => {
  it("writes an exposition Prometheus' own parser accepts (promtool check metrics), for many targets", async () => {
    const names = Array.from({ length: 3 * TARGETS_PER_SLICE + 7 }, (_, i) => `svc-${i}.web_a`);
    const config = configSchema.parse({
      targets: names.map((name, i) => ({
        name,
        source: { type: 'file', path: 'data/web.csv' },
        ...(i % 2 ? { scaling: { capacityPerReplica: 100 } } : {}),
      })),
    });
    const states = new TargetStates(config.targets);
    for (const name of names) states.setForecast(name, { ...forecastAt(T0, 150), target: name });
    const metrics = createMetrics();
    metrics.fits.inc({ target: 'svc-0.web_a', model: 'mstl' });
    registerForecastGauges(metrics, states, () => T0 + 30_000);
    const text = String(await exposition(metrics));
    const check = spawnSync(findExecutable('promtool') as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    // 1: the text did not parse; 3: it parsed, with lint remarks (prom-client's own nodejs gauges named *_total).
    expect(check.status, check.stderr + check.stdout).not.toBe(1);
    expect(check.stderr + check.stdout).not.toMatch(/prescient_(forecast|recommended|scaling|observed)/);
    const s = new Map(
      text
        .split('\n')
        .filter((l) => l.includes('target="'))
        .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]),
    );
    expect(s.get(`prescient_forecast_yhat{target="${names.at(-1)}",horizon="1h"}`)).toBeCloseTo(120, 9);
    expect([...s.keys()].filter((k) => k.startsWith('prescient_recommended_replicas')).length).toBe(names.length >> 1);
    // Each family once: HELP and TYPE lines are not repeated per slice.
    expect(text.match(/^# TYPE prescient_forecast_yhat_upper gauge$/gm)?.length).toBe(1);
  });
});
