import type { TargetConfig, WatchdogConfig } from '../config/schema.js';
import { recentChangepoint } from '../feedback/changepoint.js';
import { LiveAccuracyBook, type LiveAccuracyView, type RecordSettings } from '../feedback/live-accuracy.js';
import type { ServedRecordSnapshot } from '../feedback/served-record.js';
import { ShadowRecord, type ShadowPlan, type ShadowSnapshot, type ShadowWindow } from '../feedback/shadow.js';
import type { Samples } from '../series/series.js';
import { historyStartMs, initialHealth, judge, type TargetHealth } from '../feedback/watchdog.js';
import type { Series } from '../series/series.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { TargetForecast } from './target-state.js';
import { statedLevels } from './target-settings.js';

export interface FeedbackLoopDeps {
  readonly watchdog: WatchdogConfig;
  readonly metrics: Metrics;
  readonly log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Defaults to a new book; tests and benchmarks pass their own to look inside. */
  readonly book?: LiveAccuracyBook;
}

export interface FeedbackOutcome {
  readonly accuracy: LiveAccuracyView;
  readonly health: TargetHealth;
  /** The watchdog asks for a refit now. */
  readonly refitNow: boolean;
}

/** The interval level the scaling quantile q scales on (2q − 1), rounded as levelsFor rounds it. */
function scalingLevelOf(target: TargetConfig): number | undefined {
  return target.scaling ? Math.round((2 * target.scaling.quantile - 1) * 1e6) / 1e6 : undefined;
}

/**
 * The engine's side of the feedback loop (DESIGN.md §7): after each
 * successful refresh it scores the actuals just pulled against the forecasts
 * served before, keeps the new forecast, and lets the watchdog judge. Holds
 * each target's health; the engine stores it in the target's state.
 */
export class FeedbackLoop {
  readonly book: LiveAccuracyBook;
  private readonly health = new Map<string, TargetHealth>();
  /** Shadow-mode targets' records: recommended vs ran (src/feedback/shadow.ts). */
  private readonly shadows = new Map<string, ShadowRecord>();

  constructor(private readonly deps: FeedbackLoopDeps) {
    this.book = deps.book ?? new LiveAccuracyBook();
  }

  settings(target: TargetConfig, stepSeconds: number, levels: readonly number[]): RecordSettings & { scalingLevel?: number } {
    const scalingLevel = scalingLevelOf(target);
    return {
      stepSeconds,
      levels,
      leadTimeSeconds: target.scaling?.leadTimeSeconds ?? 0,
      refreshIntervalSeconds: target.refreshIntervalSeconds,
      ...(scalingLevel === undefined ? {} : { scalingLevel }),
    };
  }

  /** Puts back a persisted record and health; returns the live accuracy to show (the persisted one when there is). */
  restore(target: TargetConfig, forecast: TargetForecast, levels: readonly number[], persisted: { feedback?: ServedRecordSnapshot; health?: TargetHealth; accuracy?: LiveAccuracyView; shadow?: ShadowSnapshot }, nowMs: number): { accuracy?: LiveAccuracyView; health?: TargetHealth } {
    const settings = this.settings(target, forecast.stepSeconds, levels);
    if (persisted.shadow && target.scaling?.mode === 'shadow') {
      const record = ShadowRecord.fromJSON(persisted.shadow, forecast.stepSeconds);
      this.shadows.set(target.name, record);
      this.exportShadow(target, record.report(nowMs, target.scaling.capacityPerReplica));
    }
    if (persisted.feedback) this.book.restore(target.name, settings, persisted.feedback);
    if (persisted.health) {
      this.health.set(target.name, persisted.health);
      this.exportState(target.name, persisted.health);
    }
    // As the refresh that scored it computed it, so every replica reading the document answers the same.
    const accuracy = persisted.accuracy ?? this.book.view(target.name, settings, nowMs);
    if (accuracy) this.exportAccuracy(target, accuracy);
    return { ...(accuracy ? { accuracy } : {}), ...(persisted.health ? { health: persisted.health } : {}) };
  }

  /** Where the next fit's history starts (ms), when a changepoint cut it; undefined for the full history. */
  historyStartMs(name: string, nowMs: number): number | undefined {
    return this.deps.watchdog.enabled ? historyStartMs(this.health.get(name), nowMs, this.deps.watchdog) : undefined;
  }

  /**
   * Judges only forecasts made from `atMs` on (a deploy: what came before
   * described the old release). Keeps the state; the reason says why.
   */
  restartJudging(name: string, atMs: number, why: string): void {
    const health = this.health.get(name) ?? initialHealth(atMs);
    this.health.set(name, { ...health, judgeFromMs: Math.max(health.judgeFromMs, atMs), reason: `judging restarted by ${why}` });
  }

  /** A shadow-mode target's record (made on first use, or remade when its step changed). */
  shadowOf(name: string, stepSeconds: number): ShadowRecord {
    const existing = this.shadows.get(name);
    if (existing?.stepSeconds === stepSeconds) return existing;
    const record = new ShadowRecord(stepSeconds);
    this.shadows.set(name, record);
    return record;
  }

