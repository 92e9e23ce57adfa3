/**
 * Dynamic harmonic regression: y[t] = Σ Fourier terms of each seasonal
 * period + η[t], with η an ARIMA(p, 1, q) process (so the level is local:
 * it is carried by the last value, not by a weeks-long mean). This is how
 * seasonal ARIMA handles periods the `arima` package cannot (288, 2016,
 * 168 steps): the seasonal shape is carried by a few harmonics per period,
 * the short-range dynamics by the ARMA errors (Hyndman & Athanasopoulos,
 * FPP3 §10.5 and §12.1).
 *
 * The coefficients are estimated on differenced data (Δy on ΔX). Harmonics
 * per period (K) are chosen by AICc of that regression with AR(2) errors (a
 * cheap stand-in for the final ARMA, so that autocorrelated residuals do
 * not make every extra harmonic look significant); the ARMA order is then
 * searched on the chosen regression's differenced residuals.
 */

import { type ArmaModel, forecastArma, forecastVariances } from './arma.js';
import { searchArmaOrder } from './auto-order.js';
import { type Harmonic, harmonicColumns, harmonicsFor } from './fourier.js';
import { type Gram, gram, residuals, solveSubset } from './least-squares.js';
import { estimateProfile, profileAt, profileHelps, type SeasonalProfile } from './seasonal-profile.js';

/**
 * Most harmonics tried for the shortest period and for each longer one. A
 * weekly period needs many: its harmonics next to multiples of 7 are what
 * let a weekday's daily shape differ from a Sunday's.
 */
export const MAX_K_SHORTEST = 12;
export const MAX_K_LONGER = 20;
const MAX_P = 3;
const MAX_Q = 2;
/**
 * The errors are modelled as ARIMA(p, 1, q): on the real series in data/
 * (rolling origins, 1-day horizon) a stationary ARMA pulled forecasts back
 * to the 2–4-week mean after level shifts, and one difference beat it on
 * most series. With the difference, a linear trend would be a drift that
 * extrapolates a day of noise, so the trend is not tried.
 */
const DIFFERENCES: number = 1;
const TRY_TREND = false;
/** Coordinate-search rounds over the periods' K; two settle it in practice. */
const MAX_ROUNDS = 3;

export interface HarmonicRegressionOptions {
  /** Seasonal periods in steps, shortest first; each must have at least two cycles in the data. */
  readonly periods: readonly number[];
  readonly deadlineMs: number;
  readonly nowMs: () => number;
}

export interface HarmonicRegressionFit {
  /** Chosen harmonics per period (period in steps → K). */
  readonly harmonicsPerPeriod: ReadonlyMap<number, number>;
  readonly trend: boolean;
  /** Regression coefficients, aligned with `terms`. */
  readonly coefficients: readonly number[];
  readonly terms: readonly Term[];
  readonly arma: ArmaModel;
  /** Sharp features of the shortest season that the harmonics miss (see seasonal-profile.ts). */
  readonly profile: SeasonalProfile | undefined;
  /** Differences applied to the regression residuals before the ARMA (0 or 1). */
  readonly d: number;
  /** Last regression residual: the level the differenced errors start from. */
  readonly lastResidual: number;
  /** Number of fitted values (forecast step h is at t = length − 1 + h). */
  readonly length: number;
  /** AICc of the whole model (regression + ARMA). */
  readonly aicc: number;
  readonly notes: readonly string[];
}

type Term = { readonly kind: 'level' } | { readonly kind: 'trend' } | { readonly kind: 'sin' | 'cos'; readonly harmonic: Harmonic };

interface Candidate {
  readonly ks: readonly number[];
  readonly trend: boolean;
}

/** Builds every column that any candidate could use, once. */
function buildTerms(periods: readonly number[], length: number): { terms: Term[]; columns: Float64Array[] } {
  const terms: Term[] = [{ kind: 'level' }, { kind: 'trend' }];
  const columns: Float64Array[] = [new Float64Array(length).fill(1), Float64Array.from({ length }, (_, t) => t)];
  const maxK = (index: number): number => (index === 0 ? MAX_K_SHORTEST : MAX_K_LONGER);
  periods.forEach((period, index) => {
    const shorter = periods.slice(0, index).map((p, j) => ({ period: p, k: maxK(j) }));
    for (const harmonic of harmonicsFor(period, maxK(index), shorter)) {
      const [sin, cos] = harmonicColumns(harmonic, 0, length);
      terms.push({ kind: 'sin', harmonic }, { kind: 'cos', harmonic });
      columns.push(sin, cos);
    }
  });
  return { terms, columns };
}

