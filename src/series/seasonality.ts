/**
 * Seasonal period detection for capacity data. Only calendar periods are
 * candidates (one day, one week): load follows people, and a periodogram on
 * 5-minute data is easily fooled (augurs' detector returned 1022 steps on a
 * clearly daily series here). A candidate is kept when the series, with its
 * trend removed, is clearly correlated with itself one period back.
 */

const SECONDS_PER_DAY = 86_400;
const SECONDS_PER_WEEK = 7 * SECONDS_PER_DAY;
/** A season must be seen at least this many times to be estimated or detected. */
export const MIN_CYCLES = 2;
/**
 * Autocorrelation at the period lag (after smoothing and detrending, and for
 * the week after removing the daily profile) above which a season is kept.
 * Measured on the sample data over 7–28-day windows
 * (test/series/seasonality.test.ts): series with a daily cycle score 0.36–0.9
 * at one day (nyc_taxi 0.46–0.83, pedestrians 0.74–0.90, worldcup98
 * 0.36–0.75, and EC2 24ae8d's nightly spike 0.41–0.71); the level-shift and
 * noise series (825cc2, grok, e47b3b, 257a54, asg_misconfiguration) score
 * ≤ 0.1 over their whole span. One 7-day window (cc0c53's first week, a weak
 * evening bump) reaches 0.35 and is kept.
 */
export const ACF_THRESHOLD = 0.3;
/**
 * The daily season must also stand above the autocorrelation half a day back
 * by this much: slowly wandering series (random-walk-like) correlate with
 * themselves at every lag, a cycle correlates at its period and not at half of it.
 */
export const ACF_PEAK_MARGIN = 0.2;

/** Centred moving average of width `window` (≥ 1); the ends repeat the nearest full average. */
export function centredMovingAverage(values: readonly number[], window: number): number[] {
  const n = values.length;
  if (window <= 1 || n === 0) return [...values];
  const w = Math.min(window, n);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as number) + (values[i] as number);
  const half = Math.floor(w / 2);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    // Clamp the window inside the series so edges reuse the nearest full window.
    const start = Math.min(Math.max(0, i - half), n - w);
    out[i] = ((prefix[start + w] as number) - (prefix[start] as number)) / w;
  }
  return out;
}

/**
 * Sample autocorrelation at `lag`, normalised by the full-series variance
 * (the usual ACF estimator). 0 for a constant series or a lag ≥ length.
 */
export function autocorrelation(values: readonly number[], lag: number): number {
  const n = values.length;
  if (lag >= n || lag < 1) return 0;
  let mean = 0;
  for (const v of values) mean += v;
  mean /= n;
  let variance = 0;
  for (const v of values) variance += (v - mean) * (v - mean);
  if (!(variance > 0)) return 0;
  let cov = 0;
  for (let i = lag; i < n; i++) cov += ((values[i] as number) - mean) * ((values[i - lag] as number) - mean);
  return cov / variance;
}

/** Subtracts the mean profile over positions modulo `period` (removes a season). */
function removeProfile(values: readonly number[], period: number): number[] {
  const sums = new Float64Array(period);
  const counts = new Uint32Array(period);
  values.forEach((v, i) => {
    sums[i % period] = (sums[i % period] as number) + v;
    counts[i % period] = (counts[i % period] as number) + 1;
  });
  return values.map((v, i) => v - (sums[i % period] as number) / (counts[i % period] as number));
}

export interface SeasonalityScore {
  /** Period in steps. */
  readonly periodSteps: number;
  /** Autocorrelation at the period lag after detrending. */
  readonly acf: number;
  /** Autocorrelation at half the period (daily test only), for the peak check. */
  readonly acfHalf?: number;
  readonly kept: boolean;
}

/**
 * The scores behind {@link detectSeasonalPeriods}, for explanations and tests.
 * @param stepSeconds step of the series in seconds (> 0)
 */
export function scoreSeasonalPeriods(values: readonly number[], stepSeconds: number): SeasonalityScore[] {
  const scores: SeasonalityScore[] = [];
  if (!(stepSeconds > 0) || SECONDS_PER_DAY % stepSeconds !== 0) return scores;
  const day = SECONDS_PER_DAY / stepSeconds;
  const week = SECONDS_PER_WEEK / stepSeconds;
  if (day < 2 || values.length < MIN_CYCLES * day) return scores;

  // Smooth over an hour first: at 5 minutes, step-to-step noise would
  // swamp the variance and hide a regular daily peak (a nightly job, say).
  const smooth = centredMovingAverage(values, Math.max(1, Math.round(day / 24)));
  // Trend = a one-day centred moving average: blind to the daily cycle, it
  // takes level shifts, drifts and the weekly level pattern out.
  const trend = centredMovingAverage(smooth, day);
  const detrended = smooth.map((v, i) => v - (trend[i] as number));
  const acfDay = autocorrelation(detrended, day);
  const acfHalf = autocorrelation(detrended, Math.round(day / 2));
  const dailyKept = acfDay >= ACF_THRESHOLD && acfDay - acfHalf >= ACF_PEAK_MARGIN;
  scores.push({ periodSteps: day, acf: acfDay, acfHalf, kept: dailyKept });

  if (values.length >= MIN_CYCLES * week) {
    // Weekly: detrend with a one-week average, remove the daily profile (a
    // daily cycle alone repeats every week too), then look one week back.
    const weekTrend = centredMovingAverage(smooth, week);
    const residual = removeProfile(
      smooth.map((v, i) => v - (weekTrend[i] as number)),
      day,
    );
    const acfWeek = autocorrelation(residual, week);
    scores.push({ periodSteps: week, acf: acfWeek, kept: acfWeek >= ACF_THRESHOLD });
  }
  return scores;
}

/**
 * Detects calendar seasonal periods: one day and one week, in steps, each
 * considered only when the step divides it and the series holds at least two
 * full cycles, and kept when the detrended autocorrelation at that lag is at
 * least {@link ACF_THRESHOLD} (for the day, also {@link ACF_PEAK_MARGIN}
 * above the half-day autocorrelation).
 * @param values a regular series (finite values)
 * @param stepSeconds its step in seconds
 * @returns periods in steps, shortest first; empty when none is clear
 */
export function detectSeasonalPeriods(values: readonly number[], stepSeconds: number): number[] {
  return scoreSeasonalPeriods(values, stepSeconds)
    .filter((s) => s.kept)
    .map((s) => s.periodSteps);
}
