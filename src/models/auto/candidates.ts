/**
 * `auto`'s candidates: the models (or median ensembles) it scores by
 * backtest, how they are ranked, and how their scores are recorded.
 */
import { aggregateOrigins, type OriginResult } from '../evaluation/rolling-origin.js';
import type { FitContext, Forecaster, ModelSelection } from '../forecaster.js';
import { TIE_TOLERANCE } from './options.js';

export interface Candidate {
  readonly name: string;
  /** Members: one for a single model, two or three for a median ensemble. */
  readonly members: readonly Forecaster[];
  readonly origins: readonly OriginResult[];
  readonly mase: number;
  readonly pinball: number;
}

/** The forecaster fitted with `period` added in front of the seasonal periods it is given. */
export function withSeason(forecaster: Forecaster, period: number, suffix: string): Forecaster {
  const widen = (ctx: FitContext): FitContext => ({ ...ctx, seasonalPeriods: [period, ...ctx.seasonalPeriods.filter((p) => p !== period)] });
  return {
    name: `${forecaster.name}${suffix}`,
    minLength: (ctx) => forecaster.minLength(widen(ctx)),
    fit: (values, ctx) => forecaster.fit(values, widen(ctx)),
  };
}

/** Whether a candidate is the one a selection chose: ensembles (medians) by their members, whatever their rank order. */
export function isChoice(selection: ModelSelection, candidate: Candidate): boolean {
  return [...selection.members].sort().join('+') === candidate.members.map((m) => m.name).sort().join('+');
}

export function rankCandidates(candidates: readonly Candidate[]): Candidate[] {
  const byMase = [...candidates].sort((a, b) => a.mase - b.mase);
  const best = byMase[0];
  if (!best) return [];
  const tied = byMase.filter((c) => c.mase <= best.mase * (1 + TIE_TOLERANCE));
  const rest = byMase.filter((c) => !tied.includes(c));
  tied.sort((a, b) => a.pinball - b.pinball);
  return [...tied, ...rest];
}

export function scoreRecord(origins: readonly OriginResult[]): Record<string, number> {
  const a = aggregateOrigins(origins);
  const record: Record<string, number> = {
    mase: a.mase,
    smape: a.smape,
    pinball: a.pinball,
    scaledPinball: a.scaledPinball,
    fitTimeMs: Math.round(a.fitTimeMs),
    origins: a.originsScored,
    failures: a.failures,
  };
  for (const [level, value] of Object.entries(a.coverage)) record[`coverage${level}`] = value;
  // A score that could not be computed (no origin scored, a zero scale) is absent, never NaN or ±Infinity:
  // scores are persisted, listed and compared as numbers (issue 11, item 6).
  return Object.fromEntries(Object.entries(record).filter(([, value]) => Number.isFinite(value)));
}
