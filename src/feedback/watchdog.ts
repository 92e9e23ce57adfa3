import type { WatchdogConfig } from '../config/schema.js';
import { windowAccuracy, type WindowAccuracy } from './accuracy.js';
import type { ScoredColumns } from './served-record.js';

/**
 * The watchdog's state machine per target (DESIGN.md §7):
 *
 *   trusted ──poor accuracy or changepoint──► degraded (refit at once)
 *   degraded ──forecasts made since the refit are good──► trusted
 *   degraded ──still not good after demoteAfter──► reactive
 *   reactive ──shadow forecasts good for promoteAfter──► trusted
 *
 * Hysteresis: "poor" and "good" have different thresholds (a target between
 * them keeps its state), only forecasts made after the last refit or
 * demotion are judged, and promotion needs an unbroken good spell.
 */
export type HealthState = 'trusted' | 'degraded' | 'reactive';
export const HEALTH_STATES: readonly HealthState[] = ['trusted', 'degraded', 'reactive'];

export interface TargetHealth {
  readonly state: HealthState;
  /** Why the target is in this state (for people: logs, REST, the page). */
  readonly reason: string;
  /** When it entered the state (ms). */
  readonly sinceMs: number;
  /** Only forecasts made at or after this time are judged (the last refit or demotion, ms). */
  readonly judgeFromMs: number;
  /** The newest changepoint found in the served forecasts' errors (ms): the next search looks after it. */
  readonly changepointAtMs?: number;
  /**
   * Where fits start their history (ms) once enough follows it: the first
   * changepoint of an episode. Dropped when the full-history refit
   * recovered (degraded → trusted: no new regime after all); kept when the
   * target had to be demoted (the regime did change).
   */
  readonly historyFromMs?: number;
  /** Start of an unbroken spell of good accuracy (ms), while reactive. */
  readonly goodSinceMs?: number;
}

export interface Transition {
  readonly from: HealthState;
  readonly to: HealthState;
  readonly reason: string;
}

export interface WatchdogInput {
  readonly nowMs: number;
  readonly columns: Readonly<ScoredColumns>;
  readonly levels: readonly number[];
  readonly maseScale: number;
  /** The level the policy scales on (2q − 1); without scaling, the widest level is judged. */
  readonly scalingLevel?: number;
  /** The serving model's backtest MASE, when model selection scored it. */
  readonly backtestMase?: number;
  /** A changepoint found in the recent errors (ms), see changepoint.ts. */
  readonly changepointAtMs?: number;
}

export interface Verdict {
  readonly health: TargetHealth;
  readonly transition?: Transition;
  /** Refit now rather than at the next interval. */
  readonly refitNow: boolean;
  /** What was judged (for logs and tests). */
  readonly judged: WindowAccuracy;
}

type Quality = { kind: 'good' | 'poor' | 'unknown'; why: string };

/** The health of a target nobody has judged yet. */
export function initialHealth(nowMs: number): TargetHealth {
  return { state: 'trusted', reason: 'no live accuracy judged yet', sinceMs: nowMs, judgeFromMs: 0 };
}

/** Rates accuracy: poor past the limits, good well within them (the gap between is the hysteresis band). */
export function rate(judged: WindowAccuracy, input: Pick<WatchdogInput, 'scalingLevel' | 'backtestMase'>, config: WatchdogConfig): Quality {
  if (judged.count < config.minScoredSteps) return { kind: 'unknown', why: `${judged.count} scored steps, fewer than ${config.minScoredSteps}` };
  const band = input.scalingLevel === undefined ? judged.coverage[judged.coverage.length - 1] : judged.coverage.find((c) => Math.abs(c.level - (input.scalingLevel as number)) < 1e-6);
  const maseLimit = input.backtestMase !== undefined && input.backtestMase > 0 ? config.maxMaseRatio * input.backtestMase : config.maxMase;
  const poor: string[] = [];
  const notGood: string[] = [];
  if (band) {
    const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
    if (band.coverage < band.level - config.coverageTolerance) poor.push(`coverage of the ${pct(band.level)} band ${pct(band.coverage)}`);
    else if (band.coverage < band.level - config.coverageTolerance / 2) notGood.push('coverage');
  }
  if (judged.mase !== undefined) {
    if (judged.mase > maseLimit) poor.push(`live MASE ${judged.mase.toFixed(2)} > ${maseLimit.toFixed(2)}`);
    else if (judged.mase > maseLimit / 1.5) notGood.push('MASE');
  }
  if (judged.relativeBias !== undefined) {
    const b = Math.abs(judged.relativeBias);
    if (b > config.maxRelativeBias) poor.push(`bias ${(100 * judged.relativeBias).toFixed(0)} % of the load`);
    else if (b > config.maxRelativeBias / 1.5) notGood.push('bias');
  }
  if (poor.length > 0) return { kind: 'poor', why: poor.join(', ') };
  if (notGood.length > 0) return { kind: 'unknown', why: `${notGood.join(', ')} between the poor and good thresholds` };
  return { kind: 'good', why: `${judged.count} scored steps within the thresholds` };
}