/** Column indices a candidate uses. */
function subsetFor(terms: readonly Term[], periods: readonly number[], candidate: Candidate): number[] {
  const subset: number[] = [];
  const counts = new Map<number, number>();
  terms.forEach((term, i) => {
    if (term.kind === 'level') {
      // Differencing removes the level: it is carried by the last value instead.
      if (DIFFERENCES === 0) subset.push(i);
    } else if (term.kind === 'trend') {
      if (candidate.trend) subset.push(i);
    } else {
      const period = term.harmonic.period;
      const k = candidate.ks[periods.indexOf(period)] ?? 0;
      // Each harmonic is a sin/cos pair; count pairs by the sine.
      const seen = counts.get(period) ?? 0;
      if (term.kind === 'sin') counts.set(period, seen + 1);
      const rank = term.kind === 'sin' ? seen + 1 : seen;
      if (rank <= k) subset.push(i);
    }
  });
  return subset;
}

/** Innovation variance of an AR(2) fitted by least squares to r: the K-selection criterion's error model. */
function ar2InnovationVariance(r: Float64Array): number {
  let s11 = 0,
    s12 = 0,
    s22 = 0,
    b1 = 0,
    b2 = 0;
  const n = r.length;
  for (let t = 2; t < n; t++) {
    const x1 = r[t - 1] as number,
      x2 = r[t - 2] as number,
      y = r[t] as number;
    s11 += x1 * x1;
    s12 += x1 * x2;
    s22 += x2 * x2;
    b1 += x1 * y;
    b2 += x2 * y;
  }
  const det = s11 * s22 - s12 * s12;
  const a1 = det > 0 ? (b1 * s22 - b2 * s12) / det : 0;
  const a2 = det > 0 ? (s11 * b2 - s12 * b1) / det : 0;
  let css = 0;
  for (let t = 2; t < n; t++) {
    const e = (r[t] as number) - a1 * (r[t - 1] as number) - a2 * (r[t - 2] as number);
    css += e * e;
  }
  return css / (n - 2);
}

/** First differences x[t] − x[t−1], one shorter. */
function difference(x: Float64Array): Float64Array {
  const out = new Float64Array(Math.max(0, x.length - 1));
  for (let t = 1; t < x.length; t++) out[t - 1] = (x[t] as number) - (x[t - 1] as number);
  return out;
}

function aicc(logLik: number, params: number, n: number): number {
  return -2 * logLik + 2 * params + (2 * params * (params + 1)) / Math.max(1, n - params - 1);
}

function scoreCandidate(g: Gram, columns: readonly Float64Array[], subset: readonly number[], y: Float64Array): number {
  const coef = solveSubset(g, subset);
  if (!coef) return Number.POSITIVE_INFINITY;
  const r = residuals(columns, subset, coef, y);
  const sigma2 = ar2InnovationVariance(r);
  if (!(sigma2 > 0)) return Number.POSITIVE_INFINITY;
  const n = y.length - 2;
  const logLik = -0.5 * n * (Math.log(2 * Math.PI * sigma2) + 1);
  return aicc(logLik, subset.length + 3, n);
}

/**
 * Fits the dynamic harmonic regression with an automatic choice of K per
 * period, trend, and ARMA order. The simplest candidate (K = 1 per period,
 * no trend, AR(1) errors) is always fitted; richer candidates are tried
 * only while the deadline allows, and a search cut short says so in `notes`.
 * @returns the fit, or undefined when even the simplest candidate fails
 */
