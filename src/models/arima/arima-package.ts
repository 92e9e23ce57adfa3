/**
 * Adapter for the npm `arima` package (ctsa compiled to WASM): true SARIMA
 * by exact maximum likelihood, for short seasonal periods only. The
 * package's JS wrapper returns forecasts and their variances but not the
 * coefficients, σ² or log-likelihood; those appear only in the summary it
 * prints when `verbose` is on. So the WASM module is instantiated here with
 * a `print` hook that captures that summary instead of writing to stdout,
 * and the summary is parsed. Coefficients are returned in R's sign
 * convention (ctsa prints MA terms with the opposite sign).
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrescientError } from '../../errors.js';

/**
 * Longest seasonal period handed to the package: measured on this machine
 * kind (DESIGN.md §2), s = 168 ran for over 40 s and returned ~1e+200 and
 * s = 288 crashed the WASM heap.
 */
export const MAX_PACKAGE_PERIOD = 24;

export interface SarimaOrder {
  readonly p: number;
  readonly d: number;
  readonly q: number;
  readonly P: number;
  readonly D: number;
  readonly Q: number;
  /** Seasonal period in steps (0 for none). */
  readonly s: number;
}

export interface PackageSarimaFit {
  readonly order: SarimaOrder;
  /** φ, θ, Φ, Θ in R's convention: w = Σφ w[t−i] + e + Σθ e[t−j]. */
  readonly ar: readonly number[];
  readonly ma: readonly number[];
  readonly sar: readonly number[];
  readonly sma: readonly number[];
  readonly mean: number;
  readonly sigma2: number;
  readonly logLik: number;
  readonly aic: number;
  /** Point forecasts and forecast variances for steps 1 … horizon. */
  predict(horizon: number): { point: number[]; variance: number[] };
  /** Frees the model's WASM memory. Idempotent. */
  dispose(): void;
}

interface ArimaInstance {
  train(ts: number[]): ArimaInstance;
  predict(length: number): [number[], number[]];
  destroy(): void;
}
type ArimaConstructor = new (options: Record<string, number | boolean>) => ArimaInstance;

let cached: { ARIMA: ArimaConstructor; lines: string[] } | undefined;

/** Instantiates the package's WASM module once per thread, with stdout captured. */
function load(): { ARIMA: ArimaConstructor; lines: string[] } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('arima'));
  // The package's `exports` map hides these files; absolute paths reach them.
  const createModule = require(join(dir, 'wasm', 'native-sync.js')) as (options: object) => unknown;
  const wasmBinary = require(join(dir, 'wrapper', 'native.bin.js')) as Uint8Array;
  const wrap = require(join(dir, 'load.js')) as (module: unknown) => ArimaConstructor;
  const lines: string[] = [];
  const module = createModule({ wasmBinary, print: (line: string) => lines.push(line), printErr: (line: string) => lines.push(line) });
  cached = { ARIMA: wrap(module), lines };
  return cached;
}

/** Parses ctsa's printed summary. */
export function parseSummary(text: string): {
  coefficients: Map<string, number>;
  mean: number;
  sigma2: number;
  logLik: number;
  aic: number;
} {
  const coefficients = new Map<string, number>();
  for (const match of text.matchAll(/^\s*(S?AR\d+|S?MA\d+)\s+(\S+)/gm)) coefficients.set(match[1] as string, Number(match[2]));
  const number = (pattern: RegExp): number => {
    const m = pattern.exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  return {
    coefficients,
    mean: number(/^\s*MEAN\s+(\S+)/m),
    sigma2: number(/^\s*SIGMA\^2\s+(\S+)/m),
    logLik: number(/Log Likelihood\s*:\s*(\S+)/),
    aic: number(/AIC criterion\s*:\s*(\S+)/),
  };
}

/**
 * Fits SARIMA(p,d,q)(P,D,Q)s by exact maximum likelihood in the package.
 * @param values the series, finite
 * @throws PrescientError PRESCIENT_ERR_FIT_FAILED when the period is longer than
 *   MAX_PACKAGE_PERIOD, the package throws, or its estimates are not finite
 */
export function fitPackageSarima(values: readonly number[], order: SarimaOrder): PackageSarimaFit {
  if (order.s > MAX_PACKAGE_PERIOD) {
    throw new PrescientError(
      'PRESCIENT_ERR_FIT_FAILED',
      `the arima package is not used for seasonal periods above ${MAX_PACKAGE_PERIOD} steps (got ${order.s})`,
    );
  }
  const { ARIMA, lines } = load();
  lines.length = 0;
  let instance: ArimaInstance;
  try {
    instance = new ARIMA({ ...order, method: 0, optimizer: 6, verbose: true }).train([...values]);
  } catch (cause) {
    // A WASM trap can leave the module's heap inconsistent: start a fresh one next time.
    cached = undefined;
    throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', `arima package fit failed: ${String(cause)}`, { cause });
  }
  const summary = parseSummary(lines.join('\n'));
  lines.length = 0;
  const pick = (prefix: string, count: number, sign: number): number[] =>
    Array.from({ length: count }, (_, i) => sign * (summary.coefficients.get(`${prefix}${i + 1}`) ?? Number.NaN));
  const ar = pick('AR', order.p, 1);
  const ma = pick('MA', order.q, -1);
  const sar = pick('SAR', order.P, 1);
  const sma = pick('SMA', order.Q, -1);
  const all = [...ar, ...ma, ...sar, ...sma, summary.sigma2, summary.logLik];
  if (!all.every(Number.isFinite) || !(summary.sigma2 > 0)) {
    instance.destroy();
    throw new PrescientError(
      'PRESCIENT_ERR_FIT_FAILED',
      `arima package returned non-finite estimates for SARIMA(${order.p},${order.d},${order.q})(${order.P},${order.D},${order.Q})${order.s}`,
    );
  }
  let alive = true;
  return {
    order,
    ar,
    ma,
    sar,
    sma,
    mean: Number.isFinite(summary.mean) ? summary.mean : 0,
    sigma2: summary.sigma2,
    logLik: summary.logLik,
    aic: summary.aic,
    predict(horizon) {
      if (!alive) throw new PrescientError('PRESCIENT_ERR_INTERNAL', 'arima package model used after dispose');
      lines.length = 0;
      const [point, variance] = instance.predict(horizon);
      lines.length = 0;
      return { point: Array.from(point), variance: Array.from(variance) };
    },
    dispose() {
      if (alive) instance.destroy();
      alive = false;
    },
  };
}
