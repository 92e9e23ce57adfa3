import type { SourceConfig, TargetConfig } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import type { Samples } from '../series/series.js';
import { medianStepSeconds } from '../series/regularize.js';
import { readSamplesFile } from './file.js';

/** What the engine needs of a Prometheus client (src/sources/prometheus.ts). */
export interface RangeQuerier {
  queryRange(
    query: string,
    startMs: number,
    endMs: number,
    stepSeconds: number,
    options?: { aggregate?: 'sum' | 'avg' | 'max' | 'min' },
  ): Promise<Samples>;
}

export interface History {
  readonly samples: Samples;
  /** The grid step for this history, in seconds. */
  readonly stepSeconds: number;
  /** Samples the source returned outside the window asked for (dated in the future, or before it): dropped. */
  readonly droppedOutsideWindow: number;
}

/** Keeps the samples in (fromMs, toMs]; a source that returns others (a clock years ahead) must not move "now". */
function withinWindow(samples: Samples, fromMs: number, toMs: number): { samples: Samples; dropped: number } {
  const timestampsMs: number[] = [];
  const values: number[] = [];
  samples.timestampsMs.forEach((t, i) => {
    if (t > fromMs && t <= toMs) {
      timestampsMs.push(t);
      values.push(samples.values[i] as number);
    }
  });
  return { samples: { timestampsMs, values }, dropped: samples.timestampsMs.length - timestampsMs.length };
}

/**
 * Loads a target's history window ending at `nowMs`.
 * @throws PrescientError PRESCIENT_ERR_SOURCE_FILE, PRESCIENT_ERR_CONFIG (a
 *   Prometheus source without a client) and the Prometheus client's codes
 */
export async function loadHistory(target: TargetConfig, nowMs: number, prometheus: RangeQuerier | undefined): Promise<History> {
  const source: SourceConfig = target.source;
  if (source.type === 'prometheus') {
    if (!prometheus) throw new PrescientError('PRESCIENT_ERR_CONFIG', `target ${target.name} needs the prometheus section`);
    const fromMs = nowMs - target.historySeconds * 1000;
    const pulled = await prometheus.queryRange(source.query, fromMs, nowMs, source.stepSeconds, source.aggregate ? { aggregate: source.aggregate } : {});
    // query_range's first point sits exactly at its start: keep it.
    const { samples, dropped } = withinWindow(pulled, fromMs - 1, nowMs);
    return { samples, stepSeconds: source.stepSeconds, droppedOutsideWindow: dropped };
  }
  const raw = await readSamplesFile(source.path);
  const stepSeconds = source.stepSeconds ?? medianStepSeconds(raw.timestampsMs);
  const lastMs = raw.timestampsMs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  // Replaying a file "as if it ended now" keeps demo forecasts current.
  const shiftMs = source.shiftToNow ? Math.floor(nowMs / (stepSeconds * 1000)) * stepSeconds * 1000 - lastMs : 0;
  const endMs = lastMs + shiftMs;
  const fromMs = endMs - target.historySeconds * 1000;
  // A file is history by nature: what lies before the window is not "dropped", only not asked for.
  const { samples } = withinWindow({ timestampsMs: raw.timestampsMs.map((t) => t + shiftMs), values: raw.values }, fromMs, endMs);
  return { samples, stepSeconds, droppedOutsideWindow: 0 };
}
