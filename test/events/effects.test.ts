import { describe, expect, it } from 'vitest';
import { incidentExcluder, shapeForecast, withoutIncidents } from '../../src/events/effects.js';
import type { KnownEvent } from '../../src/events/event.js';
import { matchesSelector } from '../../src/events/event.js';

const STEP_MS = 3_600_000;
const event = (kind: KnownEvent['kind'], startMs: number, endMs: number | undefined, extra: Partial<KnownEvent> = {}): KnownEvent => ({
  id: `e-${kind}-${startMs}`,
  kind,
  targets: ['t'],
  target: 't',
  startMs,
  ...(endMs === undefined ? {} : { endMs }),
  note: 'n',
  source: 'api',
  receivedAtMs: 0,
  ...extra,
});

describe('withoutIncidents', () => {
  const values = Array.from({ length: 12 }, (_, i) => 10 + (i % 4));
  const series = { startMs: 0, stepSeconds: 3600, values };

  it('fills incident steps from one season earlier, and counts them', () => {
    const spiked = { ...series, values: values.map((v, i) => (i >= 8 && i < 10 ? 1000 : v)) };
    const { series: clean, replaced } = withoutIncidents(spiked, [event('incident', 8 * STEP_MS, 10 * STEP_MS)], 4);
    expect(replaced).toBe(2);
    expect(clean.values).toEqual(values);
  });

  it('interpolates between clean neighbours when the season reaches back before the series', () => {
    const { series: clean } = withoutIncidents(series, [event('incident', 1 * STEP_MS, 3 * STEP_MS)], 4);
    // Steps 1 and 2 lie between 10 (step 0) and 13 (step 3).
    expect(clean.values.slice(0, 4)).toEqual([10, 11, 12, 13]);
  });

  it('treats an open incident as running to the end, and leaves a fully excluded series alone', () => {
    const { series: open, replaced } = withoutIncidents(series, [event('incident', 10 * STEP_MS, undefined)], 4);
    expect(replaced).toBe(2);
    expect(open.values.slice(10)).toEqual([values[6], values[7]]);
    expect(withoutIncidents(series, [event('incident', 0, undefined)], 4)).toEqual({ series, replaced: 0 });
  });

  it('ignores events that are not incidents', () => {
    expect(withoutIncidents(series, [event('deploy', 0, undefined), event('campaign', 0, 5 * STEP_MS, { multiplier: 2 })], 4).replaced).toBe(0);
    expect(incidentExcluder([event('deploy', 0, undefined)])).toBeUndefined();
  });
});

describe('shapeForecast', () => {
  const forecast = {
    startMs: 0,
    stepSeconds: 3600,
    point: [10, 10, 10, 10],
    intervals: [{ level: 0.8, lower: [8, 8, 8, 8], upper: [12, 12, 12, 12] }],
    notes: [] as string[],
  };

  it('multiplies point and bounds over the window only, then applies a floor', () => {
    const shaped = shapeForecast(forecast, [event('campaign', STEP_MS, 3 * STEP_MS, { multiplier: 2 }), event('maintenance', 2 * STEP_MS, 4 * STEP_MS, { floor: 15 })]);
    expect(shaped.point).toEqual([10, 20, 20, 15]);
    expect(shaped.intervals[0]?.lower).toEqual([8, 16, 16, 15]);
    expect(shaped.intervals[0]?.upper).toEqual([12, 24, 24, 15]);
    expect(shaped.notes).toHaveLength(2);
  });

  it('returns the same forecast when no event touches it', () => {
    expect(shapeForecast(forecast, [event('campaign', 10 * STEP_MS, 12 * STEP_MS, { multiplier: 2 }), event('incident', 0, undefined)])).toBe(forecast);
  });
});

describe('selectors', () => {
  it('match target names as globs, with regex characters taken literally', () => {
    expect(matchesSelector('checkout-*', 'checkout-rps')).toBe(true);
    expect(matchesSelector('checkout-*', 'cart-rps')).toBe(false);
    expect(matchesSelector('a.b', 'axb')).toBe(false);
    expect(matchesSelector('*', 'anything')).toBe(true);
  });
});
