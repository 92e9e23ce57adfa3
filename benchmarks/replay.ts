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
 *    setting is chosen on the 3 days before the replayed span, fed by the
 *    forecasts `--tuning` names (by default 15-minute refits as the served
 *    record keeps them, what the service judges on once a target served 3
 *    days), then judged on the replayed span; per run, whether it met the budget
 *    and whether any setting could have.
 *
 * 3. The default choice made robust: per run, the knob setting a target
 *    would choose on its own history with no budget of its own — the
 *    cheapest setting of the grid whose short minutes on the 3 tuning days
 *    stayed within 0.15 × the reactive HPA's there (the goal's own ratio,
 *    src/backtest/frontier.ts `relativeBudget`) — judged on the replayed
 *    span against the same goals (pooled ratios, headroom at its own cost,
 *    seasonal naive at the same setting).
 *
 * The series are split in two fixed halves (alternately, in list order:
 * `dev` and `holdout`), each with daily-seasonal and realTweets series, and
 * every pooled figure is given for both halves and for all: a rule looked
 * at on one half is checked on the other.
 *
 * Forecasts come from benchmarks/replay-forecasts.ts (cached per series in
 * benchmarks/out/replay-forecasts/; `npx tsx benchmarks/replay-prepare.ts`
 * makes them ahead).
 *
 *   npx tsx benchmarks/replay.ts [--series name,…] [--model auto] [--days 1] [--budget 5] [--explore] [--tuning day-ahead|refits|scored] [--out FILE]
 *
 * `--tuning` (benchmarks/replay-tuning.ts): the forecasts the choices of 2
 * and 3 are judged on over the tuning days: `scored` (the default: 15-minute
 * refits as the served record keeps them, what the service judges on once a
 * target served 3 days, src/backtest/served-stretch.ts), `refits` (the same
 * refits read whole), `day-ahead` (as the selection backtest makes them:
 * what the service judges on before that). `scored` and `refits` need the
 * tuning days' refits (3 × 96 fits per 5-minute series, cached;
 * `replay-prepare.ts --tuning-refits` makes them ahead).
 *
 * Writes benchmarks/out/replay.json (goals and pooled figures) and
 * benchmarks/out/detail/replay-runs.json (one summary line per run, then
 * every setting of every run); with --out FILE, the detail is
 * detail/<FILE's name>-runs.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chooseOnOwnHistory, chooseSetting, computeFrontier, frontierGrid, relativeBudget, withReactiveFallback, type Frontier, type FrontierStats } from '../src/backtest/frontier.js';
import { OWN_HISTORY_SHARE } from '../src/backtest/selection-frontier.js';
import { replay, type PolicyResult, type PrecomputedForecasts, type ReplayResult } from '../src/backtest/replay.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from '../src/backtest/replay-world.js';
import type { PolicyKnobs } from '../src/scaling/policy.js';
import { readSamplesFile } from '../src/sources/file.js';
import { regularize } from '../src/series/regularize.js';
import type { Series } from '../src/series/series.js';
import { DEFAULT_REPLAY_DAYS, seriesForecasts, tuningRefits, type SeriesForecasts } from './replay-forecasts.js';
import { asServed, TUNING_MODES, tuningForecastAt, type TuningMode } from './replay-tuning.js';
import { judge, protectiveAmongTies, versus } from './replay-choices.js';
import { figures, HPA_UTILISATION, pool, printPooled, type Figures, type Pooled, type RunOutcome } from './replay-pool.js';
import { verdicts } from './replay-verdicts.js';
import { REPLAY_SERIES } from './replay-series.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const STARTUP_DELAYS = [120, 300] as const;
const METRIC_LAG_SECONDS = 60;
/** The default rule's target: this share of the reactive HPA's short minutes on the tuning days (the goal's ratio; the service's). */
const DEFAULT_RULE_SHARE = OWN_HISTORY_SHARE;
/** --explore: sizings below the grid's 70 %, for the predictive settings and seasonal naive alike. */
const EXPLORE_SIZINGS = [0.6, 0.5] as const;

async function load(file: string, stepSeconds: number, column?: string): Promise<Series> {
  const samples = await readSamplesFile(join(ROOT, 'data', file), column === undefined ? {} : { column });
  return regularize(samples, { stepSeconds }).series;
}

function sameKnobs(a: PolicyKnobs, b: PolicyKnobs): boolean {
  return a.quantile === b.quantile && a.scaleInGuardQuantile === b.scaleInGuardQuantile && a.utilisation === b.utilisation && a.leadTimeSeconds === b.leadTimeSeconds;
}

