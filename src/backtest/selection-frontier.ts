/**
 * The frontier a target with a risk budget gets at each model selection
 * (issue 13): the target's recent history (the span of `auto`'s selection
 * backtest) replayed through the HPA model for every knob setting of the
 * grid, fed by the forecasts that backtest already made (FitInfo.backtest),
 * so it costs HPA simulations only, no fits. Runs where the fit ran (the
 * worker pool), right after it.
 *
 * A target without a budget gets the own-history check alone: its
 * configured knobs replayed over the same span (a frontier of one setting,
 * beside the plain HPA's targets), and served only if they were short
 * fewer minutes there than headroom (withReactiveFallback); otherwise the
 * target serves reactive scaling and says why. DESIGN.md promises both a
 * fallback to reactive scaling and proof from the target's own history,
 * to every target, not only to those that state a budget.
 *
 * What the service cannot know it assumes, and says so in the docs: the
 * plain HPA beside the forecast targets 70 % of capacityPerReplica per pod
 * (the replay's default); pod start-up is the lead time less a 60 s metric
 * lag; the ScaledObject runs the forecast beside the reactive trigger
 * (docs/keda.md).
 */
import type { Forecast } from '../models/forecaster.js';
import type { PolicyKnobs } from '../scaling/policy.js';
import { PrescientError } from '../errors.js';
import { computeFrontier, describeKnobs, frontierGrid, withReactiveFallback, type FixedPolicy, type Frontier, type RiskBudget } from './frontier.js';
import { ForecastTrack, ReplayWorld, servedAt, type ServedForecastLike } from './replay-world.js';

/** What the worker needs besides the fit to replay a frontier: plain data. */
export interface FrontierTask {
  readonly fixed: FixedPolicy;
  readonly leadTimeSeconds: number;
  /** A risk budget: the whole grid is replayed and the budget chooses. */
  readonly budget?: RiskBudget;
  /** Without a budget: the configured knobs, replayed alone and checked against headroom. */
  readonly knobs?: PolicyKnobs;
  readonly startMs: number;
  readonly stepSeconds: number;
}

export const SERVICE_HPA_UTILISATION = 0.7;
export const SERVICE_METRIC_LAG_SECONDS = 60;

/**
 * The frontier over the span of the selection backtest, or undefined when
 * there are fewer than one origin's forecasts to replay.
 * @param values the history the fit saw
 * @param backtest FitInfo.backtest: forecasts at origins one horizon apart
 */
export function selectionFrontier(
  task: FrontierTask,
  values: readonly number[],
  backtest: { readonly originIndices: readonly number[]; readonly forecasts: readonly Forecast[] },
  model: string,
): Frontier | undefined {
  const first = backtest.originIndices[0];
  if (first === undefined || first < 2 || backtest.forecasts.length === 0) return undefined;
  const series = { startMs: task.startMs, stepSeconds: task.stepSeconds, values: [...values] };
  const stepMs = task.stepSeconds * 1000;
  const spacingMs = ((backtest.originIndices[1] ?? values.length) - first) * stepMs;
  const world = new ReplayWorld({
    series,
    startIndex: first,
    endIndex: values.length,
    capacityPerReplica: task.fixed.capacityPerReplica,
    startupDelaySeconds: Math.max(0, task.leadTimeSeconds - SERVICE_METRIC_LAG_SECONDS),
    metricLagSeconds: Math.min(SERVICE_METRIC_LAG_SECONDS, task.leadTimeSeconds),
    minReplicas: Math.max(1, task.fixed.minReplicas),
    maxReplicas: task.fixed.maxReplicas,
    hpaUtilisation: SERVICE_HPA_UTILISATION,
    reactiveTrigger: true,
  });
  const forecasts: ServedForecastLike[] = backtest.originIndices.map((index, k) => {
    const f = backtest.forecasts[k] as Forecast;
    const startMs = task.startMs + index * stepMs;
    return { model, startMs, stepSeconds: task.stepSeconds, point: f.point, intervals: f.intervals, lastObserved: { atMs: startMs, value: Number.NaN } };
  });
  const track = new ForecastTrack(world, servedAt(forecasts, world.startMs, spacingMs), task.leadTimeSeconds);
  if (task.budget) return computeFrontier({ world, fixed: task.fixed, track, grid: frontierGrid(task.leadTimeSeconds), model, budget: task.budget });
  if (!task.knobs) throw new PrescientError('PRESCIENT_ERR_VALIDATION', 'a frontier task needs a budget or the configured knobs');
  const knobs = { ...task.knobs, leadTimeSeconds: task.leadTimeSeconds };
  const started = performance.now();
  const frontier = computeFrontier({ world, fixed: task.fixed, track, grid: [knobs], model });
  const chosen = withReactiveFallback(world, frontier, { index: 0, knobs, metBudget: true, reason: `the configured knobs (${describeKnobs(knobs)})` });
  return { ...frontier, chosen, computeMs: performance.now() - started };
}

/**
 * The frontier if it was replayed for these settings: a budget's for a
 * budget target, the check's for one without. A frontier of the other kind
 * (a budget added or removed since it was replayed) says nothing about them.
 */
export function frontierFor(frontier: Frontier | undefined, scaling: { readonly budget?: RiskBudget | undefined } | undefined): Frontier | undefined {
  return frontier && (frontier.budget === undefined) === (scaling?.budget === undefined) ? frontier : undefined;
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
 * The knobs a target serves with: the budget's choice once a frontier
 * exists, else its configured ones. When the choice fell back to reactive
 * scaling (FrontierChoice.fallback), `reactive` holds the reason and the
 * utilisation is the fallback's: the recommendation is sized on the
 * observed load at that share of capacity.
 */
export function servedKnobs(
  configured: PolicyKnobs & { readonly budget?: RiskBudget | undefined; readonly ownHistoryCheck?: boolean },
  frontier: Frontier | undefined,
): { knobs: PolicyKnobs; from: 'config' | 'budget'; reactive?: string } {
  const chosen = frontierFor(frontier, configured)?.chosen;
  if (!chosen) return { knobs: configured, from: 'config' };
  if (!configured.budget && configured.ownHistoryCheck === false) return { knobs: configured, from: 'config' };
  const from = configured.budget ? 'budget' : 'config';
  const knobs = { ...(configured.budget ? chosen.knobs : configured), leadTimeSeconds: configured.leadTimeSeconds };
  if (!chosen.fallback) return { knobs, from };
  const label = configured.budget ? 'risk budget' : 'own-history check';
  return { knobs: { ...knobs, utilisation: chosen.fallback.utilisation }, from, reactive: `${label}: ${chosen.reason}` };
}
