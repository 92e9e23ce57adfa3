import { FRONTIER_LEVELS } from '../backtest/frontier.js';
import { checkLevels, frontierFor, frontierLabel, frontierKind, replaysGrid, type FrontierTask } from '../backtest/selection-frontier.js';
import { servedStretchOf } from '../backtest/served-stretch.js';
import type { Config, TargetConfig } from '../config/schema.js';
import { PrescientError, toPrescientError } from '../errors.js';
import { incidentExcluder, shapeForecast, withoutIncidents } from '../events/effects.js';
import type { KnownEvent } from '../events/event.js';
import type { EventBook } from '../events/event-book.js';
import type { ModelSelection } from '../models/forecaster.js';
import { endMs } from '../series/series.js';
import { loadHistory, type RangeQuerier } from '../sources/history.js';
import type { ForecastPersistence, Persisted } from './persisted.js';
import type { Metrics } from '../telemetry/metrics.js';
import { fitDownLadder, ladderFor } from './ladder.js';
import type { Series } from '../series/series.js';
import { shadowStep } from './shadow-step.js';
import { FeedbackLoop } from './feedback-loop.js';
import type { FitPool } from './pool.js';
import { RefreshScheduler, type RefreshKind, type RefreshOutcome, type TargetStanding } from './scheduler.js';
import type { TargetForecast, TargetStates } from './target-state.js';
import { fromChangepoint, isReplayed, levelsFor, reselectAfterSecondsFor } from './target-settings.js';

export { levelsFor, reselectAfterSecondsFor } from './target-settings.js';

/** First retry after a failed refresh; doubles per failure up to the refresh interval. */
const FIRST_RETRY_MS = 5_000;

export interface EngineDeps {
  readonly config: Readonly<Config>;
  readonly states: TargetStates;
  readonly pool: FitPool;
  readonly metrics: Metrics;
  readonly store: ForecastPersistence;
  readonly prometheus?: RangeQuerier;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  readonly now?: () => number;
  /** The feedback loop (live accuracy, watchdog); default one on config.watchdog. */
  readonly feedback?: FeedbackLoop;
  /** Known events (src/events): incidents leave training and scoring, campaigns shape forecasts, deploys refit. */
  readonly events?: EventBook;
  /**
   * With Redis, the refit a deploy or an incident asks for is a fit job a
   * worker takes, with the deploy's watch window (src/cluster); without,
   * this engine refits.
   */
  readonly eventRefits?: (name: string, event: KnownEvent) => void;
}

/**
 * Keeps every target's forecast fresh: pulls history, fits in the worker
 * pool, stores the forecast. The fair scheduler (./scheduler.ts) decides
 * when each target refreshes and admits no more refreshes than the pool
 * serves at once; a failed refresh keeps the last good forecast (served
 * stale), records the error and retries with backoff, so a target recovers
 * by itself when its source comes back.
 */
export class Engine {
  private readonly running = new Map<string, Promise<RefreshOutcome>>();
  private readonly scheduler: RefreshScheduler;
  private readonly targets: ReadonlyMap<string, TargetConfig>;
  /** Per target, the last selection a selecting model (`auto`) made, carried into its next fit. */
  private readonly selections = new Map<string, { readonly model: string; readonly selection: ModelSelection }>();
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private started = false;
  private stopped = false;
  readonly feedback: FeedbackLoop;
  /** Per target, the forecast as the model made it, before known events shaped it: what is persisted and reshaped. */
  private readonly raw = new Map<string, TargetForecast>();
  /** Per target, the refresh timer of a deploy's watch window. */
  private readonly watches = new Map<string, NodeJS.Timeout>();

  constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? (() => Date.now());
    this.targets = new Map(deps.config.targets.map((t) => [t.name, t]));
    const { metrics } = deps;
    this.scheduler = new RefreshScheduler(
      {
        refresh: (name) => this.refresh(name, { scheduled: true }),
        standing: (name) => this.standing(name),
        onAdmit: (_name, lagMs, kind) => metrics.refreshLagSeconds.observe({ kind }, lagMs / 1000),
      },
      // One refresh loading its history while another fits keeps each thread busy without queueing in the pool.
      { concurrency: 2 * deps.config.pool.threads, firstRetryMs: FIRST_RETRY_MS, now: this.now },
    );
    metrics.refreshesWaiting.read = () => this.scheduler.waiting;
    this.feedback = deps.feedback ?? new FeedbackLoop({ watchdog: deps.config.watchdog, metrics: deps.metrics, log: deps.log });
  }

  /** Loads persisted forecasts, then starts the scheduler. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all(this.deps.config.targets.map((target) => this.restore(target)));
    if (this.stopped) return;
    this.scheduler.start(this.deps.config.targets.map((t) => ({ name: t.name, intervalMs: t.refreshIntervalSeconds * 1000 })));
  }

  /** Stops scheduling and waits for refreshes under way to end (their fits are cancelled). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.watches.values()) clearInterval(timer);
    this.watches.clear();
    this.abort.abort();
    await this.scheduler.stop();
    await Promise.allSettled(this.running.values());
  }

  /**
   * Reloads one target's forecast and selection from the store: a worker
   * replica does so before each job, since another may have refitted the
   * target since. Never throws (a bad document is logged and ignored).
   */
  async reload(name: string): Promise<void> {
    const target = this.targets.get(name);
    if (target) await this.restore(target);
  }

  /**
   * Applies new or changed known events (src/events) to the targets they
   * name: a deploy refits at once, restarts the watchdog's judgement at the
   * deploy and refreshes every `events.deployWatchRefresh` for
   * `events.deployWatch`; a new incident refits so its window leaves the
   * training data at once; a campaign or maintenance window reshapes the
   * served forecast (no refit needed: the model's own forecast is kept).
   */
  applyEvents(added: readonly KnownEvent[], updated: readonly KnownEvent[]): void {
    if (this.stopped) return;
    this.reshapeFor([...added, ...updated]);
    for (const event of added) {
      if (event.kind !== 'deploy' && event.kind !== 'incident') continue;
      for (const name of event.targets) {
        if (!this.targets.has(name)) continue;
        if (this.deps.eventRefits) {
          this.deps.eventRefits(name, event);
          continue;
        }
        this.noteEventRefit(name, event);
        if (event.kind === 'deploy') this.watch(name, event.startMs + this.deps.config.events.deployWatchSeconds * 1000);
        void this.refresh(name);
      }
    }
  }

  /** Reshapes the served forecasts of the targets these campaign or maintenance events name (they came, changed or went). */
  reshapeFor(events: readonly KnownEvent[]): void {
    const names = new Set(events.filter((e) => e.kind === 'campaign' || e.kind === 'maintenance').flatMap((e) => e.targets));
    for (const name of names) if (this.targets.has(name)) this.reshape(name);
  }

  /**
   * What a deploy or incident does before its refit: a deploy restarts the
   * watchdog's judgement at the deploy; both count as an early refit. Run by
   * the replica that refits (this one, or the worker that takes the job).
   */
  noteEventRefit(name: string, event: Pick<KnownEvent, 'id' | 'kind' | 'startMs' | 'note'>): void {
    if (event.kind === 'deploy') this.feedback.restartJudging(name, event.startMs, `deploy at ${new Date(event.startMs).toISOString()}: ${event.note}`);
    this.deps.metrics.earlyRefits.inc({ target: name, reason: event.kind });
    this.deps.log.info({ target: name, event: event.id, kind: event.kind }, `${event.kind} event: refitting now`);
  }

  /** The served forecast reshaped by the target's events now (campaign, maintenance), without a refit. */
  private reshape(name: string): void {
    const raw = this.raw.get(name);
    if (raw) this.deps.states.setForecast(name, shapeForecast(raw, this.eventsOf(name)));
  }

  /** Refreshes `name` every events.deployWatchRefresh until `untilMs` (the deploy's watch window). */
  private watch(name: string, untilMs: number): void {
    const existing = this.watches.get(name);
    if (existing) clearInterval(existing);
    const timer = setInterval(() => {
      if (this.stopped || this.now() >= untilMs) {
        clearInterval(timer);
        if (this.watches.get(name) === timer) this.watches.delete(name);
        return;
      }
      void this.refresh(name);
    }, this.deps.config.events.deployWatchRefreshSeconds * 1000);
    timer.unref();
    this.watches.set(name, timer);
  }

  private eventsOf(name: string): KnownEvent[] {
    return this.deps.events?.forTarget(name) ?? [];
  }

  /** When the scheduler next refreshes `name` (ms since epoch); undefined while it runs or before start. */
  nextRefreshAt(name: string): number | undefined {
    return this.scheduler.dueAt(name);
  }

  /**
   * Refreshes one target now (or joins the refresh under way).
   * Never throws: the outcome lands in the target's state. A scheduled
   * refresh the pool has no room for is `deferred` (the scheduler tries
   * again shortly) instead of recorded as the target's error.
   */
  refresh(name: string, options: { scheduled?: boolean } = {}): Promise<RefreshOutcome> {
    const under = this.running.get(name);
    if (under) return under;
    const target = this.targets.get(name);
    if (!target) return Promise.resolve('failed');
    const run = this.refreshTarget(target, options.scheduled ?? false).finally(() => this.running.delete(name));
    this.running.set(name, run);
    return run;
  }

  /** What the scheduler orders by: the forecast's age, and whether the next fit is a full selection. */
  private standing(name: string): TargetStanding {
    const generatedAtMs = this.deps.states.get(name)?.forecast?.generatedAtMs;
    return { ...(generatedAtMs === undefined ? {} : { generatedAtMs }), kind: this.nextKind(name) };
  }

  private nextKind(name: string): RefreshKind {
    const target = this.targets.get(name);
    if (target?.models[0] !== 'auto') return 'refit';
    const carried = this.selections.get(name);
    if (!carried) return 'select';
    return this.now() - carried.selection.selectedAtMs >= reselectAfterSecondsFor(name) * 1000 ? 'select' : 'refit';
  }

  private async restore(target: TargetConfig): Promise<void> {
    try {
      const persisted = await this.deps.store.load(target);
      if (persisted) {
        this.adopt(target, persisted);
        this.deps.log.info({ target: target.name, generatedAt: new Date(persisted.forecast.generatedAtMs).toISOString() }, 'restored persisted forecast');
      }
    } catch (err) {
      this.deps.log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'ignoring persisted forecast');
    }
  }

  /**
   * Serves a persisted forecast document as this replica's own: the
   * forecast shaped by the target's events, its scores, the live accuracy
   * and health computed when it was made, the shadow record and `auto`'s
   * selection. At start, before a worker's job, and on an api replica each
   * time a worker writes one (src/cluster/state-sync.ts).
   */
  adopt(target: TargetConfig, persisted: Persisted): void {
    const feedback = this.feedback.restore(target, persisted.forecast, levelsFor(target), persisted, this.now());
    this.raw.set(target.name, persisted.forecast);
    this.deps.states.setForecast(target.name, shapeForecast(persisted.forecast, this.eventsOf(target.name)), { ...(persisted.scores ? { scores: persisted.scores } : {}), ...feedback });
    if (persisted.selection) this.selections.set(target.name, persisted.selection);
  }

  private async refreshTarget(target: TargetConfig, scheduled: boolean, early = false): Promise<RefreshOutcome> {
    const { states, metrics, store, log } = this.deps;
    try {
      const { forecast: raw, scores, series } = await this.forecastTarget(target);
      this.raw.set(target.name, raw);
      const events = this.eventsOf(target.name);
      // What is served: the model's forecast as known events (campaigns, maintenance) shape it.
      const forecast = shapeForecast(raw, events);
      // A file replayed as if it ended now has no actuals that came after a forecast: nothing to score or judge.
      const outcome = isReplayed(target)
        ? undefined
        : this.feedback.afterRefresh(target, series, forecast, levelsFor(target), this.now(), scores?.[forecast.model]?.['mase'], incidentExcluder(events));
      const refitNow = outcome?.refitNow ?? false;
      states.setForecast(target.name, forecast, { ...(scores ? { scores } : {}), ...(outcome ? { accuracy: outcome.accuracy, health: outcome.health } : {}) });
      if (!isReplayed(target) && target.scaling?.mode === 'shadow') {
        await shadowStep(target, series, { feedback: this.feedback, states, log, nowMs: this.now(), ...(this.deps.prometheus ? { prometheus: this.deps.prometheus } : {}) });
      }
      const record = this.feedback.book.get(target.name)?.toJSON();
      const shadow = this.feedback.shadowSnapshot(target.name);
      const feedback = { ...(record ? { record } : {}), ...(outcome ? { health: outcome.health, accuracy: outcome.accuracy } : {}), ...(shadow ? { shadow } : {}) };
      await store.save(target, raw, scores, this.selections.get(target.name), feedback).catch((err: unknown) => {
        log.warn({ target: target.name, err: toPrescientError(err).toJSON() }, 'could not persist forecast');
      });
      // The watchdog asked for a refit (accuracy fell, or a changepoint): once, at once, not at the next interval.
      if (refitNow && !early && !this.stopped) {
        metrics.earlyRefits.inc({ target: target.name, reason: 'watchdog' });
        return await this.refreshTarget(target, scheduled, true);
      }
      return 'ok';
    } catch (err) {
      if (this.stopped) return 'failed';
      const error = toPrescientError(err);
      // Ad-hoc requests filled the pool: not the target's fault, so no error and no backoff.
      if (scheduled && error.code === 'PRESCIENT_ERR_POOL_FULL') return 'deferred';
      const recorded = { ...error.toJSON(), atMs: this.now() };
      states.setError(target.name, recorded);
      await store.saveError?.(target, recorded).catch((saveErr: unknown) => {
        log.warn({ target: target.name, err: toPrescientError(saveErr).toJSON() }, 'could not share the refresh error');
      });
      if (error.code.startsWith('PRESCIENT_ERR_PROMETHEUS')) metrics.prometheusErrors.inc({ code: error.code });
      log.warn({ target: target.name, err: error.toJSON() }, 'refresh failed; serving the last good forecast');
      return 'failed';
    }
  }

  private async forecastTarget(target: TargetConfig): Promise<{ forecast: TargetForecast; scores?: Record<string, Record<string, number>>; series: Series }> {
    const { config, pool, metrics, prometheus } = this.deps;
    const nowMs = this.now();
    // Only the network fetch runs here; parsing, gap filling and season detection run in the pool.
    const fetched = target.source.type === 'prometheus' ? await loadHistory(target, nowMs, prometheus) : undefined;
    const prepared = await pool.prepare(
      { name: target.name, seasonalPeriodsSeconds: target.seasonalPeriodsSeconds, maxPoints: config.limits.maxPoints, history: fetched ? { fetched } : { readFile: target, nowMs } },
      { signal: this.abort.signal },
    );
    const { series: pulled, filledGaps, droppedOutsideWindow } = prepared;
    const dropped = droppedOutsideWindow > 0 ? [`${droppedOutsideWindow} samples outside the history window were dropped`] : [];
    if (dropped.length > 0) metrics.droppedSamples.inc({ target: target.name }, droppedOutsideWindow);
    // After a changepoint the fit starts there: only the seasons two full periods of it still hold.
    const cut = fromChangepoint(pulled, this.feedback.historyStartMs(target.name, nowMs));
    const seasonalPeriods = cut === pulled ? prepared.seasonalPeriods : prepared.seasonalPeriods.filter((p) => cut.values.length >= 2 * p);
    // Incident windows are not normal load: the model never sees them (filled from a season earlier).
    const { series, replaced } = withoutIncidents(cut, this.eventsOf(target.name), seasonalPeriods[0] ?? 0);
    const excludedNote = replaced > 0 ? [`${replaced} steps in incident windows were replaced before fitting`] : [];
    metrics.filledGaps.set({ target: target.name }, filledGaps);
    const horizon = Math.ceil(target.horizonSeconds / series.stepSeconds);
    if (horizon > config.limits.maxHorizonSteps) {
      throw new PrescientError('PRESCIENT_ERR_HORIZON_TOO_LONG', `horizon of ${horizon} steps exceeds limits.maxHorizonSteps (${config.limits.maxHorizonSteps})`);
    }
    const levels = levelsFor(target);
    const ladder = ladderFor(target.models);
    const carried = this.selections.get(target.name);
    // A file replayed as if it ended now never grows: what follows a served forecast there is the same file
    // re-timed, not load that came, so the forecasts it served must not calibrate the next ones.
    const replayed = isReplayed(target);
    const selection = carried && replayed ? { ...carried.selection, served: [] } : carried?.selection;
    // A risk budget needs a frontier, made only when a selection runs: with none yet (first fit after a
    // restart, or a budget just added), the carried selection is not reused.
    const scaling = target.scaling;
    const previousFrontier = frontierFor(this.deps.states.get(target.name)?.forecast?.frontier, scaling);
    // Every scaling target is replayed on its own history (src/backtest/selection-frontier.ts frontierKind): the
    // grid for a budget or for a target that states no knob, the stated knobs alone otherwise; nothing with the check off.
    const kind = scaling ? frontierKind(scaling) : undefined;
    const frontierTask: FrontierTask | undefined =
      scaling && kind !== 'unchecked'
        ? {
            fixed: { capacityPerReplica: scaling.capacityPerReplica, minReplicas: scaling.minReplicas, maxReplicas: scaling.maxReplicas, scaleIn: scaling.scaleIn },
            leadTimeSeconds: scaling.leadTimeSeconds,
            ...(scaling.budget
              ? { budget: scaling.budget }
              : kind === 'own-history'
                ? { ownHistory: true as const }
                : { knobs: { quantile: scaling.quantile, scaleInGuardQuantile: scaling.scaleInGuardQuantile, utilisation: scaling.utilisation, leadTimeSeconds: scaling.leadTimeSeconds } }),
            startMs: series.startMs,
            stepSeconds: series.stepSeconds,
          }
        : undefined;
    const frontierLevels = kind && replaysGrid(kind) ? FRONTIER_LEVELS : frontierTask && scaling ? checkLevels(scaling) : undefined;
    // Once its served record holds enough, the knobs are judged on the forecasts the target served (src/backtest/served-stretch.ts).
    const served = scaling && frontierLevels ? servedStretchOf(this.feedback.book.get(target.name), scaling.leadTimeSeconds, frontierLevels) : undefined;
    const reuseSelection = !frontierTask || previousFrontier !== undefined;
    const { model, result, failures } = await fitDownLadder(
      pool,
      ladder,
      (rung) => ({
        model: rung,
        values: series.values,
        ctx: {
          stepSeconds: series.stepSeconds,
          startMs: series.startMs,
          seasonalPeriods,
          seed: 42,
          horizonSteps: horizon,
          ...(target.scaling ? { scalingQuantile: target.scaling.quantile } : {}),
          ...(carried?.model === rung && selection && reuseSelection ? { selection } : {}),
          reselectAfterSeconds: reselectAfterSecondsFor(target.name),
          ...(frontierLevels ? { frontierLevels } : {}),
        },
        horizon,
        levels,
        ...(frontierTask ? { frontier: served ? { ...frontierTask, served } : frontierTask } : {}),
        ...(target.bounds ? { bounds: target.bounds } : {}),
      }),
      { metrics, target: target.name, lane: 'targets', signal: this.abort.signal },
    );
    metrics.fitDurationSeconds.observe({ model: result.info.model }, result.fitMs / 1000);
    metrics.fits.inc({ target: target.name, model: result.info.model });
    if (result.info.selection) this.selections.set(target.name, { model, selection: result.info.selection });
    else this.selections.delete(target.name);
    const preferred = ladder[0] as string;
    const fallbackFrom = model === preferred ? result.info.fallbackFrom : preferred;
    if (fallbackFrom) metrics.fallbacks.inc({ target: target.name, from: fallbackFrom, to: result.info.model });
    const last = series.values.length - 1;
    // A fresh selection brings a fresh frontier; a refit of the same choice keeps the last one.
    const frontier = frontierTask ? (result.frontier ?? previousFrontier) : undefined;
    if (result.frontierMs !== undefined) metrics.frontierDurationSeconds.observe({ target: target.name }, result.frontierMs / 1000);
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
        // The load really observed, incident or not: it is the reactive floor.
        lastObserved: { atMs: series.startMs + last * series.stepSeconds * 1000, value: cut.values[last] as number },
        filledGaps,
        seasonalPeriods,
        notes: [...dropped, ...excludedNote, ...failures, ...result.info.notes, ...(frontier?.chosen ? [`${frontierLabel(frontier)}: ${frontier.chosen.reason}`] : [])],
        ...(frontier ? { frontier } : {}),
      },
      ...(result.info.scores ? { scores: result.info.scores as Record<string, Record<string, number>> } : {}),
      series: pulled,
    };
  }
}