async function replaySeries(name: string, group: RunOutcome['group'], series: Series, f: SeriesForecasts, budgetMinutes: number, explore: boolean, tuningMode: TuningMode, refits: PrecomputedForecasts | undefined): Promise<RunOutcome[]> {
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
        // Seasonal naive sized alike at the --explore sizings too (issue 13: "both sized alike", read at each level).
        ...(explore ? { alsoSizedAt: EXPLORE_SIZINGS } : {}),
      });
      const frontier = r.frontier;
      if (!frontier) throw new Error('the replay returned no frontier');
      const by = Object.fromEntries(r.policies.map((p) => [p.policy, p])) as Record<string, PolicyResult>;
      const under = (by.predictive as PolicyResult).stats.underProvisionedMinutes;
      const headroomUnder = (by.headroom as PolicyResult).stats.underProvisionedMinutes;
      const worldOptions = {
        series,
        capacityPerReplica: r.params.capacityPerReplica,
        startupDelaySeconds,
        metricLagSeconds: METRIC_LAG_SECONDS,
        minReplicas: r.params.minReplicas,
        maxReplicas: r.params.maxReplicas,
        hpaUtilisation: HPA_UTILISATION,
        reactiveTrigger,
      };

      // Choices made on the tuning days only (no look-ahead), judged on the replayed span.
      const tuningWorld = new ReplayWorld({ ...worldOptions, startIndex: f.tuningStartIndex, endIndex: f.startIndex });
      const fixed = { capacityPerReplica: r.params.capacityPerReplica, minReplicas: r.params.minReplicas, maxReplicas: r.params.maxReplicas, scaleIn: r.params.scaleIn };
      const tuning = computeFrontier({
        world: tuningWorld,
        fixed,
        track: new ForecastTrack(tuningWorld, tuningForecastAt(tuningMode, series, f, refits, r.params.leadTimeSeconds), r.params.leadTimeSeconds),
        grid: frontierGrid(r.params.leadTimeSeconds),
        model: f.tuning.model,
        budget: { maxUnderProvisionedMinutesPerWeek: budgetMinutes },
      });
      const choice = tuning.chosen;
      if (!choice) throw new Error('no budget choice');
      const onSpan = (knobs: PolicyKnobs): FrontierStats & { index: number } => {
        const index = frontier.points.findIndex((p) => sameKnobs(p.knobs, knobs));
        return { ...(frontier.points[index] as FrontierStats), index };
      };
      // The span as replay() built it, and the predictive refits as it served them.
      const spanWorld = new ReplayWorld({ ...worldOptions, startIndex: f.startIndex, endIndex: series.values.length });
      const spanTrack = new ForecastTrack(spanWorld, servedAt(asServed(series, f.week), spanWorld.startMs, f.refitEverySteps * series.stepSeconds * 1000), r.params.leadTimeSeconds);
      const judged = (c: Parameters<typeof judge>[3]) => judge(spanWorld, fixed, spanTrack, c, onSpan);
      const budgetServed = judged(choice);
      // The session-7 fallback (no HPA target below the frontier's 40 %), for comparison with what is served now.
      const budgetSession7 = judged(withReactiveFallback(tuningWorld, tuning, chooseSetting(tuning.points, { maxUnderProvisionedMinutesPerWeek: budgetMinutes }), { maxUnderProvisionedMinutesPerWeek: budgetMinutes }, []));
      const budgetUnchecked = judged({ knobs: choice.knobs });
      // The experiment on the budget's misses (replay-choices.ts protectiveAmongTies), with the service's check.
      const budgetLimit = { maxUnderProvisionedMinutesPerWeek: budgetMinutes };
      const protective = judged(withReactiveFallback(tuningWorld, tuning, protectiveAmongTies(tuning.points, budgetLimit), budgetLimit));
      const predictiveOnly = onSpan(choice.knobs);
      const within = frontier.points.filter((p) => p.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9);
      const hindsight = within.length === 0 ? null : within.reduce((a, b) => (b.replicaHours < a.replicaHours ? b : a));

      // The default rule: the cheapest setting within 0.15 × the reactive HPA's short minutes on the tuning days.
      const ruleBudget = relativeBudget(tuning, DEFAULT_RULE_SHARE, HPA_UTILISATION);
      const rule = chooseSetting(tuning.points, ruleBudget);
      const ruleSpan = onSpan(rule.knobs);
      // Headroom at the rule's own cost on the replayed span.
      const ruleHeadroom = spanWorld.sameCostReactive(spanWorld.plainHpa(HPA_UTILISATION), ruleSpan.replicaHours);
      // The same choices with the own-history check: reactive scaling where the setting did not beat headroom on the tuning days.
      const defaultKnobs: PolicyKnobs = { quantile: r.params.quantile, scaleInGuardQuantile: r.params.scaleInGuardQuantile, utilisation: r.params.policyUtilisation, leadTimeSeconds: r.params.leadTimeSeconds };
      const defaultIndex = tuning.points.findIndex((p) => sameKnobs(p.knobs, defaultKnobs));
      // What the service now serves a target without a budget (src/backtest/selection-frontier.ts): the same check on the default knobs.
      const defaultTuning = tuning.points[defaultIndex] as FrontierStats;
      const defaultChecked = {
        ...judged(withReactiveFallback(tuningWorld, tuning, { index: defaultIndex, knobs: defaultKnobs, metBudget: true, reason: 'the default knobs' })),
        tuning: { underProvisionedMinutes: defaultTuning.underProvisionedMinutes, headroomUnderProvisionedMinutes: tuningWorld.sameCostReactive(tuningWorld.plainHpa(HPA_UTILISATION), defaultTuning.replicaHours).stats.underProvisionedMinutes },
      };
      // What the service serves a target that states neither knobs nor a budget (since session 9): the same function.
      const ruleChecked = judged(chooseOnOwnHistory(tuningWorld, tuning, OWN_HISTORY_SHARE).chosen);
      const explored = explore ? exploreSettings(spanWorld, asServed(series, f.week), f.refitEverySteps * series.stepSeconds * 1000, r.params) : undefined;

      outcomes.push({
        series: name,
        group,
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
        versusHeadroom: versus(under, headroomUnder),
        settings: frontier.points.map((p, k) => ({ knobs: p.knobs, predictive: figures(p), snaive: figures(frontier.snaive[k] as FrontierStats) })),
        plainHpa: frontier.plainHpa.map((p) => ({ utilisation: p.utilisation, ...figures(p) })),
        rule: {
          share: DEFAULT_RULE_SHARE,
          tuningTargetMinutesPerWeek: ruleBudget.maxUnderProvisionedMinutesPerWeek,
          knobs: rule.knobs,
          metOnTuning: rule.metBudget,
          replayed: figures(ruleSpan),
          snaive: figures(frontier.snaive[ruleSpan.index] as FrontierStats),
          headroom: { ...figures(ruleHeadroom.stats), utilisation: ruleHeadroom.utilisation },
          versusHeadroom: versus(ruleSpan.underProvisionedMinutes, ruleHeadroom.stats.underProvisionedMinutes),
        },
        defaultChecked,
        ruleChecked,
        budget: {
          maxUnderProvisionedMinutesPerWeek: budgetMinutes,
          chosen: choice.knobs,
          fallback: budgetServed.fallback,
          metOnTuning: choice.metBudget,
          reason: choice.reason,
          replayed: budgetServed.replayed,
          met: budgetServed.replayed.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9,
          session7: { fallback: budgetSession7.fallback, replayed: budgetSession7.replayed, met: budgetSession7.replayed.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9 },
          protective: { knobs: protective.knobs, fallback: protective.fallback, replayed: protective.replayed, met: protective.replayed.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9 },
          metWithoutFallback: predictiveOnly.underProvisionedMinutesPerWeek <= budgetMinutes + 1e-9,
          versusHeadroom: budgetServed.versusHeadroom,
          versusHeadroomWithoutFallback: budgetUnchecked.versusHeadroom,
          anyCould: within.length > 0,
          hindsight: hindsight ? { knobs: hindsight.knobs, ...figures(hindsight) } : null,
          couldNotWhy: within.length > 0 ? null : whyNone(frontier, budgetMinutes),
        },
        ...(explored ? { explored } : {}),
        ...(frontier.alsoSized ? { alsoSized: frontier.alsoSized.map((a) => ({ knobs: a.knobs, predictive: figures(a.predictive), snaive: figures(a.snaive) })) } : {}),
        seconds: (performance.now() - t0) / 1000,
      });
    }
  }
  return outcomes;
}

