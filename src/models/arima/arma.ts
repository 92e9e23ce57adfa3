/**
 * ARMA(p, q) for a zero-mean series (the residuals of the harmonic
 * regression, or their first differences), estimated by conditional sum of
 * squares (CSS): Hannan–Rissanen start values, then Levenberg–Marquardt on
 * the exact CSS gradient. Stationarity and invertibility are enforced at
 * every step, so a fitted model always has finite, converging forecasts.
 * Conventions follow R: w[t] = Σ φ_i w[t−i] + e[t] + Σ θ_j e[t−j].
 */

import { choleskySolve } from './least-squares.js';

export interface ArmaModel {
  readonly p: number;
  readonly q: number;
  readonly ar: readonly number[];
  readonly ma: readonly number[];
  /** Innovation variance (CSS / effective observations). */
  readonly sigma2: number;
  /** Effective observations (series length − the conditioning start). */
  readonly nEffective: number;
  /** Gaussian log-likelihood implied by the CSS fit. */
  readonly logLik: number;
  /** AICc with p + q + 1 parameters (σ² counted; the regression's parameters are added by the caller). */
  readonly aicc: number;
  /** The last max(p, 1) values of the series and the last max(q, 1) innovations, newest last: forecast state. */
  readonly lastValues: readonly number[];
  readonly lastInnovations: readonly number[];
}

/** Largest modulus allowed for reflection coefficients: keeps roots strictly outside the unit circle. */
const MAX_REFLECTION = 0.995;
const MAX_ITERATIONS = 50;

/**
 * Whether w[t] = Σ coef_i w[t−i] + e[t] is stationary, by the step-down
 * (Schur–Cohn) recursion: all reflection coefficients must lie inside (−1, 1).
 */
export function isStationary(coef: readonly number[], bound = MAX_REFLECTION): boolean {
  let a = [...coef];
  for (let k = a.length; k >= 1; k--) {
    const r = a[k - 1] as number;
    if (!Number.isFinite(r) || Math.abs(r) >= bound) return false;
    const next: number[] = [];
    for (let j = 0; j < k - 1; j++) next.push(((a[j] as number) + r * (a[k - 2 - j] as number)) / (1 - r * r));
    a = next;
  }
  return true;
}

/** MA polynomial 1 + Σ θ_j z^j is invertible iff the AR recursion with −θ is stationary. */
export function isInvertible(ma: readonly number[]): boolean {
  return isStationary(ma.map((m) => -m));
}

/** CSS innovations e[t] for t ≥ start ≥ p (earlier ones are 0), and their sum of squares. */
function innovations(
  w: Float64Array,
  ar: ArrayLike<number>,
  ma: ArrayLike<number>,
  p: number,
  q: number,
  start: number,
): { e: Float64Array; css: number } {
  const n = w.length;
  const e = new Float64Array(n);
  let css = 0;
  for (let t = start; t < n; t++) {
    let v = w[t] as number;
    for (let i = 1; i <= p; i++) v -= (ar[i - 1] as number) * (w[t - i] as number);
    for (let j = 1; j <= q && t - j >= 0; j++) v -= (ma[j - 1] as number) * (e[t - j] as number);
    e[t] = v;
    css += v * v;
  }
  return { e, css };
}

/** Least-squares AR(m) coefficients of w (used for Hannan–Rissanen start values). */
function fitAr(w: Float64Array, m: number): Float64Array | undefined {
  const n = w.length;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  for (let t = m; t < n; t++) {
    for (let i = 0; i < m; i++) {
      const xi = w[t - 1 - i] as number;
      b[i] = (b[i] as number) + xi * (w[t] as number);
      for (let j = 0; j <= i; j++) a[i * m + j] = (a[i * m + j] as number) + xi * (w[t - 1 - j] as number);
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < i; j++) a[j * m + i] = a[i * m + j] as number;
    a[i * m + i] = (a[i * m + i] as number) * (1 + 1e-9) + 1e-12;
  }
  return choleskySolve(a, b, m);
}

