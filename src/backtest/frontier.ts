/**
 * The risk frontier of a target (issue 13): what a small grid of knob
 * settings of the scaling policy would have given on a stretch of the
 * target's own history (under-provisioned minutes against replica-hours),
 * beside the plain HPA at several targets, and the setting a risk budget
 * chooses among them.
 *
 * Every point is one HPA simulation (src/backtest/replay-world.ts) fed with
 * forecasts already made (by the replay's refits, or by `auto`'s selection
 * backtest): no fits, so a frontier costs simulations only.
 */
import { PrescientError } from '../errors.js';
import type { KnobsJudgedOn, PolicyKnobs, ScalingPolicy } from '../scaling/policy.js';
import { MIN_HEADROOM_UTILISATION, ReactiveTrack, type ForecastTrack, type PlainHpaRun, type PolicyRun, type ReplayWorld } from './replay-world.js';

/**
 * Interval levels a frontier needs in its forecasts: the upper bound of the
 * interval at level L is quantile (1 + L) / 2, so these serve the quantiles
 * 0.8, 0.9, 0.95 and 0.975.
 */
export const FRONTIER_LEVELS: readonly number[] = [0.6, 0.8, 0.9, 0.95];

/** Scaling quantiles tried (each needs its level in FRONTIER_LEVELS). */
export const FRONTIER_QUANTILES: readonly number[] = [0.8, 0.9, 0.95, 0.975];
/** Scale-in guards tried: none, or the 97.5 % quantile (the default). */
export const FRONTIER_GUARDS: readonly (number | null)[] = [null, 0.975];
/** Shares of the capacity sized on; above 1 / 1.1 a scale-up the HPA's tolerance swallows would leave the load short. */
export const FRONTIER_UTILISATIONS: readonly number[] = [0.9, 0.8, 0.7];
/**
 * HPA targets a risk budget's reactive fallback tries, highest first, when
 * none of the frontier's (PLAIN_HPA_TARGETS up to the reactive HPA's, and
 * headroom's) kept the budget on the target's history: the first that did
 * serves; when none did either, the frontier's target short the fewest
 * minutes stays. Not below 20 %: 3.5× the replicas of the reactive HPA's 70 %.
 */
