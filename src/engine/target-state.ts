import type { Frontier } from '../backtest/frontier.js';
import { EventEmitter } from 'node:events';
import type { TargetConfig } from '../config/schema.js';
import type { SerializedError } from '../errors.js';
import type { LiveAccuracyView } from '../feedback/live-accuracy.js';
import type { TargetHealth } from '../feedback/watchdog.js';
import type { Interval } from '../models/forecaster.js';

/**
 * A forecast as served: absolute times, the model that made it, and what was
 * last observed. Plain data (it crosses worker threads and is persisted).
 */
export interface TargetForecast {
  readonly target: string;
  /** The model that produced this forecast. */
  readonly model: string;
  /** Set when the preferred model failed and this one stood in. */
  readonly fallbackFrom?: string;
  /** When the forecast was made, ms since epoch. */
  readonly generatedAtMs: number;
  /** Time of point[0], ms since epoch: one step after the last observed value. */
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly point: readonly number[];
  /** Intervals at every level the target serves, ascending by level. */
  readonly intervals: readonly Interval[];
  /** The last observed value and its time: the reactive floor and the "now" of the forecast. */
  readonly lastObserved: { readonly atMs: number; readonly value: number };
  /** Gaps filled in the fitted history (a data-quality signal). */
  readonly filledGaps: number;
  /** Seasonal periods used, in steps. */
  readonly seasonalPeriods: readonly number[];
  /** Free-form notes for people (cold start, dropped seasons, fallback reasons). */
  readonly notes: readonly string[];
  /**
   * A target with a risk budget: the frontier of knob settings replayed at
   * the last model selection, with the setting served (src/backtest/frontier.ts).
   */
  readonly frontier?: Frontier;
}

export interface TargetError extends SerializedError {
  readonly atMs: number;
}

/** Everything known about one target right now. */
export interface TargetState {
  readonly config: TargetConfig;
  /** The last good forecast, kept (and served as stale) when refreshes fail. */
  readonly forecast?: TargetForecast;
  /** When the last successful fit finished, ms since epoch. */
  readonly lastFitAtMs?: number;
  /** The error of the most recent refresh if it failed; cleared by a success. */
  readonly lastError?: TargetError;
  /** Per-model backtest scores from model selection, when it ran. */
  readonly scores?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Served forecasts scored against the actuals that came (src/feedback). */
  readonly accuracy?: LiveAccuracyView;
  /** The watchdog's verdict: trusted, degraded or reactive, with the reason and since when. */
  readonly health?: TargetHealth;
}

/**
 * How old the data behind a forecast is, ms: from the end of the history it
 * was fitted on (its first forecast step) — or from when it was made, if
 * that is earlier — to now. A forecast made a second ago from a series whose
 * newest sample is hours old is hours old. The one measure of age behind
 * `stale` on every face (REST, KEDA, external metrics, /metrics, the page).
 */
export function forecastAgeMs(forecast: TargetForecast, nowMs: number): number {
  return Math.max(0, nowMs - Math.min(forecast.startMs, forecast.generatedAtMs));
}

/**
 * Whether the served forecast should carry `stale: true`: there is none, the
 * last refresh failed, or its age (forecastAgeMs) is past the target's `staleAfter`.
 */
export function isStale(state: TargetState, nowMs: number): boolean {
  if (!state.forecast) return true;
  if (state.lastError && state.lastError.atMs >= state.forecast.generatedAtMs) return true;
  return forecastAgeMs(state.forecast, nowMs) > state.config.staleAfterSeconds * 1000;
}

/**
 * Whether the forecast is too old for an autoscaler to act on (its age past
 * twice `staleAfter`): KEDA then gets an error so its own fallback takes over.
 */
export function isTooStaleToScale(state: TargetState, nowMs: number): boolean {
  if (!state.forecast) return true;
  return forecastAgeMs(state.forecast, nowMs) > 2 * state.config.staleAfterSeconds * 1000;
}

interface TargetEvents {
  /** A new forecast was stored for the target. */
  forecast: [name: string];
  /** A refresh failed. (Not 'error': an EventEmitter throws on an 'error' nobody listens to.) */
  refreshFailed: [name: string];
}

/**
 * The in-memory state of every configured target. Readers (REST, KEDA,
 * metrics) answer from here and never wait on a fetch or a fit; the engine is
 * the only writer.
 */
export class TargetStates extends EventEmitter<TargetEvents> {
  private readonly states = new Map<string, TargetState>();

  constructor(targets: readonly TargetConfig[]) {
    super();
    this.setMaxListeners(0);
    for (const config of targets) this.states.set(config.name, { config });
  }

  get(name: string): TargetState | undefined {
    return this.states.get(name);
  }

  list(): TargetState[] {
    return [...this.states.values()];
  }

  /** Stores a fresh forecast and clears the error. */
  setForecast(name: string, forecast: TargetForecast, extra: Pick<TargetState, 'scores' | 'accuracy' | 'health'> = {}): void {
    const state = this.require(name);
    const accuracy = extra.accuracy ?? state.accuracy;
    const health = extra.health ?? state.health;
    const next: TargetState = {
      config: state.config,
      forecast,
      lastFitAtMs: forecast.generatedAtMs,
      scores: extra.scores ?? state.scores,
      ...(accuracy ? { accuracy } : {}),
      ...(health ? { health } : {}),
    };
    this.states.set(name, next);
    this.emit('forecast', name);
  }

  /** Records a failed refresh; the last good forecast stays. */
  setError(name: string, error: TargetError): void {
    const state = this.require(name);
    this.states.set(name, { ...state, lastError: error });
    this.emit('refreshFailed', name);
  }

  private require(name: string): TargetState {
    const state = this.states.get(name);
    if (!state) throw new Error(`unknown target ${name}`);
    return state;
  }
}