export function fitHarmonicRegression(values: readonly number[], options: HarmonicRegressionOptions): HarmonicRegressionFit | undefined {
  const { periods, deadlineMs, nowMs } = options;
  const n = values.length;
  const y = Float64Array.from(values);
  const { terms, columns } = buildTerms(periods, n);
  // With differenced errors, β is estimated on differenced data (Δy on ΔX): a level shift is then one
  // large difference instead of a weeks-long bias that bends the seasonal terms.
  const fitColumns = DIFFERENCES === 1 ? columns.map(difference) : columns;
  const fitY = DIFFERENCES === 1 ? difference(y) : y;
  const g = gram(fitColumns, fitY);
  const notes: string[] = [];
  const maxKs = periods.map((p) => terms.filter((t) => t.kind === 'sin' && t.harmonic.period === p).length);

  let best: Candidate = { ks: periods.map(() => 1), trend: false };
  let bestScore = scoreCandidate(g, fitColumns, subsetFor(terms, periods, best), fitY);
  let stopped = false;
  const scored = new Map<string, number>([[JSON.stringify(best), bestScore]]);
  search: for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (let dim = 0; dim <= periods.length; dim++) {
      const options: Candidate[] = [];
      if (dim === periods.length) {
        if (!TRY_TREND) continue;
        options.push({ ks: best.ks, trend: !best.trend });
      } else
        for (let k = 1; k <= (maxKs[dim] as number); k++)
          options.push({ ks: best.ks.map((v, i) => (i === dim ? k : v)), trend: best.trend });
      for (const candidate of options) {
        const key = JSON.stringify(candidate);
        if (scored.has(key)) continue;
        if (nowMs() >= deadlineMs) {
          stopped = true;
          break search;
        }
        const score = scoreCandidate(g, fitColumns, subsetFor(terms, periods, candidate), fitY);
        scored.set(key, score);
        if (score < bestScore) {
          bestScore = score;
          best = candidate;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  if (stopped) notes.push(`harmonic search stopped at the deadline after ${scored.size} candidates; kept the best so far`);

  const subset = subsetFor(terms, periods, best);
  const coef = solveSubset(g, subset);
  if (!coef) return undefined;
  const r = residuals(columns, subset, coef, y);
  const shortest = periods[0];
  const profile = shortest !== undefined && profileHelps(r, shortest) ? estimateProfile(r, shortest) : undefined;
  if (profile) {
    for (let t = 0; t < n; t++) r[t] = (r[t] as number) - profileAt(profile, t);
    notes.push(`per-phase profile of the ${profile.period}-step season added to the harmonics (shrinkage ${profile.shrinkage.toFixed(2)})`);
  }
  const d = DIFFERENCES;
  const w = d === 1 ? r.subarray(1).map((v, i) => v - (r[i] as number)) : r;
  const search = searchArmaOrder(w, { maxP: MAX_P, maxQ: MAX_Q, deadlineMs, nowMs });
  if (!search.best) return undefined;
  if (search.stoppedAtDeadline) notes.push(`ARMA order search stopped at the deadline after ${search.tried} orders; kept the best so far`);
  const arma = search.best;
  const harmonicsPerPeriod = new Map(periods.map((p, i) => [p, best.ks[i] as number]));
  return {
    harmonicsPerPeriod,
    trend: best.trend,
    coefficients: Array.from(coef),
    terms: subset.map((i) => terms[i] as Term),
    arma,
    profile,
    d,
    lastResidual: r[n - 1] as number,
    length: n,
    aicc: aicc(arma.logLik, subset.length + arma.p + arma.q + 1, arma.nEffective),
    notes,
  };
}

/** Regression part of the forecast for steps 1 … horizon after the fitted data. */
export function regressionForecast(fit: HarmonicRegressionFit, horizon: number): Float64Array {
  const out = new Float64Array(horizon);
  fit.terms.forEach((term, j) => {
    const beta = fit.coefficients[j] as number;
    if (term.kind === 'level') for (let h = 0; h < horizon; h++) out[h] = (out[h] as number) + beta;
    else if (term.kind === 'trend') for (let h = 0; h < horizon; h++) out[h] = (out[h] as number) + beta * (fit.length + h);
    else {
      const [sin, cos] = harmonicColumns(term.harmonic, fit.length, horizon);
      const column = term.kind === 'sin' ? sin : cos;
      for (let h = 0; h < horizon; h++) out[h] = (out[h] as number) + beta * (column[h] as number);
    }
  });
  const profile = fit.profile;
  if (profile) for (let h = 0; h < horizon; h++) out[h] = (out[h] as number) + profileAt(profile, fit.length + h);
  return out;
}

/** Point forecast and forecast variance (from the ARMA ψ-weights) for steps 1 … horizon. */
export function forecastHarmonicRegression(fit: HarmonicRegressionFit, horizon: number): { point: Float64Array; variance: Float64Array } {
  const point = regressionForecast(fit, horizon);
  const errors = forecastArma(fit.arma, horizon);
  if (fit.d === 1) {
    let level = fit.lastResidual;
    for (let h = 0; h < horizon; h++) {
      level += errors[h] as number;
      errors[h] = level;
    }
  }
  for (let h = 0; h < horizon; h++) point[h] = (point[h] as number) + (errors[h] as number);
  return { point, variance: forecastVariances(fit.arma, horizon, fit.d) };
}
