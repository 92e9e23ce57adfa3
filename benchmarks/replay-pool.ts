/**
 * Pooling and goals of the replay benchmark (benchmarks/replay.ts): sums
 * over runs as ratios to the reactive HPA's sums, per-run comparisons with
 * `headroom`, the risk budget's tally, the issue 13 verdicts, and the
 * hindsight bound (the fewest minutes any per-run choice of setting could
 * have given at the goal's replica-hours, knowing the replayed span:
 * evidence of what the grid can reach, never a policy).
 */
import type { PolicyKnobs } from '../src/scaling/policy.js';
import type { Judged } from './replay-choices.js';

/** The reactive HPA's target per pod, a share of capacity (the replay's default); the seasonal-naive comparison sizes both policies at it. */
export const HPA_UTILISATION = 0.7;

export type Figures = { underProvisionedMinutes: number; replicaHours: number };
export type Versus = 'fewer' | 'same' | 'more';

export interface RunOutcome {
  series: string;
  /** Fixed half of the series list (alternately): a rule looked at on one half is checked on the other. */
  group: 'dev' | 'holdout';
  startupDelaySeconds: number;
  reactiveTrigger: boolean;
  /** The model the predictive policy was served, per refit (counts). */
  models: Record<string, number>;
  policies: Record<string, Figures & { shortfallLoadMinutes: number; scaleEvents: number; underRatio: number | null; replicaHoursRatio: number | null }>;
  headroomUtilisation: number;
  versusHeadroom: Versus;
  /** Every knob setting on the replayed span, fed by the predictive and by the seasonal-naive forecasts. */
  settings: { knobs: PolicyKnobs; predictive: Figures; snaive: Figures }[];
  plainHpa: (Figures & { utilisation: number })[];
  /** The default rule's choice (made on the tuning days), on the replayed span. */
  rule: {
    share: number;
    tuningTargetMinutesPerWeek: number;
    knobs: PolicyKnobs;
    metOnTuning: boolean;
    replayed: Figures;
    /** Seasonal naive at the same setting. */
    snaive: Figures;
    /** The plain HPA spending the rule's replica-hours. */
    headroom: Figures & { utilisation: number };
    versusHeadroom: Versus;
  };
  /**
   * The default knobs and the rule's choice with the own-history check
   * (src/backtest/frontier.ts withReactiveFallback): reactive scaling served
   * where the setting did not beat headroom on the tuning days.
   */
  defaultChecked: Judged;
  ruleChecked: Judged;
  budget: {
    maxUnderProvisionedMinutesPerWeek: number;
    /** Chosen on the tuning days before the span. */
    chosen: PolicyKnobs;
    /** Reactive scaling served at this utilisation instead of `chosen` (the own-history check), else null. */
    fallback: number | null;
    metOnTuning: boolean;
    reason: string;
    /** The chosen setting on the replayed span. */
    replayed: Figures & { underProvisionedMinutesPerWeek: number };
    met: boolean;
    /** The same choice with session 7's fallback (no HPA target below the frontier's 40 %): what changed. */
    session7: { fallback: number | null; replayed: Figures & { underProvisionedMinutesPerWeek: number }; met: boolean };
    /** The experiment: the most protective of the budget's candidates instead of the cheapest (replay-choices.ts protectiveAmongTies), checked. */
    protective?: { knobs: PolicyKnobs; fallback: number | null; replayed: Figures & { underProvisionedMinutesPerWeek: number }; met: boolean };
    /** Whether `chosen` itself, served without the check, met it. */
    metWithoutFallback: boolean;
    /** Against headroom at its own cost on the span: what was served (with the check), and `chosen` without it. */
    versusHeadroom: Versus;
    versusHeadroomWithoutFallback: Versus;
    /** Some setting of the grid stayed within the budget on the replayed span. */
    anyCould: boolean;
    /** The cheapest setting within the budget on the span, with hindsight (absent when none). */
    hindsight: (Figures & { knobs: PolicyKnobs }) | null;
    /** When no setting could: why, in one sentence. */
    couldNotWhy: string | null;
  };
  /** With --explore: settings outside the grid on the same refits (see exploreSettings). */
  explored?: (Figures & { label: string })[];
  /** With --explore: the grid's quantile/guard pairs sized at 60 and 50 %, fed by both forecasts (replay's alsoSizedAt). */
  alsoSized?: { knobs: PolicyKnobs; predictive: Figures; snaive: Figures }[];
  seconds: number;
}

