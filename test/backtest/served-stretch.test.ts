/**
 * Knobs judged on the forecasts a target served (issue 13): the served
 * record's scored columns over its last days read as one forecast
 * (src/backtest/served-stretch.ts), and a selection's frontier judged on
 * them instead of the selection backtest's day-ahead forecasts once the
 * record holds enough (src/backtest/selection-frontier.ts). Real records,
 * real HPA simulations.
 */
import { describe, expect, it } from 'vitest';
import { computeFrontier, FRONTIER_LEVELS, frontierGrid, type Frontier } from '../../src/backtest/frontier.js';
import { ForecastTrack, ReplayWorld } from '../../src/backtest/replay-world.js';
import { selectionFrontier, servedKnobs, type FrontierTask } from '../../src/backtest/selection-frontier.js';
import { MIN_SCORED_SHARE, servedStretch, servedStretchOf, stretchAsForecast } from '../../src/backtest/served-stretch.js';
import { recordOptions } from '../../src/feedback/live-accuracy.js';
import { ServedRecord } from '../../src/feedback/served-record.js';
import type { Forecast } from '../../src/models/forecaster.js';

const STEP = 300;
const STEP_MS = STEP * 1000;
const DAY_STEPS = 288;
const REFIT_STEPS = 3;
const LEAD = 180;
const T0 = Date.parse('2026-03-02T00:00:00Z');

/** Five days: a 100-load base with a 30-minute burst to 200 every 7 hours. */
const VALUES = Array.from({ length: 5 * DAY_STEPS }, (_, i) => (i % 84 < 6 ? 200 : 100));
const at = (i: number) => T0 + i * STEP_MS;

/**
 * A record fed as the engine feeds it, every 15 minutes from `fromIndex` to
 * the end: the actuals so far scored, then the forecast about to be served
 * (every level's band `band(i)` wide around `value(i)` at step i).
 */
function served(fromIndex: number, value: (i: number) => number, band: (i: number) => number, levels = FRONTIER_LEVELS): ServedRecord {
  const record = new ServedRecord(recordOptions({ stepSeconds: STEP, levels, leadTimeSeconds: LEAD, refreshIntervalSeconds: REFIT_STEPS * STEP }));
  const steps = 13;
  for (let origin = fromIndex; origin < VALUES.length; origin += REFIT_STEPS) {
    record.observe({ startMs: T0, stepSeconds: STEP, values: VALUES.slice(0, origin) }, DAY_STEPS);
    const idx = Array.from({ length: steps }, (_, k) => origin + k);
    const point = idx.map(value);
    record.record({
      generatedAtMs: at(origin),
      startMs: at(origin),
      stepSeconds: STEP,
      point,
      intervals: levels.map((level) => ({ level, lower: idx.map((i) => value(i) - band(i)), upper: idx.map((i) => value(i) + band(i)) })),
      lastObserved: { atMs: at(origin - 1) },
    });
  }
  record.observe({ startMs: T0, stepSeconds: STEP, values: VALUES }, DAY_STEPS);
  return record;
}

function task(extra: Partial<FrontierTask> = {}): FrontierTask {
  return {
    fixed: { capacityPerReplica: 10, minReplicas: 1, maxReplicas: 1000, scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 } },
    leadTimeSeconds: LEAD,
    ownHistory: true,
    startMs: T0,
    stepSeconds: STEP,
    ...extra,
  };
}

/** The selection backtest: 3 day-ahead origins before the end, every band 400 wide (what a day ahead looks like). */
function wideBacktest(): { originIndices: number[]; forecasts: Forecast[] } {
  const originIndices = [2, 3, 4].map((d) => d * DAY_STEPS);
  const forecasts = originIndices.map((o) => {
    const point = Array.from({ length: DAY_STEPS + 2 }, (_, k) => VALUES[o + k] ?? 100);
    return { point, intervals: FRONTIER_LEVELS.map((level) => ({ level, lower: point.map((p) => p - 400), upper: point.map((p) => p + 400) })) };
  });
  return { originIndices, forecasts };
}

