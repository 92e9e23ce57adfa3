/**
 * Replay benchmark (issue 5 goals):
 * 1. On the daily-seasonal series of data/, with pod start-up delays of 120 s
 *    and 300 s: the predictive policy's under-provisioned minutes and
 *    replica-hours as ratios to the reactive HPA's, and against the
 *    seasonal-naive policy. Goal: ≤ 0.15× the under-provisioned minutes at
 *    ≤ 1.10× the replica-hours, and better than seasonal naive on both.
 *    The predictive model is refitted at the service's default refresh
 *    interval over the last 7 days, carrying auto's selection from one refit
 *    to the next as the engine does; the forecast policies run beside the
 *    reactive trigger (docs/keda.md), and also alone, to show what the
 *    forecast does by itself. Per-run verdicts, and pooled ratios (sums over
 *    runs: the replica units are comparable, each series' capacity puts the
 *    p95 of its history at 20 replicas).
 *    Beside them, the `headroom` reference: the reactive HPA with its target
 *    lowered until it costs the predictive policy's replica-hours. Per run,
 *    whether the forecast was under-provisioned for fewer minutes than the
 *    same budget spent on spare capacity.
 * (The speed goal of one backtest is benchmarks/backtest-speed.ts.)
 *
 *   npx tsx benchmarks/replay.ts [--series name,…] [--model auto] [--quantile 0.9]
 *     [--policy-utilisation 0.9] [--refit-every-hours H] [--out FILE]
 *
 * Writes benchmarks/out/replay.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_REFRESH_SECONDS } from '../src/config/schema.js';
import { replay, type PolicyResult } from '../src/backtest/replay.js';
import { evaluate, originIndicesFor } from '../src/evaluation/rolling-origin.js';
import { getForecaster } from '../src/models/registry.js';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { ACCURACY_SERIES, type BenchmarkSeries } from './accuracy.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY = 86_400;

// The same series as the accuracy benchmark (data/README.md), each at a step that divides a day.
const DAILY_SERIES: readonly BenchmarkSeries[] = ACCURACY_SERIES;

const STARTUP_DELAYS = [120, 300] as const;
/** The replay's default metric lag (src/backtest/replay.ts): the lead time is start-up + lag. */
const METRIC_LAG_SECONDS = 60;

interface SeriesOutcome {
  series: string;
  startupDelaySeconds: number;
  /** Forecast policies beside the reactive trigger (the documented deployment) or alone. */
  reactiveTrigger: boolean;
  /** The model the predictive policy was served, per refit (counts). */
  models: Record<string, number>;
  policies: Record<string, { underProvisionedMinutes: number; replicaHours: number; shortfallLoadMinutes: number; scaleEvents: number; underRatio: number | null; replicaHoursRatio: number | null }>;
  goalUnder: boolean;
  goalReplicaHours: boolean;
  beatsSnaive: boolean;
  /** The `headroom` reference's HPA target, as a share of capacity. */
  headroomUtilisation: number;
  /** Predictive under-provisioned minutes against headroom's at (at most) the same replica-hours. */
  versusHeadroom: 'fewer' | 'same' | 'more';
  /**
   * What the under-provisioning goal costs without a forecast: the highest
   * HPA target (share of capacity) at which the plain HPA has ≤ 0.15× the
   * reactive HPA's under-provisioned minutes, and its replica-hours ratio;
   * null when not even a 5 % target reaches it (or there is nothing to cut).
   */
  plainHpaForUnderGoal: { utilisation: number; replicaHoursRatio: number } | null;
  seconds: number;
}

async function load(entry: BenchmarkSeries): Promise<Series> {
  const samples = await readSamplesFile(join(ROOT, 'data', entry.file), entry.column === undefined ? {} : { column: entry.column });
  return regularize(samples, { stepSeconds: entry.stepSeconds }).series;
}

function summarise(p: PolicyResult) {
  return {
    underProvisionedMinutes: p.stats.underProvisionedMinutes,
    replicaHours: p.stats.replicaHours,
    shortfallLoadMinutes: p.stats.shortfallLoadMinutes,
    scaleEvents: p.stats.scaleEvents,
    underRatio: p.ratiosToReactive.underProvisionedMinutes,
    replicaHoursRatio: p.ratiosToReactive.replicaHours,
  };
}

