/**
 * The frontier a target gets at each model selection (issue 13): the
 * target's recent history (the span of `auto`'s selection backtest)
 * replayed through the HPA model, fed by the forecasts that backtest
 * already made (FitInfo.backtest), so it costs HPA simulations only, no
 * fits. Runs where the fit ran (the worker pool), right after it.
 *
 * Which replay a target gets depends on what its config states
 * ({@link knobSource}):
 * - a risk budget: every setting of the grid, the budget chooses;
 * - neither a budget nor any knob: every setting of the grid, and the
 *   cheapest one within 0.15 × the reactive HPA's short minutes there is
 *   chosen (the own-history rule, OWN_HISTORY_SHARE): on the replay
 *   benchmark it was the only served default never short more minutes than
 *   headroom, where the documented default knobs were not;
 * - knobs stated by hand: those knobs alone, as stated (a frontier of one
 *   setting beside the plain HPA's targets).
 * Each is served only if it was short fewer minutes there than headroom
 * (withReactiveFallback); otherwise the target serves reactive scaling and
 * says why. DESIGN.md promises both a fallback to reactive scaling and proof
 * from the target's own history, to every target.
 *
 * What the service cannot know it assumes, and says so in the docs: the
 * plain HPA beside the forecast targets 70 % of capacityPerReplica per pod
 * (the replay's default); pod start-up is the lead time less a 60 s metric
 * lag; the ScaledObject runs the forecast beside the reactive trigger
 * (docs/keda.md).
 */
import type { Forecast } from '../models/forecaster.js';
import type { KnobsFrom, KnobsJudgedOn, PolicyKnobs } from '../scaling/policy.js';
import { PrescientError } from '../errors.js';
import { chooseOnOwnHistory, computeFrontier, describeKnobs, frontierGrid, withReactiveFallback, type FixedPolicy, type Frontier, type RiskBudget } from './frontier.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from './replay-world.js';
import { stretchAsForecast, type ServedStretch } from './served-stretch.js';

/** What the worker needs besides the fit to replay a frontier: plain data. */
export interface FrontierTask {
  readonly fixed: FixedPolicy;
  readonly leadTimeSeconds: number;
  /** A risk budget: the whole grid is replayed and the budget chooses. */
  readonly budget?: RiskBudget;
  /** Knobs stated by hand: replayed alone and checked against headroom. */
  readonly knobs?: PolicyKnobs;
  /** Neither: the whole grid is replayed and the own-history rule chooses. */
  readonly ownHistory?: true;
  readonly startMs: number;
  readonly stepSeconds: number;
  /**
   * The forecasts the target served over its last days (src/backtest/served-stretch.ts), when its
   * served record holds enough of them: the settings are judged on these instead of the backtest's.
   */
  readonly served?: ServedStretch;
}

export const SERVICE_HPA_UTILISATION = 0.7;
export const SERVICE_METRIC_LAG_SECONDS = 60;
/**
 * The own-history rule's target: the cheapest setting whose short minutes
 * stayed within this share of the reactive HPA's over the span (issue 13's
 * pooled goal, 0.15, as a rule on past data only; benchmarks/replay.ts).
 */
export const OWN_HISTORY_SHARE = 0.15;

/**
 * What a target's selection replays, by what its config states:
 * `budget` (the grid; the risk budget chooses), `own-history` (no budget
 * and no knob stated: the grid; the own-history rule chooses), `checked`
 * (knobs stated: those alone, checked against headroom), `unchecked` (no
 * budget and `ownHistoryCheck: false`: nothing; the configured knobs,
 * stated or the documented defaults, serve as they are). `knobsStated`
 * absent counts as stated: a policy built by hand is served as built.
 */
export type FrontierKind = 'budget' | 'own-history' | 'checked' | 'unchecked';

export function frontierKind(scaling: { readonly budget?: RiskBudget | undefined; readonly knobsStated?: boolean; readonly ownHistoryCheck?: boolean }): FrontierKind {
  if (scaling.budget) return 'budget';
  if (scaling.ownHistoryCheck === false) return 'unchecked';
  return scaling.knobsStated === false ? 'own-history' : 'checked';
}

/** Whether a frontier of this kind replays the whole grid (and the served forecast needs FRONTIER_LEVELS). */
export function replaysGrid(kind: FrontierKind): boolean {
  return kind === 'budget' || kind === 'own-history';
}

