/**
 * What the dump scripts (m4-dump.ts, accuracy-dump.ts) keep of each
 * candidate: its backtest origins as `evaluate` scored them, and its
 * forecast of the test window fitted on the whole history, so m4-offline.ts
 * can replay auto's choice and calibration without fitting again.
 */
import type { EvaluationResult } from '../src/models/evaluation/rolling-origin.js';
import type { FitContext, Forecast, Forecaster } from '../src/models/forecaster.js';

export interface DumpOrigin {
  readonly originIndex: number;
  readonly actual: readonly number[];
  readonly scale: number;
  readonly forecast?: Forecast;
}

export interface DumpCandidate {
  readonly name: string;
  readonly origins: readonly DumpOrigin[];
  /** Forecast of the test window fitted on the whole history; absent when that fit failed. */
  readonly test?: Forecast;
  readonly error?: string;
}

/** Each evaluated model's origins, plus its fit on `history` and forecast of `horizon` steps (or why that failed). */
export async function dumpCandidates(
  evaluation: EvaluationResult,
  models: readonly Forecaster[],
  history: readonly number[],
  ctx: FitContext,
  horizon: number,
  levels: readonly number[],
): Promise<DumpCandidate[]> {
  const candidates: DumpCandidate[] = [];
  for (const m of evaluation.models) {
    const model = models.find((f) => f.name === m.model) as Forecaster;
    let test: Forecast | undefined;
    let error: string | undefined;
    try {
      const fitted = await model.fit(history, ctx);
      test = fitted.predict(horizon, levels);
      fitted.dispose();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    candidates.push({
      name: m.model,
      origins: m.origins.map((o) => ({ originIndex: o.originIndex, actual: o.actual, scale: o.scale, ...(o.forecast ? { forecast: o.forecast } : {}) })),
      ...(test ? { test } : {}),
      ...(error ? { error } : {}),
    });
  }
  return candidates;
}
