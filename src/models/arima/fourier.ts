/**
 * Fourier terms for seasonal periods (in steps): the columns of a dynamic
 * harmonic regression. A period's k-th harmonic is the pair
 * sin(2πkt/P), cos(2πkt/P); t counts steps from the first fitted value, so
 * the same t continues into the forecast horizon.
 */

/** One harmonic: its period in steps and its order k. */
export interface Harmonic {
  readonly period: number;
  readonly k: number;
}

/**
 * The harmonics a longer period may use: those whose frequency is not
 * already a harmonic of a shorter period in use. At 5 minutes the weekly
 * period 2016 is 7 × 288, so its 7th harmonic is the daily fundamental;
 * fitting both would make the regression singular.
 * @param period the period in steps
 * @param maxK the most harmonics wanted
 * @param shorter the shorter periods already in the model, with their K
 */
export function harmonicsFor(period: number, maxK: number, shorter: readonly Harmonic[]): Harmonic[] {
  const out: Harmonic[] = [];
  // k < P/2: at k = P/2 the sine is identically zero on the grid.
  for (let k = 1; out.length < maxK && k < period / 2; k++) {
    const frequency = k / period;
    const duplicate = shorter.some(
      (h) =>
        Math.abs(frequency * h.period - Math.round(frequency * h.period)) < 1e-9 &&
        Math.round(frequency * h.period) >= 1 &&
        Math.round(frequency * h.period) <= h.k,
    );
    if (!duplicate) out.push({ period, k });
  }
  return out;
}

/** The most harmonics a period of `period` steps can have on the grid. */
export function maxHarmonics(period: number): number {
  return Math.max(0, Math.ceil(period / 2) - 1);
}

/**
 * Fills the sine and cosine columns of `harmonic` for steps
 * `startStep … startStep + length − 1`.
 */
export function harmonicColumns(harmonic: Harmonic, startStep: number, length: number): [Float64Array, Float64Array] {
  const sin = new Float64Array(length);
  const cos = new Float64Array(length);
  const omega = (2 * Math.PI * harmonic.k) / harmonic.period;
  for (let i = 0; i < length; i++) {
    // Reduce the phase modulo the period first so that far-future steps keep full precision.
    const phase = omega * ((startStep + i) % harmonic.period);
    sin[i] = Math.sin(phase);
    cos[i] = Math.cos(phase);
  }
  return [sin, cos];
}
