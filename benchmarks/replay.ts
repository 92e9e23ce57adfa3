/**
 * Replay benchmark (issue 13 goals):
 * 1. On the daily-seasonal series of data/ and NAB's ten realTweets series
 *    (benchmarks/replay-series.ts), pod start-up 120 s and 300 s, the
 *    predictive model (`auto`) refitted at the service's refresh interval
 *    (15 min, auto's selection carried from refit to refit as the engine
 *    does): the predictive policy's under-provisioned minutes and
 *    replica-hours as ratios to the reactive HPA's, pooled (sums over runs:
 *    each series' capacity puts the p95 of its history at 20 replicas, so
 *    replica units are comparable) and per run. Goal: pooled ≤ 0.15× the
 *    minutes at ≤ 1.10× the replica-hours; per run never short more minutes
 *    than `headroom` (the plain HPA spending the same replica-hours); pooled
 *    better than seasonal naive on both, sized alike (the same policy and
 *    knobs, only the forecast differs). Forecast policies run beside the
 *    reactive trigger (docs/keda.md), and also alone.
 *    Every knob setting of the frontier grid (src/backtest/frontier.ts) is
 *    replayed on the same forecasts: per run and pooled, what each would
 *    have given, with seasonal naive at the same setting.
 * 2. The risk budget `maxUnderProvisionedMinutesPerWeek` (default 5): the
 *    setting is chosen on the 3 days before the replayed span, fed by
 *    day-ahead forecasts made there (what auto's selection backtest makes),
 *    then judged on the replayed span; per run, whether it met the budget
 *    and whether any setting could have.
 *
 * Forecasts come from benchmarks/replay-forecasts.ts (cached per series in
 * benchmarks/out/replay-forecasts/; `npx tsx benchmarks/replay-prepare.ts`
 * makes them ahead).
 *
 *   npx tsx benchmarks/replay.ts [--series name,…] [--model auto] [--days 1] [--budget 5] [--out FILE]
 *
 * Writes benchmarks/out/replay.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { computeFrontier, frontierGrid, type FrontierStats } from '../src/backtest/frontier.js';
import { replay, type PolicyResult } from '../src/backtest/replay.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from '../src/backtest/replay-world.js';
import type { PolicyKnobs } from '../src/scaling/policy.js';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { DEFAULT_REPLAY_DAYS, seriesForecasts, type SeriesForecasts } from './replay-forecasts.js';
import { REPLAY_SERIES } from './replay-series.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DAY_MS = 86_400_000;
const STARTUP_DELAYS = [120, 300] as const;
const METRIC_LAG_SECONDS = 60;
const HPA_UTILISATION = 0.7;

type Figures = { underProvisionedMinutes: number; replicaHours: number };

interface RunOutcome {
  series: string;
  startupDelaySeconds: number;
  reactiveTrigger: boolean;
  /** The model the predictive policy was served, per refit (counts). */
  models: Record<string, number>;
  policies: Record<string, Figures & { shortfallLoadMinutes: number; scaleEvents: number; underRatio: number | null; replicaHoursRatio: number | null }>;
  headroomUtilisation: number;
  versusHeadroom: 'fewer' | 'same' | 'more';
  /** Every knob setting on the replayed span, fed by the predictive and by the seasonal-naive forecasts. */
  settings: { knobs: PolicyKnobs; predictive: Figures; snaive: Figures }[];
  plainHpa: (Figures & { utilisation: number })[];
  budget: {
    maxUnderProvisionedMinutesPerWeek: number;
    /** Chosen on the tuning days before the span. */
    chosen: PolicyKnobs;
    metOnTuning: boolean;
    reason: string;
    /** The chosen setting on the replayed span. */
    replayed: Figures & { underProvisionedMinutesPerWeek: number };
    met: boolean;
    /** Some setting of the grid stayed within the budget on the replayed span. */
    anyCould: boolean;
    /** The cheapest setting within the budget on the span, with hindsight (absent when none). */
    hindsight: (Figures & { knobs: PolicyKnobs }) | null;
  };
  seconds: number;
}

async function load(file: string, stepSeconds: number, column?: string): Promise<Series> {
  const samples = await readSamplesFile(join(ROOT, 'data', file), column === undefined ? {} : { column });
  return regularize(samples, { stepSeconds }).series;
}

function figures(s: { underProvisionedMinutes: number; replicaHours: number }): Figures {
  return { underProvisionedMinutes: s.underProvisionedMinutes, replicaHours: s.replicaHours };
}