export const LOWER_FALLBACK_TARGETS: readonly number[] = [0.3, 0.2];
/** The plain HPA's targets drawn beside the settings (share of capacity per pod). */
export const PLAIN_HPA_TARGETS: readonly number[] = [0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const WEEK_MINUTES = 7 * 24 * 60;

/**
 * The grid at one lead time: quantile × guard × utilisation, a guard at or
 * below the quantile dropped (it never binds: the same setting as no guard).
 * 21 settings.
 */
export function frontierGrid(leadTimeSeconds: number): PolicyKnobs[] {
  const grid: PolicyKnobs[] = [];
  for (const utilisation of FRONTIER_UTILISATIONS) {
    for (const quantile of FRONTIER_QUANTILES) {
      for (const guard of FRONTIER_GUARDS) {
        if (guard !== null && guard <= quantile) continue;
        grid.push({ quantile, scaleInGuardQuantile: guard, utilisation, leadTimeSeconds });
      }
    }
  }
  return grid;
}

/** What one setting (or one plain-HPA target) gave over the stretch. */
export interface FrontierStats {
  readonly underProvisionedMinutes: number;
  /** Scaled to a week: minutes × 7 days / span. */
  readonly underProvisionedMinutesPerWeek: number;
  readonly replicaHours: number;
  readonly scaleEvents: number;
  /** Minutes with no usable forecast (the reactive signal alone). */
  readonly fallbackMinutes: number;
}

export interface FrontierPoint extends FrontierStats {
  readonly knobs: PolicyKnobs;
}

export interface PlainHpaPoint extends FrontierStats {
  /** HPA target per pod, share of the capacity. */
  readonly utilisation: number;
}

/** The risk budget (config `scaling.budget`). */
export interface RiskBudget {
  readonly maxUnderProvisionedMinutesPerWeek: number;
}

/**
 * Reactive scaling served instead of the chosen setting: over the stretch,
 * the setting was not short fewer minutes than the plain HPA spending the
 * same replica-hours (`headroom`), so the forecast earned no trust there.
 */
export interface ReactiveFallback {
  /** Share of capacityPerReplica the reactive recommendation is sized on: headroom's HPA target. */
  readonly utilisation: number;
  /** Headroom over the stretch (the plain HPA at `utilisation`). */
  readonly underProvisionedMinutes: number;
  readonly replicaHours: number;
}

export interface FrontierChoice {
  /** Index into Frontier.points. */
  readonly index: number;
  readonly knobs: PolicyKnobs;
  /** Whether the chosen setting stayed within the budget over the stretch (true for the own-history check, which has none). */
  readonly metBudget: boolean;
  /** One sentence: why this setting. */
  readonly reason: string;
  /** Set when the target serves reactive scaling instead (see {@link withReactiveFallback}). */
  readonly fallback?: ReactiveFallback;
}

export interface Frontier {
  /** Replayed stretch, ms since epoch. */
  readonly startMs: number;
  readonly endMs: number;
  /** The model whose forecasts fed the settings. */
  readonly model: string;
  readonly points: readonly FrontierPoint[];
  readonly plainHpa: readonly PlainHpaPoint[];
  /**
   * The budget the choice kept to: a stated risk budget, or for the
   * own-history rule the share below of the reactive HPA's minutes.
   */
  readonly budget?: RiskBudget;
  /** Set when the own-history rule chose (no budget or knob stated): the budget is this share of the reactive HPA's short minutes. */
  readonly ownHistoryShare?: number;
  readonly chosen?: FrontierChoice;
  /**
   * Which forecasts fed the settings at a selection (src/backtest/selection-frontier.ts): those the
   * target served (its served record), or the selection backtest's. Absent outside the service.
   */
  readonly judgedOn?: KnobsJudgedOn;
  /** Wall time the simulations took, ms. */
  readonly computeMs: number;
}

/** The policy settings a frontier keeps fixed (capacity, min/max, scale-in rates). */
export type FixedPolicy = Omit<ScalingPolicy, keyof PolicyKnobs>;

function statsOf(world: ReplayWorld, run: { stats: { underProvisionedMinutes: number; replicaHours: number; scaleEvents: number }; fallbackTicks: number }): FrontierStats {
  const spanMinutes = (world.endMs - world.startMs) / 60_000;
  const under = run.stats.underProvisionedMinutes;
  return {
    underProvisionedMinutes: under,
    underProvisionedMinutesPerWeek: spanMinutes > 0 ? (under * WEEK_MINUTES) / spanMinutes : 0,
    replicaHours: run.stats.replicaHours,
    scaleEvents: run.stats.scaleEvents,
    fallbackMinutes: (run.fallbackTicks * 15) / 60,
  };
}

/**
 * Replays every setting of `grid` fed by the forecasts `track` reads (all
 * settings at the track's lead time), and the plain HPA at
 * PLAIN_HPA_TARGETS; with a budget, marks the setting it chooses.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION when a setting's lead time is not the track's
 */
export function computeFrontier(options: {
  readonly world: ReplayWorld;
  readonly fixed: FixedPolicy;
  readonly track: ForecastTrack;
  readonly grid: readonly PolicyKnobs[];
  readonly model: string;
  readonly budget?: RiskBudget;
}): Frontier {
  const started = performance.now();
  const { world, fixed } = options;
  const points = options.grid.map((knobs): FrontierPoint => ({ knobs, ...statsOf(world, world.forecastPolicy({ ...fixed, ...knobs }, options.track)) }));
  const plainHpa = PLAIN_HPA_TARGETS.map((utilisation): PlainHpaPoint => ({ utilisation, ...statsOf(world, world.plainHpa(utilisation)) }));
  const chosen = options.budget ? withReactiveFallback(world, { points, plainHpa }, chooseSetting(points, options.budget), options.budget) : undefined;
  return {
    startMs: world.startMs,
    endMs: world.endMs,
    model: options.model,
    points,
    plainHpa,
    ...(options.budget ? { budget: options.budget } : {}),
    ...(chosen ? { chosen } : {}),
    computeMs: performance.now() - started,
  };
}

/**
 * The product's promise (DESIGN.md: a safe fallback to reactive scaling, and
 * proof from the target's own history that the predictive policy does
 * better): the chosen setting is served only when, over the stretch, it was
 * short strictly fewer minutes than `headroom`, the plain HPA spending the
 * same replica-hours (ReplayWorld.sameCostReactive, from the world's HPA
 * target). Otherwise — as many minutes or more, including none against none,
 * where the stretch proves nothing — the target serves reactive scaling,
 * its HPA target chosen by the budget's own rule ({@link chooseSetting})
 * among the frontier's plain-HPA targets at or below the world's (above it,
 * beside the reactive trigger, it changes nothing) and headroom's; without
 * a budget, the limit is the setting's own minutes (headroom is then always
 * within it). When a stated budget was kept by none of those targets, the
 * highest of `lowerTargets` (LOWER_FALLBACK_TARGETS) that kept it serves (if any did). A
 * plain-HPA target is, by definition, never short more minutes than
 * headroom at its own cost. Costs one plain-HPA run per halving of the
 * headroom search (about 10), and up to two more for the lower targets.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION when the choice is not a setting of the frontier
 */
export function withReactiveFallback(
  world: ReplayWorld,
  frontier: Pick<Frontier, 'points' | 'plainHpa'>,
  choice: FrontierChoice,
  budget?: RiskBudget,
  lowerTargets: readonly number[] = LOWER_FALLBACK_TARGETS,
): FrontierChoice {
  const point = frontier.points[choice.index];
  if (!point) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `the choice ${choice.index} is not a setting of the frontier`);
  const headroomRun = bracketedHeadroom(world, frontier.plainHpa, point.replicaHours);
  const headroom: PlainHpaPoint = { utilisation: headroomRun.utilisation, ...statsOf(world, headroomRun) };
  if (point.underProvisionedMinutes < headroom.underProvisionedMinutes - 1e-9) return choice;
  const options = [...frontier.plainHpa.filter((p) => p.utilisation <= world.options.hpaUtilisation + 1e-9), headroom];
  const limit = budget?.maxUnderProvisionedMinutesPerWeek ?? point.underProvisionedMinutesPerWeek;
  let pick = options[cheapestWithin(options, limit).index] as PlainHpaPoint;
  if (budget && pick.underProvisionedMinutesPerWeek > limit + 1e-9) {
    // A stated budget none of those targets kept: the highest of the lower targets that kept it, if any.
    const lower = lowerTargets.map((utilisation): PlainHpaPoint => ({ utilisation, ...statsOf(world, world.plainHpa(utilisation)) }));
    const kept = lower.find((p) => p.underProvisionedMinutesPerWeek <= limit + 1e-9);
    if (kept) pick = kept;
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return {
    ...choice,
    fallback: { utilisation: pick.utilisation, underProvisionedMinutes: pick.underProvisionedMinutes, replicaHours: pick.replicaHours },
    reason:
      `${choice.reason}; but it was not short fewer minutes than the plain HPA spending as many replica-hours (${point.underProvisionedMinutes.toFixed(2)} vs ${headroom.underProvisionedMinutes.toFixed(2)} min ` +
      `at an HPA target of ${pct(headroom.utilisation)}), so reactive scaling sized at ${pct(pick.utilisation)} of capacity is served instead ` +
      `(${pick.underProvisionedMinutes.toFixed(2)} min, ${pick.replicaHours.toFixed(1)} replica-h over the same stretch)`,
  };
}

/**
 * ReplayWorld.sameCostReactive from the world's HPA target, its bisection
 * started between the frontier's two plain-HPA targets that bracket
 * `replicaHours` (fewer halvings for the same precision: the frontier's
 * time is a budget of its own).
 */
function bracketedHeadroom(world: ReplayWorld, plainHpa: readonly PlainHpaPoint[], replicaHours: number): PlainHpaRun {
  const top = world.options.hpaUtilisation;
  let high = top;
  let low = MIN_HEADROOM_UTILISATION;
  for (const p of [...plainHpa].filter((x) => x.utilisation < top - 1e-9).sort((a, b) => b.utilisation - a.utilisation)) {
    if (p.replicaHours <= replicaHours) {
      high = p.utilisation;
    } else {
      low = p.utilisation;
      break;
    }
  }
  const atTop = plainHpa.find((p) => Math.abs(p.utilisation - top) < 1e-9);
  // Cheaper than the reactive HPA (no headroom to give), or no grid target below it within the cost: from the reactive HPA itself.
  if (!atTop || atTop.replicaHours > replicaHours || high === top) return world.sameCostReactive(world.plainHpa(top), replicaHours, low);
  return world.sameCostReactive(world.plainHpa(high), replicaHours, low);
}

/**
 * What a choice serves over a world: the setting fed by `track`, or with a
 * fallback the reactive recommendation at the fallback's utilisation (the
 * service's reactive mode, with the setting's scale-in rules).
 */
export function servedRun(world: ReplayWorld, fixed: FixedPolicy, track: ForecastTrack, choice: Pick<FrontierChoice, 'knobs' | 'fallback'>): PolicyRun {
  const knobs = { ...choice.knobs, leadTimeSeconds: track.leadTimeSeconds };
  if (!choice.fallback) return world.forecastPolicy({ ...fixed, ...knobs }, track);
  return world.forecastPolicy({ ...fixed, ...knobs, utilisation: choice.fallback.utilisation }, new ReactiveTrack(world, track.leadTimeSeconds));
}

/**
 * A budget relative to the plain HPA beside the forecast: `share` × the
 * under-provisioned minutes per week the HPA at `hpaUtilisation` (one of
 * PLAIN_HPA_TARGETS) had over the same stretch. With {@link chooseSetting}
 * it picks the cheapest setting that cuts the reactive HPA's short minutes
 * to that share on the target's own history (issue 13's goal, 0.15, as a
 * rule chosen on past data only).
 * @throws PrescientError PRESCIENT_ERR_VALIDATION when the frontier has no plain HPA at that target
 */
export function relativeBudget(frontier: Pick<Frontier, 'plainHpa'>, share: number, hpaUtilisation: number): RiskBudget {
  const reactive = frontier.plainHpa.find((p) => Math.abs(p.utilisation - hpaUtilisation) < 1e-9);
  if (!reactive) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `the frontier has no plain HPA at ${hpaUtilisation}`);
  return { maxUnderProvisionedMinutesPerWeek: share * reactive.underProvisionedMinutesPerWeek };
}

