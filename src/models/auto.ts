/**
 * `auto`: chooses a model per series by a rolling-origin backtest on the
 * tail of the series' own history, and calibrates its intervals from the
 * same backtest. It is the default model of a target.
 *
 * Intervals: split conformal from the served model's backtest residuals
 * (conformal.ts), per level and per horizon bucket, widened per level by
 * the larger of: how much calmer the backtest days were than the whole
 * history, and how much a window as long as the backtest's under-covered
 * the next day in a replay over the history (both measured on the
 * history's own lag-day differences, which need no refits). The backtest
 * days alone under-cover: on real capacity data the week after them holds
 * incidents and level shifts they did not (accuracy benchmark, 80 % / 95 %
 * bands covered 75 % / 89 % with calibration only when the backtest found
 * them off). The first hour is calibrated apart, on the forecasts served
 * since (carried in the selection), once their actuals are in.
 *
 * Reuse: a fit given the selection of an earlier fit of the same series
 * (FitContext.selection, younger than `reselectAfterSeconds`, same step and
 * seasons) refits the chosen candidate on the fresh history and keeps the
 * calibration, skipping the backtest. The service refreshes a target every
 * few minutes; choosing again once a day costs one backtest a day instead
 * of one per refresh.
 *
 * Ladder: under two days of history there is nothing to backtest, so it
 * serves seasonal naive (or the last value) with intervals widened to the
 * spread of the history; under two weeks the weekly season is dropped; the
 * richer models compete only when their own minimum history is met and win
 * only when the backtest says so.
 */
import { aggregateOrigins, evaluate, scoreForecast, type OriginResult } from '../backtest/rolling-origin.js';
import { levelForQuantile } from '../backtest/metrics.js';
import { PrescientError, toPrescientError } from '../errors.js';
import {
  applyCalibration,
  calibrate,
  empiricalCoverage,
  tailFactor,
  tailReference,
  type CalibrationSample,
  type ConformalCalibration,
  type TailReference,
} from './conformal.js';
import type { FitContext, FitInfo, Fitted, Forecast, Forecaster, Interval, ModelSelection, ServedStart } from './forecaster.js';
import { zForLevel } from './intervals.js';
import { seasonalNaive } from './seasonal-naive.js';

const SECONDS_PER_DAY = 86_400;
const SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY;
/** The interval level used as the unit of conformal scores. */
const REFERENCE_LEVEL = 0.8;
/** Levels scored in the internal backtest (the scaling quantile's level is added). */
const BACKTEST_LEVELS = [0.8, 0.95];
/** MASE values within this relative distance of the best count as a tie, broken by pinball. */
const TIE_TOLERANCE = 0.01;
/** Fewest scored steps of served forecasts that calibrate the first hour (a 95 % bound needs ≥ 39). */
const MIN_SERVED_RESIDUALS = 50;