/**
 * The frontier over the target's recent history, or undefined when there is
 * nothing to replay. Judged on what the target served (`task.served`, the
 * last days of its served record, when that stretch lies within the history
 * the fit saw) or else on the span of the selection backtest (fewer than
 * one origin's forecasts: nothing).
 * @param values the history the fit saw
 * @param backtest FitInfo.backtest: forecasts at origins one horizon apart
 */
export function selectionFrontier(
  task: FrontierTask,
  values: readonly number[],
  backtest: { readonly originIndices: readonly number[]; readonly forecasts: readonly Forecast[] },
  model: string,
): Frontier | undefined {
  const stepMs = task.stepSeconds * 1000;
  const stretch = task.served;
  const served = stretch && servedSpan(task, stretch, values.length);
  const first = served ? served.startIndex : backtest.originIndices[0];
  if (first === undefined || first < 2 || (!served && backtest.forecasts.length === 0)) return undefined;
  const series = { startMs: task.startMs, stepSeconds: task.stepSeconds, values: [...values] };
  const world = new ReplayWorld({
    series,
    startIndex: first,
    endIndex: served ? served.endIndex : values.length,
    capacityPerReplica: task.fixed.capacityPerReplica,
    startupDelaySeconds: Math.max(0, task.leadTimeSeconds - SERVICE_METRIC_LAG_SECONDS),
    metricLagSeconds: Math.min(SERVICE_METRIC_LAG_SECONDS, task.leadTimeSeconds),
    minReplicas: Math.max(1, task.fixed.minReplicas),
    maxReplicas: task.fixed.maxReplicas,
    hpaUtilisation: SERVICE_HPA_UTILISATION,
    reactiveTrigger: true,
  });
  let track: ForecastTrack;
  if (served && stretch) {
    const forecast = stretchAsForecast(stretch, model);
    track = new ForecastTrack(world, (tMs) => (tMs >= forecast.startMs ? forecast : undefined), task.leadTimeSeconds);
  } else {
    const spacingMs = ((backtest.originIndices[1] ?? values.length) - first) * stepMs;
    const forecasts: ServedForecastLike[] = backtest.originIndices.map((index, k) => {
      const f = backtest.forecasts[k] as Forecast;
      const startMs = task.startMs + index * stepMs;
      return { model, startMs, stepSeconds: task.stepSeconds, point: f.point, intervals: f.intervals, lastObserved: { atMs: startMs, value: Number.NaN } };
    });
    track = new ForecastTrack(world, servedAt(forecasts, world.startMs, spacingMs), task.leadTimeSeconds);
  }
  const judgedOn: KnobsJudgedOn = served ? 'served' : 'selection-backtest';
  return { ...judgedFrontier(task, world, track, model), judgedOn };
}

/** Where the stretch lies in the history the fit saw: whole steps, within it; undefined otherwise (another grid, or cut by a changepoint). */
function servedSpan(task: FrontierTask, stretch: ServedStretch, length: number): { startIndex: number; endIndex: number } | undefined {
  const offset = (stretch.startMs - task.startMs) / (task.stepSeconds * 1000);
  const startIndex = Math.round(offset);
  const endIndex = startIndex + stretch.point.length;
  if (stretch.stepSeconds !== task.stepSeconds || Math.abs(offset - startIndex) > 1e-6 || startIndex < 2 || endIndex > length) return undefined;
  return { startIndex, endIndex };
}