/**
 * `--explore`: settings outside the grid, on the same refits, to see whether
 * the grid is what limits the hindsight bound: guards below 0.975, a longer
 * scale-in stabilisation (the policy holding its wish longer), a longer lead.
 */
function exploreSettings(world: ReplayWorld, forecasts: ServedForecastLike[], refitEveryMs: number, params: ReplayResult['params']): (Figures & { label: string })[] {
  const fixed = { capacityPerReplica: params.capacityPerReplica, minReplicas: params.minReplicas, maxReplicas: params.maxReplicas, scaleIn: params.scaleIn };
  const at = servedAt(forecasts, world.startMs, refitEveryMs);
  const lead = params.leadTimeSeconds;
  const tracks = new Map<number, ForecastTrack>();
  const track = (leadTimeSeconds: number) => tracks.get(leadTimeSeconds) ?? tracks.set(leadTimeSeconds, new ForecastTrack(world, at, leadTimeSeconds)).get(leadTimeSeconds) as ForecastTrack;
  const out: (Figures & { label: string })[] = [];
  const run = (label: string, knobs: PolicyKnobs, scaleIn = fixed.scaleIn) => out.push({ label, ...figures(world.forecastPolicy({ ...fixed, scaleIn, ...knobs }, track(knobs.leadTimeSeconds)).stats) });
  for (const utilisation of [0.9, 0.8]) {
    run(`q 0.8 guard 0.9 util ${utilisation}`, { quantile: 0.8, scaleInGuardQuantile: 0.9, utilisation, leadTimeSeconds: lead });
    run(`q 0.8 guard 0.95 util ${utilisation}`, { quantile: 0.8, scaleInGuardQuantile: 0.95, utilisation, leadTimeSeconds: lead });
    run(`q 0.9 guard 0.95 util ${utilisation}`, { quantile: 0.9, scaleInGuardQuantile: 0.95, utilisation, leadTimeSeconds: lead });
  }
  // Costlier than the grid (sized on 60 % and 50 % of capacity): whether any predictive setting reaches seasonal naive's minutes at 70 %.
  for (const utilisation of EXPLORE_SIZINGS) {
    run(`q 0.9 guard 0.975 util ${utilisation}`, { quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation, leadTimeSeconds: lead });
    run(`q 0.95 guard 0.975 util ${utilisation}`, { quantile: 0.95, scaleInGuardQuantile: 0.975, utilisation, leadTimeSeconds: lead });
    run(`q 0.975 guard none util ${utilisation}`, { quantile: 0.975, scaleInGuardQuantile: null, utilisation, leadTimeSeconds: lead });
  }
  for (const quantile of [0.8, 0.9]) {
    for (const stabilizationWindowSeconds of [600, 1200]) {
      run(`q ${quantile} guard none util 0.9 stabilisation ${stabilizationWindowSeconds} s`, { quantile, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: lead }, { ...fixed.scaleIn, stabilizationWindowSeconds });
    }
    run(`q ${quantile} guard none util 0.9 lead +300 s`, { quantile, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: lead + 300 });
  }
  return out;
}

