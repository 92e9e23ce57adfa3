/**
 * How `auto` turns a backtest into what it serves (issue 16): a combination
 * of diverse models by default, a single model only where the evidence for
 * it is strong, and even then shrunk toward the combination.
 *
 * Why: a backtest of three origins ranks candidates mostly by noise. On
 * traces nobody tuned on, "the best of the candidates" served a worse model
 * than the best single one (issue 16's table: auto 0.951 median MASE,
 * sarima alone 0.884); the M4 competition found the same at scale —
 * combinations of diverse models beat selection. An equal-weight mean of
 * the few best members cannot be fooled by one lucky origin, and where one
 * model really is better at every origin by a margin noise does not
 * produce, half the weight moves to it.
 */
import { scoreForecast, type OriginResult } from '../evaluation/rolling-origin.js';
import { PrescientError } from '../../errors.js';
import type { Fitted, Forecast, Forecaster, Interval } from '../forecaster.js';

/** Most members of the combination (the best by backtest MASE). */
export const COMBINATION_SIZE = 3;
/** A member whose backtest MASE is above this multiple of the best member's stays out… */
export const MEMBER_MASE_RATIO = 1.5;
/**
 * …unless that would leave fewer members than this: then the next best
 * join. One model alone is served only through the evidence rule below
 * (as the shrunk weight), never for being the only one within the ratio:
 * three origins' mean MASE that far apart is still mostly one origin's
 * luck (M4 series outside the evaluation sample: serving such a model
 * alone cost 1.1 % mean MASE; on the evaluation sample, 0.1 %).
 */
export const MIN_MEMBERS = 2;
/** A single model counts as better only with at least this many scored origins… */
export const MIN_EVIDENCE_ORIGINS = 3;
/** …better than the combination at every one of them, and on average by at least this share of the combination's MASE. */
export const EVIDENCE_MARGIN = 0.1;
/** Weight a single model with strong evidence takes from the combination (shrinkage: the rest stays with the combination). */
export const SINGLE_WEIGHT = 0.5;

/** A candidate scored by the backtest: its origins hold its forecasts. */
export interface ScoredCandidate {
  readonly name: string;
  readonly origins: readonly OriginResult[];
  readonly mase: number;
}

/** What to serve: a weighted mean of members' forecasts (weights sum to 1). */
export interface Blend {
  /** Served name: the member's name for one member, `combination:a+b+c` or `shrunk:a|a+b+c` otherwise. */
  readonly name: string;
  readonly members: readonly string[];
  readonly weights: readonly number[];
  /** Why, in a sentence. */
  readonly reason: string;
}

/**
 * Weighted mean, step by step, of the members' points and interval bounds
 * (quantile averaging: a mean of quantiles is a quantile of a valid
 * distribution, and keeps lower ≤ point ≤ upper).
 */
export function blendForecasts(forecasts: readonly Forecast[], weights: readonly number[]): Forecast {
  const first = forecasts[0];
  if (!first || forecasts.length !== weights.length) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'blend of no forecasts, or weights not one per forecast');
  const mix = (pick: (f: Forecast) => readonly number[] | undefined, length: number): number[] =>
    Array.from({ length }, (_, h) => forecasts.reduce((sum, f, k) => sum + (weights[k] as number) * ((pick(f)?.[h] as number) ?? Number.NaN), 0));
  const horizon = first.point.length;
  const intervals: Interval[] = first.intervals.map((interval, j) => ({
    level: interval.level,
    lower: mix((f) => f.intervals[j]?.lower, horizon),
    upper: mix((f) => f.intervals[j]?.upper, horizon),
  }));
  return { point: mix((f) => f.point, horizon), intervals };
}

/** The blend's backtest origins: its members' forecasts blended per origin and rescored. */
export function blendOrigins(members: readonly ScoredCandidate[], weights: readonly number[], scalingQuantile: number): OriginResult[] {
  const first = members[0];
  if (!first) return [];
  return first.origins.map((origin, k) => {
    const forecast = blendForecasts(members.map((m) => m.origins[k]?.forecast as Forecast), weights);
    const metrics = scoreForecast(origin.actual, forecast, origin.scale, scalingQuantile);
    const fitTimeMs = members.reduce((s, m) => s + (m.origins[k]?.fitTimeMs ?? 0), 0);
    return { ...origin, forecast, metrics, fitTimeMs, info: undefined };
  });
}

function meanMase(origins: readonly OriginResult[]): number {
  const scored = origins.filter((o) => o.metrics !== undefined);
  return scored.length === 0 ? Number.NaN : scored.reduce((s, o) => s + (o.metrics?.mase ?? 0), 0) / scored.length;
}

/**
 * Decides what `auto` serves from the scored candidates (each scored at the
 * same origins, none failed): the equal-weight combination of the best
 * COMBINATION_SIZE within MEMBER_MASE_RATIO of the best (at least
 * `minMembers` of them, default MIN_MEMBERS, whatever the ratio); the best single
 * model shrunk halfway toward it only when it beat the combination at every
 * origin (≥ MIN_EVIDENCE_ORIGINS) and by EVIDENCE_MARGIN on average.
 * Returns the blend and its backtest origins (for calibration).
 */