/** Start values: long AR residuals stand in for innovations, then one regression on lags of both. */
function hannanRissanen(w: Float64Array, p: number, q: number): Float64Array {
  const k = p + q;
  const start = new Float64Array(k);
  if (k === 0) return start;
  const n = w.length;
  let ehat = new Float64Array(n);
  let offset = 0;
  if (q > 0) {
    const m = Math.min(Math.max(p + q + 4, 10), Math.floor(n / 4));
    const long = fitAr(w, m);
    if (!long) return start;
    for (let t = m; t < n; t++) {
      let v = w[t] as number;
      for (let i = 0; i < m; i++) v -= (long[i] as number) * (w[t - 1 - i] as number);
      ehat[t] = v;
    }
    offset = m;
  } else {
    ehat = new Float64Array(0);
  }
  const t0 = offset + Math.max(p, q);
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  const row = new Float64Array(k);
  for (let t = t0; t < n; t++) {
    for (let i = 0; i < p; i++) row[i] = w[t - 1 - i] as number;
    for (let j = 0; j < q; j++) row[p + j] = ehat[t - 1 - j] as number;
    for (let i = 0; i < k; i++) {
      b[i] = (b[i] as number) + (row[i] as number) * (w[t] as number);
      for (let j = 0; j < k; j++) a[i * k + j] = (a[i * k + j] as number) + (row[i] as number) * (row[j] as number);
    }
  }
  for (let i = 0; i < k; i++) a[i * k + i] = (a[i * k + i] as number) * (1 + 1e-9) + 1e-12;
  const x = choleskySolve(a, b, k);
  if (!x) return start;
  // Shrink into the admissible region if the start lies outside it.
  for (let shrink = 1; shrink > 0.01; shrink *= 0.7) {
    const ar = Array.from(x.subarray(0, p), (v) => v * shrink);
    const ma = Array.from(x.subarray(p), (v) => v * shrink);
    if (isStationary(ar) && isInvertible(ma)) return Float64Array.from([...ar, ...ma]);
  }
  return start;
}

/**
 * Fits ARMA(p, q) to a zero-mean series by CSS.
 * @param w the series (mean already removed), length well above p + q
 * @param start first step whose innovation counts (≥ p). Models compared by
 *   AICc must share it: a likelihood over fewer steps is not comparable.
 * @returns the model, or undefined when the series is too short or the fit degenerates
 */