/** Why no setting met the budget on the span: the fewest minutes any reached, and the oracle's. */
function whyNone(frontier: Frontier, budgetMinutes: number): string {
  const fewest = frontier.points.reduce((a, b) => (b.underProvisionedMinutesPerWeek < a.underProvisionedMinutesPerWeek ? b : a));
  return `the fewest short minutes of any setting, ${fewest.underProvisionedMinutes.toFixed(2)} in the replayed span (${fewest.underProvisionedMinutesPerWeek.toFixed(1)}/week at q ${fewest.knobs.quantile}, guard ${fewest.knobs.scaleInGuardQuantile ?? 'none'}, util ${fewest.knobs.utilisation}), exceed ${budgetMinutes}/week: load rose faster than every setting's forecast bound`;
}

/** The halves without their per-setting tables (those are in the pooled figures and the detail file). */
function brief(halves: Record<string, Record<string, Pooled>>): Record<string, Record<string, Omit<Pooled, 'settings' | 'plainHpa' | 'snaiveAtHpa' | 'sizedAlike'>>> {
  return Object.fromEntries(Object.entries(halves).map(([h, sides]) => [h, Object.fromEntries(Object.entries(sides).map(([side, { settings: _s, plainHpa: _p, snaiveAtHpa: _a, sizedAlike: _z, ...rest }]) => [side, rest]))]));
}

/**
 * Evidence for the pooled goal: the hindsight bounds of the daily-seasonal
 * series and of the realTweets series apart (pooled within each kind), and
 * each kind's share of the reactive HPA's short minutes.
 */