export interface AutoOptions {
  /** Backtest horizon in steps (default: one day in steps, or 24 steps when the step does not divide a day). */
  readonly horizonSteps?: number;
  /** Number of backtest origins, one horizon apart (default 3). */
  readonly origins?: number;
  /** Quantile the target scales on; pinball loss there breaks MASE ties (default 0.9). */
  readonly scalingQuantile?: number;
  /** Candidate models, by registry name or as Forecasters (default: every registered model except `auto`). */
  readonly candidates?: readonly (string | Forecaster)[];
  /** Models fitted only with at least `expensiveMinHistorySeconds` of history and `expensiveMinTimeMs` left (default ['lstm']). */
  readonly expensiveModels?: readonly string[];
  /** Default 14 days. */
  readonly expensiveMinHistorySeconds?: number;
  /** Default 180 s. */
  readonly expensiveMinTimeMs?: number;
  /** Try a median ensemble of the best two and three (default true). */
  readonly ensemble?: boolean;
  /**
   * Conformal calibration: 'always' (default) serves conformal intervals
   * learnt from the backtest residuals; 'when-off' only when the model's own
   * intervals' backtest coverage misses nominal by more than the tolerance
   * either way; 'widen-only' only ever widens them, when they under-cover;
   * 'never'.
   */
  readonly calibration?: 'when-off' | 'widen-only' | 'always' | 'never';
  /**
   * Widen conformal bands where the backtest window was calmer than the
   * whole history (conformal.ts tailFactor), per level (default true).
   */
  readonly tailWidening?: boolean;
  /** How the tail factor is measured (conformal.ts TailReference.method; default 'max': the wider of the two). */
  readonly tailMethod?: 'ratio' | 'rolling' | 'max';
  /** Fewest residuals per horizon bucket of the calibration (default 100). */
  readonly minPerBucket?: number;
  /** Coverage error (fraction) above which intervals are calibrated (default 0.03). */
  readonly coverageTolerance?: number;
  /** Share of the time left before ctx.deadlineMs that the backtest may use (default 0.6). */
  readonly backtestTimeShare?: number;
  /**
   * When the seasonal periods given do not include one day (the detector
   * did not find it, or the target named none), also try each cheap
   * candidate with the daily season added, named `<model>@1d`, and let the
   * backtest decide (default true). The detector is deliberately strict;
   * on CPU series whose daily cycle hides under noise and incidents, the
   * daily variants win the backtest (accuracy benchmark).
   */
  readonly dailyVariants?: boolean;
  /** A selection carried in FitContext.selection is reused until it is this old (default one day). */
  readonly reselectAfterSeconds?: number;
  /**
   * Calibrate the first `steps` steps (default: one hour, at least 3) on
   * the forecasts served over the last `servedWindowSeconds` (default one
   * day) against the actuals that came, carried in the selection from fit
   * to fit, once they hold enough scored steps; until then, and with
   * false, the day-ahead backtest's buckets serve every step. The
   * autoscaler acts on the first minutes of each refreshed forecast.
   */
  readonly nearHorizon?: false | { readonly steps?: number; readonly servedWindowSeconds?: number };
}

interface Candidate {
  readonly name: string;
  /** Members: one for a single model, two or three for a median ensemble. */
  readonly members: readonly Forecaster[];
  readonly origins: readonly OriginResult[];
  readonly mase: number;
  readonly pinball: number;
}

/** The forecaster fitted with `period` added in front of the seasonal periods it is given. */
function withSeason(forecaster: Forecaster, period: number, suffix: string): Forecaster {
  const widen = (ctx: FitContext): FitContext => ({ ...ctx, seasonalPeriods: [period, ...ctx.seasonalPeriods.filter((p) => p !== period)] });
  return {
    name: `${forecaster.name}${suffix}`,
    minLength: (ctx) => forecaster.minLength(widen(ctx)),
    fit: (values, ctx) => forecaster.fit(values, widen(ctx)),
  };
}

/** Steps in one day, or undefined when the step does not divide a day. */
function dayInSteps(stepSeconds: number): number | undefined {
  return SECONDS_PER_DAY % stepSeconds === 0 ? SECONDS_PER_DAY / stepSeconds : undefined;
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) * (v - mean), 0) / Math.max(1, values.length - 1));
}

function withLevels(levels: readonly number[], extra: readonly number[]): number[] {
  const all = [...levels];
  for (const l of extra) if (!all.some((x) => Math.abs(x - l) < 1e-9)) all.push(l);
  return all;
}

function pickLevels(forecast: Forecast, levels: readonly number[]): Forecast {
  const intervals = levels.map((level) => {
    const interval = forecast.intervals.find((i) => Math.abs(i.level - level) < 1e-9);
    if (!interval) throw new PrescientError('PRESCIENT_ERR_INTERNAL', `interval at level ${level} missing`);
    return interval;
  });
  return { point: forecast.point, intervals };
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? (xs[mid] as number) : ((xs[mid - 1] as number) + (xs[mid] as number)) / 2;
}

/** Median, step by step, of the members' points and interval bounds. */
export function medianForecast(forecasts: readonly Forecast[]): Forecast {
  const first = forecasts[0];
  if (!first) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'median of no forecasts');
  const point = first.point.map((_, h) => median(forecasts.map((f) => f.point[h] as number)));
  const intervals: Interval[] = first.intervals.map((interval, k) => ({
    level: interval.level,
    lower: point.map((_, h) => median(forecasts.map((f) => f.intervals[k]?.lower[h] as number))),
    upper: point.map((_, h) => median(forecasts.map((f) => f.intervals[k]?.upper[h] as number))),
  }));
  return { point, intervals };
}

