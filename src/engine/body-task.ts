/**
 * A series body read in the bodies lane's thread (./body-worker.ts), not on the event loop
 * (issue 11, item 3): the main thread only receives the bytes, checks their
 * count and copies them into a shared buffer (src/api/json-body.ts).
 * Here their JSON shape is checked (depth, values, strings, lengths) and, in the same pass, a series of many values
 * out of range is refused as the parse would refuse it (../bodies/series-values-scan.ts); then they are decoded, parsed, validated against the route's own schema,
 * checked against the service's limits and put on their grid; what goes
 * back is the body's small fields and the series as one Float64Array in
 * shared memory (a handle, where 60,000 cloned numbers and their garbage
 * cost the loop tens of milliseconds).
 */
import { checkBacktestModels, checkForecastBody, adHocForecastBody, backtestBody, type AdHocForecastBody, type BacktestBody } from '../bodies/series-bodies.js';
import { JsonShapeScanner, type JsonShapeLimits } from '../bodies/json-shape.js';
import { field, parseBody, type SeriesValuesAt } from '../bodies/parse-body.js';
import { SeriesValuesScan } from '../bodies/series-values-scan.js';
import type { Config } from '../config/schema.js';
import { toPrescientError, type SerializedError } from '../errors.js';
import { regularize } from '../series/regularize.js';
import type { Series } from '../series/series.js';
import { runPrepareTask } from './prepare-task.js';

interface BodyBytes {
  /** The body as received: its bytes (JSON), the text fastify's text/plain parser made of it, or null for a request without one. */
  readonly raw: Uint8Array | string | null;
  /** The JSON shape the bytes must have, checked here before they are parsed (the event loop did not scan them). */
  readonly shape?: JsonShapeLimits;
  /** The request's time, ms since epoch: a series without `start` ends then. */
  readonly nowMs: number;
  readonly limits: Pick<Config['limits'], 'maxPoints' | 'maxHorizonSteps'>;
}

export type ForecastBodyTask = BodyBytes & { readonly route: 'forecast' };
export type BacktestBodyTask = BodyBytes & { readonly route: 'backtest' };
export type BodyTask = ForecastBodyTask | BacktestBodyTask;

/** A series on its grid as it crosses threads: its values in shared memory, which nobody writes once made. */
export interface GridSeries {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly values: Float64Array;
}

/** A forecast body, valid and within limits: its fields but the values, its series gap-filled, its seasons. */
export interface ForecastBodyRead {
  readonly ok: true;
  readonly body: Omit<AdHocForecastBody, 'values'>;
  /** Steps to forecast. */
  readonly horizon: number;
  readonly series: GridSeries;
  readonly filledGaps: number;
  readonly seasonalPeriods: number[];
}

/** A backtest body, valid: its fields but the series' values, and that series on its grid when it has one. */
export interface BacktestBodyRead {
  readonly ok: true;
  readonly body: Omit<BacktestBody, 'series'> & { readonly series?: Omit<NonNullable<BacktestBody['series']>, 'values'> };
  readonly series?: { readonly grid: GridSeries; readonly filledGaps: number };
}

export type BodyRead<T extends BodyTask> = T extends ForecastBodyTask ? ForecastBodyRead : BacktestBodyRead;

export type BodyOutcome = ForecastBodyRead | BacktestBodyRead | { readonly ok: false; readonly error: SerializedError };

/** Where each route's series values are in its body: their keys from the top, and their path in answers. */
const VALUES_AT = {
  forecast: { keys: ['values'], path: 'body.values' },
  backtest: { keys: ['series', 'values'], path: 'body.series.values' },
} as const;

function valuesAt(route: BodyTask['route']): SeriesValuesAt {
  const { keys, path } = VALUES_AT[route];
  return { get: (body) => keys.reduce<unknown>((value, key) => field(value, key), body), path };
}

