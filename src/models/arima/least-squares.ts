/**
 * Ordinary least squares for the harmonic regression, small and careful:
 * columns are scaled to unit RMS before the normal equations are formed (so
 * a trend column in the thousands and a sine in [−1, 1] weigh alike), a tiny
 * ridge keeps near-collinear columns solvable, and the system is solved by
 * Cholesky. With at most a few dozen columns the Gram matrix is cheap to
 * form once and to solve for many column subsets.
 */

/** Relative ridge added to the scaled Gram diagonal; far below any real signal. */
const RIDGE = 1e-8;

/** X'X and X'y of a set of columns, kept so subsets can be solved without another pass over the data. */
export interface Gram {
  /** Number of rows (observations). */
  readonly rows: number;
  /** RMS of each column, used to scale it to unit RMS. */
  readonly scales: Float64Array;
  /** Scaled X'X, row-major, columns × columns. */
  readonly xtx: Float64Array;
  /** Scaled X'y. */
  readonly xty: Float64Array;
  /** y'y. */
  readonly yty: number;
}

/** Forms the scaled normal equations of `columns` (each of length `y.length`) against `y`. */
export function gram(columns: readonly Float64Array[], y: ArrayLike<number>): Gram {
  const p = columns.length;
  const n = y.length;
  const scales = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const c = columns[j] as Float64Array;
    let s = 0;
    for (let t = 0; t < n; t++) s += (c[t] as number) * (c[t] as number);
    scales[j] = Math.sqrt(s / n) || 1;
  }
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    const ca = columns[a] as Float64Array;
    const sa = scales[a] as number;
    let sy = 0;
    for (let t = 0; t < n; t++) sy += (ca[t] as number) * (y[t] as number);
    xty[a] = sy / sa;
    for (let b = a; b < p; b++) {
      const cb = columns[b] as Float64Array;
      let s = 0;
      for (let t = 0; t < n; t++) s += (ca[t] as number) * (cb[t] as number);
      const v = s / (sa * (scales[b] as number));
      xtx[a * p + b] = v;
      xtx[b * p + a] = v;
    }
  }
  let yty = 0;
  for (let t = 0; t < n; t++) yty += (y[t] as number) * (y[t] as number);
  return { rows: n, scales, xtx, xty, yty };
}

/**
 * Solves the least-squares problem restricted to the columns in `subset`
 * (indices into the Gram's columns). Returns coefficients on the original
 * (unscaled) columns, in subset order, or undefined when the system is not
 * positive definite even with the ridge.
 */
export function solveSubset(g: Gram, subset: readonly number[]): Float64Array | undefined {
  const k = subset.length;
  const p = g.scales.length;
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const si = subset[i] as number;
    b[i] = g.xty[si] as number;
    for (let j = 0; j < k; j++) a[i * k + j] = g.xtx[si * p + (subset[j] as number)] as number;
    a[i * k + i] = (a[i * k + i] as number) * (1 + RIDGE) + RIDGE * g.rows;
  }
  const x = choleskySolve(a, b, k);
  if (!x) return undefined;
  for (let i = 0; i < k; i++) x[i] = (x[i] as number) / (g.scales[subset[i] as number] as number);
  return x;
}

/**
 * Solves A x = b for a symmetric positive definite A (row-major, k × k) by
 * Cholesky. Returns undefined when A is not positive definite. A is overwritten.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, k: number): Float64Array | undefined {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j] as number;
    for (let m = 0; m < j; m++) d -= (a[j * k + m] as number) ** 2;
    if (!(d > 0)) return undefined;
    const l = Math.sqrt(d);
    a[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j] as number;
      for (let m = 0; m < j; m++) s -= (a[i * k + m] as number) * (a[j * k + m] as number);
      a[i * k + j] = s / l;
    }
  }
  const x = Float64Array.from(b);
  for (let i = 0; i < k; i++) {
    let s = x[i] as number;
    for (let m = 0; m < i; m++) s -= (a[i * k + m] as number) * (x[m] as number);
    x[i] = s / (a[i * k + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = x[i] as number;
    for (let m = i + 1; m < k; m++) s -= (a[m * k + i] as number) * (x[m] as number);
    x[i] = s / (a[i * k + i] as number);
  }
  return x;
}

/** Residuals y − Σ coef[j]·columns[subset[j]]. */
export function residuals(
  columns: readonly Float64Array[],
  subset: readonly number[],
  coef: ArrayLike<number>,
  y: ArrayLike<number>,
): Float64Array {
  const n = y.length;
  const r = Float64Array.from(y as ArrayLike<number>);
  for (let j = 0; j < subset.length; j++) {
    const c = columns[subset[j] as number] as Float64Array;
    const beta = coef[j] as number;
    for (let t = 0; t < n; t++) r[t] = (r[t] as number) - beta * (c[t] as number);
  }
  return r;
}