/**
 * The own-history rule, served to a target that states neither knobs nor a
 * budget (src/backtest/selection-frontier.ts) and replayed by
 * benchmarks/replay.ts: the cheapest setting within `share` × the reactive
 * HPA's short minutes over the frontier's stretch ({@link relativeBudget}),
 * checked against headroom with that budget ({@link withReactiveFallback}).
 * @throws PrescientError PRESCIENT_ERR_VALIDATION as relativeBudget and chooseSetting
 */
export function chooseOnOwnHistory(world: ReplayWorld, frontier: Pick<Frontier, 'points' | 'plainHpa'>, share: number): { budget: RiskBudget; chosen: FrontierChoice } {
  const budget = relativeBudget(frontier, share, world.options.hpaUtilisation);
  const choice = chooseSetting(frontier.points, budget);
  const reason = `chosen on own history (within ${share} × the reactive HPA's short minutes there): ${choice.reason}`;
  return { budget, chosen: withReactiveFallback(world, frontier, { ...choice, reason }, budget) };
}

/**
 * The cheapest setting (fewest replica-hours) whose under-provisioned
 * minutes per week stayed within the budget; when none did, the one short
 * the fewest minutes (then the cheapest), marked as missing the budget.
 * @throws PrescientError PRESCIENT_ERR_VALIDATION for an empty frontier
 */