function sameKnobs(a: PolicyKnobs, b: PolicyKnobs): boolean {
  return a.quantile === b.quantile && a.scaleInGuardQuantile === b.scaleInGuardQuantile && a.utilisation === b.utilisation && a.leadTimeSeconds === b.leadTimeSeconds;
}

/** Day-ahead forecasts of the tuning days as the policy reads them. */
function tuningForecasts(series: Series, f: SeriesForecasts): ServedForecastLike[] {
  return f.tuning.origins.map((o) => {
    const startMs = series.startMs + o.originIndex * series.stepSeconds * 1000;
    const base = { startMs, stepSeconds: series.stepSeconds, lastObserved: { atMs: startMs, value: Number.NaN } };
    return o.forecast
      ? { ...base, model: o.info?.model ?? f.tuning.model, point: o.forecast.point, intervals: o.forecast.intervals }
      : { ...base, model: f.tuning.model, point: [], intervals: [], error: o.error?.message ?? 'no forecast' };
  });
}

async function replaySeries(name: string, series: Series, f: SeriesForecasts, budgetMinutes: number): Promise<RunOutcome[]> {
  const models: Record<string, number> = {};
  for (const o of f.week.origins) {
    const chosen = o.info?.model ?? 'failed';
    models[chosen] = (models[chosen] ?? 0) + 1;
  }
  const outcomes: RunOutcome[] = [];
  for (const reactiveTrigger of [true, false]) {
    for (const startupDelaySeconds of STARTUP_DELAYS) {
      const t0 = performance.now();
      const r = await replay({
        series,
        startIndex: f.startIndex,
        model: f.week.model,
        seasonalPeriods: f.seasonalPeriods,
        refitEverySteps: f.refitEverySteps,
        historyCapSteps: f.historyCapSteps,
        startupDelaySeconds,
        metricLagSeconds: METRIC_LAG_SECONDS,
        hpaUtilisation: HPA_UTILISATION,
        reactiveTrigger,
        precomputed: f.week,
      });
      const frontier = r.frontier;
      if (!frontier) throw new Error('the replay returned no frontier');
      const by = Object.fromEntries(r.policies.map((p) => [p.policy, p])) as Record<string, PolicyResult>;
      const under = (by.predictive as PolicyResult).stats.underProvisionedMinutes;
      const headroomUnder = (by.headroom as PolicyResult).stats.underProvisionedMinutes;

      // The budget's choice, made on the tuning days only (no look-ahead), judged on the replayed span.
      const tuningWorld = new ReplayWorld({
        series,
        startIndex: f.tuningStartIndex,
        endIndex: f.startIndex,
        capacityPerReplica: r.params.capacityPerReplica,
        startupDelaySeconds,
        metricLagSeconds: METRIC_LAG_SECONDS,
        minReplicas: r.params.minReplicas,
        maxReplicas: r.params.maxReplicas,
        hpaUtilisation: HPA_UTILISATION,
        reactiveTrigger,
      });
      const tuning = computeFrontier({
        world: tuningWorld,
        fixed: { capacityPerReplica: r.params.capacityPerReplica, minReplicas: r.params.minReplicas, maxReplicas: r.params.maxReplicas, scaleIn: r.params.scaleIn },
        track: new ForecastTrack(tuningWorld, servedAt(tuningForecasts(series, f), tuningWorld.startMs, DAY_MS), r.params.leadTimeSeconds),
        grid: frontierGrid(r.params.leadTimeSeconds),
        model: f.tuning.model,
        budget: { maxUnderProvisionedMinutesPerWeek: budgetMinutes },
      });
      const choice = tuning.chosen;
      if (!choice) throw new Error('no budget choice');
      const replayed = frontier.points.find((p) => sameKnobs(p.knobs, choice.knobs)) as FrontierStats & { knobs: PolicyKnobs };
      const within = frontier.points.filter((p) => p.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9);
      const hindsight = within.length === 0 ? null : within.reduce((a, b) => (b.replicaHours < a.replicaHours ? b : a));

      outcomes.push({
        series: name,
        startupDelaySeconds,
        reactiveTrigger,
        models,
        policies: Object.fromEntries(
          r.policies.map((p) => [
            p.policy,
            {
              ...figures(p.stats),
              shortfallLoadMinutes: p.stats.shortfallLoadMinutes,
              scaleEvents: p.stats.scaleEvents,
              underRatio: p.ratiosToReactive.underProvisionedMinutes,
              replicaHoursRatio: p.ratiosToReactive.replicaHours,
            },
          ]),
        ),
        headroomUtilisation: r.params.headroomUtilisation,
        versusHeadroom: under < headroomUnder ? 'fewer' : under === headroomUnder ? 'same' : 'more',
        settings: frontier.points.map((p, k) => ({ knobs: p.knobs, predictive: figures(p), snaive: figures(frontier.snaive[k] as FrontierStats) })),
        plainHpa: frontier.plainHpa.map((p) => ({ utilisation: p.utilisation, ...figures(p) })),
        budget: {
          maxUnderProvisionedMinutesPerWeek: budgetMinutes,
          chosen: choice.knobs,
          metOnTuning: choice.metBudget,
          reason: choice.reason,
          replayed: { ...figures(replayed), underProvisionedMinutesPerWeek: replayed.underProvisionedMinutesPerWeek },
          met: replayed.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9,
          anyCould: within.length > 0,
          hindsight: hindsight ? { knobs: hindsight.knobs, ...figures(hindsight) } : null,
        },
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }
  return outcomes;
}

interface Pooled {
  runs: number;
  /** Runs where predictive was short fewer / as many / more minutes than headroom. */
  versusHeadroom: Record<RunOutcome['versusHeadroom'], number>;
  /** Sums over runs as ratios to the reactive HPA's sums. */
  underRatio: Record<string, number | null>;
  replicaHoursRatio: Record<string, number | null>;
  /** Per knob setting: predictive and seasonal naive at that setting, pooled ratios. */
  settings: { knobs: PolicyKnobs; predictive: { under: number | null; replicaHours: number | null }; snaive: { under: number | null; replicaHours: number | null } }[];
  plainHpa: { utilisation: number; under: number | null; replicaHours: number | null }[];
  /** The budget-chosen setting of each run, pooled; and the budget verdicts. */
  budget: { under: number | null; replicaHours: number | null; met: number; anyCould: number; metWhereAnyCould: number; couldNot: string[] };
}

function pool(outcomes: readonly RunOutcome[]): Pooled {
  const base = (key: keyof Figures) => outcomes.reduce((s, o) => s + (o.policies.reactive?.[key] ?? 0), 0);
  const ratio = (total: number, key: keyof Figures): number | null => (base(key) > 0 ? total / base(key) : null);
  const sumOf = (pick: (o: RunOutcome) => Figures | undefined, key: keyof Figures) => outcomes.reduce((s, o) => s + (pick(o)?.[key] ?? 0), 0);
  const pair = (pick: (o: RunOutcome) => Figures | undefined) => ({ under: ratio(sumOf(pick, 'underProvisionedMinutes'), 'underProvisionedMinutes'), replicaHours: ratio(sumOf(pick, 'replicaHours'), 'replicaHours') });
  const policies = ['predictive', 'snaive', 'oracle', 'headroom'];
  const versus = (v: RunOutcome['versusHeadroom']) => outcomes.filter((o) => o.versusHeadroom === v).length;
  const grid = outcomes[0]?.settings.map((s) => s.knobs) ?? [];
  return {
    runs: outcomes.length,
    versusHeadroom: { fewer: versus('fewer'), same: versus('same'), more: versus('more') },
    underRatio: Object.fromEntries(policies.map((p) => [p, pair((o) => o.policies[p]).under])),
    replicaHoursRatio: Object.fromEntries(policies.map((p) => [p, pair((o) => o.policies[p]).replicaHours])),
    settings: grid.map((knobs, k) => ({ knobs, predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) })),
    plainHpa: (outcomes[0]?.plainHpa ?? []).map((p, k) => ({ utilisation: p.utilisation, ...pair((o) => o.plainHpa[k]) })),
    budget: {
      ...pair((o) => o.budget.replayed),
      met: outcomes.filter((o) => o.budget.met).length,
      anyCould: outcomes.filter((o) => o.budget.anyCould).length,
      metWhereAnyCould: outcomes.filter((o) => o.budget.anyCould && o.budget.met).length,
      couldNot: outcomes.filter((o) => !o.budget.anyCould).map((o) => `${o.series} ${o.startupDelaySeconds} s`),
    },
  };
}

const r3 = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${x.toFixed(3)}×`);
const knobText = (k: PolicyKnobs): string => `q ${k.quantile} guard ${k.scaleInGuardQuantile ?? 'none'} util ${k.utilisation}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      series: { type: 'string' },
      model: { type: 'string', default: 'auto' },
      days: { type: 'string' },
      budget: { type: 'string', default: '5' },
      out: { type: 'string' },
    },
  });
  const replayDays = values.days === undefined ? DEFAULT_REPLAY_DAYS : Number(values.days);
  const budgetMinutes = Number(values.budget);
  const wanted = values.series?.split(',');
  const outcomes: RunOutcome[] = [];
  const madeWith = new Set<string>();
  for (const entry of REPLAY_SERIES.filter((e) => !wanted || wanted.includes(e.name))) {
    const series = await load(entry.file, entry.stepSeconds, entry.column);
    const f = await seriesForecasts(entry.name, series, values.model, { replayDays });
    madeWith.add(`${f.commit}/${f.modelsHash}`);
    const rows = await replaySeries(entry.name, series, f, budgetMinutes);
    for (const o of rows) {
      const p = o.policies;
      process.stdout.write(
        `${o.series.padEnd(36)} ${o.reactiveTrigger ? 'beside' : 'alone '} ${String(o.startupDelaySeconds).padStart(3)} s  under min: reactive ${p.reactive?.underProvisionedMinutes.toFixed(1)}, predictive ${p.predictive?.underProvisionedMinutes.toFixed(1)}, snaive ${p.snaive?.underProvisionedMinutes.toFixed(1)}, ` +
          `oracle ${p.oracle?.underProvisionedMinutes.toFixed(1)}, headroom@${(o.headroomUtilisation * 100).toFixed(0)}% ${p.headroom?.underProvisionedMinutes.toFixed(1)}; replica-h ratio: predictive ${r3(p.predictive?.replicaHoursRatio)}, snaive ${r3(p.snaive?.replicaHoursRatio)}; ` +
          `budget ${budgetMinutes}: ${knobText(o.budget.chosen)} → ${o.budget.replayed.underProvisionedMinutesPerWeek.toFixed(1)} min/week, ${o.budget.met ? 'met' : o.budget.anyCould ? 'MISSED' : 'no setting could'} (${o.seconds.toFixed(1)} s)\n`,
      );
    }
    outcomes.push(...rows);
  }
  const pooled = { besideReactiveTrigger: pool(outcomes.filter((o) => o.reactiveTrigger)), alone: pool(outcomes.filter((o) => !o.reactiveTrigger)) };
  for (const [label, q] of Object.entries(pooled)) {
    process.stdout.write(
      `\n${label} (${q.runs} runs): under-provisioned minutes predictive ${r3(q.underRatio.predictive)}, snaive ${r3(q.underRatio.snaive)}, oracle ${r3(q.underRatio.oracle)}, headroom ${r3(q.underRatio.headroom)}; ` +
        `replica-hours predictive ${r3(q.replicaHoursRatio.predictive)}, snaive ${r3(q.replicaHoursRatio.snaive)}, oracle ${r3(q.replicaHoursRatio.oracle)}, headroom ${r3(q.replicaHoursRatio.headroom)}; ` +
        `vs headroom per run: fewer ${q.versusHeadroom.fewer}, same ${q.versusHeadroom.same}, more ${q.versusHeadroom.more}\n` +
        `  budget ${budgetMinutes} min/week: met in ${q.budget.met}/${q.runs}; some setting could in ${q.budget.anyCould}; met where one could: ${q.budget.metWhereAnyCould}/${q.budget.anyCould}; pooled ${r3(q.budget.under)} minutes at ${r3(q.budget.replicaHours)} replica-h; no setting could: ${q.budget.couldNot.join(', ') || 'none'}\n`,
    );
    for (const s of q.settings) {
      process.stdout.write(`  ${knobText(s.knobs).padEnd(32)} predictive ${r3(s.predictive.under)} / ${r3(s.predictive.replicaHours)}   snaive ${r3(s.snaive.under)} / ${r3(s.snaive.replicaHours)}\n`);
    }
    process.stdout.write(`  plain HPA: ${q.plainHpa.map((h) => `${(h.utilisation * 100).toFixed(0)} % ${r3(h.under)} / ${r3(h.replicaHours)}`).join('; ')}\n`);
  }
  mkdirSync(join(ROOT, 'benchmarks', 'out'), { recursive: true });
  writeFileSync(
    values.out ?? join(ROOT, 'benchmarks', 'out', 'replay.json'),
    `${JSON.stringify({ benchmark: 'replay', model: values.model, replayDays, budgetMinutes, forecastsMadeWith: [...madeWith], pooled, outcomes }, null, 2)}\n`,
  );
}

await main();