function bySeriesKind(outcomes: readonly RunOutcome[]) {
  const kindOf = (o: RunOutcome) => (o.series.startsWith('tweets_') ? 'realTweets' : 'dailySeasonal');
  const sides = { besideReactiveTrigger: true, alone: false } as const;
  return Object.fromEntries(
    (['dailySeasonal', 'realTweets'] as const).map((kind) => [
      kind,
      Object.fromEntries(
        Object.entries(sides).map(([side, trigger]) => {
          const all = outcomes.filter((o) => o.reactiveTrigger === trigger);
          const mine = all.filter((o) => kindOf(o) === kind);
          const minutes = (runs: readonly RunOutcome[]) => runs.reduce((s, o) => s + (o.policies.reactive?.underProvisionedMinutes ?? 0), 0);
          const p = pool(mine);
          return [side, { runs: mine.length, shareOfReactiveMinutes: minutes(all) > 0 ? minutes(mine) / minutes(all) : 0, hindsightAt110: p.hindsightAt110, hindsightHoursFor015: p.hindsightHoursFor015 }];
        }),
      ),
    ]),
  );
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
      explore: { type: 'boolean', default: false },
      tuning: { type: 'string', default: 'scored' },
    },
  });
  const tuningMode = values.tuning as TuningMode;
  if (!TUNING_MODES.includes(tuningMode)) throw new Error(`--tuning must be one of ${TUNING_MODES.join(', ')}`);
  const replayDays = values.days === undefined ? DEFAULT_REPLAY_DAYS : Number(values.days);
  const budgetMinutes = Number(values.budget);
  const wanted = values.series?.split(',');
  const outcomes: RunOutcome[] = [];
  const madeWith = new Set<string>();
  const started = performance.now();
  for (const [k, entry] of REPLAY_SERIES.entries()) {
    if (wanted && !wanted.includes(entry.name)) continue;
    const series = await load(entry.file, entry.stepSeconds, entry.column);
    const f = await seriesForecasts(entry.name, series, values.model, { replayDays });
    madeWith.add(`${f.commit}/${f.modelsHash}`);
    const refits = tuningMode === 'day-ahead' ? undefined : await tuningRefits(f, series, { log: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`) });
    const rows = await replaySeries(entry.name, k % 2 === 0 ? 'dev' : 'holdout', series, f, budgetMinutes, values.explore, tuningMode, refits);
    for (const o of rows) {
      const p = o.policies;
      process.stdout.write(
        `${o.series.padEnd(36)} ${o.group.padEnd(7)} ${o.reactiveTrigger ? 'beside' : 'alone '} ${String(o.startupDelaySeconds).padStart(3)} s  under min: reactive ${p.reactive?.underProvisionedMinutes.toFixed(1)}, predictive ${p.predictive?.underProvisionedMinutes.toFixed(1)}, snaive ${p.snaive?.underProvisionedMinutes.toFixed(1)}, ` +
          `oracle ${p.oracle?.underProvisionedMinutes.toFixed(1)}, headroom@${(o.headroomUtilisation * 100).toFixed(0)}% ${p.headroom?.underProvisionedMinutes.toFixed(1)}; replica-h ratio: predictive ${r3(p.predictive?.replicaHoursRatio)}, snaive ${r3(p.snaive?.replicaHoursRatio)}; ` +
          `rule: ${knobText(o.rule.knobs)} → ${o.rule.replayed.underProvisionedMinutes.toFixed(1)} min at ${r3(o.rule.replayed.replicaHours / (p.reactive?.replicaHours ?? 1))} (headroom ${o.rule.headroom.underProvisionedMinutes.toFixed(1)}); ` +
          `checked: default ${o.defaultChecked.fallback === null ? 'predictive' : `reactive@${(o.defaultChecked.fallback * 100).toFixed(0)}%`} ${o.defaultChecked.versusHeadroom}, rule ${o.ruleChecked.fallback === null ? 'predictive' : `reactive@${(o.ruleChecked.fallback * 100).toFixed(0)}%`} ${o.ruleChecked.versusHeadroom}; ` +
          `budget ${budgetMinutes}: ${knobText(o.budget.chosen)}${o.budget.fallback === null ? '' : ` → reactive@${(o.budget.fallback * 100).toFixed(0)}%`} → ${o.budget.replayed.underProvisionedMinutesPerWeek.toFixed(1)} min/week, ${o.budget.met ? 'met' : o.budget.anyCould ? 'MISSED' : 'no setting could'} (${o.seconds.toFixed(1)} s)\n`,
      );
    }
    outcomes.push(...rows);
  }
  const pooled = {
    besideReactiveTrigger: pool(outcomes.filter((o) => o.reactiveTrigger)),
    alone: pool(outcomes.filter((o) => !o.reactiveTrigger)),
  };
  const halves = Object.fromEntries(
    (['dev', 'holdout'] as const).map((g) => [g, { besideReactiveTrigger: pool(outcomes.filter((o) => o.reactiveTrigger && o.group === g)), alone: pool(outcomes.filter((o) => !o.reactiveTrigger && o.group === g)) }]),
  );
  printPooled(pooled, halves, budgetMinutes);
  const kinds = bySeriesKind(outcomes);
  for (const [kind, sides] of Object.entries(kinds)) {
    for (const [side, k] of Object.entries(sides)) {
      process.stdout.write(`${kind} ${side}: ${k.runs} runs, ${(k.shareOfReactiveMinutes * 100).toFixed(1)} % of the reactive HPA's short minutes; hindsight ${r3(k.hindsightAt110.under)} at ${r3(k.hindsightAt110.replicaHours)}; 0.15× takes ≥ ${r3(k.hindsightHoursFor015)}\n`);
    }
  }
  const goals = verdicts(pooled, halves, budgetMinutes);
  for (const v of goals) process.stdout.write(`${v.met ? 'met    ' : 'NOT met'}  ${v.goal}: ${v.figure}\n`);
  const args = [values.series ? `--series ${values.series}` : '', values.days ? `--days ${values.days}` : '', values.budget !== '5' ? `--budget ${values.budget}` : '', values.explore ? '--explore' : '', tuningMode !== 'scored' ? `--tuning ${tuningMode}` : ''].filter(Boolean).join(' ');
  mkdirSync(join(ROOT, 'benchmarks', 'out', 'detail'), { recursive: true });
  // With --out, the per-run detail goes beside it under the same name (another run's detail stays).
  const perRun = join('benchmarks', 'out', 'detail', values.out ? `${basename(values.out, '.json')}-runs.json` : 'replay-runs.json');
  const runs = outcomes.map((o) => ({
    series: o.series,
    group: o.group,
    startupDelaySeconds: o.startupDelaySeconds,
    reactiveTrigger: o.reactiveTrigger,
    reactive: o.policies.reactive,
    predictive: o.policies.predictive,
    versusHeadroom: o.versusHeadroom,
    rule: { knobs: knobText(o.rule.knobs), underProvisionedMinutes: o.rule.replayed.underProvisionedMinutes, replicaHours: o.rule.replayed.replicaHours, headroomUnderProvisionedMinutes: o.rule.headroom.underProvisionedMinutes, versusHeadroom: o.rule.versusHeadroom },
    checked: Object.fromEntries(
      (['defaultChecked', 'ruleChecked'] as const).map((k) => [k, { fallback: o[k].fallback, underProvisionedMinutes: o[k].replayed.underProvisionedMinutes, replicaHours: o[k].replayed.replicaHours, headroomUnderProvisionedMinutes: o[k].headroom.underProvisionedMinutes, versusHeadroom: o[k].versusHeadroom, ...(o[k].tuning ? { tuning: o[k].tuning } : {}) }]),
    ),
    budget: { knobs: knobText(o.budget.chosen), fallback: o.budget.fallback, session7: o.budget.session7, metWithoutFallback: o.budget.metWithoutFallback, underProvisionedMinutesPerWeek: o.budget.replayed.underProvisionedMinutesPerWeek, met: o.budget.met, anyCould: o.budget.anyCould, ...(o.budget.couldNotWhy ? { why: o.budget.couldNotWhy } : {}) },
  }));
  writeFileSync(
    values.out ?? join(ROOT, 'benchmarks', 'out', 'replay.json'),
    `${JSON.stringify({ benchmark: 'replay', command: `npx tsx benchmarks/replay.ts${args ? ` ${args}` : ''}`, verdicts: goals, model: values.model, replayDays, tuning: tuningMode, budgetMinutes, seconds: (performance.now() - started) / 1000, forecastsMadeWith: [...madeWith], perRun, pooled, halves: brief(halves), bySeriesKind: kinds }, null, 2)}\n`,
  );
  writeFileSync(join(ROOT, perRun), `${JSON.stringify({ benchmark: 'replay', runs, outcomes }, null, 2)}\n`);
}

await main();