export function fitArma(w: Float64Array, p: number, q: number, start = p): ArmaModel | undefined {
  const n = w.length;
  const k = p + q;
  const from = Math.max(start, p);
  if (n - from <= k + 2) return undefined;
  let theta = hannanRissanen(w, p, q);
  let { e, css } = innovations(w, theta.subarray(0, p), theta.subarray(p), p, q, from);
  let lambda = 1e-3;
  for (let iter = 0; iter < MAX_ITERATIONS && k > 0; iter++) {
    // Exact gradient of e[t] by the recursions ∂e[t]/∂φ_i = −w[t−i] − Σ θ_j ∂e[t−j]/∂φ_i, likewise for θ.
    const jac = new Float64Array(n * k);
    const ma = theta.subarray(p);
    for (let t = from; t < n; t++) {
      for (let c = 0; c < k; c++) {
        let d = c < p ? -(w[t - 1 - c] as number) : t - 1 - (c - p) >= 0 ? -(e[t - 1 - (c - p)] as number) : 0;
        for (let j = 1; j <= q && t - j >= from; j++) d -= (ma[j - 1] as number) * (jac[(t - j) * k + c] as number);
        jac[t * k + c] = d;
      }
    }
    const jtj = new Float64Array(k * k);
    const jte = new Float64Array(k);
    for (let t = from; t < n; t++) {
      for (let a = 0; a < k; a++) {
        const ja = jac[t * k + a] as number;
        jte[a] = (jte[a] as number) - ja * (e[t] as number);
        for (let b = 0; b <= a; b++) jtj[a * k + b] = (jtj[a * k + b] as number) + ja * (jac[t * k + b] as number);
      }
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) jtj[b * k + a] = jtj[a * k + b] as number;
    let improved = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const m = Float64Array.from(jtj);
      for (let a = 0; a < k; a++) m[a * k + a] = (m[a * k + a] as number) * (1 + lambda) + 1e-12;
      const step = choleskySolve(m, Float64Array.from(jte), k);
      if (!step) {
        lambda *= 10;
        continue;
      }
      const next = theta.map((v, i) => v + (step[i] as number));
      const ar = Array.from(next.subarray(0, p));
      const maNext = Array.from(next.subarray(p));
      if (isStationary(ar) && isInvertible(maNext)) {
        const trial = innovations(w, next.subarray(0, p), next.subarray(p), p, q, from);
        if (trial.css < css) {
          const relative = (css - trial.css) / css;
          theta = next;
          e = trial.e;
          css = trial.css;
          lambda = Math.max(lambda / 10, 1e-9);
          improved = relative > 1e-9;
          break;
        }
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  const nEffective = n - from;
  const sigma2 = css / nEffective;
  if (!(sigma2 > 0) || !Number.isFinite(sigma2)) return undefined;
  const logLik = -0.5 * nEffective * (Math.log(2 * Math.PI * sigma2) + 1);
  const params = k + 1;
  const aicc = -2 * logLik + 2 * params + (2 * params * (params + 1)) / Math.max(1, nEffective - params - 1);
  return {
    p,
    q,
    ar: Array.from(theta.subarray(0, p)),
    ma: Array.from(theta.subarray(p)),
    sigma2,
    nEffective,
    logLik,
    aicc,
    lastValues: Array.from(w.subarray(Math.max(0, n - Math.max(p, 1)))),
    lastInnovations: Array.from(e.subarray(Math.max(0, n - Math.max(q, 1)))),
  };
}

/**
 * ψ-weights ψ_0 … ψ_{h−1} of the MA(∞) form, with `d` first differences
 * folded in (each difference is a cumulative sum of the weights).
 */
export function psiWeights(model: Pick<ArmaModel, 'ar' | 'ma'>, horizon: number, d = 0): Float64Array {
  const psi = new Float64Array(horizon);
  if (horizon === 0) return psi;
  psi[0] = 1;
  for (let j = 1; j < horizon; j++) {
    let v = j <= model.ma.length ? (model.ma[j - 1] as number) : 0;
    for (let i = 1; i <= Math.min(j, model.ar.length); i++) v += (model.ar[i - 1] as number) * (psi[j - i] as number);
    psi[j] = v;
  }
  for (let pass = 0; pass < d; pass++) for (let j = 1; j < horizon; j++) psi[j] = (psi[j] as number) + (psi[j - 1] as number);
  return psi;
}

/** Point forecasts of the ARMA series for steps 1 … horizon after its end. */
export function forecastArma(model: ArmaModel, horizon: number): Float64Array {
  const { p, q, ar, ma } = model;
  const history = [...model.lastValues];
  const shocks = [...model.lastInnovations];
  const out = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    let v = 0;
    for (let i = 1; i <= p; i++) v += (ar[i - 1] as number) * (history[history.length - i] as number);
    for (let j = 1; j <= q; j++) v += (ma[j - 1] as number) * (shocks[shocks.length - j] ?? 0);
    out[h] = v;
    history.push(v);
    shocks.push(0);
  }
  return out;
}

/** Forecast variances σ² Σ_{j<h} ψ_j² for h = 1 … horizon. */
export function forecastVariances(model: ArmaModel, horizon: number, d = 0): Float64Array {
  const psi = psiWeights(model, horizon, d);
  const out = new Float64Array(horizon);
  let sum = 0;
  for (let h = 0; h < horizon; h++) {
    sum += (psi[h] as number) ** 2;
    out[h] = model.sigma2 * sum;
  }
  return out;
}