/**
 * Whether a stricter own-history check would have caught the runs where
 * the served setting was short more than headroom on the replayed day: on
 * the tuning days, the margin (headroom's minutes less the setting's) each
 * such run had, and how many of the runs served predictive had a margin
 * above the largest of them (a check demanding that margin would serve
 * predictive in those alone).
 */
export interface StricterCheck {
  misses: { run: string; tuningMinutes: number; tuningHeadroomMinutes: number }[];
  servedPredictive: number;
  beyondLargestMissMargin: number;
}

export function figures(s: Figures): Figures {
  return { underProvisionedMinutes: s.underProvisionedMinutes, replicaHours: s.replicaHours };
}

export type Pair = { under: number | null; replicaHours: number | null };

export interface Pooled {
  runs: number;
  /** Runs where the default-knob predictive policy was short fewer / as many / more minutes than headroom. */
  versusHeadroom: Record<Versus, number>;
  /** Sums over runs as ratios to the reactive HPA's sums. */
  underRatio: Record<string, number | null>;
  replicaHoursRatio: Record<string, number | null>;
  /** Per knob setting: predictive and seasonal naive at that setting, pooled ratios. */
  settings: { knobs: PolicyKnobs; predictive: Pair; snaive: Pair }[];
  plainHpa: ({ utilisation: number } & Pair)[];
  /** The default rule's settings, pooled; seasonal naive at the same settings; runs versus headroom at the rule's cost. */
  rule: { predictive: Pair; snaive: Pair; versusHeadroom: Record<Versus, number>; metOnTuning: number; chosen: Record<string, number> };
  /** The default knobs and the rule, each with the own-history check: pooled, runs versus headroom at their own cost, runs served reactive. */
  checked: Record<'default' | 'rule', Pair & { versusHeadroom: Record<Versus, number>; fallbacks: number; more: string[]; stricter?: StricterCheck }>;
  /** The budget-chosen setting of each run (with the check), pooled; and the budget verdicts, with and without the check. */
  budget: Pair & { session7: Pair & { metWhereAnyCould: number; lowerFallbacks: number }; protective: Pair & { metWhereAnyCould: number; changed: number }; met: number; anyCould: number; metWhereAnyCould: number; metWhereAnyCouldWithoutFallback: number; fallbacks: number; missed: string[]; couldNot: string[]; moreThanHeadroom: number; moreThanHeadroomWithoutFallback: number };
  /**
   * With hindsight: the fewest pooled minutes any per-run choice among the
   * grid's settings and the plain HPA's targets could reach at ≤ 1.10×
   * replica-hours (a lower bound; see hindsight()). No rule choosing on
   * past data can beat it.
   */
  hindsightAt110: Pair;
  /**
   * Along the frontier rather than knob for knob: how many seasonal-naive
   * settings some predictive setting beats (or ties) on both minutes and
   * replica-hours, and the cheapest of those no predictive setting beats.
   */
  snaiveDominated: { dominated: number; of: number; cheapestUndominatedReplicaHours: number | null; costliestPredictiveReplicaHours: number | null };
  /** The same with the --explore settings among the predictive ones (absent without them). */
  snaiveDominatedWithExplored?: Pooled['snaiveDominated'];
  /**
   * Issue 13 item 3 to the letter: predictive and seasonal naive both sized
   * at the reactive HPA's utilisation (HPA_UTILISATION), at each quantile and
   * guard of the grid: pooled ratios, and on how many settings predictive had
   * fewer minutes and fewer replica-hours.
   */
  snaiveAtHpa: SizedAlike;
  /**
   * The same at every utilisation both were replayed at (the grid's 90/80/70 %,
   * and with --explore 60/50 %), highest first: "sized alike" read at each
   * common sizing, not at one picked afterwards.
   */
  sizedAlike: (SizedAlike & { utilisation: number })[];
  /** The --explore settings, pooled (absent without them). */
  explored?: ({ label: string } & Pair)[];
  /**
   * Frontier against frontier: seasonal naive at the reactive HPA's 70 %
   * (q 0.9, guard 0.975) against every predictive setting (grid and
   * --explore): which beat it on both, and the fewest minutes any reached
   * within its replica-hours (the same money spent on a forecast).
   */
  snaiveVersusFrontier: { snaive: Pair; beatenBy: string[]; fewestWithinItsHours: ({ label: string } & Pair) | null };
  /** The same bound with the --explore settings among the choices (absent without them). */
  hindsightAt110Explored?: Pair;
  /**
   * The inverse: the fewest pooled replica-hours (ratio) at which any per-run
   * choice of setting, knowing the span, reaches 0.15× the minutes (null: none does); and with --explore.
   */
  hindsightHoursFor015: number | null;
  hindsightHoursFor015Explored?: number | null;
}

