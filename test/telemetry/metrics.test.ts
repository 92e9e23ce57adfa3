/**
 * Node's process metrics are collected once per process (src/telemetry/metrics.ts):
 * prom-client's defaults start an event-loop sampler and a GC observer that
 * nothing stops, so one set per app would keep waking the loop after
 * `app.close()`. Every app's exposition still has them, beside its own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetrics, exposition } from '../../src/telemetry/metrics.js';
import { turnsWhile } from '../support/event-loop.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Metric names of an exposition, from its TYPE lines. */
const names = (text: string) => new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));

describe('metrics', () => {
  it("each app's exposition has the process's metrics and its own, and its own only", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.fits.inc({ target: 'web', model: 'auto' }, 3);
    const textA = String(await exposition(a));
    const textB = String(await exposition(b));
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

/**
 * A process of its own (the sampler is per process, and this one runs other suites' timers): its main thread's
 * wake-ups while idle, from /proc, and the lag gauges after a stall of 60 ms.
 */
const SAMPLER_PROBE = `
import { readFileSync } from 'node:fs';
import { createMetrics, exposition } from './src/telemetry/metrics.ts';
const wakeups = () => Number(readFileSync('/proc/self/task/' + process.pid + '/schedstat', 'utf8').split(' ')[2]);
const metrics = createMetrics();
const keep = setInterval(() => undefined, 60_000);
await new Promise((r) => setTimeout(r, 300));
await exposition(metrics);
const before = wakeups();
await new Promise((r) => setTimeout(r, 2000));
const perSecond = (wakeups() - before) / 2;
const until = performance.now() + 60;
while (performance.now() < until);
await new Promise((r) => setTimeout(r, 50));
const text = String(await exposition(metrics));
const lagMax = Number(/^prescient_nodejs_eventloop_lag_max_seconds (\\S+)$/m.exec(text)?.[1]);
clearInterval(keep);
process.stdout.write(JSON.stringify({ perSecond, lagMax }));
`;

describe("Node's event-loop-delay sampler", () => {
  it('wakes an idle loop at most 60 times a second (prom-client samples every 10 ms by default: 100), and still records a 60 ms stall', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SAMPLER_PROBE], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const { perSecond, lagMax } = JSON.parse(run.stdout) as { perSecond: number; lagMax: number };
    // 50 samples a second, plus a few other wake-ups of an idle Node process.
    expect(perSecond).toBeLessThan(60);
    expect(perSecond).toBeGreaterThan(40);
    expect(lagMax).toBeGreaterThan(0.04);
  });
});

describe('the exposition of many series', () => {
  it('formats the series in slices with the event loop free between them, into the text prom-client writes', async () => {
    const metrics = createMetrics();
    // One family larger than a slice (SERIES_PER_SLICE): a slice of its own is not enough.
    for (let t = 0; t < 1000; t++) {
      for (const window of ['1h', '1d', '1w']) metrics.liveMase.set({ target: `t${t}`, window }, t);
      metrics.targetState.set({ target: `t${t}`, state: 'healthy' }, 1);
    }
    // Histograms (buckets, sum, count, each series' own labels after le), counters, values to escape or not finite.
    metrics.fitDurationSeconds.observe({ model: 'mstl' }, 0.3);
    metrics.fitDurationSeconds.observe({ model: 'auto' }, 70);
    metrics.fitFailures.inc({ target: 't1', model: 'auto', code: 'a\\b"c\nd' });
    metrics.liveBias.set({ target: 't2', window: '1h' }, Number.POSITIVE_INFINITY);
    const { result: bytes, turns } = await turnsWhile(() => exposition(metrics));
    const text = String(bytes);
    // 4,000 series and more: a turn after each slice at least.
    expect(turns).toBeGreaterThanOrEqual(3);
    // The same text prom-client writes: every series, each family's HELP and TYPE once.
    expect(text).toContain('prescient_live_mase{target="t999",window="1w"} 999');
    expect(text.match(/^prescient_live_mase\{/gm)?.length).toBe(3000);
    expect(text.match(/^# TYPE prescient_live_mase gauge$/gm)?.length).toBe(1);
    expect(text).toContain((await metrics.registry.metrics()).trimEnd());
  });
});