interface Knobs {
  readonly quantile?: number;
  readonly policyUtilisation?: number;
  /** Refit cadence of the predictive policy (default: the service's refresh interval). */
  readonly refitEverySeconds?: number;
}

async function replaySeries(name: string, series: Series, model: string, knobs: Knobs): Promise<SeriesOutcome[]> {
  const stepSeconds = series.stepSeconds;
  const daySteps = DAY / stepSeconds;
  const historyCapSteps = 28 * daySteps;
  // The last 7 days (as the accuracy benchmark's origins), daily and weekly seasons.
  const startIndex = originIndicesFor(series.values.length, 7, daySteps, daySteps)[0] as number;
  const refitSteps = Math.max(1, Math.round((knobs.refitEverySeconds ?? DEFAULT_REFRESH_SECONDS) / stepSeconds));
  const refitIndices: number[] = [];
  for (let i = startIndex; i < series.values.length; i += refitSteps) refitIndices.push(i);
  const seasonalPeriods = [daySteps, 7 * daySteps];
  // One set of forecasts serves every run of the series: long enough for the longest lead time.
  const longestLeadSteps = Math.ceil((Math.max(...STARTUP_DELAYS) + METRIC_LAG_SECONDS) / stepSeconds);
  const started = performance.now();
  const evaluation = await evaluate({
    series,
    models: [getForecaster(model)],
    origins: refitIndices,
    horizonSteps: refitSteps + longestLeadSteps + 1,
    historyCapSteps,
    seasonalPeriods,
    fitTimeLimitMs: 120_000,
    carrySelection: true,
    ...(knobs.quantile === undefined ? {} : { scalingQuantile: knobs.quantile }),
  });
  const precomputed = evaluation.models[0];
  const fitSeconds = (performance.now() - started) / 1000;
  const models: Record<string, number> = {};
  for (const o of precomputed?.origins ?? []) {
    const chosen = o.info?.model ?? 'failed';
    models[chosen] = (models[chosen] ?? 0) + 1;
  }
  const outcomes: SeriesOutcome[] = [];
  const plainHpaForGoal = new Map<number, SeriesOutcome['plainHpaForUnderGoal']>();
  for (const reactiveTrigger of [true, false]) {
    for (const startupDelaySeconds of STARTUP_DELAYS) {
      const t0 = performance.now();
      const r = await replay({
        series,
        startIndex,
        model,
        seasonalPeriods,
        refitEverySteps: refitSteps,
        historyCapSteps,
        startupDelaySeconds,
        metricLagSeconds: METRIC_LAG_SECONDS,
        reactiveTrigger,
        ...(knobs.quantile === undefined ? {} : { quantile: knobs.quantile }),
        ...(knobs.policyUtilisation === undefined ? {} : { policyUtilisation: knobs.policyUtilisation }),
        ...(precomputed ? { precomputed } : {}),
      });
      const by = Object.fromEntries(r.policies.map((p) => [p.policy, p])) as Record<string, PolicyResult>;
      const reactive = by.reactive as PolicyResult;
      const predictive = by.predictive as PolicyResult;
      const snaive = by.snaive as PolicyResult;
      const under = predictive.stats.underProvisionedMinutes;
      const headroomUnder = (by.headroom as PolicyResult).stats.underProvisionedMinutes;
      if (!plainHpaForGoal.has(startupDelaySeconds)) {
        plainHpaForGoal.set(startupDelaySeconds, await plainHpaForUnderGoal(series, startIndex, startupDelaySeconds, r.params.capacityPerReplica, reactive));
      }
      outcomes.push({
        series: name,
        startupDelaySeconds,
        reactiveTrigger,
        models,
        policies: Object.fromEntries(r.policies.map((p) => [p.policy, summarise(p)])),
        goalUnder: under <= 0.15 * reactive.stats.underProvisionedMinutes,
        goalReplicaHours: predictive.stats.replicaHours <= 1.1 * reactive.stats.replicaHours,
        beatsSnaive: under <= snaive.stats.underProvisionedMinutes && predictive.stats.replicaHours <= snaive.stats.replicaHours,
        headroomUtilisation: r.params.headroomUtilisation,
        versusHeadroom: under < headroomUnder ? 'fewer' : under === headroomUnder ? 'same' : 'more',
        plainHpaForUnderGoal: plainHpaForGoal.get(startupDelaySeconds) ?? null,
        seconds: (outcomes.length === 0 ? fitSeconds : 0) + (performance.now() - t0) / 1000,
      });
    }
  }
  return outcomes;
}