/** Reads the body of the task's route. Never throws: errors (validation and the rest) come back as data. */
export async function runBodyTask(task: BodyTask): Promise<BodyOutcome> {
  try {
    if (task.shape && task.raw instanceof Uint8Array) {
      // The same refusals (413 BODY_TOO_COMPLEX, BODY_VALUE_TOO_LONG) as a body scanned while it streams in, before JSON.parse builds anything;
      // and in the same pass, a series of many values out of range is refused as the parse would refuse it, for the cost of the scan.
      const values = new SeriesValuesScan(VALUES_AT[task.route].keys, VALUES_AT[task.route].path);
      const refusal = new JsonShapeScanner(task.shape, values).scan(task.raw) ?? values.refusal();
      if (refusal) throw refusal;
    }
    return task.route === 'forecast' ? await readForecastBody(task) : readBacktestBody(task);
  } catch (err) {
    return { ok: false, error: toPrescientError(err).toJSON() };
  }
}

/** Validation, then the limits (model, points, horizon), then gap filling and season detection, as the route answered before. */
async function readForecastBody(task: ForecastBodyTask): Promise<BodyOutcome> {
  const { values, ...body } = parseBody(task.raw, adHocForecastBody, valuesAt('forecast'));
  const horizon = checkForecastBody({ ...body, values }, task.limits);
  const stepMs = body.step * 1000;
  // Without a start, the last value is at the latest whole step before now.
  const startMs = body.start === undefined
    ? Math.floor(task.nowMs / stepMs) * stepMs - (values.length - 1) * stepMs
    : typeof body.start === 'number' ? body.start : Date.parse(body.start);
  const prepared = await runPrepareTask({
    name: 'ad-hoc',
    seasonalPeriodsSeconds: body.seasonalPeriods,
    maxPoints: task.limits.maxPoints,
    history: { fetched: { samples: onGrid(values, startMs, stepMs), stepSeconds: body.step, droppedOutsideWindow: 0 } },
  });
  if (!prepared.ok) return prepared;
  return { ok: true, body, horizon, series: toGrid(prepared.series), filledGaps: prepared.filledGaps, seasonalPeriods: prepared.seasonalPeriods };
}

/** Validation, then the models named; a series given inline is put on its grid (a target's history is pulled by the route). */
function readBacktestBody(task: BacktestBodyTask): BodyOutcome {
  const body = parseBody(task.raw, backtestBody, valuesAt('backtest'));
  checkBacktestModels(body);
  if (!body.series) return { ok: true, body: { ...body, series: undefined } };
  const { values, ...series } = body.series;
  const stepMs = series.step * 1000;
  // Without a start, the last value is now.
  const startMs = series.start === undefined ? task.nowMs - (values.length - 1) * stepMs : typeof series.start === 'number' ? series.start : Date.parse(series.start);
  const regular = regularize(onGrid(values, startMs, stepMs), { stepSeconds: series.step, maxPoints: task.limits.maxPoints });
  return { ok: true, body: { ...body, series }, series: { grid: toGrid(regular.series), filledGaps: regular.filledGaps } };
}

/** Samples of values given on a grid (null is a gap, NaN). */
function onGrid(values: readonly (number | null)[], startMs: number, stepMs: number): { timestampsMs: number[]; values: number[] } {
  const timestampsMs = new Array<number>(values.length);
  const numbers = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    timestampsMs[i] = startMs + i * stepMs;
    numbers[i] = values[i] ?? Number.NaN;
  }
  return { timestampsMs, values: numbers };
}

/**
 * The series in shared memory: it crosses to the event loop, and from there
 * to each fit, as a handle, never copied (nobody writes to it once made).
 */
function toGrid(series: Series): GridSeries {
  const values = new Float64Array(new SharedArrayBuffer(series.values.length * Float64Array.BYTES_PER_ELEMENT));
  values.set(series.values);
  return { startMs: series.startMs, stepSeconds: series.stepSeconds, values };
}
