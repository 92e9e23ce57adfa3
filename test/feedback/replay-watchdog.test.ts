import { describe, expect, it } from 'vitest';
import { watchdogSchema } from '../../src/config/schema.js';
import { watchdogReplay } from '../../src/feedback/replay-watchdog.js';

/**
 * The watchdog walked through a replay's refits: a daily sine whose level
 * doubles half-way, forecast by a "model" that keeps forecasting the old
 * level. After the change it must demote the target and feed the last
 * observed load instead; before, it must feed the model's forecasts untouched.
 */
const STEP = 1800;
const DAY = 48;
const load = (i: number) => (i >= 6 * DAY ? 2 : 1) * (100 + 40 * Math.sin((2 * Math.PI * i) / DAY));
const oldRegime = (i: number) => 100 + 40 * Math.sin((2 * Math.PI * i) / DAY);
const series = { startMs: 0, stepSeconds: STEP, values: Array.from({ length: 9 * DAY }, (_, i) => load(i)) };

function forecastAt(index: number) {
  const point = Array.from({ length: 6 }, (_, h) => oldRegime(index + h));
  return { startMs: index * STEP * 1000, stepSeconds: STEP, point, intervals: [{ level: 0.8, lower: point.map((p) => p - 10), upper: point.map((p) => p + 10) }] };
}

describe('watchdogReplay', () => {
  const forecasts = Array.from({ length: (9 * DAY - 4 * DAY) / 2 }, (_, k) => forecastAt(4 * DAY + 2 * k));
  const options = { levels: [0.8], leadTimeSeconds: 1800, refreshIntervalSeconds: 3600, scalingLevel: 0.8 };

  it('feeds the model until the change, then demotes and feeds the last observed load', () => {
    const { fed, states } = watchdogReplay(forecasts, series, { ...options, config: watchdogSchema.parse({}) });
    const changeMs = 6 * DAY * STEP * 1000;
    const before = states.filter((s) => s.atMs < changeMs);
    expect(before.every((s) => s.state === 'trusted')).toBe(true);
    const reactiveAt = states.find((s) => s.state === 'reactive')?.atMs as number;
    expect(reactiveAt).toBeGreaterThan(changeMs);
    // Demoted within demoteAfter (2 h) plus a few refits of seeing the change.
    expect(reactiveAt - changeMs).toBeLessThanOrEqual(4 * 3_600_000);
    fed.forEach((f, k) => {
      const original = forecasts[k];
      if (states[k]?.state !== 'reactive') expect(f).toBe(original);
      else {
        const index = Math.round(f.startMs / (STEP * 1000));
        expect(new Set(f.point)).toEqual(new Set([series.values[index - 1]]));
        expect(f.intervals[0]?.upper).toEqual(f.point);
      }
    });
  });

  it('feeds every forecast untouched with the watchdog disabled', () => {
    const { fed, states } = watchdogReplay(forecasts, series, { ...options, config: watchdogSchema.parse({ enabled: false }) });
    fed.forEach((f, k) => expect(f).toBe(forecasts[k]));
    expect(states.every((s) => s.state === 'trusted')).toBe(true);
  });
});
