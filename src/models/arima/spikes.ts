/**
 * Replaces isolated spikes before fitting (a Hampel filter): a value further
 * than THRESHOLD robust standard deviations from the median of its
 * neighbourhood becomes that median. Real capacity series carry one-sample
 * spikes of 100× the usual level (NAB's ec2_network_in has one); least
 * squares would bend the seasonal shape towards them and the error variance
 * would make every interval absurdly wide. A daily peak spans many samples,
 * so it survives a window of a few samples.
 */

/** Half-width of the neighbourhood in steps. */
const HALF_WINDOW = 6;
/** Longest run of consecutive outlying samples still treated as a spike. */
const MAX_RUN = 3;
/** Largest share of samples that may be replaced; above it nothing is. */
const MAX_SHARE = 0.02;
/** Robust standard deviations (1.4826 · MAD) beyond which a value is a spike. */
const THRESHOLD = 6;

/**
 * Robust scale of the whole series' first differences, so that a locally
 * flat stretch (MAD 0) does not flag ordinary noise.
 */
function globalNoiseScale(values: readonly number[]): number {
  const diffs: number[] = [];
  for (let t = 1; t < values.length; t++) diffs.push(Math.abs((values[t] as number) - (values[t - 1] as number)));
  diffs.sort((a, b) => a - b);
  // MAD of differences ≈ √2 · σ for white noise around a smooth level.
  return (1.4826 * (diffs[Math.floor(diffs.length / 2)] ?? 0)) / Math.SQRT2;
}

/**
 * @param period the shortest seasonal period in steps, if any: an excursion
 *   that recurs one period earlier or later (±1 step) is a scheduled job,
 *   which the model should learn, not a spike
 * @returns the cleaned values and how many were replaced
 */
export function removeSpikes(values: readonly number[], period?: number): { values: number[]; replaced: number } {
  const n = values.length;
  const out = [...values];
  if (n < 2 * HALF_WINDOW + 1) return { values: out, replaced: 0 };
  const floor = globalNoiseScale(values);
  const medians = new Float64Array(n);
  const flagged = new Uint8Array(n);
  const window: number[] = [];
  for (let t = 0; t < n; t++) {
    const lo = Math.max(0, t - HALF_WINDOW);
    const hi = Math.min(n - 1, t + HALF_WINDOW);
    window.length = 0;
    for (let i = lo; i <= hi; i++) if (i !== t) window.push(values[i] as number);
    window.sort((a, b) => a - b);
    const median = window[Math.floor(window.length / 2)] as number;
    const deviations = window.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
    const scale = Math.max(1.4826 * (deviations[Math.floor(deviations.length / 2)] as number), floor);
    medians[t] = median;
    if (scale > 0 && Math.abs((values[t] as number) - median) > THRESHOLD * scale) flagged[t] = 1;
  }
  // Only short excursions: a burst that lasts longer than MAX_RUN samples is real load, not a spike.
  let replaced = 0;
  for (let t = 0; t < n;) {
    if (!flagged[t]) {
      t++;
      continue;
    }
    let end = t;
    while (end < n && flagged[end]) end++;
    const recurs = (i: number): boolean => {
      if (period === undefined) return false;
      for (const j of [i - period - 1, i - period, i - period + 1, i + period - 1, i + period, i + period + 1])
        if (j >= 0 && j < n && flagged[j]) return true;
      return false;
    };
    let recurring = false;
    for (let i = t; i < end && !recurring; i++) recurring = recurs(i);
    // A run that reaches the last sample may be the start of a level shift: only the future can tell.
    const atEnd = end >= n - 1;
    if (end - t <= MAX_RUN && !recurring && !atEnd) {
      for (let i = t; i < end; i++) out[i] = medians[i] as number;
      replaced += end - t;
    }
    t = end;
  }
  // Many "spikes" are no longer spikes: that burstiness is the series, and the model's noise must keep it.
  if (replaced > MAX_SHARE * n) return { values: [...values], replaced: 0 };
  return { values: out, replaced };
}
