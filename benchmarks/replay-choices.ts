/**
 * Choices made on a target's own tuning days, judged on the replayed span
 * (benchmarks/replay.ts): the setting chosen, or reactive scaling when the
 * chosen setting did not beat headroom on the tuning days
 * (src/backtest/frontier.ts `withReactiveFallback`), replayed as the service
 * would serve it, and compared with headroom at its own cost on the span.
 */
import { describeKnobs, servedRun, type FixedPolicy, type FrontierChoice, type FrontierPoint, type FrontierStats, type RiskBudget } from '../src/backtest/frontier.js';
import type { ForecastTrack, ReplayWorld } from '../src/backtest/replay-world.js';
import type { PolicyKnobs } from '../src/scaling/policy.js';
import type { Figures, Versus } from './replay-pool.js';

export interface Judged {
  readonly knobs: PolicyKnobs;
  /** The fallback's HPA-sized utilisation when reactive scaling was served, else null. */
  readonly fallback: number | null;
  /** On the replayed span. */
  readonly replayed: Figures & { underProvisionedMinutesPerWeek: number };
  /** The plain HPA spending the same replica-hours on the span. */
  readonly headroom: Figures & { utilisation: number };
  readonly versusHeadroom: Versus;
  /** The check's own evidence on the tuning days: the setting's short minutes and headroom's at its cost there. */
  readonly tuning?: { readonly underProvisionedMinutes: number; readonly headroomUnderProvisionedMinutes: number };
}

export function versus(under: number, headroomUnder: number): Versus {
  return under < headroomUnder ? 'fewer' : under === headroomUnder ? 'same' : 'more';
}

const WEEK_MINUTES = 7 * 24 * 60;

/**
 * The choice on the span: the frontier's own point when the setting is
 * served (`onSpan`, already replayed), else the reactive recommendation at
 * the fallback's utilisation, replayed now on the span's world.
 */
export function judge(span: ReplayWorld, fixed: FixedPolicy, track: ForecastTrack, choice: Pick<FrontierChoice, 'knobs' | 'fallback'>, onSpan: (knobs: PolicyKnobs) => FrontierStats): Judged {
  const stats: Figures = choice.fallback ? servedRun(span, fixed, track, choice).stats : onSpan(choice.knobs);
  const spanMinutes = (span.endMs - span.startMs) / 60_000;
  const headroom = span.sameCostReactive(span.plainHpa(span.options.hpaUtilisation), stats.replicaHours);
  return {
    knobs: choice.knobs,
    fallback: choice.fallback?.utilisation ?? null,
    replayed: { underProvisionedMinutes: stats.underProvisionedMinutes, replicaHours: stats.replicaHours, underProvisionedMinutesPerWeek: (stats.underProvisionedMinutes * WEEK_MINUTES) / spanMinutes },
    headroom: { underProvisionedMinutes: headroom.stats.underProvisionedMinutes, replicaHours: headroom.stats.replicaHours, utilisation: headroom.utilisation },
    versusHeadroom: versus(stats.underProvisionedMinutes, headroom.stats.underProvisionedMinutes),
  };
}

/**
 * An experiment on the budget's misses (issue 13; not what the service
 * does): the budget's candidates as the service takes them (the settings
 * within the budget on the tuning days, or those tied at the fewest minutes
 * when none was), but the most protective of them (highest quantile, then a
 * guard, then the lowest utilisation, then the cheapest) instead of the
 * cheapest. Motivated by a dev run (tweets_UPS, where the tuning days tie
 * the chosen setting with those that met on the day), judged on both halves.
 */
export function protectiveAmongTies(points: readonly FrontierPoint[], budget: RiskBudget): FrontierChoice {
  const limit = budget.maxUnderProvisionedMinutesPerWeek;
  const within = points.filter((p) => p.underProvisionedMinutesPerWeek <= limit + 1e-9);
  const fewest = Math.min(...points.map((p) => p.underProvisionedMinutesPerWeek));
  const candidates = within.length > 0 ? within : points.filter((p) => p.underProvisionedMinutesPerWeek <= fewest + 1e-9);
  const rank = (p: FrontierPoint) => [p.knobs.quantile, p.knobs.scaleInGuardQuantile === null ? 0 : 1, -p.knobs.utilisation, -p.replicaHours];
  const best = candidates.reduce((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let i = 0; i < ra.length; i++) if ((rb[i] as number) !== (ra[i] as number)) return (rb[i] as number) > (ra[i] as number) ? b : a;
    return a;
  });
  return { index: points.indexOf(best), knobs: best.knobs, metBudget: within.length > 0, reason: `the most protective of ${candidates.length} candidates: ${describeKnobs(best.knobs)}` };
}
