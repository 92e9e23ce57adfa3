/**
 * What the feedback loop exports to /metrics per target (src/engine/feedback-loop.ts): live coverage at the
 * levels the target states, as the forecast bounds (src/engine/forecast-gauges.ts), not at the extra levels a
 * target whose knobs are chosen on its history forecasts for that choice (they stay in the REST views).
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { FeedbackLoop } from '../../src/engine/feedback-loop.js';
import { levelsFor } from '../../src/engine/target-settings.js';
import { createMetrics, exposition } from '../../src/telemetry/metrics.js';
import { forecastAt } from '../keda/helpers.js';

const T0 = Date.parse('2026-03-02T08:00:00Z');

describe('the feedback loop on /metrics', () => {
  it('exports live coverage at the levels the target states only', async () => {
    const config = configSchema.parse({
      targets: [{ name: 'chosen', source: { type: 'file', path: 'data/web.csv' }, scaling: { capacityPerReplica: 100 } }],
    });
    const target = config.targets[0]!;
    const levels = levelsFor(target);
    expect(levels).toEqual([0.6, 0.8, 0.9, 0.95]);
    const metrics = createMetrics();
    const loop = new FeedbackLoop({ watchdog: config.watchdog, metrics, log: { info: () => undefined, warn: () => undefined } });
    const coverage = levels.map((level) => ({ level, coverage: level, count: 12 }));
    const windows = ['1h', '1d', '1w'].map((window) => ({ window, count: 12, mase: 0.7, relativeBias: 0.01, coverage }));
    const shown = loop.restore(target, forecastAt(T0, 100), levels, { accuracy: { atMs: T0, leadTimeSeconds: 300, windows } }, T0);
    // The REST view keeps every level…
    expect(shown.accuracy?.windows[0]?.coverage.map((c) => c.level)).toEqual(levels);
    // …and /metrics the stated ones: the default 0.8 and 0.95 (which the default quantile 0.9 and guard 0.975 read).
    const text = String(await exposition(metrics));
    const exported = [...text.matchAll(/^prescient_live_coverage\{target="chosen",window="1d",level="([^"]+)"\} /gm)].map((m) => m[1]);
    expect(exported).toEqual(['0.8', '0.95']);
  });
});