/**
 * The plain HPA's cost of the under-provisioning goal (see
 * SeriesOutcome.plainHpaForUnderGoal), by bisection on its target: fewer
 * under-provisioned minutes as the target falls. Only the reactive policy
 * of each replay is read; its seasonal-naive refits are daily, to keep it cheap.
 */
async function plainHpaForUnderGoal(
  series: Series,
  startIndex: number,
  startupDelaySeconds: number,
  capacityPerReplica: number,
  reactive: PolicyResult,
): Promise<SeriesOutcome['plainHpaForUnderGoal']> {
  const goalMinutes = 0.15 * reactive.stats.underProvisionedMinutes;
  if (reactive.stats.underProvisionedMinutes === 0) return null;
  const daySteps = DAY / series.stepSeconds;
  const plainAt = async (utilisation: number) => {
    const r = await replay({
      series,
      startIndex,
      model: 'snaive',
      seasonalPeriods: [daySteps],
      refitEverySteps: daySteps,
      startupDelaySeconds,
      metricLagSeconds: METRIC_LAG_SECONDS,
      capacityPerReplica,
      hpaUtilisation: utilisation,
    });
    return (r.policies.find((p) => p.policy === 'reactive') as PolicyResult).stats;
  };
  let low = 0.05;
  let high = 0.7;
  const lowest = await plainAt(low);
  if (lowest.underProvisionedMinutes > goalMinutes) return null;
  let found = { utilisation: low, replicaHoursRatio: lowest.replicaHours / reactive.stats.replicaHours };
  for (let i = 0; i < 8; i++) {
    const mid = (low + high) / 2;
    const stats = await plainAt(mid);
    if (stats.underProvisionedMinutes <= goalMinutes) {
      found = { utilisation: mid, replicaHoursRatio: stats.replicaHours / reactive.stats.replicaHours };
      low = mid;
    } else {
      high = mid;
    }
  }
  return found;
}

interface Pooled {
  runs: number;
  goalMet: number;
  beatsSnaive: number;
  /** Runs where the predictive policy was under-provisioned for fewer / as many / more minutes than headroom. */
  versusHeadroom: Record<SeriesOutcome['versusHeadroom'], number>;
  /** Sums over runs, as ratios to the reactive HPA's sums. */
  underRatio: Record<string, number | null>;
  replicaHoursRatio: Record<string, number | null>;
}

function pool(outcomes: readonly SeriesOutcome[]): Pooled {
  const sum = (policy: string, key: 'underProvisionedMinutes' | 'replicaHours') => outcomes.reduce((s, o) => s + (o.policies[policy]?.[key] ?? 0), 0);
  const ratioOf = (policy: string, key: 'underProvisionedMinutes' | 'replicaHours') => {
    const base = sum('reactive', key);
    return base > 0 ? sum(policy, key) / base : null;
  };
  const policies = ['predictive', 'snaive', 'oracle', 'headroom'];
  const versus = (v: SeriesOutcome['versusHeadroom']) => outcomes.filter((o) => o.versusHeadroom === v).length;
  return {
    runs: outcomes.length,
    goalMet: outcomes.filter((o) => o.goalUnder && o.goalReplicaHours).length,
    beatsSnaive: outcomes.filter((o) => o.beatsSnaive).length,
    versusHeadroom: { fewer: versus('fewer'), same: versus('same'), more: versus('more') },
    underRatio: Object.fromEntries(policies.map((p) => [p, ratioOf(p, 'underProvisionedMinutes')])),
    replicaHoursRatio: Object.fromEntries(policies.map((p) => [p, ratioOf(p, 'replicaHours')])),
  };
}