  /**
   * Shadow mode after a refresh: scores the load just pulled against the
   * replicas that ran (`ran`, from scaling.shadow.replicasQuery) and the
   * recommendations planned before, then keeps this refresh's plan.
   * Returns the day and week outcomes.
   */
  afterShadow(target: TargetConfig, load: Series, ran: Samples | undefined, plan: ShadowPlan | undefined, nowMs: number): ShadowWindow[] {
    const record = this.shadowOf(target.name, load.stepSeconds);
    if (ran) record.observe(load, ran);
    if (plan) record.plan(plan);
    const report = record.report(nowMs, target.scaling?.capacityPerReplica ?? 1);
    this.exportShadow(target, report);
    return report;
  }

  /** The day and week outcomes of a shadow-mode target (undefined before its first refresh). */
  shadowReport(target: TargetConfig, nowMs: number): ShadowWindow[] | undefined {
    return this.shadows.get(target.name)?.report(nowMs, target.scaling?.capacityPerReplica ?? 1);
  }

  /** The persisted form of a target's shadow record. */
  shadowSnapshot(name: string): ShadowSnapshot | undefined {
    return this.shadows.get(name)?.toJSON();
  }

  private exportShadow(target: TargetConfig, report: readonly ShadowWindow[]): void {
    const { metrics } = this.deps;
    for (const w of report) {
      for (const basis of ['ran', 'recommended'] as const) {
        const labels = { target: target.name, window: w.window, basis };
        metrics.shadowUnderProvisionedMinutes.set(labels, w.underProvisionedMinutes[basis]);
        metrics.shadowReplicaHours.set(labels, w.replicaHours[basis]);
      }
    }
  }

  healthOf(name: string): TargetHealth | undefined {
    return this.health.get(name);
  }

  /**
   * Scores `actuals`, keeps `forecast` (about to be served), and judges.
   * @param backtestMase the serving model's backtest MASE, when known
   * @param excluded steps not scored (incident windows)
   */
  afterRefresh(
    target: TargetConfig,
    actuals: Series,
    forecast: TargetForecast,
    levels: readonly number[],
    nowMs: number,
    backtestMase?: number,
    excluded?: (tMs: number) => boolean,
  ): FeedbackOutcome {
    const { watchdog, metrics, log } = this.deps;
    const settings = this.settings(target, forecast.stepSeconds, levels);
    const accuracy = this.book.update(target.name, settings, actuals, forecast, nowMs, excluded);
    this.exportAccuracy(target, accuracy);
    const previous = this.health.get(target.name) ?? initialHealth(nowMs);
    if (!watchdog.enabled) {
      this.health.set(target.name, previous);
      this.exportState(target.name, previous);
      return { accuracy, health: previous, refitNow: false };
    }
    const record = this.book.get(target.name);
    if (!record) return { accuracy, health: previous, refitNow: false };
    // Only errors after the last change found: the same change is not found twice.
    const changepointAtMs = watchdog.changepoints ? recentChangepoint(record.columns(), record.scale(), previous.changepointAtMs ?? Number.NEGATIVE_INFINITY) : undefined;
    const verdict = judge(
      previous,
      {
        nowMs,
        columns: record.columns(),
        levels: record.options.levels,
        maseScale: record.scale(),
        ...(settings.scalingLevel === undefined ? {} : { scalingLevel: settings.scalingLevel }),
        ...(backtestMase === undefined ? {} : { backtestMase }),
        ...(changepointAtMs === undefined ? {} : { changepointAtMs }),
      },
      watchdog,
    );
    this.health.set(target.name, verdict.health);
    this.exportState(target.name, verdict.health);
    if (verdict.transition) {
      metrics.stateTransitions.inc({ target: target.name, from: verdict.transition.from, to: verdict.transition.to });
      log.warn({ target: target.name, ...verdict.transition, at: new Date(nowMs).toISOString() }, `target ${verdict.transition.from} → ${verdict.transition.to}`);
    }
    return { accuracy, health: verdict.health, refitNow: verdict.refitNow };
  }

  private exportState(name: string, health: TargetHealth): void {
    for (const state of ['trusted', 'degraded', 'reactive'] as const) this.deps.metrics.targetState.set({ target: name, state }, state === health.state ? 1 : 0);
  }

  /** Coverage at the levels the target states (as /metrics' forecast bounds): the frontier's extra levels stay in the REST views. */
  private exportAccuracy(target: TargetConfig, accuracy: LiveAccuracyView): void {
    const { metrics } = this.deps;
    const levels = statedLevels(target);
    for (const w of accuracy.windows) {
      const labels = { target: target.name, window: w.window };
      if (w.mase === undefined) metrics.liveMase.remove(labels);
      else metrics.liveMase.set(labels, w.mase);
      if (w.relativeBias === undefined) metrics.liveBias.remove(labels);
      else metrics.liveBias.set(labels, w.relativeBias);
      for (const c of w.coverage) if (levels.includes(c.level)) metrics.liveCoverage.set({ ...labels, level: String(c.level) }, c.coverage);
    }
  }
}
