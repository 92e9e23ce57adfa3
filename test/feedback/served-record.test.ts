import { describe, expect, it } from 'vitest';
import { liveAccuracy, windowAccuracy } from '../../src/feedback/accuracy.js';
import { recordOptions } from '../../src/feedback/live-accuracy.js';
import { naiveScale, ServedRecord, type ServedForecastLike } from '../../src/feedback/served-record.js';

const STEP = 300;
const STEP_MS = STEP * 1000;
const T0 = Date.UTC(2026, 0, 5);

/** A flat forecast made knowing the load up to `knewUntilMs`: point p, 80 % band p ± 10, 95 % band p ± 20. */
function flat(knewUntilMs: number, p: number, steps = 24): ServedForecastLike {
  return {
    generatedAtMs: knewUntilMs + 1000,
    startMs: knewUntilMs + STEP_MS,
    stepSeconds: STEP,
    point: new Array(steps).fill(p),
    intervals: [
      { level: 0.8, lower: new Array(steps).fill(p - 10), upper: new Array(steps).fill(p + 10) },
      { level: 0.95, lower: new Array(steps).fill(p - 20), upper: new Array(steps).fill(p + 20) },
    ],
    lastObserved: { atMs: knewUntilMs },
  };
}

const options = recordOptions({ stepSeconds: STEP, levels: [0.8, 0.95], leadTimeSeconds: 600, refreshIntervalSeconds: 900 });

describe('ServedRecord', () => {
  it('scores each step against the newest forecast made at least the lead time before it', () => {
    const record = new ServedRecord(options);
    // Two forecasts: one knowing up to T0 (point 100), one knowing up to T0 + 15 min (point 200).
    record.record(flat(T0, 100));
    record.record(flat(T0 + 3 * STEP_MS, 200));
    const values = Array.from({ length: 10 }, () => 150);
    const scored = record.observe({ startMs: T0 + STEP_MS, stepSeconds: STEP, values }, 288);
    const c = record.columns();
    // Steps at T0+5m … T0+50m. Lead 10 min: T0+5m has no forecast made 10 min before (skipped);
    // T0+10m … T0+20m use the first (knew T0), T0+25m on the second (knew T0+15m).
    expect(c.atMs[0]).toBe(T0 + 2 * STEP_MS);
    expect(scored).toBe(9);
    expect(c.point.slice(0, 3)).toEqual([100, 100, 100]);
    expect(c.point.slice(3)).toEqual([200, 200, 200, 200, 200, 200]);
    expect([...c.atMs].sort((a, b) => a - b)).toEqual(c.atMs);
  });

  it('never scores a step twice, and scores new steps on the next refresh', () => {
    const record = new ServedRecord(options);
    record.record(flat(T0, 100));
    const first = record.observe({ startMs: T0, stepSeconds: STEP, values: [100, 100, 100, 100] }, 288);
    const second = record.observe({ startMs: T0, stepSeconds: STEP, values: [100, 100, 100, 100, 100, 100] }, 288);
    expect(first).toBe(2); // T0+10m, T0+15m
    expect(second).toBe(2); // T0+20m, T0+25m
    expect(record.columns().atMs).toHaveLength(4);
  });

  it('leaves out excluded steps (incident windows)', () => {
    const record = new ServedRecord(options);
    record.record(flat(T0, 100));
    const excludedMs = T0 + 3 * STEP_MS;
    record.observe({ startMs: T0, stepSeconds: STEP, values: [100, 100, 100, 999, 100, 100] }, 288, (t) => t === excludedMs);
    expect(record.columns().atMs).not.toContain(excludedMs);
    expect(record.columns().actual).not.toContain(999);
  });

  it('computes MASE, bias and coverage per level over a window', () => {
    const record = new ServedRecord(options);
    record.record(flat(T0, 100));
    // Actuals 100, 115, 125, 90 against point 100 and bands ±10 / ±20.
    const history = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 0 : 10)); // lag-1 naive MAE = 10
    record.observe({ startMs: T0 - 18 * STEP_MS, stepSeconds: STEP, values: [...history.slice(0, 19), 100, 100, 115, 125, 90] }, 1);
    const w = windowAccuracy(record.columns(), options.levels, record.scale(), { name: 'all', fromMs: 0, toMs: T0 + 1e9 });
    expect(w.count).toBe(4);
    expect(w.mase).toBeCloseTo((0 + 15 + 25 + 10) / 4 / record.scale(), 10);
    expect(w.bias).toBeCloseTo((0 - 15 - 25 + 10) / 4, 10);
    expect(w.relativeBias).toBeCloseTo(-30 / (100 + 115 + 125 + 90), 10);
    expect(w.coverage).toEqual([
      { level: 0.8, coverage: 0.5, count: 4 },
      { level: 0.95, coverage: 0.75, count: 4 },
    ]);
  });

  it('reports the last hour, day and week with the time range and count, nothing invented when empty', () => {
    const record = new ServedRecord(options);
    const windows = liveAccuracy(record.columns(), options.levels, record.scale(), T0);
    expect(windows.map((w) => w.window)).toEqual(['1h', '1d', '1w']);
    for (const w of windows) expect(w).toEqual({ window: w.window, count: 0, coverage: [] });
  });

  it('round-trips through JSON, and drops a snapshot made for another lead time', () => {
    const record = new ServedRecord(options);
    record.record(flat(T0, 100));
    record.observe({ startMs: T0, stepSeconds: STEP, values: [100, 100, 100, 104] }, 288);
    const text = JSON.stringify(record.toJSON());
    const back = ServedRecord.fromJSON(JSON.parse(text), options);
    expect(back.columns()).toEqual(record.columns());
    expect(back.slices()).toEqual(record.slices());
    const other = ServedRecord.fromJSON(JSON.parse(text), { ...options, leadTimeSeconds: 1200 });
    expect(other.columns().atMs).toHaveLength(0);
  });

  it('keeps a day of served forecasts and a week of scored steps, no more', () => {
    const record = new ServedRecord(options);
    const refreshes = (8 * 86_400) / 900;
    for (let r = 0; r < refreshes; r++) {
      const knew = T0 + r * 900_000;
      record.observe({ startMs: knew - 2 * STEP_MS, stepSeconds: STEP, values: [100, 100, 100] }, 288);
      record.record(flat(knew, 100, 288));
    }
    const c = record.columns();
    const spanMs = (c.atMs[c.atMs.length - 1] as number) - (c.atMs[0] as number);
    expect(spanMs).toBeLessThan(7 * 86_400_000);
    expect(spanMs).toBeGreaterThan(6.9 * 86_400_000);
    expect(record.slices().length).toBeLessThanOrEqual(97);
    expect((record.slices()[0] as { point: number[] }).point).toHaveLength(options.keepSteps);
  });

  it('refuses a forecast missing a level or holding a non-finite value', () => {
    const record = new ServedRecord(options);
    const f = flat(T0, 100);
    record.record({ ...f, intervals: f.intervals.slice(0, 1) });
    record.record({ ...f, point: [Number.NaN, ...f.point.slice(1)] });
    expect(record.slices()).toHaveLength(0);
  });
});

describe('naiveScale', () => {
  it('is the seasonal naive MAE, lag 1 when under two periods, undefined for a flat series', () => {
    expect(naiveScale([1, 2, 3, 1, 2, 3, 1, 2, 4], 3)).toBeCloseTo(1 / 6, 10);
    expect(naiveScale([1, 3, 1], 3)).toBe(2);
    expect(naiveScale([5, 5, 5, 5], 1)).toBeUndefined();
  });
});