export function pool(outcomes: readonly RunOutcome[]): Pooled {
  const base = (key: keyof Figures) => outcomes.reduce((s, o) => s + (o.policies.reactive?.[key] ?? 0), 0);
  const ratio = (total: number, key: keyof Figures): number | null => (base(key) > 0 ? total / base(key) : null);
  const sumOf = (pick: (o: RunOutcome) => Figures | undefined, key: keyof Figures) => outcomes.reduce((s, o) => s + (pick(o)?.[key] ?? 0), 0);
  const pair = (pick: (o: RunOutcome) => Figures | undefined): Pair => ({ under: ratio(sumOf(pick, 'underProvisionedMinutes'), 'underProvisionedMinutes'), replicaHours: ratio(sumOf(pick, 'replicaHours'), 'replicaHours') });
  const policies = ['predictive', 'snaive', 'oracle', 'headroom'];
  const tally = (get: (o: RunOutcome) => Versus): Record<Versus, number> => ({
    fewer: outcomes.filter((o) => get(o) === 'fewer').length,
    same: outcomes.filter((o) => get(o) === 'same').length,
    more: outcomes.filter((o) => get(o) === 'more').length,
  });
  const grid = outcomes[0]?.settings.map((s) => s.knobs) ?? [];
  const chosen: Record<string, number> = {};
  for (const o of outcomes) {
    const key = `q ${o.rule.knobs.quantile} guard ${o.rule.knobs.scaleInGuardQuantile ?? 'none'} util ${o.rule.knobs.utilisation}`;
    chosen[key] = (chosen[key] ?? 0) + 1;
  }
  const exploredLabels = outcomes[0]?.explored?.map((e) => e.label);
  const exploredPooled = exploredLabels?.map((label, k) => ({ label, ...pair((o) => o.explored?.[k]) }));
  return {
    runs: outcomes.length,
    versusHeadroom: tally((o) => o.versusHeadroom),
    underRatio: Object.fromEntries(policies.map((p) => [p, pair((o) => o.policies[p]).under])),
    replicaHoursRatio: Object.fromEntries(policies.map((p) => [p, pair((o) => o.policies[p]).replicaHours])),
    settings: grid.map((knobs, k) => ({ knobs, predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) })),
    plainHpa: (outcomes[0]?.plainHpa ?? []).map((p, k) => ({ utilisation: p.utilisation, ...pair((o) => o.plainHpa[k]) })),
    rule: {
      predictive: pair((o) => o.rule.replayed),
      snaive: pair((o) => o.rule.snaive),
      versusHeadroom: tally((o) => o.rule.versusHeadroom),
      metOnTuning: outcomes.filter((o) => o.rule.metOnTuning).length,
      chosen,
    },
    checked: Object.fromEntries(
      (['default', 'rule'] as const).map((k) => {
        const get = (o: RunOutcome) => (k === 'default' ? o.defaultChecked : o.ruleChecked);
        const stricter = stricterCheck(outcomes.map((o) => ({ run: `${o.series} ${o.startupDelaySeconds} s`, judged: get(o) })));
        return [
          k,
          {
            ...pair((o) => get(o).replayed),
            versusHeadroom: tally((o) => get(o).versusHeadroom),
            fallbacks: outcomes.filter((o) => get(o).fallback !== null).length,
            more: outcomes.filter((o) => get(o).versusHeadroom === 'more').map((o) => `${o.series} ${o.startupDelaySeconds} s`),
            ...(stricter ? { stricter } : {}),
          },
        ];
      }),
    ) as Pooled['checked'],
    budget: {
      ...pair((o) => o.budget.replayed),
      session7: {
        ...pair((o) => o.budget.session7.replayed),
        metWhereAnyCould: outcomes.filter((o) => o.budget.anyCould && o.budget.session7.met).length,
        lowerFallbacks: outcomes.filter((o) => o.budget.fallback !== null && o.budget.fallback < 0.4 - 1e-9 && o.budget.fallback !== o.budget.session7.fallback).length,
      },
      protective: {
        ...pair((o) => o.budget.protective?.replayed),
        metWhereAnyCould: outcomes.filter((o) => o.budget.anyCould && o.budget.protective?.met === true).length,
        changed: outcomes.filter((o) => o.budget.protective !== undefined && (o.budget.protective.fallback !== o.budget.fallback || JSON.stringify(o.budget.protective.knobs) !== JSON.stringify(o.budget.chosen))).length,
      },
      met: outcomes.filter((o) => o.budget.met).length,
      anyCould: outcomes.filter((o) => o.budget.anyCould).length,
      metWhereAnyCould: outcomes.filter((o) => o.budget.anyCould && o.budget.met).length,
      metWhereAnyCouldWithoutFallback: outcomes.filter((o) => o.budget.anyCould && o.budget.metWithoutFallback).length,
      fallbacks: outcomes.filter((o) => o.budget.fallback !== null).length,
      moreThanHeadroom: outcomes.filter((o) => o.budget.versusHeadroom === 'more').length,
      moreThanHeadroomWithoutFallback: outcomes.filter((o) => o.budget.versusHeadroomWithoutFallback === 'more').length,
      missed: outcomes.filter((o) => o.budget.anyCould && !o.budget.met).map((o) => `${o.series} ${o.startupDelaySeconds} s`),
      couldNot: outcomes.filter((o) => !o.budget.anyCould).map((o) => `${o.series} ${o.startupDelaySeconds} s`),
    },
    hindsightAt110: hindsight(outcomes, 1.1, ratio),
    snaiveAtHpa: atHpa(grid.map((knobs, k) => ({ knobs, predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) }))),
    sizedAlike: sizedAlike([
      ...grid.map((knobs, k) => ({ knobs, predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) })),
      ...(outcomes[0]?.alsoSized ?? []).map(({ knobs }, k) => ({ knobs, predictive: pair((o) => o.alsoSized?.[k]?.predictive), snaive: pair((o) => o.alsoSized?.[k]?.snaive) })),
    ]),
    snaiveDominated: dominance(grid.map((knobs, k) => ({ predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) }))),
    // With --explore, seasonal naive's settings at 60/50 % too (alsoSized), each against every predictive setting.
    ...(exploredPooled
      ? {
          snaiveDominatedWithExplored: dominance(
            [
              ...grid.map((knobs, k) => ({ predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) })),
              ...(outcomes[0]?.alsoSized ?? []).map((_a, k) => ({ predictive: pair((o) => o.alsoSized?.[k]?.predictive), snaive: pair((o) => o.alsoSized?.[k]?.snaive) })),
            ],
            exploredPooled,
          ),
        }
      : {}),
    hindsightHoursFor015: hindsightHoursFor(outcomes, 0.15, ratio),
    ...(exploredPooled ? { explored: exploredPooled } : {}),
    snaiveVersusFrontier: versusFrontier(
      grid.map((knobs, k) => ({ knobs, predictive: pair((o) => o.settings[k]?.predictive), snaive: pair((o) => o.settings[k]?.snaive) })),
      exploredPooled ?? [],
    ),
    ...(outcomes.some((o) => o.explored) ? { hindsightAt110Explored: hindsight(outcomes, 1.1, ratio, true), hindsightHoursFor015Explored: hindsightHoursFor(outcomes, 0.15, ratio, true) } : {}),
  };
}

