/**
 * The LSTM's options and its plan for a fit: how many steps it reads, which
 * seasons its baseline and inputs use, how far it forecasts per block, and
 * the choice of baseline (seasonal naive or the level profile) by MAE over
 * the history. Everything here is decided before any training (lstm.ts).
 */
import type { FitContext } from '../forecaster.js';
import { blockCount, decodeBlock, historyNeeded, type Layout } from './features.js';

export interface LstmOptions {
  /** LSTM units. */
  readonly units: number;
  /** Most epochs; early stopping usually ends sooner. */
  readonly maxEpochs: number;
  /** Epochs without a better validation MAE before stopping. */
  readonly patience: number;
  /** Training windows at most (origins are thinned evenly above it: cost is linear in it). */
  readonly maxTrainWindows: number;
  /** Validation windows at most. */
  readonly maxValidationWindows: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** Most steps of recent history fed to the LSTM (fewer for short seasons); its cost is linear in it. */
  readonly inputSteps: number;
  /**
   * Training time budget in ms, on top of ctx.deadlineMs (whichever comes
   * first): keeps a fit under a minute on two busy cores whatever the data.
   */
  readonly maxTrainMs: number;
  /** Seasons averaged by the baseline (fewer when the history is short; 1 = seasonal naive). */
  readonly baselineSeasons: number;
  /** Seasons averaged into the seasonal-profile input (fewer, or none, when the history is short). */
  readonly profileSeasons: number;
  /** Use the weekly season as an input when the history holds enough windows with it. */
  readonly weeklyInput: boolean;
  /**
   * Most seasons in the median of the level-profile baseline (features.ts),
   * the alternative to seasonal naive tried on the validation tail; fewer
   * when the history is short, 0 = never try it.
   */
  readonly levelProfileSeasons: number;
}

export const defaultLstmOptions: LstmOptions = Object.freeze({
  units: 32,
  inputSteps: 36,
  maxTrainMs: 40_000,
  maxEpochs: 20,
  patience: 3,
  maxTrainWindows: 1000,
  maxValidationWindows: 300,
  batchSize: 128,
  learningRate: 4e-3,
  // Seasonal naive as the baseline: a level shift (deploy, migration) is
  // absorbed after one season instead of three, as measured on NAB's rds_cpu.
  baselineSeasons: 1,
  // Off by default: on the data/ series it did not beat seasonal naive more often (benchmarks/lstm-fit.ts).
  profileSeasons: 0,
  weeklyInput: true,
  // A week: the median of 7 days skips one odd day (a weekend, an incident).
  levelProfileSeasons: 7,
});

export const VALIDATION_SHARE = 0.2;
/** Training horizon without a season, and the longest training horizon with one. */
const HORIZON_WITHOUT_SEASON = 48;
const MAX_HORIZON_STEPS = 2016;

export function minWindows(seasonSteps: number): number {
  return Math.max(2 * seasonSteps, 192);
}

export interface Plan {
  readonly inputSteps: number;
  readonly seasonSteps: number;
  readonly baselineSeasons: number;
  readonly profileSeasons: number;
  readonly weeklySteps: number;
  readonly horizonSteps: number;
  readonly levelSteps: number;
}

export function basePlan(ctx: FitContext, maxInputSteps = defaultLstmOptions.inputSteps): Plan {
  const season = ctx.seasonalPeriods[0];
  const seasonSteps = season !== undefined && season >= 2 ? Math.round(season) : 0;
  const horizonSteps = seasonSteps > 0 ? Math.min(seasonSteps, MAX_HORIZON_STEPS) : HORIZON_WITHOUT_SEASON;
  const inputSteps = seasonSteps > 0 ? Math.min(maxInputSteps, Math.max(Math.min(24, maxInputSteps), seasonSteps)) : maxInputSteps;
  return { inputSteps, seasonSteps, baselineSeasons: 1, profileSeasons: 0, weeklySteps: 0, horizonSteps, levelSteps: 0 };
}

function windowCount(length: number, plan: Plan): number {
  return length - plan.horizonSteps - historyNeeded(plan) + 1;
}