export function chooseSetting(points: readonly FrontierPoint[], budget: RiskBudget): FrontierChoice {
  if (points.length === 0) throw new PrescientError('PRESCIENT_ERR_VALIDATION', 'a frontier with no settings has nothing to choose');
  const limit = budget.maxUnderProvisionedMinutesPerWeek;
  const { index, within } = cheapestWithin(points, limit);
  const p = points[index] as FrontierPoint;
  const describe = describeKnobs;
  if (within > 0) {
    return {
      index,
      knobs: p.knobs,
      metBudget: true,
      reason: `the cheapest of ${within}/${points.length} settings within ${limit} under-provisioned min/week: ${describe(p.knobs)} (${p.underProvisionedMinutesPerWeek.toFixed(1)} min/week, ${p.replicaHours.toFixed(1)} replica-h)`,
    };
  }
  return {
    index,
    knobs: p.knobs,
    metBudget: false,
    reason: `no setting stayed within ${limit} under-provisioned min/week; the closest, ${describe(p.knobs)}, was short ${p.underProvisionedMinutesPerWeek.toFixed(1)} min/week (${p.replicaHours.toFixed(1)} replica-h)`,
  };
}

/** One setting in words, as the reasons give it. */
export function describeKnobs(k: PolicyKnobs): string {
  return `quantile ${k.quantile}, guard ${k.scaleInGuardQuantile ?? 'none'}, utilisation ${k.utilisation}`;
}

/**
 * The budget's rule on any points: the cheapest (fewest replica-hours, then
 * fewest minutes) of those within `limit` minutes per week; when none is,
 * the one short the fewest minutes (then the cheapest). `within`: how many
 * were within. `points` must not be empty.
 */
function cheapestWithin(points: readonly FrontierStats[], limit: number): { index: number; within: number } {
  const indexed = points.map((p, index) => ({ p, index }));
  const within = indexed.filter(({ p }) => p.underProvisionedMinutesPerWeek <= limit + 1e-9);
  if (within.length > 0) {
    const best = within.reduce((a, b) => (b.p.replicaHours < a.p.replicaHours - 1e-9 || (Math.abs(b.p.replicaHours - a.p.replicaHours) <= 1e-9 && b.p.underProvisionedMinutesPerWeek < a.p.underProvisionedMinutesPerWeek) ? b : a));
    return { index: best.index, within: within.length };
  }
  const closest = indexed.reduce((a, b) =>
    b.p.underProvisionedMinutesPerWeek < a.p.underProvisionedMinutesPerWeek - 1e-9 ||
    (Math.abs(b.p.underProvisionedMinutesPerWeek - a.p.underProvisionedMinutesPerWeek) <= 1e-9 && b.p.replicaHours < a.p.replicaHours)
      ? b
      : a,
  );
  return { index: closest.index, within: 0 };
}