/** Predictive against seasonal naive, both sized at one utilisation, each quantile/guard pair pooled. */
export interface SizedAlike {
  settings: { knobs: PolicyKnobs; predictive: Pair; snaive: Pair }[];
  betterOnBoth: number;
  fewerMinutes: number;
  fewerHours: number;
}

function atHpa(settings: readonly { knobs: PolicyKnobs; predictive: Pair; snaive: Pair }[], utilisation = HPA_UTILISATION): SizedAlike {
  const at = settings.filter((s) => Math.abs(s.knobs.utilisation - utilisation) < 1e-9);
  const less = (a: number | null, b: number | null) => a !== null && b !== null && a < b;
  return {
    settings: at,
    betterOnBoth: at.filter((s) => less(s.predictive.under, s.snaive.under) && less(s.predictive.replicaHours, s.snaive.replicaHours)).length,
    fewerMinutes: at.filter((s) => less(s.predictive.under, s.snaive.under)).length,
    fewerHours: at.filter((s) => less(s.predictive.replicaHours, s.snaive.replicaHours)).length,
  };
}

function sizedAlike(settings: readonly { knobs: PolicyKnobs; predictive: Pair; snaive: Pair }[]): Pooled['sizedAlike'] {
  const levels = [...new Set(settings.map((s) => s.knobs.utilisation))].sort((a, b) => b - a);
  return levels.map((utilisation) => ({ utilisation, ...atHpa(settings, utilisation) }));
}

