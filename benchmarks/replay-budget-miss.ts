/**
 * Why a risk budget's choice missed on the replayed day (issue 13, the
 * budget goal's misses): for one series, beside the reactive trigger, at
 * each start-up delay, every setting of the grid on the 3 tuning days (fed
 * by the day-ahead forecasts the chooser sees) and on the replayed day (fed
 * by the 15-minute refits the service serves), and the load itself: the
 * highest load and the steepest 15-minute rise of each day, in replicas at
 * the reactive HPA's 70 % (capacity units), so a burst with no precedent in
 * the days the chooser can see shows as such.
 *
 *   npx tsx benchmarks/replay-budget-miss.ts [--series tweets_UPS] [--budget 5]
 *
 * Prints only; the forecasts come from the replay's cache (benchmarks/replay-forecasts.ts).
 */
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { computeFrontier, frontierGrid, type FrontierPoint } from '../src/backtest/frontier.js';
import { replay, type PrecomputedForecasts } from '../src/backtest/replay.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from '../src/backtest/replay-world.js';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { seriesForecasts } from './replay-forecasts.js';
import { HPA_UTILISATION } from './replay-pool.js';
import { REPLAY_SERIES } from './replay-series.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY_MS = 86_400_000;
const METRIC_LAG_SECONDS = 60;

function asServed(series: Series, pre: PrecomputedForecasts): ServedForecastLike[] {
  return pre.origins.map((o) => {
    const startMs = series.startMs + o.originIndex * series.stepSeconds * 1000;
    const base = { startMs, stepSeconds: series.stepSeconds, lastObserved: { atMs: startMs, value: Number.NaN } };
    return o.forecast ? { ...base, model: pre.model, point: o.forecast.point, intervals: o.forecast.intervals } : { ...base, model: pre.model, point: [], intervals: [], error: 'no forecast' };
  });
}

/** Highest load and steepest rise over 15 minutes of values[from, to), in replicas of `perReplica`. */
function loadShape(values: readonly number[], from: number, to: number, stepSeconds: number, perReplica: number): string {
  const lag = Math.max(1, Math.round(900 / stepSeconds));
  let peak = 0;
  let rise = 0;
  for (let i = from; i < to; i++) {
    peak = Math.max(peak, values[i] as number);
    if (i - lag >= from) rise = Math.max(rise, (values[i] as number) - (values[i - lag] as number));
  }
  return `peak ${(peak / perReplica).toFixed(1)} replicas, steepest 15-min rise +${(rise / perReplica).toFixed(1)}`;
}

const { values: args } = parseArgs({ options: { series: { type: 'string', default: 'tweets_UPS' }, budget: { type: 'string', default: '5' } } });
const entry = REPLAY_SERIES.find((e) => e.name === args.series);
if (!entry) throw new Error(`no replay series ${args.series}`);
const budget = Number(args.budget);
const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
const series = regularize(samples, { stepSeconds: entry.stepSeconds }).series;
const f = await seriesForecasts(entry.name, series, 'auto', {});
const daySteps = 86_400 / series.stepSeconds;

for (const startupDelaySeconds of [120, 300]) {
  const r = await replay({ series, startIndex: f.startIndex, model: f.week.model, seasonalPeriods: f.seasonalPeriods, refitEverySteps: f.refitEverySteps, historyCapSteps: f.historyCapSteps, startupDelaySeconds, metricLagSeconds: METRIC_LAG_SECONDS, hpaUtilisation: HPA_UTILISATION, reactiveTrigger: true, precomputed: f.week });
  const span = r.frontier;
  if (!span) throw new Error('no frontier');
  const perReplica = r.params.capacityPerReplica * HPA_UTILISATION;
  const worldOptions = { series, capacityPerReplica: r.params.capacityPerReplica, startupDelaySeconds, metricLagSeconds: METRIC_LAG_SECONDS, minReplicas: r.params.minReplicas, maxReplicas: r.params.maxReplicas, hpaUtilisation: HPA_UTILISATION, reactiveTrigger: true };
  const tuningWorld = new ReplayWorld({ ...worldOptions, startIndex: f.tuningStartIndex, endIndex: f.startIndex });
  const fixed = { capacityPerReplica: r.params.capacityPerReplica, minReplicas: r.params.minReplicas, maxReplicas: r.params.maxReplicas, scaleIn: r.params.scaleIn };
  const track = new ForecastTrack(tuningWorld, servedAt(asServed(series, f.tuning), tuningWorld.startMs, DAY_MS), r.params.leadTimeSeconds);
  const tuning = computeFrontier({ world: tuningWorld, fixed, track, grid: frontierGrid(r.params.leadTimeSeconds), model: f.tuning.model, budget: { maxUnderProvisionedMinutesPerWeek: budget } });
  process.stdout.write(`\n${entry.name} start-up ${startupDelaySeconds} s, beside the reactive trigger; budget ${budget} min/week; chosen on the tuning days: ${tuning.chosen?.reason}\n`);
  for (let d = 0; d < 3; d++) {
    const from = f.tuningStartIndex + d * daySteps;
    process.stdout.write(`  tuning day ${d + 1}: ${loadShape(series.values, from, from + daySteps, series.stepSeconds, perReplica)}\n`);
  }
  process.stdout.write(`  replayed day: ${loadShape(series.values, f.startIndex, series.values.length, series.stepSeconds, perReplica)}\n`);
  process.stdout.write(`  ${'setting'.padEnd(34)} ${'tuning min/wk'.padStart(13)} ${'tuning rh/day'.padStart(13)} ${'day min/wk'.padStart(11)} ${'day rh'.padStart(8)}\n`);
  const days = (tuningWorld.endMs - tuningWorld.startMs) / DAY_MS;
  tuning.points.forEach((p: FrontierPoint, k) => {
    const s = span.points[k] as FrontierPoint;
    const mark = k === tuning.chosen?.index ? ' ← chosen' : s.underProvisionedMinutesPerWeek <= budget + 1e-9 ? ' (met the budget on the day)' : '';
    const knobs = `q ${p.knobs.quantile} guard ${p.knobs.scaleInGuardQuantile ?? 'none'} util ${p.knobs.utilisation}`;
    process.stdout.write(`  ${knobs.padEnd(34)} ${p.underProvisionedMinutesPerWeek.toFixed(1).padStart(13)} ${(p.replicaHours / days).toFixed(1).padStart(13)} ${s.underProvisionedMinutesPerWeek.toFixed(1).padStart(11)} ${s.replicaHours.toFixed(1).padStart(8)}${mark}\n`);
  });
  const reactive = span.plainHpa.find((p) => p.utilisation === HPA_UTILISATION);
  process.stdout.write(`  plain HPA at 70 %: tuning ${tuning.plainHpa.find((p) => p.utilisation === HPA_UTILISATION)?.underProvisionedMinutesPerWeek.toFixed(1)} min/week at ${((tuning.plainHpa.find((p) => p.utilisation === HPA_UTILISATION)?.replicaHours ?? 0) / days).toFixed(1)} rh/day; day ${reactive?.underProvisionedMinutesPerWeek.toFixed(1)} min/week at ${reactive?.replicaHours.toFixed(1)} rh\n`);
}