export function planFor(length: number, ctx: FitContext, options: LstmOptions): Plan {
  let plan = basePlan(ctx, options.inputSteps);
  if (plan.seasonSteps > 0) {
    for (let seasons = Math.max(1, options.baselineSeasons); seasons > 1; seasons--) {
      const averaged = { ...plan, baselineSeasons: seasons };
      if (windowCount(length, averaged) >= 2 * minWindows(plan.seasonSteps)) {
        plan = averaged;
        break;
      }
    }
  }
  if (plan.seasonSteps > 0) {
    for (let seasons = options.profileSeasons; seasons > 1; seasons--) {
      const profiled = { ...plan, profileSeasons: seasons };
      if (windowCount(length, profiled) >= 2 * minWindows(plan.seasonSteps)) {
        plan = profiled;
        break;
      }
    }
  }
  const weekly = ctx.seasonalPeriods.find((p) => p > plan.seasonSteps && p > 0);
  if (options.weeklyInput && weekly !== undefined && plan.seasonSteps > 0) {
    const withWeekly = { ...plan, weeklySteps: Math.round(weekly) };
    if (windowCount(length, withWeekly) >= 2 * minWindows(plan.seasonSteps)) return withWeekly;
  }
  return plan;
}

/**
 * The level-profile variant of a plan (features.ts): the median of as many
 * seasons as leave at least the minimum number of windows (a level shift
 * three days ago is outvoted in a median of seven), the level measured over
 * the recent input window. Undefined without a season or history for it.
 */
function levelProfilePlan(length: number, plan: Plan, options: LstmOptions): Plan | undefined {
  if (plan.seasonSteps <= 0 || options.levelProfileSeasons < 1) return undefined;
  for (let seasons = options.levelProfileSeasons; seasons >= 1; seasons--) {
    const candidate = { ...plan, baselineSeasons: seasons, profileSeasons: 0, levelSteps: plan.inputSteps };
    if (windowCount(length, candidate) >= minWindows(plan.seasonSteps)) return candidate;
  }
  return undefined;
}

/** Baseline-only errors (actual − baseline) per window at `origins` and step. */
export function baselineErrors(values: readonly number[], origins: readonly number[], layout: Layout): number[][] {
  const zeros = new Float32Array(blockCount(layout));
  return origins.map((origin) => decodeBlock(values, origin, layout, zeros).map((p, h) => (values[origin + h] as number) - p));
}

/** Baseline-only MAE (what a zero network forecasts) over the windows at `origins`. */
function baselineOnlyMae(values: readonly number[], origins: readonly number[], plan: Plan): number {
  const layout = { ...plan, blockEdges: [0, plan.horizonSteps] };
  let sum = 0;
  for (const origin of origins) {
    const point = decodeBlock(values, origin, { ...layout, stepMs: 1, mean: 0, std: 1 }, [0]);
    point.forEach((p, h) => (sum += Math.abs((values[origin + h] as number) - p)));
  }
  return sum / (origins.length * plan.horizonSteps);
}

interface BaselineChoice {
  readonly plan: Plan;
  readonly seasonalNaiveMae: number;
  readonly levelProfileMae: number | undefined;
}

/**
 * Chooses the baseline the network corrects: seasonal naive (or the plan's
 * averaged profile) or the level profile, whichever has the lower MAE over
 * every window of the history where both can be computed. Both baselines
 * have no fitted parameters, so each window is an honest out-of-sample test
 * for them, and the whole history gives a steadier choice than the short
 * validation tail (on which a lucky day can flip it). Cheap (no network):
 * the zero network *is* the baseline, so this also decides what early
 * stopping falls back to.
 */
export function chooseBaseline(values: readonly number[], plan: Plan, options: LstmOptions): BaselineChoice {
  const leveled = levelProfilePlan(values.length, plan, options);
  const last = values.length - plan.horizonSteps;
  const first = Math.max(historyNeeded(plan), leveled ? historyNeeded(leveled) : 0);
  const origins = thinOrigins(first, last, options.maxValidationWindows);
  const seasonalNaiveMae = baselineOnlyMae(values, origins, plan);
  if (!leveled) return { plan, seasonalNaiveMae, levelProfileMae: undefined };
  const levelProfileMae = baselineOnlyMae(values, origins, leveled);
  const weekly =
    plan.weeklySteps > 0 && windowCount(values.length, { ...leveled, weeklySteps: plan.weeklySteps }) >= minWindows(plan.seasonSteps);
  const chosen = levelProfileMae < seasonalNaiveMae ? { ...leveled, weeklySteps: weekly ? plan.weeklySteps : 0 } : plan;
  return { plan: chosen, seasonalNaiveMae, levelProfileMae };
}

/** Origins from `first` to `last` (inclusive), thinned evenly to at most `max`, always keeping the last. */
export function thinOrigins(first: number, last: number, max: number): number[] {
  const count = last - first + 1;
  const stride = Math.max(1, Math.ceil(count / max));
  const origins: number[] = [];
  for (let o = last; o >= first; o -= stride) origins.push(o);
  return origins.reverse();
}