function dominance(settings: readonly { predictive: Pair; snaive: Pair }[], explored: readonly Pair[] = []): Pooled['snaiveDominated'] {
  const beats = (a: Pair, b: Pair) => a.under !== null && a.replicaHours !== null && b.under !== null && b.replicaHours !== null && a.under <= b.under && a.replicaHours <= b.replicaHours;
  const predictive = [...settings.map((s) => s.predictive), ...explored];
  const undominated = settings.filter((s) => !predictive.some((p) => beats(p, s.snaive))).map((s) => s.snaive.replicaHours ?? Number.POSITIVE_INFINITY);
  const predictiveHours = predictive.map((p) => p.replicaHours ?? Number.NEGATIVE_INFINITY);
  return {
    dominated: settings.length - undominated.length,
    of: settings.length,
    cheapestUndominatedReplicaHours: undominated.length > 0 ? Math.min(...undominated) : null,
    costliestPredictiveReplicaHours: predictiveHours.length > 0 ? Math.max(...predictiveHours) : null,
  };
}

function versusFrontier(settings: readonly { knobs: PolicyKnobs; predictive: Pair; snaive: Pair }[], explored: readonly ({ label: string } & Pair)[]): Pooled['snaiveVersusFrontier'] {
  const at = settings.find((s) => Math.abs(s.knobs.utilisation - HPA_UTILISATION) < 1e-9 && s.knobs.quantile === 0.9 && s.knobs.scaleInGuardQuantile === 0.975);
  const snaive = at?.snaive ?? { under: null, replicaHours: null };
  const points = [...settings.map((s) => ({ label: knobText(s.knobs), ...s.predictive })), ...explored];
  const ok = (p: Pair): p is { under: number; replicaHours: number } => p.under !== null && p.replicaHours !== null;
  if (!ok(snaive)) return { snaive, beatenBy: [], fewestWithinItsHours: null };
  const within = points.filter((p) => ok(p) && (p.replicaHours as number) <= snaive.replicaHours);
  const fewest = within.reduce<({ label: string } & Pair) | null>((a, b) => (a === null || (b.under as number) < (a.under as number) ? b : a), null);
  return {
    snaive,
    beatenBy: points.filter((p) => ok(p) && (p.under as number) < snaive.under && (p.replicaHours as number) < snaive.replicaHours).map((p) => p.label),
    fewestWithinItsHours: fewest,
  };
}

