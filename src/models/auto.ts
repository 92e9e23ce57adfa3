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
import { aggregateOrigins, evaluate } from './evaluation/rolling-origin.js';
import { levelForQuantile } from './evaluation/metrics.js';
import { applyCalibration, tailReference } from './conformal.js';
import { PrescientError, toPrescientError } from '../errors.js';
import { decideCalibration, nearStepsFor, servedNear, servedStart, withNear } from './auto/calibration.js';
import { isChoice, rankCandidates, scoreRecord, withSeason, type Candidate } from './auto/candidates.js';
import { blendForecaster, chooseBlend, resolveServed } from './auto/combination.js';
import { fitMembers } from './auto/ensemble.js';
import { coldStart, FittedAuto } from './auto/fitted.js';
import {
  BACKTEST_LEVELS,
  dayInSteps,
  OPT_IN,
  REFERENCE_LEVEL,
  SECONDS_PER_DAY,
  SECONDS_PER_WEEK,
  sameNumbers,
  withLevels,
  type AutoOptions,
} from './auto/options.js';
import type { FitContext, Fitted, Forecast, Forecaster, ModelSelection } from './forecaster.js';
import { seasonalNaive } from './seasonal-naive.js';

export type { AutoOptions } from './auto/options.js';


/**
 * Creates an `auto` forecaster with its own options (the registry holds one
 * with the defaults; the engine may create one per target to pass the
 * target's horizon and scaling quantile).
 */
export function createAutoForecaster(options: AutoOptions = {}): Forecaster {
  const defaultQuantile = options.scalingQuantile ?? 0.9;

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
      // lstm is opt-in (pass it in `candidates`, or name it in a target's models): its fit takes
      // 14–33 s at 5 minutes, a backtest of it most of the 120 s fit limit, and it scored a median
      // MASE 0.985 × seasonal naive's where sarima scored 0.88 × (docs/configuration.md, benchmarks/lstm-fit.ts).
      const wanted = (options.candidates ?? [...forecasters.keys()].filter((c) => !OPT_IN.has(c))).filter((c) => c !== 'auto');
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
        levels: withLevels(BACKTEST_LEVELS, [REFERENCE_LEVEL, ...(ctx.frontierLevels ?? [])]),
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

      // What to serve: the combination of the best candidates unless one model's evidence is strong
      // (auto/combination.ts); the singles stay behind it in the ranking as fallbacks.
      const chosen = (options.ensemble ?? true) && ranked.length >= 2 ? chooseBlend(ranked, scalingQuantile) : undefined;
      if (chosen && chosen.blend.members.length > 1) {
        const members = chosen.blend.members.map((name) => ranked.find((c) => c.name === name)?.members[0] as Forecaster);
        const blended: Candidate = {
          name: chosen.blend.name,
          members: [blendForecaster(chosen.blend, members)],
          origins: chosen.origins,
          mase: chosen.mase,
          pinball: aggregateOrigins(chosen.origins).pinball,
        };
        scores[blended.name] = scoreRecord(chosen.origins);
        notes.push(`serving ${blended.name}: ${chosen.blend.reason}`);
        ranked = [blended, ...ranked];
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
          const online = servedNear(options, carried, values, fitCtx, endMs, notes);
          const served = options.nearHorizon === false ? [] : [...online.kept, servedStart(fitted, nearStepsFor(options, fitCtx), endMs)];
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
          // A risk-budget frontier replays these (no further fits), calibrated as the served forecasts are.
          const frontierLevels = ctx.frontierLevels;
          const backtest = frontierLevels
            ? {
                originIndices: choice.origins.map((o) => o.originIndex),
                forecasts: choice.origins.map((o) => (calibration ? applyCalibration(o.forecast as Forecast, calibration, withLevels(frontierLevels, [])) : (o.forecast as Forecast))),
              }
            : undefined;
          return new FittedAuto(
            { name: choice.name, fitted },
            backup,
            withNear(calibration, online.near),
            { ...(fallbackFrom === undefined ? {} : { fallbackFrom }), scores, notes: chosenNotes, selection, ...(backtest ? { backtest } : {}) },
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
    const reselectAfterSeconds = fitCtx.reselectAfterSeconds ?? options.reselectAfterSeconds ?? SECONDS_PER_DAY;
    const fresh = ageMs >= 0 && ageMs < reselectAfterSeconds * 1000;
    if (!fresh || selection.stepSeconds !== fitCtx.stepSeconds || !sameNumbers(selection.seasonalPeriods, fitCtx.seasonalPeriods)) return undefined;
    const members = selection.members.map((name) => resolveServed(name, named));
    if (members.some((m) => m === undefined)) return undefined;
    let fitted: Fitted[];
    try {
      fitted = await fitMembers(selection.model, members as Forecaster[], values, fitCtx, horizonSteps, levels);
    } catch (err) {
      reselectNotes.push(`${selection.model}, chosen at ${new Date(selection.selectedAtMs).toISOString()}, failed on the fresh history (${toPrescientError(err).code}): choosing again`);
      return undefined;
    }
    const backup = selection.model === 'snaive' ? undefined : await seasonalNaive.fit(values, fitCtx).catch(() => undefined);
    const next = new Date(selection.selectedAtMs + reselectAfterSeconds * 1000).toISOString();
    const notes = [
      ...selection.notes,
      `${selection.model} refitted on the fresh history, as chosen by the backtest at ${new Date(selection.selectedAtMs).toISOString()}; chosen again after ${next}`,
    ];
    const online = servedNear(options, selection.served, values, fitCtx, endMs, notes);
    const served = options.nearHorizon === false ? [] : [...online.kept, servedStart(fitted, nearStepsFor(options, fitCtx), endMs)];
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

}

/** The registered `auto` with default options. */
export const auto: Forecaster = createAutoForecaster();
