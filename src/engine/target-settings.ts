import { FRONTIER_LEVELS } from '../backtest/frontier.js';
import { frontierKind, replaysGrid } from '../backtest/selection-frontier.js';
import type { TargetConfig } from '../config/schema.js';
import type { Series } from '../series/series.js';
import { stableFraction } from './scheduler.js';

/** What the engine reads off a target's settings: its levels, its re-selection age, its history. */

const DAY_SECONDS = 86_400;

/**
 * How old `auto`'s selection of this target may grow before it chooses
 * again: between half a day and a day, fixed per target by a hash of its
 * name, so the re-selections of targets first selected together spread out
 * instead of falling due in the same minute every day.
 */
export function reselectAfterSecondsFor(name: string): number {
  return Math.round(DAY_SECONDS * (0.5 + 0.5 * stableFraction(name, 1)));
}

/**
 * The interval levels a target states: its own `levels` plus its scaling
 * quantile's and scale-in guard's (2q − 1), stated or default. What
 * /metrics exports per target: the frontier's extra levels are read by the
 * replay, not by people.
 */
export function statedLevels(target: TargetConfig): number[] {
  const levels = new Set(target.levels.map((l) => round6(l)));
  const scaling = target.scaling;
  if (scaling) {
    levels.add(round6(2 * scaling.quantile - 1));
    if (scaling.scaleInGuardQuantile !== null) levels.add(round6(2 * scaling.scaleInGuardQuantile - 1));
  }
  return [...levels].sort((a, b) => a - b);
}

/**
 * The interval levels a target forecasts: the stated ones and, when the
 * frontier's grid chooses the knobs (a risk budget, or the own-history
 * rule), every level a knob setting of the grid may read.
 */
export function levelsFor(target: TargetConfig): number[] {
  const scaling = target.scaling;
  if (!scaling || !replaysGrid(frontierKind(scaling))) return statedLevels(target);
  return [...new Set([...statedLevels(target), ...FRONTIER_LEVELS.map(round6)])].sort((a, b) => a - b);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** The series from `startMs` on (a changepoint the watchdog found), or the whole of it. */
export function fromChangepoint(series: Series, startMs: number | undefined): Series {
  if (startMs === undefined) return series;
  const skip = Math.ceil((startMs - series.startMs) / (series.stepSeconds * 1000));
  if (skip <= 0 || skip >= series.values.length - 1) return series;
  return { startMs: series.startMs + skip * series.stepSeconds * 1000, stepSeconds: series.stepSeconds, values: series.values.slice(skip) };
}

/** A file replayed as if it ended now: it never grows, so what follows a forecast there is the same file re-timed. */
export function isReplayed(target: TargetConfig): boolean {
  return target.source.type === 'file' && target.source.shiftToNow;
}