function isFiniteForecast(forecast: Forecast, horizon: number): boolean {
  const ok = (xs: readonly number[]): boolean => xs.length === horizon && xs.every(Number.isFinite);
  return ok(forecast.point) && forecast.intervals.every((i) => ok(i.lower) && ok(i.upper));
}

/**
 * Fits every member of a candidate on the full history and checks a trial
 * forecast is finite. Throws (having disposed what it fitted) on failure.
 */
async function fitMembers(
  name: string,
  members: readonly Forecaster[],
  values: readonly number[],
  ctx: FitContext,
  horizonSteps: number,
  levels: readonly number[],
): Promise<Fitted[]> {
  const fitted: Fitted[] = [];
  try {
    for (const member of members) fitted.push(await member.fit(values, ctx));
    const trial = fitted.map((f) => f.predict(horizonSteps, levels));
    const raw = trial.length === 1 ? (trial[0] as Forecast) : medianForecast(trial);
    if (!isFiniteForecast(raw, horizonSteps)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `${name} returned a non-finite forecast`);
    }
    return fitted;
  } catch (err) {
    for (const f of fitted) f.dispose();
    throw err;
  }
}

/** The day-ahead calibration with the first hour's from the served forecasts, when there is one. */
function withNear(calibration: ConformalCalibration | undefined, near: ConformalCalibration | undefined): ConformalCalibration | undefined {
  return calibration && near ? { ...calibration, near } : calibration;
}

/** The first `steps` steps of a candidate's own forecast (before calibration), at the reference level. */
function servedStart(fitted: readonly Fitted[], steps: number, startMs: number): ServedStart {
  const forecasts = fitted.map((f) => f.predict(steps, [REFERENCE_LEVEL]));
  return { startMs, forecast: forecasts.length === 1 ? (forecasts[0] as Forecast) : medianForecast(forecasts) };
}