describe('the served stretch a frontier judges on', () => {
  it('holds, per step of the last 3 days, the bounds of the forecast served at the lead time for it', () => {
    // Point 100 + i at step i, bands 10 wide: a step's value names the step it was forecast for.
    const record = served(DAY_STEPS, (i) => 100 + i, () => 10);
    const stretch = servedStretch(record.columns(), record.options, [0.8, 0.95]);
    expect(stretch).toBeDefined();
    const s = stretch!;
    const newest = record.columns().atMs.at(-1)!;
    expect(newest).toBe(at(VALUES.length - 1));
    expect(s.point).toHaveLength(3 * DAY_STEPS);
    expect(s.startMs).toBe(newest - (3 * DAY_STEPS - 1) * STEP_MS);
    const first = (s.startMs - T0) / STEP_MS;
    s.point.forEach((p, k) => expect(p).toBe(100 + first + k));
    expect(s.upper[1]![5]).toBe(100 + first + 5 + 10);
    expect(s.lower[0]![5]).toBe(100 + first + 5 - 10);
    const f = stretchAsForecast(s, 'auto');
    expect(f.intervals.map((i) => i.level)).toEqual([0.8, 0.95]);
    expect(f.startMs).toBe(s.startMs);
  });

  it('is missing until the record scored enough of the 3 days, when a level is not kept, or for another lead', () => {
    // Served for 2.5 days only: half a day of the stretch unscored.
    const young = served(Math.round(2.5 * DAY_STEPS), () => 100, () => 10);
    expect(servedStretch(young.columns(), young.options, FRONTIER_LEVELS)).toBeUndefined();
    // Served for 2.8 days: 93 % of the 3 days scored, above MIN_SCORED_SHARE.
    expect(MIN_SCORED_SHARE).toBe(0.9);
    const almost = served(Math.round(2.2 * DAY_STEPS), () => 100, () => 10);
    expect(servedStretch(almost.columns(), almost.options, FRONTIER_LEVELS)).toBeDefined();
    // A record that does not keep the 60 % band cannot feed the 0.8 quantile.
    const few = served(DAY_STEPS, () => 100, () => 10, [0.8, 0.9, 0.95]);
    expect(servedStretch(few.columns(), few.options, FRONTIER_LEVELS)).toBeUndefined();
    const record = served(DAY_STEPS, () => 100, () => 10);
    expect(servedStretchOf(record, LEAD, FRONTIER_LEVELS)).toBeDefined();
    expect(servedStretchOf(record, 300, FRONTIER_LEVELS)).toBeUndefined();
    expect(servedStretchOf(undefined, LEAD, FRONTIER_LEVELS)).toBeUndefined();
  });
});

describe('a selection frontier judged on the forecasts the target served', () => {
  // Served: the load itself, bands 5 wide (15-minute refits are sharp); the backtest's day-ahead bands are 400 wide.
  const record = served(DAY_STEPS, (i) => VALUES[i] ?? 100, () => 5);
  const stretch = servedStretch(record.columns(), record.options, FRONTIER_LEVELS)!;

  it('replays the grid over the served stretch, fed by it, and says so', () => {
    const frontier = selectionFrontier(task({ served: stretch }), VALUES, wideBacktest(), 'auto') as Frontier;
    expect(frontier.judgedOn).toBe('served');
    expect(frontier.startMs).toBe(stretch.startMs);
    expect(frontier.endMs).toBe(stretch.startMs + stretch.point.length * STEP_MS);
    // The same simulation as any frontier (computeFrontier) over that world, fed by the stretch read as one forecast.
    const startIndex = (stretch.startMs - T0) / STEP_MS;
    const world = new ReplayWorld({
      series: { startMs: T0, stepSeconds: STEP, values: VALUES },
      startIndex,
      endIndex: startIndex + stretch.point.length,
      capacityPerReplica: 10,
      startupDelaySeconds: LEAD - 60,
      metricLagSeconds: 60,
      minReplicas: 1,
      maxReplicas: 1000,
      hpaUtilisation: 0.7,
      reactiveTrigger: true,
    });
    const forecast = stretchAsForecast(stretch, 'auto');
    const direct = computeFrontier({ world, fixed: task().fixed, track: new ForecastTrack(world, (t) => (t >= forecast.startMs ? forecast : undefined), LEAD), grid: frontierGrid(LEAD), model: 'auto' });
    expect(frontier.points).toEqual(direct.points);
    expect(servedKnobs({ quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: LEAD, knobsStated: false }, frontier).judgedOn).toBe('served');
  });

  it('chooses otherwise than on the day-ahead forecasts: sharp served bands cost fewer replica-hours for the same minutes', () => {
    const onServed = selectionFrontier(task({ served: stretch }), VALUES, wideBacktest(), 'auto') as Frontier;
    const onBacktest = selectionFrontier(task(), VALUES, wideBacktest(), 'auto') as Frontier;
    expect(onBacktest.judgedOn).toBe('selection-backtest');
    const cost = (f: Frontier) => f.points.map((p) => p.replicaHours).reduce((a, b) => a + b, 0);
    expect(cost(onServed)).toBeLessThan(cost(onBacktest));
    expect(servedKnobs({ quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 1, leadTimeSeconds: LEAD, knobsStated: false }, onBacktest).judgedOn).toBe('selection-backtest');
  });

  it('judges on the selection backtest when the stretch does not lie within the history the fit saw (cut by a changepoint, another step)', () => {
    const cut = VALUES.slice(4 * DAY_STEPS);
    const cutTask = task({ served: stretch, startMs: at(4 * DAY_STEPS) });
    const backtest = { originIndices: [100], forecasts: [wideBacktest().forecasts[0]!] };
    expect(selectionFrontier(cutTask, cut, backtest, 'auto')?.judgedOn).toBe('selection-backtest');
    expect(selectionFrontier(task({ served: { ...stretch, stepSeconds: 60 } }), VALUES, wideBacktest(), 'auto')?.judgedOn).toBe('selection-backtest');
  });
});
