/**
 * The fallback ladder, one for targets and ad-hoc requests alike: the
 * models asked for, in order, then seasonal naive, which forecasts any
 * finite series of two values or more. A model whose fit fails or whose
 * output is refused (models/validate.ts) is replaced by the next one, with
 * a note and a count on /metrics; only a full pool or a cancelled refresh
 * stops the descent, since every later rung would meet the same.
 */
import { PrescientError, toPrescientError } from '../errors.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { FitOutcome } from './fit-task.js';
import type { FitPool, FitRequest, Lane } from './pool.js';

/** The model every ladder ends on. */
export const LAST_RESORT_MODEL = 'snaive';

/** The ladder for the models asked for: each once, in order, seasonal naive last. */
export function ladderFor(models: readonly string[]): string[] {
  return [...new Set([...models, LAST_RESORT_MODEL])];
}

export interface LadderOutcome {
  /** The rung that served. */
  readonly model: string;
  readonly result: Extract<FitOutcome, { ok: true }>;
  /** One line per rung that failed before it ("mstl failed: CODE: message"). */
  readonly failures: readonly string[];
}

/**
 * Fits down the ladder in the pool until a rung serves.
 * @param target the `target` label on /metrics ("ad-hoc" for requests)
 * @param taskFor the fit of a rung (the caller may carry per-model state)
 * @param options.lane the pool lane: 'targets' for refreshes, 'requests' for ad-hoc requests
 * @throws PrescientError PRESCIENT_ERR_POOL_FULL at once; PRESCIENT_ERR_FIT_TIMEOUT when `signal` aborts;
 *   PRESCIENT_ERR_FIT_FAILED when every rung failed, with each failure in the message
 */
export async function fitDownLadder(
  pool: FitPool,
  ladder: readonly string[],
  taskFor: (model: string) => FitRequest,
  options: { readonly metrics: Metrics; readonly target: string; readonly lane: Lane; readonly signal?: AbortSignal },
): Promise<LadderOutcome> {
  const { metrics, target, lane, signal } = options;
  const failures: string[] = [];
  for (const model of ladder) {
    try {
      const result = await pool.run(taskFor(model), { lane, ...(signal ? { signal } : {}) });
      for (const kind of result.adjustments) metrics.forecastAdjustments.inc({ target, kind });
      return { model, result, failures };
    } catch (err) {
      const error = toPrescientError(err);
      if (signal?.aborted) throw error;
      metrics.fitFailures.inc({ target, model, code: error.code });
      if (error.code === 'PRESCIENT_ERR_MODEL_OUTPUT_IMPLAUSIBLE') metrics.forecastAdjustments.inc({ target, kind: 'point_replaced' });
      failures.push(`${model} failed: ${error.code}: ${error.message}`);
      if (error.code === 'PRESCIENT_ERR_POOL_FULL') throw error;
    }
  }
  throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `every model failed for ${target}: ${failures.join('; ')}`);
}
