/** Synthetic series with known parameters for the sarima tests. */
import type { FitContext } from '../../src/models/forecaster.js';
import { seededRandom } from '../../src/random.js';

/** Fit context of an hourly series starting at 0, with these seasons and a minute to fit. */
export const hourly = (periods: number[]): FitContext => ({
  stepSeconds: 3600,
  startMs: 0,
  seasonalPeriods: periods,
  deadlineMs: Date.now() + 60_000,
  seed: 1,
});

/** Deterministic standard normals (mulberry32 + Box–Muller), so every run sees the same series. */
export function normals(seed: number, count: number): number[] {
  const uniform = seededRandom(seed);
  const out: number[] = [];
  while (out.length < count) {
    const u = Math.max(uniform(), 1e-12);
    out.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform()));
  }
  return out;
}

export const PERIOD = 24;
const PHI = 0.7;
const SIGMA = 0.5;
/** Known seasonal mean: two harmonics of a 24-step day around 10. */
export const seasonalMean = (t: number): number =>
  10 + 3 * Math.sin((2 * Math.PI * t) / PERIOD) + 1.5 * Math.cos((4 * Math.PI * t) / PERIOD);

/** seasonal mean + AR(1) errors (φ = 0.7, σ = 0.5). */
export function ar1Seasonal(seed: number, length: number): number[] {
  const e = normals(seed, length + 100);
  let eta = 0;
  const out: number[] = [];
  for (let t = -100; t < length; t++) {
    eta = PHI * eta + SIGMA * (e[t + 100] as number);
    if (t >= 0) out.push(seasonalMean(t) + eta);
  }
  return out;
}