function ratio(r: number | null): string {
  return r === null ? '—' : r.toFixed(3);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string' },
      model: { type: 'string', default: 'auto' },
      quantile: { type: 'string' },
      'policy-utilisation': { type: 'string' },
      'refit-every-hours': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const knobs: Knobs = {
    ...(values.quantile === undefined ? {} : { quantile: Number(values.quantile) }),
    ...(values['policy-utilisation'] === undefined ? {} : { policyUtilisation: Number(values['policy-utilisation']) }),
    ...(values['refit-every-hours'] === undefined ? {} : { refitEverySeconds: Number(values['refit-every-hours']) * 3600 }),
  };
  const wanted = values.series?.split(',');
  const entries = DAILY_SERIES.filter((e) => !wanted || wanted.includes(e.name));
  const outcomes: SeriesOutcome[] = [];
  for (const entry of entries) {
    const series = await load(entry);
    const rows = await replaySeries(entry.name, series, values.model, knobs);
    for (const o of rows) {
      const p = o.policies;
      process.stdout.write(
        `${o.series.padEnd(36)} ${o.reactiveTrigger ? 'beside' : 'alone '} start-up ${String(o.startupDelaySeconds).padStart(3)} s  under-prov min: reactive ${p.reactive?.underProvisionedMinutes.toFixed(1)}, ` +
          `predictive ${p.predictive?.underProvisionedMinutes.toFixed(1)} (${ratio(p.predictive?.underRatio ?? null)}×), snaive ${p.snaive?.underProvisionedMinutes.toFixed(1)}, oracle ${p.oracle?.underProvisionedMinutes.toFixed(1)}, headroom at ${(o.headroomUtilisation * 100).toFixed(0)} % ${p.headroom?.underProvisionedMinutes.toFixed(1)}` +
          `${o.plainHpaForUnderGoal ? ` (the plain HPA meets ≤ 0.15× at ${(o.plainHpaForUnderGoal.utilisation * 100).toFixed(0)} %: ${o.plainHpaForUnderGoal.replicaHoursRatio.toFixed(2)}× replica-h)` : ''}; ` +
          `replica-h ratio: predictive ${ratio(p.predictive?.replicaHoursRatio ?? null)}, snaive ${ratio(p.snaive?.replicaHoursRatio ?? null)}, oracle ${ratio(p.oracle?.replicaHoursRatio ?? null)}; ` +
          `goal ${o.goalUnder && o.goalReplicaHours ? 'met' : 'missed'}, beats snaive ${o.beatsSnaive ? 'yes' : 'no'} (${o.seconds.toFixed(1)} s)\n`,
      );
    }
    outcomes.push(...rows);
  }
  const pooled = {
    besideReactiveTrigger: pool(outcomes.filter((o) => o.reactiveTrigger)),
    alone: pool(outcomes.filter((o) => !o.reactiveTrigger)),
  };
  for (const [label, q] of Object.entries(pooled)) {
    const r = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${x.toFixed(3)}×`);
    process.stdout.write(
      `\n${label}: goal (≤ 0.15× under-provisioned minutes at ≤ 1.10× replica-hours) met in ${q.goalMet}/${q.runs} runs; beats seasonal naive on both in ${q.beatsSnaive}/${q.runs}; ` +
        `fewer under-provisioned minutes than headroom in ${q.versusHeadroom.fewer}/${q.runs} (as many in ${q.versusHeadroom.same}); ` +
        `pooled under-provisioned minutes predictive ${r(q.underRatio.predictive)}, snaive ${r(q.underRatio.snaive)}, oracle ${r(q.underRatio.oracle)}, headroom ${r(q.underRatio.headroom)}; ` +
        `pooled replica-hours predictive ${r(q.replicaHoursRatio.predictive)}, snaive ${r(q.replicaHoursRatio.snaive)}, oracle ${r(q.replicaHoursRatio.oracle)}\n`,
    );
  }

  mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
  writeFileSync(
    values.out ?? join(ROOT, 'benchmarks', 'out', 'replay.json'),
    `${JSON.stringify(
      {
        benchmark: 'replay',
        model: values.model,
        refitEverySeconds: knobs.refitEverySeconds ?? DEFAULT_REFRESH_SECONDS,
        knobs,
        goalMet: `${pooled.besideReactiveTrigger.goalMet}/${pooled.besideReactiveTrigger.runs}`,
        beatsSnaive: `${pooled.besideReactiveTrigger.beatsSnaive}/${pooled.besideReactiveTrigger.runs}`,
        pooled,
        outcomes,
      },
      null,
      2,
    )}\n`,
  );
}

await main();
