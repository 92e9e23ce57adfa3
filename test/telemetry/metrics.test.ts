/**
 * Node's process metrics are collected once per process (src/telemetry/metrics.ts):
 * prom-client's defaults start an event-loop sampler and a GC observer that
 * nothing stops, so one set per app would keep waking the loop after
 * `app.close()`. Every app's exposition still has them, beside its own.
 */
import { describe, expect, it } from 'vitest';
import { createMetrics, exposition } from '../../src/telemetry/metrics.js';

/** Metric names of an exposition, from its TYPE lines. */
const names = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));

describe('metrics', () => {
  it("each app's exposition has the process's metrics and its own, and its own only", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.fits.inc({ target: 'web', model: 'auto' }, 3);
    const textA = await exposition(a);
    const textB = await exposition(b);
    for (const name of ['prescient_nodejs_eventloop_lag_seconds', 'prescient_process_cpu_seconds_total', 'prescient_nodejs_gc_duration_seconds', 'prescient_fits_total']) {
      expect(names(textA).has(name)).toBe(true);
      expect(names(textB).has(name)).toBe(true);
    }
    expect(textA).toContain('prescient_fits_total{target="web",model="auto"} 3');
    expect(textB).not.toContain('target="web"');
  });

  it("collects Node's defaults once per process, not in each app's registry (a sampler each, never stopped)", () => {
    const a = createMetrics();
    const b = createMetrics();
    expect(a.registry.getSingleMetric('prescient_nodejs_eventloop_lag_seconds')).toBeUndefined();
    expect(b.registry.getSingleMetric('prescient_nodejs_eventloop_lag_seconds')).toBeUndefined();
  });
});