/** The settings the task's kind replays over the world, and what it chooses. */
function judgedFrontier(task: FrontierTask, world: ReplayWorld, track: ForecastTrack, model: string): Frontier {
  if (task.budget) return computeFrontier({ world, fixed: task.fixed, track, grid: frontierGrid(task.leadTimeSeconds), model, budget: task.budget });
  if (task.ownHistory) {
    const started = performance.now();
    const frontier = computeFrontier({ world, fixed: task.fixed, track, grid: frontierGrid(task.leadTimeSeconds), model });
    // The rule's budget: a share of what the reactive HPA (the world's 70 %) was short over this same span.
    const { budget, chosen } = chooseOnOwnHistory(world, frontier, OWN_HISTORY_SHARE);
    return { ...frontier, budget, ownHistoryShare: OWN_HISTORY_SHARE, chosen, computeMs: performance.now() - started };
  }
  if (!task.knobs) throw new PrescientError('PRESCIENT_ERR_VALIDATION', 'a frontier task needs a budget, the stated knobs or the own-history rule');
  const knobs = { ...task.knobs, leadTimeSeconds: task.leadTimeSeconds };
  const started = performance.now();
  const frontier = computeFrontier({ world, fixed: task.fixed, track, grid: [knobs], model });
  const chosen = withReactiveFallback(world, frontier, { index: 0, knobs, metBudget: true, reason: `the configured knobs (${describeKnobs(knobs)})` });
  return { ...frontier, chosen, computeMs: performance.now() - started };
}

/** The kind a frontier was replayed for (the check's, on stated knobs, has neither a budget nor the rule's share). */
function kindOf(frontier: Frontier): FrontierKind {
  if (frontier.ownHistoryShare !== undefined) return 'own-history';
  return frontier.budget === undefined ? 'checked' : 'budget';
}

/** How notes and reasons name what chose: `risk budget`, `own-history choice` or `own-history check`. */
export function frontierLabel(frontier: Frontier): string {
  const kind = kindOf(frontier);
  return kind === 'budget' ? 'risk budget' : kind === 'own-history' ? 'own-history choice' : 'own-history check';
}

/**
 * The frontier if it was replayed for these settings: a budget's for a
 * budget target, the own-history rule's for a target that states nothing,
 * the check's for stated knobs. A frontier of another kind (a budget or
 * knobs added or removed since it was replayed) says nothing about them.
 */
export function frontierFor(
  frontier: Frontier | undefined,
  scaling: { readonly budget?: RiskBudget | undefined; readonly knobsStated?: boolean; readonly ownHistoryCheck?: boolean } | undefined,
): Frontier | undefined {
  return frontier && scaling && kindOf(frontier) === frontierKind(scaling) ? frontier : undefined;
}

/**
 * The levels the own-history check reads in the selection backtest's
 * forecasts: the configured quantile's and scale-in guard's (an interval at
 * level L has its upper bound at quantile (1 + L) / 2).
 */
export function checkLevels(knobs: Pick<PolicyKnobs, 'quantile' | 'scaleInGuardQuantile'>): number[] {
  const levels = [2 * knobs.quantile - 1];
  if (knobs.scaleInGuardQuantile !== null) levels.push(2 * knobs.scaleInGuardQuantile - 1);
  return levels.map((l) => Math.round(l * 1e6) / 1e6);
}

/**
 * The knobs a target serves with: once a frontier of its kind exists, the
 * budget's or the own-history rule's choice, or the stated knobs once
 * checked; before that (first fit, a model that does not select) or with
 * the check off, the configured knobs (stated, or the documented defaults).
 * When the choice fell back to reactive scaling (FrontierChoice.fallback),
 * `reactive` holds the reason and the utilisation is the fallback's: the
 * recommendation is sized on the observed load at that share of capacity.
 */
export function servedKnobs(
  configured: PolicyKnobs & { readonly budget?: RiskBudget | undefined; readonly knobsStated?: boolean; readonly ownHistoryCheck?: boolean },
  frontier: Frontier | undefined,
): { knobs: PolicyKnobs; from: KnobsFrom; judgedOn?: KnobsJudgedOn; reactive?: string } {
  const kind = frontierKind(configured);
  const own = frontierFor(frontier, configured);
  const chosen = own?.chosen;
  if (!own || !chosen || kind === 'unchecked') return { knobs: configured, from: configured.knobsStated === false ? 'default' : 'config' };
  const from = kind === 'checked' ? 'config' : kind;
  // A frontier persisted before it said which forecasts it judged on was judged on the selection backtest.
  const judgedOn = own.judgedOn ?? 'selection-backtest';
  const knobs = { ...(kind === 'checked' ? configured : chosen.knobs), leadTimeSeconds: configured.leadTimeSeconds };
  if (!chosen.fallback) return { knobs, from, judgedOn };
  return { knobs: { ...knobs, utilisation: chosen.fallback.utilisation }, from, judgedOn, reactive: `${frontierLabel(own)}: ${chosen.reason}` };
}
