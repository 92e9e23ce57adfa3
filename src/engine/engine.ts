import type { Config, TargetConfig } from '../config/schema.js';
import { PrescientError, toPrescientError } from '../errors.js';
import type { ModelSelection } from '../models/forecaster.js';
import { regularize } from '../series/regularize.js';
import { detectSeasonalPeriods } from '../series/seasonality.js';
import { endMs } from '../series/series.js';
import { loadHistory, type RangeQuerier } from '../sources/history.js';
import type { ForecastStore } from '../store/forecast-store.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FitPool } from './pool.js';
import type { TargetForecast, TargetStates } from './target-state.js';

/** The model every ladder ends on: it fits anything with two values. */
const LAST_RESORT_MODEL = 'snaive';
/** First retry after a failed refresh; doubles per failure up to the refresh interval. */
const FIRST_RETRY_MS = 5_000;

export interface EngineDeps {
  readonly config: Readonly<Config>;
  readonly states: TargetStates;
  readonly pool: FitPool;
  readonly metrics: Metrics;
  readonly store: ForecastStore;
  readonly prometheus?: RangeQuerier;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  readonly now?: () => number;
}

/**
 * The interval levels a target forecasts: its own plus the scaling
 * quantile's and the scale-in guard's (2q − 1).
 */
export function levelsFor(target: TargetConfig): number[] {
  const levels = new Set(target.levels.map((l) => round6(l)));
  const scaling = target.scaling;
  if (scaling) {
    levels.add(round6(2 * scaling.quantile - 1));
    if (scaling.scaleInGuardQuantile !== null) levels.add(round6(2 * scaling.scaleInGuardQuantile - 1));
  }
  return [...levels].sort((a, b) => a - b);
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * Seasonal periods in steps: the target's own when given, otherwise detected
 * from the data. Periods that are not a whole number of steps are rounded;
 * periods under two steps are dropped.
 */
export function seasonalPeriodsFor(target: TargetConfig, values: readonly number[], stepSeconds: number): number[] {
  if (target.seasonalPeriodsSeconds) {
    return target.seasonalPeriodsSeconds
      .map((seconds) => Math.round(seconds / stepSeconds))
      .filter((steps) => steps >= 2)
      .sort((a, b) => a - b);
  }
  return detectSeasonalPeriods(values, stepSeconds);
}

/**
 * Keeps every target's forecast fresh: pulls history, fits in the worker
 * pool, stores the forecast. Each target refreshes on its own timer, one
 * refresh at a time; a failed refresh keeps the last good forecast (served
 * stale), records the error and retries with backoff, so a target recovers
 * by itself when its source comes back.
 */
export class Engine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly failures = new Map<string, number>();
  /** Per target, the last selection a selecting model (`auto`) made, carried into its next fit. */
  private readonly selections = new Map<string, { readonly model: string; readonly selection: ModelSelection }>();
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private started = false;
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Loads persisted forecasts, then starts every target's refresh loop. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(this.deps.config.targets.map((target) => this.restore(target)));
    for (const target of this.deps.config.targets) this.schedule(target, 0);
  }

  /** Stops the timers and waits for refreshes under way to end (their fits are cancelled). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.abort.abort();
    await Promise.allSettled(this.running.values());
  }

  /**
   * Refreshes one target now (or joins the refresh under way).
   * Never throws: the outcome lands in the target's state.
   */
  refresh(name: string): Promise<void> {
    const under = this.running.get(name);
    if (under) return under;
    const target = this.deps.config.targets.find((t) => t.name === name);
    if (!target) return Promise.resolve();
    const run = this.refreshTarget(target).finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  private schedule(target: TargetConfig, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      void this.refresh(target.name).then(() => {
        const failures = this.failures.get(target.name) ?? 0;
        const intervalMs = target.refreshIntervalSeconds * 1000;
        this.schedule(target, failures === 0 ? intervalMs : Math.min(intervalMs, FIRST_RETRY_MS * 2 ** (failures - 1)));
      });
    }, delayMs);
    timer.unref();
    this.timers.set(target.name, timer);
  }

  private async restore(target: TargetConfig): Promise<void> {
    try {
      const persisted = await this.deps.store.load(target);
      if (persisted) {
        this.deps.states.setForecast(target.name, persisted.forecast, persisted.scores ? { scores: persisted.scores } : {});
        if (persisted.selection) this.selections.set(target.name, persisted.selection);
        this.deps.log.info({ target: target.name, generatedAt: new Date(persisted.forecast.generatedAtMs).toISOString() }, 'restored persisted forecast');
      }
    } catch (err) {
      this.deps.log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'ignoring persisted forecast');
    }
  }

  private async refreshTarget(target: TargetConfig): Promise<void> {
    const { states, metrics, store, log } = this.deps;
    try {
      const forecast = await this.forecastTarget(target);
      states.setForecast(target.name, forecast.forecast, forecast.scores ? { scores: forecast.scores } : {});
      this.failures.set(target.name, 0);
      await store.save(target, forecast.forecast, forecast.scores, this.selections.get(target.name)).catch((err: unknown) => {
        log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'could not persist forecast');
      });
    } catch (err) {
      if (this.stopped) return;
      const error = toPrescientError(err);
      this.failures.set(target.name, (this.failures.get(target.name) ?? 0) + 1);
      states.setError(target.name, { ...error.toJSON(), atMs: this.now() });
      if (error.code.startsWith('PRESCIENT_ERR_PROMETHEUS')) metrics.prometheusErrors.inc({ code: error.code });
      log.warn({ target: target.name, err: error.toJSON() }, 'refresh failed; serving the last good forecast');
    }
  }

  private async forecastTarget(target: TargetConfig): Promise<{ forecast: TargetForecast; scores?: Record<string, Record<string, number>> }> {
    const { config, pool, metrics, prometheus } = this.deps;
    const nowMs = this.now();
    const history = await loadHistory(target, nowMs, prometheus);
    const dropped = history.droppedOutsideWindow > 0 ? [`${history.droppedOutsideWindow} samples outside the history window were dropped`] : [];
    if (dropped.length > 0) metrics.droppedSamples.inc({ target: target.name }, history.droppedOutsideWindow);
    const { series, filledGaps } = regularize(history.samples, { stepSeconds: history.stepSeconds, maxPoints: config.limits.maxPoints });
    metrics.filledGaps.set({ target: target.name }, filledGaps);
    const horizon = Math.ceil(target.horizonSeconds / series.stepSeconds);
    if (horizon > config.limits.maxHorizonSteps) {
      throw new PrescientError('PRESCIENT_ERR_HORIZON_TOO_LONG', `horizon of ${horizon} steps exceeds limits.maxHorizonSteps (${config.limits.maxHorizonSteps})`);
    }
    const seasonalPeriods = seasonalPeriodsFor(target, series.values, series.stepSeconds);
    const levels = levelsFor(target);
    const ladder = [...new Set([...target.models, LAST_RESORT_MODEL])];
    const failures: string[] = [];
    const carried = this.selections.get(target.name);
    // A file replayed as if it ended now never grows: what follows a served forecast there is the same file
    // re-timed, not load that came, so the forecasts it served must not calibrate the next ones.
    const replayed = target.source.type === 'file' && target.source.shiftToNow;
    const selection = carried && replayed ? { ...carried.selection, served: [] } : carried?.selection;
    for (const model of ladder) {
      try {
        const result = await pool.run(
          {
            model,
            values: series.values,
            ctx: {
              stepSeconds: series.stepSeconds,
              startMs: series.startMs,
              seasonalPeriods,
              seed: 42,
              horizonSteps: horizon,
              ...(target.scaling ? { scalingQuantile: target.scaling.quantile } : {}),
              ...(carried?.model === model && selection ? { selection } : {}),
            },
            horizon,
            levels,
          },
          { lane: 'targets', signal: this.abort.signal },
        );
        metrics.fitDurationSeconds.observe({ target: target.name, model: result.info.model }, result.fitMs / 1000);
        if (result.info.selection) this.selections.set(target.name, { model, selection: result.info.selection });
        else this.selections.delete(target.name);
        const preferred = ladder[0] as string;
        const fallbackFrom = model === preferred ? result.info.fallbackFrom : preferred;
        if (fallbackFrom) metrics.fallbacks.inc({ target: target.name, from: fallbackFrom, to: result.info.model });
        const last = series.values.length - 1;
        return {
          forecast: {
            target: target.name,
            model: result.info.model,
            ...(fallbackFrom ? { fallbackFrom } : {}),
            generatedAtMs: this.now(),
            startMs: endMs(series),
            stepSeconds: series.stepSeconds,
            point: result.forecast.point,
            intervals: result.forecast.intervals,
            lastObserved: { atMs: series.startMs + last * series.stepSeconds * 1000, value: series.values[last] as number },
            filledGaps,
            seasonalPeriods,
            notes: [...dropped, ...failures, ...result.info.notes],
          },
          ...(result.info.scores ? { scores: result.info.scores as Record<string, Record<string, number>> } : {}),
        };
      } catch (err) {
        const error = toPrescientError(err);
        if (this.stopped) throw error;
        metrics.fitFailures.inc({ target: target.name, model, code: error.code });
        failures.push(`${model} failed: ${error.code}: ${error.message}`);
        if (error.code === 'PRESCIENT_ERR_POOL_FULL') throw error;
      }
    }
    throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `every model failed for ${target.name}: ${failures.join('; ')}`);
  }
}
