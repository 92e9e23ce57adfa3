/**
 * Choices made on a target's own tuning days, judged on the replayed span
 * (benchmarks/replay.ts): the setting chosen, or reactive scaling when the
 * chosen setting did not beat headroom on the tuning days
 * (src/backtest/frontier.ts `withReactiveFallback`), replayed as the service
 * would serve it, and compared with headroom at its own cost on the span.
 */
import { servedRun, type FixedPolicy, type FrontierChoice, type FrontierStats } from '../src/backtest/frontier.js';
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