export function chooseBlend(
  candidates: readonly ScoredCandidate[],
  scalingQuantile: number,
  minMembers = MIN_MEMBERS,
): { blend: Blend; origins: OriginResult[]; mase: number } | undefined {
  const ranked = [...candidates].filter((c) => Number.isFinite(c.mase)).sort((a, b) => a.mase - b.mase);
  const best = ranked[0];
  if (!best) return undefined;
  const within = ranked.filter((c) => c.mase <= best.mase * MEMBER_MASE_RATIO);
  const members = (within.length >= minMembers ? within : ranked.slice(0, minMembers)).slice(0, COMBINATION_SIZE);
  if (members.length === 1) {
    return { blend: { name: best.name, members: [best.name], weights: [1], reason: 'the only candidate' }, origins: [...best.origins], mase: best.mase };
  }
  const equal = members.map(() => 1 / members.length);
  const combined = blendOrigins(members, equal, scalingQuantile);
  const combinedMase = meanMase(combined);
  const names = members.map((m) => m.name);
  const combination: Blend = { name: `combination:${names.join('+')}`, members: names, weights: equal, reason: `equal-weight mean of the ${members.length} best candidates` };
  const perOrigin = best.origins.map((o, k) => ({ single: o.metrics?.mase, combo: combined[k]?.metrics?.mase }));
  const scoredOrigins = perOrigin.filter((p) => p.single !== undefined && p.combo !== undefined);
  const beatsEverywhere = scoredOrigins.length >= MIN_EVIDENCE_ORIGINS && scoredOrigins.every((p) => (p.single as number) < (p.combo as number));
  const margin = 1 - best.mase / combinedMase;
  if (!beatsEverywhere || !(margin >= EVIDENCE_MARGIN)) {
    const why = beatsEverywhere
      ? `${best.name} beat it at every origin, but by ${(margin * 100).toFixed(1)} % (< ${EVIDENCE_MARGIN * 100} %)`
      : `${best.name} did not beat it at every one of ≥ ${MIN_EVIDENCE_ORIGINS} origins`;
    return { blend: { ...combination, reason: `${combination.reason} (${why})` }, origins: combined, mase: combinedMase };
  }
  const weights = members.map((m, k) => (m === best ? SINGLE_WEIGHT : 0) + (1 - SINGLE_WEIGHT) * (equal[k] as number));
  const origins = blendOrigins(members, weights, scalingQuantile);
  return {
    blend: {
      name: `shrunk:${best.name}|${names.join('+')}`,
      members: names,
      weights,
      reason: `${best.name} beat the combination at all ${scoredOrigins.length} origins, by ${(margin * 100).toFixed(1)} % on average: it takes half the weight, the rest stays with the combination`,
    },
    origins,
    mase: meanMase(origins),
  };
}

/**
 * A blend as one Forecaster: fitting it fits every member on the same
 * history; its forecast is the weighted mean of theirs. So `auto` serves,
 * calibrates and refits a combination exactly as it does a single model.
 * A member that fails fails the blend (auto then falls back down its ranking).
 */
export function blendForecaster(blend: Blend, members: readonly Forecaster[]): Forecaster {
  return {
    name: blend.name,
    minLength: (ctx) => Math.max(...members.map((m) => m.minLength(ctx))),
    async fit(values, ctx) {
      const fitted: Fitted[] = [];
      try {
        for (const member of members) fitted.push(await member.fit(values, ctx));
      } catch (err) {
        for (const f of fitted) f.dispose();
        throw err;
      }
      return {
        info: { model: blend.name, notes: [blend.reason] },
        predict: (horizon, levels) => blendForecasts(fitted.map((f) => f.predict(horizon, levels)), blend.weights),
        dispose: () => {
          for (const f of fitted) f.dispose();
        },
      };
    },
  };
}

/** The weights a blend's name stands for (see chooseBlend): `combination:a+b` equal, `shrunk:a|a+b` half to a. */
export function blendFromName(name: string): Blend | undefined {
  const combination = /^combination:(.+)$/.exec(name);
  const shrunk = /^shrunk:([^|]+)\|(.+)$/.exec(name);
  const list = combination?.[1] ?? shrunk?.[2];
  if (list === undefined) return undefined;
  const members = list.split('+');
  const equal = 1 / members.length;
  const single = shrunk?.[1];
  if (single !== undefined && !members.includes(single)) return undefined;
  const weights = members.map((m) => (single === undefined ? equal : (m === single ? SINGLE_WEIGHT : 0) + (1 - SINGLE_WEIGHT) * equal));
  return { name, members, weights, reason: single === undefined ? 'equal-weight combination, as chosen' : `${single} shrunk toward the combination, as chosen` };
}

/** The Forecaster for a name `auto` may have served: a candidate by name, or a blend of candidates. */
export function resolveServed(name: string, named: readonly Forecaster[]): Forecaster | undefined {
  const direct = named.find((f) => f.name === name);
  if (direct) return direct;
  const blend = blendFromName(name);
  if (!blend) return undefined;
  const members = blend.members.map((m) => named.find((f) => f.name === m));
  return members.every((m): m is Forecaster => m !== undefined) ? blendForecaster(blend, members) : undefined;
}