function stricterCheck(runs: readonly { run: string; judged: Judged }[]): StricterCheck | undefined {
  if (runs.some((r) => !r.judged.tuning)) return undefined;
  const margin = (j: Judged) => (j.tuning as NonNullable<Judged['tuning']>).headroomUnderProvisionedMinutes - (j.tuning as NonNullable<Judged['tuning']>).underProvisionedMinutes;
  const misses = runs.filter((r) => r.judged.versusHeadroom === 'more' && r.judged.fallback === null);
  const largest = Math.max(...misses.map((r) => margin(r.judged)));
  const served = runs.filter((r) => r.judged.fallback === null);
  return {
    misses: misses.map((r) => ({ run: r.run, tuningMinutes: r.judged.tuning?.underProvisionedMinutes ?? Number.NaN, tuningHeadroomMinutes: r.judged.tuning?.headroomUnderProvisionedMinutes ?? Number.NaN })),
    servedPredictive: served.length,
    beyondLargestMissMargin: misses.length === 0 ? served.length : served.filter((r) => margin(r.judged) > largest).length,
  };
}

/**
 * Every per-run choice among the grid's settings and the plain HPA's
 * targets (and the --explore settings when asked), as the multiple-choice
 * knapsack's linear relaxation (exact, and a bound for every real choice):
 * each run starts at its cheapest option; the steps along each run's lower
 * convex hull (minutes falling as replica-hours rise), steepest savings
 * first. Along one run's hull the slopes only flatten, so the order respects
 * each run's sequence. Sums, not ratios.
 */
function hindsightCurve(outcomes: readonly RunOutcome[], withExplored: boolean): { under: number; hours: number; steps: { dHours: number; dUnder: number }[] } {
  let under = 0;
  let hours = 0;
  const steps: { dHours: number; dUnder: number }[] = [];
  for (const o of outcomes) {
    const options: Figures[] = [...o.settings.map((s) => s.predictive), ...o.plainHpa, ...(withExplored ? (o.explored ?? []) : [])].sort((a, b) => a.replicaHours - b.replicaHours || a.underProvisionedMinutes - b.underProvisionedMinutes);
    // Lower convex hull, minutes falling as replica-hours rise.
    const hull: Figures[] = [];
    for (const p of options) {
      if (hull.length > 0 && p.underProvisionedMinutes >= (hull[hull.length - 1] as Figures).underProvisionedMinutes) continue;
      while (hull.length >= 2) {
        const a = hull[hull.length - 2] as Figures;
        const b = hull[hull.length - 1] as Figures;
        const cross = (b.replicaHours - a.replicaHours) * (p.underProvisionedMinutes - a.underProvisionedMinutes) - (b.underProvisionedMinutes - a.underProvisionedMinutes) * (p.replicaHours - a.replicaHours);
        if (cross <= 0) hull.pop();
        else break;
      }
      hull.push(p);
    }
    const first = hull[0] as Figures;
    under += first.underProvisionedMinutes;
    hours += first.replicaHours;
    for (let i = 1; i < hull.length; i++) {
      const a = hull[i - 1] as Figures;
      const b = hull[i] as Figures;
      steps.push({ dHours: b.replicaHours - a.replicaHours, dUnder: b.underProvisionedMinutes - a.underProvisionedMinutes });
    }
  }
  steps.sort((x, y) => x.dUnder / x.dHours - y.dUnder / y.dHours);
  return { under, hours, steps };
}

/**
 * The fewest pooled minutes any per-run choice of setting can reach within
 * `maxReplicaHoursRatio` × the reactive replica-hours (see hindsightCurve):
 * buy the steepest savings until the replica-hours are spent, the last step
 * in part. A lower bound for every rule choosing on past data.
 */