/** The served starts whose actuals are (partly) in `values`, paired with them. */
function observedSamples(served: readonly ServedStart[], values: readonly number[], ctx: FitContext): CalibrationSample[] {
  const stepMs = ctx.stepSeconds * 1000;
  return served.flatMap((s) => {
    const first = Math.round((s.startMs - ctx.startMs) / stepMs);
    if (first < 0) return [];
    const actual = values.slice(first, Math.min(values.length, first + s.forecast.point.length));
    return actual.length === 0 ? [] : [{ actual, forecast: s.forecast }];
  });
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A fitted model (or median ensemble) with optional conformal intervals. */
class FittedAuto implements Fitted {
  private current: { name: string; fitted: readonly Fitted[] };
  private fallbackFrom: string | undefined;
  private readonly extraNotes: string[] = [];

  constructor(
    private readonly chosen: { name: string; fitted: readonly Fitted[] },
    private readonly backup: Fitted | undefined,
    private readonly calibration: ConformalCalibration | undefined,
    private readonly baseInfo: Omit<FitInfo, 'model'>,
    private readonly widenOnly = false,
  ) {
    this.current = chosen;
    this.fallbackFrom = baseInfo.fallbackFrom;
  }

  get info(): FitInfo {
    // A choice that failed at predict time is not one to carry into the next fit.
    const { selection, ...base } = this.baseInfo;
    return {
      ...base,
      ...(selection !== undefined && this.current === this.chosen ? { selection } : {}),
      model: this.current.name,
      ...(this.fallbackFrom === undefined ? {} : { fallbackFrom: this.fallbackFrom }),
      notes: [...this.baseInfo.notes, ...this.extraNotes],
    };
  }

  predict(horizon: number, levels: readonly number[]): Forecast {
    const asked = this.calibration ? withLevels(levels, [this.calibration.referenceLevel]) : [...levels];
    try {
      return this.predictWith(this.current.fitted, horizon, levels, asked);
    } catch (err) {
      if (!this.backup || (this.current.fitted.length === 1 && this.current.fitted[0] === this.backup)) throw err;
      // The chosen model failed at predict time: serve the seasonal-naive backup, uncalibrated.
      this.fallbackFrom = this.current.name;
      this.extraNotes.push(`${this.current.name} failed at predict time (${toPrescientError(err).message}); serving snaive`);
      this.current = { name: 'snaive', fitted: [this.backup] };
      const forecast = this.backup.predict(horizon, levels);
      return forecast;
    }
  }

  private predictWith(fitted: readonly Fitted[], horizon: number, levels: readonly number[], asked: readonly number[]): Forecast {
    const forecasts = fitted.map((f) => f.predict(horizon, asked));
    const raw = forecasts.length === 1 ? (forecasts[0] as Forecast) : medianForecast(forecasts);
    if (!isFiniteForecast(raw, horizon)) {
      throw new PrescientError('PRESCIENT_ERR_MODEL_OUTPUT_INVALID', `${this.current.name} returned a non-finite forecast`);
    }
    if (!this.calibration || this.current !== this.chosen) return pickLevels(raw, levels);
    const calibrated = applyCalibration(raw, this.calibration, levels);
    if (!this.widenOnly) return calibrated;
    const own = pickLevels(raw, levels);
    return {
      point: calibrated.point,
      intervals: calibrated.intervals.map((interval, k) => ({
        level: interval.level,
        lower: interval.lower.map((l, h) => Math.min(l, own.intervals[k]?.lower[h] as number)),
        upper: interval.upper.map((u, h) => Math.max(u, own.intervals[k]?.upper[h] as number)),
      })),
    };
  }

  dispose(): void {
    for (const f of this.chosen.fitted) f.dispose();
    this.backup?.dispose();
  }
}

/** Widens intervals to at least ±z·(standard deviation of the history): for cold starts. */
class FittedWide implements Fitted {
  constructor(
    private readonly inner: Fitted,
    private readonly spread: number,
    readonly info: FitInfo,
  ) {}

  predict(horizon: number, levels: readonly number[]): Forecast {
    const forecast = this.inner.predict(horizon, levels);
    const intervals = forecast.intervals.map((interval) => {
      const z = zForLevel(interval.level);
      return {
        level: interval.level,
        lower: forecast.point.map((p, h) => Math.min(interval.lower[h] as number, p - z * this.spread)),
        upper: forecast.point.map((p, h) => Math.max(interval.upper[h] as number, p + z * this.spread)),
      };
    });
    return { point: forecast.point, intervals };
  }

  dispose(): void {
    this.inner.dispose();
  }
}

/** Whether a candidate is the one a selection chose: ensembles (medians) by their members, whatever their rank order. */
function isChoice(selection: ModelSelection, candidate: Candidate): boolean {
  return [...selection.members].sort().join('+') === candidate.members.map((m) => m.name).sort().join('+');
}

function rankCandidates(candidates: readonly Candidate[]): Candidate[] {
  const byMase = [...candidates].sort((a, b) => a.mase - b.mase);
  const best = byMase[0];
  if (!best) return [];
  const tied = byMase.filter((c) => c.mase <= best.mase * (1 + TIE_TOLERANCE));
  const rest = byMase.filter((c) => !tied.includes(c));
  tied.sort((a, b) => a.pinball - b.pinball);
  return [...tied, ...rest];
}

/** Per-origin median ensemble of the members' backtest forecasts, rescored. */
function ensembleOrigins(members: readonly Candidate[], scalingQuantile: number): OriginResult[] {
  const first = members[0] as Candidate;
  return first.origins.map((origin, k) => {
    const forecasts = members.map((m) => m.origins[k]?.forecast as Forecast);
    const forecast = medianForecast(forecasts);
    const metrics = scoreForecast(origin.actual, forecast, origin.scale, scalingQuantile);
    const fitTimeMs = members.reduce((s, m) => s + (m.origins[k]?.fitTimeMs ?? 0), 0);
    return { ...origin, forecast, metrics, fitTimeMs, info: undefined };
  });
}

function scoreRecord(origins: readonly OriginResult[]): Record<string, number> {
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
  return record;
}

/**
 * Creates an `auto` forecaster with its own options (the registry holds one
 * with the defaults; the engine may create one per target to pass the
 * target's horizon and scaling quantile).
 */
export function createAutoForecaster(options: AutoOptions = {}): Forecaster {
  const defaultQuantile = options.scalingQuantile ?? 0.9;

  async function coldStart(
    values: readonly number[],
    ctx: FitContext,
    reason: string,
    earlier: readonly string[] = [],
    scores?: FitInfo['scores'],
  ): Promise<Fitted> {
    const period = ctx.seasonalPeriods.find((p) => values.length >= p + 1);
    const fitted = await seasonalNaive.fit(values, { ...ctx, seasonalPeriods: period === undefined ? [] : [period] });
    const spread = standardDeviation(values);
    const what = period === undefined ? 'the last value' : `seasonal naive at ${period} steps`;
    return new FittedWide(fitted, spread, {
      model: 'snaive',
      ...(scores === undefined ? {} : { scores }),
      notes: [...earlier, `${reason}: serving ${what} with intervals widened to the spread of the history`],
    });
  }

  return {
    name: 'auto',
    minLength() {
      return seasonalNaive.minLength({ stepSeconds: 1, startMs: 0, seasonalPeriods: [], deadlineMs: 0, seed: 0 });
    },
    async fit(values, ctx) {
      if (values.length < this.minLength(ctx)) {
        throw new PrescientError(
          'PRESCIENT_ERR_SERIES_TOO_SHORT',
          `auto needs at least ${this.minLength(ctx)} values, got ${values.length}`,
        );
      }
      // The caller's horizon and quantile (FitContext) win over the defaults this auto was built with.
      const scalingQuantile = ctx.scalingQuantile ?? defaultQuantile;
      const quantileLevel = levelForQuantile(scalingQuantile);
      const n = values.length;
      const historySeconds = n * ctx.stepSeconds;
      const day = dayInSteps(ctx.stepSeconds);
      if (historySeconds < 2 * SECONDS_PER_DAY) {
        return coldStart(values, ctx, `cold start: ${(historySeconds / 3600).toFixed(1)} h of history (< 2 days)`);
      }
      const notes: string[] = [];
      let periods = [...ctx.seasonalPeriods];
      if (historySeconds < 2 * SECONDS_PER_WEEK) {
        const weekly = periods.filter((p) => p * ctx.stepSeconds >= SECONDS_PER_WEEK);
        if (weekly.length > 0) notes.push(`less than 2 weeks of history: weekly season (${weekly.join(', ')} steps) dropped`);
        periods = periods.filter((p) => p * ctx.stepSeconds < SECONDS_PER_WEEK);
      }
      const fitCtx: FitContext = { ...ctx, seasonalPeriods: periods };
      const endMs = ctx.startMs + n * ctx.stepSeconds * 1000;

      // Backtest layout: up to `origins` origins one horizon apart, each with at least a day (+1) of history.
      const horizonWanted = ctx.horizonSteps ?? options.horizonSteps ?? day ?? 24;
      const minTrain = (day ?? periods[0] ?? 1) + 1;
      const span = n - minTrain;
      let horizonSteps = horizonWanted;
      let originCount = Math.min(options.origins ?? 3, Math.floor(span / horizonWanted));
      if (originCount < 1) {
        originCount = 1;
        horizonSteps = Math.max(1, span);
        notes.push(`backtest horizon shortened to ${horizonSteps} steps by the short history`);
      }
      const shortestTrain = n - originCount * horizonSteps;

      const { forecasters } = await import('./registry.js');
      const expensive = new Set(options.expensiveModels ?? ['lstm']);
      const timeLeftMs = ctx.deadlineMs - Date.now();
      const wanted = (options.candidates ?? [...forecasters.keys()]).filter((c) => c !== 'auto');
      const named = wanted
        .map((entry) => (typeof entry === 'string' ? forecasters.get(entry) : entry))
        .filter((f): f is Forecaster => f !== undefined && f.name !== 'auto');
      const addDaily = (options.dailyVariants ?? true) && day !== undefined && day >= 2 && !periods.includes(day);
      if (addDaily) {
        named.push(...named.filter((f) => !expensive.has(f.name)).map((f) => withSeason(f, day, '@1d')));
        notes.push(`no daily season given: candidates also tried with one (${day} steps), as <model>@1d`);
      }
      const reused = await reuse(ctx.selection, named, values, fitCtx, endMs, horizonSteps, withLevels(BACKTEST_LEVELS, [REFERENCE_LEVEL, quantileLevel]), notes);
      if (reused) return reused;

      const candidates: Forecaster[] = [];
      for (const forecaster of named) {
        const name = forecaster.name;
        if (expensive.has(name)) {
          if (historySeconds < (options.expensiveMinHistorySeconds ?? 2 * SECONDS_PER_WEEK)) {
            notes.push(`${name} not tried: less history than it needs to be worth it`);
            continue;
          }
          if (timeLeftMs < (options.expensiveMinTimeMs ?? 180_000)) {
            notes.push(`${name} not tried: not enough time before the fit deadline`);
            continue;
          }
        }
        if (forecaster.minLength({ ...fitCtx }) > shortestTrain) {
          notes.push(`${name} not tried: needs ${forecaster.minLength(fitCtx)} values, backtest origins have ${shortestTrain}`);
          continue;
        }
        candidates.push(forecaster);
      }
      // Cheap models first, so a deadline cuts the expensive ones.
      candidates.sort((a, b) => Number(expensive.has(a.name)) - Number(expensive.has(b.name)));

      const backtestDeadlineMs = Date.now() + Math.max(0, timeLeftMs) * (options.backtestTimeShare ?? 0.6);
      const evaluation = await evaluate({
        series: { startMs: ctx.startMs, stepSeconds: ctx.stepSeconds, values },
        models: candidates,
        origins: originCount,
        horizonSteps,
        spacingSteps: horizonSteps,
        levels: withLevels(BACKTEST_LEVELS, [REFERENCE_LEVEL]),
        seasonalPeriods: periods,
        scalingQuantile,
        deadlineMs: backtestDeadlineMs,
        seed: ctx.seed,
      });

      const scores: Record<string, Record<string, number>> = {};
      const singles: Candidate[] = [];
      for (const m of evaluation.models) {
        scores[m.model] = scoreRecord(m.origins);
        if (m.aggregate.failures === 0 && Number.isFinite(m.aggregate.mase)) {
          const member = candidates.find((c) => c.name === m.model) as Forecaster;
          singles.push({ name: m.model, members: [member], origins: m.origins, mase: m.aggregate.mase, pinball: m.aggregate.pinball });
        } else {
          const failed = m.origins.find((o) => o.error)?.error;
          notes.push(
            `${m.model} excluded: failed at ${m.aggregate.failures} of ${m.origins.length} backtest origins${failed ? ` (${failed.code})` : ''}`,
          );
        }
      }
      if (evaluation.deadlineHit) notes.push('backtest stopped at its time budget; models not fully scored were excluded');
      let ranked = rankCandidates(singles);
      if (ranked.length === 0) {
        return coldStart(values, fitCtx, 'no candidate model passed the backtest', notes, scores);
      }

      if ((options.ensemble ?? true) && ranked.length >= 2) {
        const ensembles: Candidate[] = [];
        for (const size of [2, 3]) {
          if (ranked.length < size) continue;
          const members = ranked.slice(0, size);
          const origins = ensembleOrigins(members, scalingQuantile);
          const name = `ensemble:${members.map((m) => m.name).join('+')}`;
          const aggregate = aggregateOrigins(origins);
          scores[name] = scoreRecord(origins);
          ensembles.push({ name, members: members.flatMap((m) => m.members), origins, mase: aggregate.mase, pinball: aggregate.pinball });
        }
        const best = ranked[0] as Candidate;
        const winners = ensembles.filter((e) => e.mase < best.mase);
        ranked = rankCandidates([...ranked, ...winners]);
      }

      // Final fit of the best, falling back down the ranking on failure.
      let firstChoice: string | undefined;
      for (const choice of ranked) {
        firstChoice ??= choice.name;
        try {
          const fitted = await fitMembers(choice.name, choice.members, values, fitCtx, horizonSteps, withLevels(BACKTEST_LEVELS, [REFERENCE_LEVEL, quantileLevel]));
          const samples = choice.origins.map((o) => ({ actual: o.actual, forecast: o.forecast as Forecast }));
          const lagSteps = day !== undefined && day >= 2 ? day : (periods[0] ?? 1);
          const tail =
            options.tailWidening === false
              ? undefined
              : tailReference(values, lagSteps, originCount * horizonSteps, 3, {
                  blockSteps: horizonSteps,
                  method: options.tailMethod ?? 'max',
                });
          const calibration = decideCalibration(samples, options, notes, tail);
          // Forecasts served by the same choice before this selection keep counting.
          const carried = calibration && ctx.selection && isChoice(ctx.selection, choice) ? ctx.selection.served : undefined;
          const online = servedNear(carried, values, fitCtx, endMs, notes);
          const served = options.nearHorizon === false ? [] : [...online.kept, servedStart(fitted, nearStepsFor(fitCtx), endMs)];
          const chosenNotes = [
            ...notes,
            `chose ${choice.name} by backtest: MASE ${choice.mase.toFixed(3)} over ${choice.origins.length} origins of ${horizonSteps} steps`,
          ];
          const backup = choice.name === 'snaive' ? undefined : await seasonalNaive.fit(values, fitCtx).catch(() => undefined);
          const fallbackFrom = choice.name === firstChoice ? undefined : firstChoice;
          const selection: ModelSelection = {
            model: choice.name,
            members: choice.members.map((m) => m.name),
            stepSeconds: ctx.stepSeconds,
            seasonalPeriods: periods,
            selectedAtMs: endMs,
            ...(calibration === undefined ? {} : { calibration }),
            ...(served.length === 0 ? {} : { served }),
            scores,
            notes: chosenNotes,
          };
          return new FittedAuto(
            { name: choice.name, fitted },
            backup,
            withNear(calibration, online.near),
            { ...(fallbackFrom === undefined ? {} : { fallbackFrom }), scores, notes: chosenNotes, selection },
            options.calibration === 'widen-only',
          );
        } catch (err) {
          notes.push(`${choice.name} failed on the full history (${toPrescientError(err).code}); trying the next best`);
        }
      }
      return coldStart(values, fitCtx, 'every ranked model failed on the full history', notes, scores);
    },
  };

  /**
   * Refits an earlier selection on the fresh history, when it is recent and
   * was made for the same step and seasons; undefined when it cannot be
   * reused (then the caller selects again; why, when the refit failed, goes
   * in `reselectNotes`).
   */
  async function reuse(
    selection: ModelSelection | undefined,
    named: readonly Forecaster[],
    values: readonly number[],
    fitCtx: FitContext,
    endMs: number,
    horizonSteps: number,
    levels: readonly number[],
    reselectNotes: string[],
  ): Promise<Fitted | undefined> {
    if (!selection) return undefined;
    const ageMs = endMs - selection.selectedAtMs;
    const fresh = ageMs >= 0 && ageMs < (options.reselectAfterSeconds ?? SECONDS_PER_DAY) * 1000;
    if (!fresh || selection.stepSeconds !== fitCtx.stepSeconds || !sameNumbers(selection.seasonalPeriods, fitCtx.seasonalPeriods)) return undefined;
    const members = selection.members.map((name) => named.find((f) => f.name === name));
    if (members.some((m) => m === undefined)) return undefined;
    let fitted: Fitted[];
    try {
      fitted = await fitMembers(selection.model, members as Forecaster[], values, fitCtx, horizonSteps, levels);
    } catch (err) {
      reselectNotes.push(`${selection.model}, chosen at ${new Date(selection.selectedAtMs).toISOString()}, failed on the fresh history (${toPrescientError(err).code}): choosing again`);
      return undefined;
    }
    const backup = selection.model === 'snaive' ? undefined : await seasonalNaive.fit(values, fitCtx).catch(() => undefined);
    const next = new Date(selection.selectedAtMs + (options.reselectAfterSeconds ?? SECONDS_PER_DAY) * 1000).toISOString();
    const notes = [
      ...selection.notes,
      `${selection.model} refitted on the fresh history, as chosen by the backtest at ${new Date(selection.selectedAtMs).toISOString()}; chosen again after ${next}`,
    ];
    const online = servedNear(selection.served, values, fitCtx, endMs, notes);
    const served = options.nearHorizon === false ? [] : [...online.kept, servedStart(fitted, nearStepsFor(fitCtx), endMs)];
    const { served: _replaced, ...chosen } = selection;
    const carried: ModelSelection = { ...chosen, ...(served.length === 0 ? {} : { served }) };
    return new FittedAuto(
      { name: selection.model, fitted },
      backup,
      withNear(selection.calibration, online.near),
      { ...(selection.scores === undefined ? {} : { scores: selection.scores }), notes, selection: carried },
      options.calibration === 'widen-only',
    );
  }

  function servedWindowSeconds(): number {
    return (options.nearHorizon === false ? undefined : options.nearHorizon?.servedWindowSeconds) ?? SECONDS_PER_DAY;
  }

  function nearStepsFor(ctx: FitContext): number {
    return options.nearHorizon === false ? 0 : (options.nearHorizon?.steps ?? Math.max(3, Math.ceil(3600 / ctx.stepSeconds)));
  }

  /**
   * Widening of the first-hour bands: the history's hour-scale differences
   * against the last day's (a calm day before an incident under-covers).
   */
  function nearTail(values: readonly number[], ctx: FitContext): TailReference | undefined {
    if (options.tailWidening === false) return undefined;
    const window = Math.max(1, Math.round(servedWindowSeconds() / ctx.stepSeconds));
    return tailReference(values, nearStepsFor(ctx), window, 3, { blockSteps: window, method: options.tailMethod ?? 'max' });
  }

  /**
   * Online calibration of the first hour: the forecasts served over the
   * last day (ModelSelection.served) scored against the actuals that came,
   * once there are enough of them. The day-ahead backtest's origins all
   * start at the same time of day, so its first bucket holds the errors of
   * the same few hours of three days, whatever the time of day the service
   * refits: an incident in those hours set the near-term band all day
   * (replay benchmark: asg_misconfiguration's 95 % bound one step ahead was
   * 3.5× the model's own), and a burst pattern that had stopped kept it
   * wide for days (ec2_network_in_257a54). The served forecasts' errors are
   * those of the model as served, at every time of day, with the last load
   * known, and leave the window a day later. No refits. Returns the served
   * starts still in the window, and the calibration when there are enough
   * scored steps.
   */
  function servedNear(
    served: readonly ServedStart[] | undefined,
    values: readonly number[],
    ctx: FitContext,
    endMs: number,
    notes: string[],
  ): { kept: ServedStart[]; near?: ConformalCalibration } {
    if (options.nearHorizon === false || !served) return { kept: [] };
    const windowSeconds = servedWindowSeconds();
    const kept = served.filter((s) => s.startMs >= endMs - windowSeconds * 1000 && s.startMs < endMs);
    const samples = observedSamples(kept, values, ctx);
    const count = samples.reduce((sum, s) => sum + s.actual.length, 0);
    if (count < MIN_SERVED_RESIDUALS) return { kept };
    const tail = nearTail(values, ctx);
    const near = calibrate(samples, { referenceLevel: REFERENCE_LEVEL, ...(tail === undefined ? {} : { tail }) });
    if (!near) return { kept };
    notes.push(
      `first ${near.horizonSteps} steps calibrated on ${count} scored steps of the ${samples.length} forecasts served over the last ${(windowSeconds / 3600).toFixed(0)} h (${near.mode})`,
    );
    return { kept, near };
  }

  function decideCalibration(
    samples: { actual: readonly number[]; forecast: Forecast }[],
    opts: AutoOptions,
    notes: string[],
    tail: ReturnType<typeof tailReference>,
  ): ConformalCalibration | undefined {
    const mode = opts.calibration ?? 'always';
    if (mode === 'never') return undefined;
    const tolerance = opts.coverageTolerance ?? 0.03;
    const own = BACKTEST_LEVELS.map((level) => ({ level, covered: empiricalCoverage(samples, level) }));
    const off = own.filter((o) => !(Math.abs(o.covered - o.level) <= tolerance));
    const under = own.filter((o) => !(o.covered >= o.level - tolerance));
    if (mode === 'when-off' && off.length === 0) return undefined;
    if (mode === 'widen-only' && under.length === 0) return undefined;
    const calibration = calibrate(samples, {
      referenceLevel: REFERENCE_LEVEL,
      ...(opts.minPerBucket === undefined ? {} : { minPerBucket: opts.minPerBucket }),
      ...(tail === undefined ? {} : { tail }),
    });
    if (calibration) {
      const owned = own.map((o) => `${Math.round(o.level * 100)} % covered ${(o.covered * 100).toFixed(1)} %`).join(', ');
      notes.push(
        `intervals calibrated by split conformal (${calibration.mode}, ${calibration.count} backtest residuals); model's own: ${owned}`,
      );
      if (tail) {
        const widened = BACKTEST_LEVELS.map((level) => `${Math.round(level * 100)} % ×${tailFactor(tail, level).toFixed(2)}`).join(', ');
        notes.push(`conformal bands widened where the history shows a heavier tail than the backtest days: ${widened}`);
      }
    }
    return calibration;
  }
}

/** The registered `auto` with default options. */
export const auto: Forecaster = createAutoForecaster();
