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
    const samples = await prometheus.queryRange(
      source.query,
      nowMs - target.historySeconds * 1000,
      nowMs,
      source.stepSeconds,
      source.aggregate ? { aggregate: source.aggregate } : {},
    );
    return { samples, stepSeconds: source.stepSeconds };
  }
  const raw = await readSamplesFile(source.path);
  const stepSeconds = source.stepSeconds ?? medianStepSeconds(raw.timestampsMs);
  const lastMs = raw.timestampsMs.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  // Replaying a file "as if it ended now" keeps demo forecasts current.
  const shiftMs = source.shiftToNow ? Math.floor(nowMs / (stepSeconds * 1000)) * stepSeconds * 1000 - lastMs : 0;
  const endMs = lastMs + shiftMs;
  const fromMs = endMs - target.historySeconds * 1000;
  const timestampsMs: number[] = [];
  const values: number[] = [];
  raw.timestampsMs.forEach((t, i) => {
    const shifted = t + shiftMs;
    if (shifted > fromMs && shifted <= endMs) {
      timestampsMs.push(shifted);
      values.push(raw.values[i] as number);
    }
  });
  return { samples: { timestampsMs, values }, stepSeconds };
}
