import type { Series } from '../series/series.js';
import { liveAccuracy, type WindowAccuracy } from './accuracy.js';
import { ServedRecord, type ServedForecastLike, type ServedRecordOptions, type ServedRecordSnapshot } from './served-record.js';

/** Served forecasts are kept this long in full (their first steps): a day, for calibration from served forecasts. */
export const KEEP_SERVED_SECONDS = 86_400;
/** Scored steps are kept a week: the longest live-accuracy window. */
export const KEEP_SCORED_SECONDS = 7 * 86_400;
/** The first hour of each served forecast is kept at least (auto calibrates its first hour on it). */
const NEAR_SECONDS = 3_600;

/** What a target's live accuracy looks like in its state (REST, /metrics). */
export interface LiveAccuracyView {
  /** When it was computed (ms): after the refresh that scored the newest actuals. */
  readonly atMs: number;
  /** The lead time whose forecasts were scored (seconds). */
  readonly leadTimeSeconds: number;
  /** The interval level the scaling quantile scales on (2q − 1), when the target scales. */
  readonly scalingLevel?: number;
  /** Last hour, day, week. */
  readonly windows: readonly WindowAccuracy[];
}

/** A target's settings as the record needs them. */
export interface RecordSettings {
  readonly stepSeconds: number;
  readonly levels: readonly number[];
  readonly leadTimeSeconds: number;
  readonly refreshIntervalSeconds: number;
}

/** Record options for a target: the first steps cover the lead plus one refresh interval, and the first hour. */
export function recordOptions(settings: RecordSettings): ServedRecordOptions {
  const coveredSeconds = Math.max(settings.leadTimeSeconds + settings.refreshIntervalSeconds, NEAR_SECONDS);
  return {
    stepSeconds: settings.stepSeconds,
    levels: [...settings.levels],
    leadTimeSeconds: settings.leadTimeSeconds,
    keepSteps: Math.ceil(coveredSeconds / settings.stepSeconds) + 1,
    keepServedSeconds: KEEP_SERVED_SECONDS,
    keepScoredSeconds: KEEP_SCORED_SECONDS,
  };
}

/**
 * Every target's served-forecast record. The engine feeds it on each
 * successful refresh (the actuals it pulled, then the forecast it will
 * serve); readers get the live accuracy from the target's state.
 */
export class LiveAccuracyBook {
  private readonly records = new Map<string, ServedRecord>();

  /** The target's record, made (or rebuilt, when its step, levels or lead changed) for `settings`. */
  recordFor(name: string, settings: RecordSettings): ServedRecord {
    const options = recordOptions(settings);
    const existing = this.records.get(name);
    if (existing && sameOptions(existing.options, options)) return existing;
    const record = new ServedRecord(options);
    this.records.set(name, record);
    return record;
  }

  /** The record if the target has one (i16b: calibration from served forecasts reads `slices()`). */
  get(name: string): ServedRecord | undefined {
    return this.records.get(name);
  }

  /** Restores a persisted record; one made with other settings is dropped. */
  restore(name: string, settings: RecordSettings, snapshot: ServedRecordSnapshot): void {
    this.records.set(name, ServedRecord.fromJSON(snapshot, recordOptions(settings)));
  }

  /**
   * Scores the new actuals, then keeps the forecast about to be served.
   * Returns the live accuracy after scoring.
   * @param scalePeriodSteps the daily period in steps (MASE scale)
   * @param excluded steps that are not normal load (incident windows)
   */
  update(
    name: string,
    settings: RecordSettings & { readonly scalingLevel?: number },
    actuals: Series,
    forecast: ServedForecastLike,
    nowMs: number,
    excluded?: (tMs: number) => boolean,
  ): LiveAccuracyView {
    const record = this.recordFor(name, settings);
    record.observe(actuals, Math.round(86_400 / settings.stepSeconds), excluded);
    record.record(forecast);
    return this.view(name, settings, nowMs) as LiveAccuracyView;
  }

  /** Live accuracy of a target over the last hour, day and week before nowMs; undefined without a record. */
  view(name: string, settings: { readonly leadTimeSeconds: number; readonly scalingLevel?: number }, nowMs: number): LiveAccuracyView | undefined {
    const record = this.records.get(name);
    if (!record) return undefined;
    return {
      atMs: nowMs,
      leadTimeSeconds: settings.leadTimeSeconds,
      ...(settings.scalingLevel === undefined ? {} : { scalingLevel: settings.scalingLevel }),
      windows: liveAccuracy(record.columns(), record.options.levels, record.scale(), nowMs),
    };
  }
}

function sameOptions(a: ServedRecordOptions, b: ServedRecordOptions): boolean {
  return (
    a.stepSeconds === b.stepSeconds &&
    a.leadTimeSeconds === b.leadTimeSeconds &&
    a.keepSteps === b.keepSteps &&
    a.levels.length === b.levels.length &&
    a.levels.every((l, i) => Math.abs(l - (b.levels[i] as number)) < 1e-6)
  );
}