/**
 * The next health of a target after a refresh scored new actuals. Pure: the
 * caller stores the health, logs and counts the transition, and refits when told.
 */
export function judge(previous: TargetHealth | undefined, input: WatchdogInput, config: WatchdogConfig): Verdict {
  const health = previous ?? initialHealth(input.nowMs);
  const { nowMs } = input;
  const judged = windowAccuracy(input.columns, input.levels, input.maseScale, {
    name: 'since-refit',
    fromMs: nowMs - config.windowSeconds * 1000,
    toMs: nowMs,
    madeFromMs: health.judgeFromMs,
  });
  const quality = rate(judged, input, config);
  const newChange = input.changepointAtMs !== undefined && (health.changepointAtMs === undefined || input.changepointAtMs > health.changepointAtMs);
  // Without a new changepoint, the health's own changepointAtMs and historyFromMs carry over with the rest of it.
  // The episode's first changepoint stays the history start: later ones are the fits adapting, not a new regime.
  const changepoint: Partial<TargetHealth> = newChange
    ? { changepointAtMs: input.changepointAtMs as number, historyFromMs: health.historyFromMs ?? (input.changepointAtMs as number) }
    : {};
  // Every call below refits or changes the state: from now on, only forecasts made after it are judged.
  const to = (state: HealthState, reason: string, refitNow: boolean, extra: Partial<TargetHealth> = {}): Verdict => {
    // historyFromMs is kept; only recovery drops it (below).
    const { goodSinceMs: _good, ...kept } = health;
    const next: TargetHealth = { ...kept, state, reason, sinceMs: nowMs, judgeFromMs: nowMs, ...changepoint, ...extra };
    return {
      health: next,
      ...(state === health.state ? {} : { transition: { from: health.state, to: state, reason } }),
      refitNow,
      judged,
    };
  };
  const stay = (extra: Partial<TargetHealth> = {}): Verdict => {
    const { goodSinceMs: _dropped, ...rest } = health;
    return { health: { ...rest, ...changepoint, ...extra }, refitNow: false, judged };
  };
  const changeReason = (): string => `changepoint in the forecast errors at ${new Date(input.changepointAtMs as number).toISOString()}`;

  switch (health.state) {
    case 'trusted':
      if (newChange) return to('degraded', changeReason(), true);
      if (quality.kind === 'poor') return to('degraded', quality.why, true);
      return stay();
    case 'degraded':
      if (newChange) return to('degraded', changeReason(), true, { sinceMs: health.sinceMs });
      if (quality.kind === 'good') {
        // The full-history refit recovered: no new regime to cut the history at.
        const verdict = to('trusted', `recovered after the refit: ${quality.why}`, false);
        const { historyFromMs: _dropped, ...recovered } = verdict.health;
        return { ...verdict, health: recovered };
      }
      if (nowMs - health.sinceMs >= config.demoteAfterSeconds * 1000) {
        return to('reactive', `the refit did not recover within ${config.demoteAfterSeconds} s: ${quality.why}`, false);
      }
      return stay();
    case 'reactive': {
      // A new change refits at once but does not restart the shadow forecasts' good spell.
      const refitNow = newChange;
      if (quality.kind !== 'good') return { ...stay(), refitNow };
      const goodSinceMs = health.goodSinceMs ?? nowMs;
      if (nowMs - goodSinceMs >= config.promoteAfterSeconds * 1000) {
        return to('trusted', `shadow forecasts held for ${Math.round((nowMs - goodSinceMs) / 1000)} s: ${quality.why}`, refitNow);
      }
      return { ...stay({ goodSinceMs }), refitNow };
    }
  }
}

/**
 * Where the next fit's history should start (ms), or undefined for the
 * target's full history: at the changepoint, once at least
 * `minHistoryAfterChangepoint` follows it.
 */
export function historyStartMs(health: TargetHealth | undefined, nowMs: number, config: WatchdogConfig): number | undefined {
  const at = health?.historyFromMs;
  if (at === undefined || nowMs - at < config.minHistoryAfterChangepointSeconds * 1000) return undefined;
  return at;
}