function hindsight(outcomes: readonly RunOutcome[], maxReplicaHoursRatio: number, ratio: (total: number, key: keyof Figures) => number | null, withExplored = false): Pair {
  const reactiveHours = outcomes.reduce((s, o) => s + (o.policies.reactive?.replicaHours ?? 0), 0);
  const curve = hindsightCurve(outcomes, withExplored);
  let { under, hours } = curve;
  const { steps } = curve;
  let left = maxReplicaHoursRatio * reactiveHours - hours;
  if (left < 0) return { under: null, replicaHours: null };
  for (const step of steps) {
    if (left <= 0) break;
    const share = Math.min(1, left / step.dHours);
    under += share * step.dUnder;
    hours += share * step.dHours;
    left -= share * step.dHours;
  }
  return { under: ratio(under, 'underProvisionedMinutes'), replicaHours: ratio(hours, 'replicaHours') };
}

/**
 * The inverse bound: the fewest pooled replica-hours (ratio to the reactive
 * HPA's) at which any per-run choice of setting, knowing the span, gets down
 * to `maxUnderRatio` × the reactive HPA's minutes; null when no choice does.
 */
function hindsightHoursFor(outcomes: readonly RunOutcome[], maxUnderRatio: number, ratio: (total: number, key: keyof Figures) => number | null, withExplored = false): number | null {
  const reactiveUnder = outcomes.reduce((s, o) => s + (o.policies.reactive?.underProvisionedMinutes ?? 0), 0);
  const curve = hindsightCurve(outcomes, withExplored);
  let { under, hours } = curve;
  const target = maxUnderRatio * reactiveUnder;
  for (const step of curve.steps) {
    if (under <= target + 1e-9) break;
    const share = Math.min(1, (under - target) / -step.dUnder);
    under += share * step.dUnder;
    hours += share * step.dHours;
  }
  return under <= target + 1e-9 ? ratio(hours, 'replicaHours') : null;
}

const r3 = (x: number | null | undefined): string => (x === null || x === undefined ? '—' : `${x.toFixed(3)}×`);
const knobText = (k: PolicyKnobs): string => `q ${k.quantile} guard ${k.scaleInGuardQuantile ?? 'none'} util ${k.utilisation}`;

export type Sides = { besideReactiveTrigger: Pooled; alone: Pooled };

