/**
 * Classical seasonal decomposition shared by the models that forecast a
 * seasonally adjusted series and put the season back (theta, damped): the
 * M4 benchmarks' way (a season is taken out only when its autocorrelation
 * passes a 90 % test; multiplicative when every value is positive), with
 * the index averaged over the last cycles only.
 */
import type { Forecast } from './forecaster.js';
import { zForLevel } from './intervals.js';

/** What takeOutSeasons found: the adjusted values and the indices to put back, shortest period first. */
export interface Deseasonalised {
  readonly adjusted: number[];
  readonly seasons: SeasonalIndex[];
  readonly multiplicative: boolean;
}

/**
 * Takes each period out in turn, shortest first, when the history holds
 * three of its cycles and its autocorrelation at that lag passes the 90 %
 * test; says in `notes` why a period was left in.
 */
export function takeOutSeasons(values: readonly number[], periods: readonly number[], notes: string[]): Deseasonalised {
  const multiplicative = values.every((v) => v > 0);
  let adjusted = [...values];
  const seasons: SeasonalIndex[] = [];
  for (const period of periods) {
    if (period < 2) continue;
    if (adjusted.length < 3 * period) {
      notes.push(`season of ${period} steps not taken out: fewer than 3 cycles of history`);
      continue;
    }
    if (!seasonalAt(adjusted, period)) {
      notes.push(`season of ${period} steps not taken out: its autocorrelation is within noise (90 % test)`);
      continue;
    }
    // The index is averaged over the last MAX_CYCLES cycles only: a season drifts (a daily peak
    // moves with daylight saving time or a changed batch schedule), and an index averaged over
    // months forecasts a phase the load has left.
    const recent = Math.max(0, adjusted.length - MAX_CYCLES * period);
    const index = seasonalIndex(adjusted.slice(recent), period, multiplicative, recent);
    if (!index) continue;
    seasons.push(index);
    adjusted = adjusted.map((v, t) => deseasonalise(v, index, t));
  }
  return { adjusted, seasons, multiplicative };
}

/**
 * The forecast of a model fitted on the seasonally adjusted series (theta,
 * damped): normal bands from the in-sample h-step errors `sigma`, beyond
 * them growing as a smoothed level's does (α²·σ₁² a step), then every season
 * put back on the point and on each bound. Multiplicative factors are
 * positive, so the order of lower, point and upper is kept.
 * @param n the history's length: step k of the forecast is index n + k of the series
 */
export function reseasonalisedForecast(
  adjustedPoint: readonly number[],
  sigma: readonly number[],
  alpha: number,
  seasons: readonly SeasonalIndex[],
  n: number,
  levels: readonly number[],
): Forecast {
  const last = sigma[sigma.length - 1] as number;
  const first = sigma[0] as number;
  const spread = adjustedPoint.map((_, k) => sigma[k] ?? Math.sqrt(last * last + (k + 1 - sigma.length) * alpha * alpha * first * first));
  const season = (v: number, k: number): number => putBackSeasons(v, seasons, n + k);
  const intervals = levels.map((level) => {
    const z = zForLevel(level);
    const lower = adjustedPoint.map((p, k) => season(p - z * (spread[k] as number), k));
    const upper = adjustedPoint.map((p, k) => season(p + z * (spread[k] as number), k));
    return { level, lower, upper };
  });
  return { point: adjustedPoint.map((p, k) => season(p, k)), intervals };
}

/** Puts every season back on an adjusted value at index `t` of the series (t may lie past its end). */
export function putBackSeasons(v: number, seasons: readonly SeasonalIndex[], t: number): number {
  return seasons.reduceRight((x, s) => reseasonalise(x, s, t), v);
}

/** Most recent cycles of a period its seasonal index is averaged over (a week of a daily season, as smean). */
const MAX_CYCLES = 7;

export interface SeasonalIndex {
  readonly factors: readonly number[];
  readonly multiplicative: boolean;
}

function deseasonalise(v: number, index: SeasonalIndex, t: number): number {
  const f = index.factors[t % index.factors.length] as number;
  return index.multiplicative ? v / f : v - f;
}

export function reseasonalise(v: number, index: SeasonalIndex, t: number): number {
  const f = index.factors[t % index.factors.length] as number;
  return index.multiplicative ? v * f : v + f;
}

/** Autocorrelation at `period` beyond 1.645 of its standard error (Bartlett), as the M4 Theta benchmark tests seasonality. */
function seasonalAt(values: readonly number[], period: number): boolean {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const centred = values.map((v) => v - mean);
  const denominator = centred.reduce((s, v) => s + v * v, 0);
  if (!(denominator > 0)) return false;
  const acf = (lag: number): number => {
    let s = 0;
    for (let t = lag; t < n; t++) s += (centred[t] as number) * (centred[t - lag] as number);
    return s / denominator;
  };
  let sumSquares = 0;
  for (let lag = 1; lag < period; lag++) sumSquares += acf(lag) ** 2;
  const limit = 1.645 * Math.sqrt((1 + 2 * sumSquares) / n);
  return Math.abs(acf(period)) > limit;
}

/**
 * Classical decomposition's seasonal index: the mean, per phase, of the
 * ratio (or difference) of the values to their centred moving average of
 * one period, normalised to average 1 (or 0). `values` start at index
 * `offset` of the series (phases count from the series' start). Undefined
 * when it is not finite and positive (a multiplicative index of a
 * near-zero level).
 */
function seasonalIndex(values: readonly number[], period: number, multiplicative: boolean, offset: number): SeasonalIndex | undefined {
  const n = values.length;
  const half = Math.floor(period / 2);
  const sums = Array<number>(period).fill(0);
  const counts = Array<number>(period).fill(0);
  const prefix = [0];
  for (const v of values) prefix.push((prefix[prefix.length - 1] as number) + v);
  for (let t = half; t + half < n; t++) {
    // Values t - half … t + half; an even period weighs the two end values by one half (the 2×m moving average).
    const sum = (prefix[t + half + 1] as number) - (prefix[t - half] as number);
    const trend =
      period % 2 === 1 ? sum / period : (sum - 0.5 * (values[t - half] as number) - 0.5 * (values[t + half] as number)) / period;
    const ratio = multiplicative ? (values[t] as number) / trend : (values[t] as number) - trend;
    const phase = (t + offset) % period;
    sums[phase] = (sums[phase] as number) + ratio;
    counts[phase] = (counts[phase] as number) + 1;
  }
  const raw = sums.map((s, p) => s / (counts[p] as number));
  const centre = raw.reduce((s, v) => s + v, 0) / period;
  const factors = raw.map((v) => (multiplicative ? v / centre : v - centre));
  const ok = factors.every((f) => Number.isFinite(f) && (!multiplicative || f > 0));
  return ok ? { factors, multiplicative } : undefined;
}
