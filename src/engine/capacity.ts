import { getHeapStatistics } from 'node:v8';
import type { Config, TargetConfig } from '../config/schema.js';
import { PrescientError } from '../errors.js';
import { recordOptions } from '../feedback/live-accuracy.js';
import { fullRecordNumbers } from '../feedback/served-record.js';
import { isReplayed, levelsFor } from './target-settings.js';

/**
 * How many targets one process can hold: memory sets the limit, not a fixed
 * count. Every target's served forecast, scores, (for `auto`) selection and
 * live-accuracy record live in the JS heap of each process that serves it,
 * so the heap limit (`--max-old-space-size`, or V8's default for the
 * machine) bounds the number of targets.
 *
 * Measured with `nice -n 19 npx tsx benchmarks/heap-per-target.ts --targets
 * 60 --model auto` (and `--model mstl`): heap after a full GC, before the
 * first fit and once all 60 file-sourced targets of 5-minute series held a
 * forecast: 246–252 KB per `auto` target (forecast, selection with its
 * calibration and served forecasts, scores), 44–47 KB per `mstl` target
 * (benchmarks/scale.ts saw 81 KB without a GC). Counted: 300 KB and 100 KB.
 */
export const HEAP_BYTES_PER_TARGET = { auto: 300_000, other: 100_000 } as const;
/**
 * Heap per number a live-accuracy record holds (src/feedback/served-record.ts):
 * the same benchmark filled each target's record with a week of 15-minute
 * refreshes: 221–227 KB for 22,724 numbers, 9.9–10.2 bytes each; counted 12.
 */
export const HEAP_BYTES_PER_RECORD_NUMBER = 12;
/** Heap the service uses with no target (modules, fastify, gRPC, metrics), plus headroom for requests. */
export const BASE_HEAP_BYTES = 256 * 1024 * 1024;
/** A file's step is known only once read: its record is counted at the 5-minute step of most metrics. */
const FILE_STEP_SECONDS = 300;

/**
 * Heap a target's full live-accuracy record takes: a day of served
 * forecasts and a week of scored steps. None for a file replayed as if it
 * ended now (nothing it serves is ever scored). Finer steps and shorter
 * refresh intervals hold more.
 */
export function liveRecordBytes(target: TargetConfig): number {
  if (isReplayed(target)) return 0;
  const stepSeconds = target.source.type === 'prometheus' ? target.source.stepSeconds : FILE_STEP_SECONDS;
  const options = recordOptions({ stepSeconds, levels: levelsFor(target), leadTimeSeconds: target.scaling?.leadTimeSeconds ?? 0, refreshIntervalSeconds: target.refreshIntervalSeconds });
  return fullRecordNumbers(options, target.refreshIntervalSeconds) * HEAP_BYTES_PER_RECORD_NUMBER;
}

/** Heap one target is expected to need, in bytes. */
export function targetHeapBytes(target: TargetConfig): number {
  return (target.models[0] === 'auto' ? HEAP_BYTES_PER_TARGET.auto : HEAP_BYTES_PER_TARGET.other) + liveRecordBytes(target);
}

/** Heap the configured targets are expected to need, in bytes. */
export function heapNeededBytes(config: Pick<Config, 'targets'>): number {
  return config.targets.reduce((bytes, target) => bytes + targetHeapBytes(target), BASE_HEAP_BYTES);
}

/**
 * Refuses a configuration whose targets cannot fit in this process's heap,
 * before it runs out of memory hours later.
 * @throws PrescientError PRESCIENT_ERR_CONFIG naming the need, the limit and the ways out
 */
export function assertTargetsFitInMemory(config: Pick<Config, 'targets'>, heapLimitBytes = getHeapStatistics().heap_size_limit): void {
  const needed = heapNeededBytes(config);
  if (needed <= heapLimitBytes) return;
  const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
  const records = config.targets.reduce((bytes, target) => bytes + liveRecordBytes(target), 0);
  throw new PrescientError(
    'PRESCIENT_ERR_CONFIG',
    `${config.targets.length} targets need about ${mb(needed)} MB of heap (${mb(BASE_HEAP_BYTES)} MB base, ` +
      `${mb(needed - BASE_HEAP_BYTES - records)} MB of forecasts and selections at ${HEAP_BYTES_PER_TARGET.auto / 1000} KB per auto target and ${HEAP_BYTES_PER_TARGET.other / 1000} KB per other, ` +
      `${mb(records)} MB of live-accuracy records); ` +
      `this process may use ${mb(heapLimitBytes)} MB. Raise it with NODE_OPTIONS=--max-old-space-size=<MB> or split the targets over several deployments`,
    { issues: [{ path: 'targets', message: `more targets than ${mb(heapLimitBytes)} MB of heap holds` }] },
  );
}