export function printPooled(pooled: Sides, halves: Record<string, Sides>, budgetMinutes: number): void {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  for (const [label, q] of Object.entries(pooled)) {
    out(
      `\n${label} (${q.runs} runs): under-provisioned minutes predictive ${r3(q.underRatio.predictive)}, snaive ${r3(q.underRatio.snaive)}, oracle ${r3(q.underRatio.oracle)}, headroom ${r3(q.underRatio.headroom)}; ` +
        `replica-hours predictive ${r3(q.replicaHoursRatio.predictive)}, snaive ${r3(q.replicaHoursRatio.snaive)}, oracle ${r3(q.replicaHoursRatio.oracle)}, headroom ${r3(q.replicaHoursRatio.headroom)}; ` +
        `vs headroom per run: fewer ${q.versusHeadroom.fewer}, same ${q.versusHeadroom.same}, more ${q.versusHeadroom.more}`,
    );
    out(`  default rule (chosen on the tuning days): ${r3(q.rule.predictive.under)} minutes at ${r3(q.rule.predictive.replicaHours)} replica-h; snaive at the same settings ${r3(q.rule.snaive.under)} / ${r3(q.rule.snaive.replicaHours)}; vs headroom at its cost: fewer ${q.rule.versusHeadroom.fewer}, same ${q.rule.versusHeadroom.same}, more ${q.rule.versusHeadroom.more}; chosen ${JSON.stringify(q.rule.chosen)}`);
    out(`  hindsight bound: ${r3(q.hindsightAt110.under)} minutes at ${r3(q.hindsightAt110.replicaHours)} replica-h (lower bound for any per-run choice of setting, knowing the span); 0.15× the minutes takes ≥ ${r3(q.hindsightHoursFor015)} replica-h${q.hindsightHoursFor015Explored === undefined ? '' : ` (${r3(q.hindsightHoursFor015Explored)} with --explore)`}`);
    out(`  along the frontier: ${q.snaiveDominated.dominated}/${q.snaiveDominated.of} seasonal-naive settings are beaten on both by some predictive setting; the others cost ≥ ${r3(q.snaiveDominated.cheapestUndominatedReplicaHours)} replica-h (the costliest predictive setting: ${r3(q.snaiveDominated.costliestPredictiveReplicaHours)})`);
    const v = q.snaiveVersusFrontier;
    out(`  seasonal naive at ${HPA_UTILISATION * 100} % (q 0.9, guard 0.975) ${r3(v.snaive.under)} / ${r3(v.snaive.replicaHours)}: beaten on both by ${v.beatenBy.length} predictive settings; fewest predictive minutes within its replica-hours ${v.fewestWithinItsHours ? `${r3(v.fewestWithinItsHours.under)} / ${r3(v.fewestWithinItsHours.replicaHours)} (${v.fewestWithinItsHours.label})` : '—'}`);
    for (const e of q.explored ?? []) out(`  explored ${e.label.padEnd(44)} predictive ${r3(e.under)} / ${r3(e.replicaHours)}`);
    if (q.snaiveDominatedWithExplored) out(`  along the frontier with the --explore settings: ${q.snaiveDominatedWithExplored.dominated}/${q.snaiveDominatedWithExplored.of} seasonal-naive settings beaten on both; the others cost ≥ ${r3(q.snaiveDominatedWithExplored.cheapestUndominatedReplicaHours)} (the costliest predictive setting: ${r3(q.snaiveDominatedWithExplored.costliestPredictiveReplicaHours)})`);
    if (q.hindsightAt110Explored) out(`  hindsight bound with the --explore settings: ${r3(q.hindsightAt110Explored.under)} minutes at ${r3(q.hindsightAt110Explored.replicaHours)} replica-h`);
    for (const [half, sides] of Object.entries(halves)) {
      const h = sides[label as keyof Sides];
      out(`  ${half} (${h.runs} runs): default ${r3(h.underRatio.predictive)} / ${r3(h.replicaHoursRatio.predictive)}; rule ${r3(h.rule.predictive.under)} / ${r3(h.rule.predictive.replicaHours)}; hindsight ${r3(h.hindsightAt110.under)} / ${r3(h.hindsightAt110.replicaHours)}`);
    }
    for (const k of ['default', 'rule'] as const) {
      const c = q.checked[k];
      out(`  ${k} with the own-history check: ${r3(c.under)} minutes at ${r3(c.replicaHours)} replica-h; served reactive in ${c.fallbacks}/${q.runs}; vs headroom at its cost: fewer ${c.versusHeadroom.fewer}, same ${c.versusHeadroom.same}, more ${c.versusHeadroom.more} (${c.more.join(', ') || 'none'})`);
    }
    out(`  budget ${budgetMinutes} min/week (with the check; served reactive in ${q.budget.fallbacks}; met where one could without it: ${q.budget.metWhereAnyCouldWithoutFallback}; more than headroom at its cost: ${q.budget.moreThanHeadroom}, without the check ${q.budget.moreThanHeadroomWithoutFallback}): met in ${q.budget.met}/${q.runs}; some setting could in ${q.budget.anyCould}; met where one could: ${q.budget.metWhereAnyCould}/${q.budget.anyCould}; pooled ${r3(q.budget.under)} minutes at ${r3(q.budget.replicaHours)} replica-h; no setting could: ${q.budget.couldNot.join(', ') || 'none'}`);
    for (const s of q.settings) out(`  ${knobText(s.knobs).padEnd(32)} predictive ${r3(s.predictive.under)} / ${r3(s.predictive.replicaHours)}   snaive ${r3(s.snaive.under)} / ${r3(s.snaive.replicaHours)}`);
    out(`  plain HPA: ${q.plainHpa.map((h) => `${(h.utilisation * 100).toFixed(0)} % ${r3(h.under)} / ${r3(h.replicaHours)}`).join('; ')}`);
  }
}
