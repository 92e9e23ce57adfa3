import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ChangepointDetector, initSync } from '@bsull/augurs/changepoint';
import type { ScoredColumns } from './served-record.js';

let initialised = false;

/** augurs' changepoint WASM, loaded synchronously once (its default init fetches by URL, which Node cannot do for files). */
function init(): void {
  if (initialised) return;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@bsull/augurs/changepoint'));
  initSync({ module: readFileSync(join(dir, 'changepoint_bg.wasm')) });
  initialised = true;
}

/** Residuals looked at: the detector's cost grows about with the square of their count (≈5 ms for 72 here). */
const MAX_RESIDUALS = 96;
/** Steps after a changepoint before it counts: one odd step is an outlier, not a new regime. */
const MIN_AFTER = 3;

/**
 * The newest changepoint in the served forecasts' recent errors (actual −
 * point at the lead time), or undefined. Runs augurs' Bayesian online
 * detector (normal-gamma prior) on the last errors standardised by their
 * median and MAD, and keeps a change only when the mean error moved by at
 * least `minShift` MASE scales: the errors of a model that still fits hover
 * around zero, a regime change (load doubling, a moved peak) shifts them.
 * Looking at errors instead of the load itself keeps daily peaks from
 * looking like changes.
 * @param sinceMs only steps after this time (ms) are looked at
 * @returns the time (ms) of the first step of the new regime
 */
export function recentChangepoint(columns: Readonly<ScoredColumns>, maseScale: number, sinceMs: number, minShift = 1): number | undefined {
  if (!(maseScale > 0)) return undefined;
  const times: number[] = [];
  const errors: number[] = [];
  for (let i = Math.max(0, columns.atMs.length - MAX_RESIDUALS); i < columns.atMs.length; i++) {
    const t = columns.atMs[i] as number;
    if (t <= sinceMs) continue;
    times.push(t);
    errors.push(((columns.actual[i] as number) - (columns.point[i] as number)) / maseScale);
  }
  if (errors.length < 2 * MIN_AFTER) return undefined;
  const median = quantile(errors, 0.5);
  const mad = quantile(errors.map((e) => Math.abs(e - median)), 0.5) * 1.4826;
  const spread = mad > 1e-9 ? mad : 1;
  init();
  const detector = ChangepointDetector.normalGamma();
  let indices: number[];
  try {
    indices = detector.detectChangepoints(errors.map((e) => (e - median) / spread)).indices;
  } finally {
    detector.free();
  }
  for (let j = indices.length - 1; j >= 0; j--) {
    // augurs reports the last step of the old run; the new regime starts one later.
    const at = (indices[j] as number) + 1;
    if (at < MIN_AFTER || errors.length - at < MIN_AFTER) continue;
    const before = mean(errors.slice(0, at));
    const after = mean(errors.slice(at));
    if (Math.abs(after - before) >= minShift) return times[at];
  }
  return undefined;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function quantile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}
