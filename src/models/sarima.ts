import { PrescientError } from '../errors.js';
import { forecastHarmonicRegression, fitHarmonicRegression, type HarmonicRegressionFit } from './arima/harmonic-regression.js';
import type { FitContext, FitInfo, Fitted, Forecast, Forecaster } from './forecaster.js';
import type { PackageSarimaFit } from './arima/arima-package.js';
import { tryShortSeasonal } from './arima/short-seasonal.js';
import { removeSpikes } from './arima/spikes.js';
import { zForLevel } from './intervals.js';

/** Fewest values for any fit: enough for ARMA(3, 2) errors around a level. */
const MIN_POINTS = 16;
/** A seasonal period is used only with this many full cycles in the history. */
const CYCLES_PER_SEASON = 2;

/** What `sarima` chose, on top of the common FitInfo (shown in the target's state). */
export interface SarimaInfo extends FitInfo {
  /**
   * 'harmonic-regression': Fourier terms + ARIMA errors; 'seasonal-arima': true SARIMA from the
   * `arima` package (short periods only); 'constant': the series never moved.
   */
  readonly method: 'harmonic-regression' | 'seasonal-arima' | 'constant';
  /** Non-seasonal ARIMA order of the errors, [p, d, q]. */
  readonly order: readonly [number, number, number];
  /** Seasonal order [P, D, Q, s] when method is 'seasonal-arima'. */
  readonly seasonalOrder?: readonly [number, number, number, number];
  /** Harmonics chosen per seasonal period (period in steps → K). */
  readonly harmonics: Readonly<Record<string, number>>;
  readonly trend: boolean;
  /** 'log' when the model was fitted to log values (chosen by AICc on the original scale). */
  readonly transform: 'none' | 'log';
  /** AR and MA coefficients of the errors (R's sign convention). */
  readonly ar: readonly number[];
  readonly ma: readonly number[];
  /** Seasonal AR and MA coefficients when method is 'seasonal-arima'. */
  readonly sar?: readonly number[];
  readonly sma?: readonly number[];
  /** Innovation variance of the errors, in squared units of the series. */
  readonly sigma2: number;
  /** AICc on the original scale (comparable between the raw and log fits); NaN for 'seasonal-arima'. */
  readonly aicc: number;
}

/** The periods (in steps) that the history is long enough to estimate. */
function usablePeriods(length: number, ctx: FitContext): number[] {
  return ctx.seasonalPeriods.filter((p) => Number.isInteger(p) && p >= 2 && length >= CYCLES_PER_SEASON * p);
}

/**
 * Seasonal ARIMA for capacity data (DESIGN.md §2 says why it is built this way):
 *
 * - Dynamic harmonic regression: Fourier terms for each seasonal period (K
 *   per period chosen by AICc, at most 12 for the shortest and 20 for
 *   longer ones), estimated on differenced data, with ARIMA(p ≤ 3, 1, q ≤ 2)
 *   errors chosen by AICc. This handles the long and multiple periods of
 *   1–5-minute and hourly data (288 and 2016, 24 and 168 steps), where the
 *   `arima` package's seasonal model fails.
 * - Where the shortest period is ≤ 24 steps with enough cycles, true
 *   SARIMA(p,0,q)(0,1,1)s from the `arima` package competes on a holdout of
 *   the last cycle and is served when it wins.
 * - Before fitting, isolated spikes are replaced (at most 2 % of samples),
 *   and for positive series a log scale is tried and kept when AICc on the
 *   original scale prefers it (then the point forecast is the median).
 *
 * Intervals come from the ARIMA forecast variance (ψ-weights). Seasons
 * without two full cycles of history are dropped (noted). The search stops
 * at `ctx.deadlineMs`, keeping the best model so far (noted); a fit that
 * starts after its deadline throws PRESCIENT_ERR_FIT_TIMEOUT. What was chosen
 * is in `info` (a SarimaInfo).
 */
export const sarima: Forecaster = {
  name: 'sarima',
  minLength(ctx) {
    const shortest = ctx.seasonalPeriods.find((p) => p >= 2);
    return shortest === undefined ? MIN_POINTS : Math.max(MIN_POINTS, CYCLES_PER_SEASON * shortest);
  },
  async fit(values, ctx) {
    return fitSarima(values, ctx);
  },
};

/**
 * Fits `sarima`; exported with an injectable clock so tests can cut the
 * search at the deadline deterministically.
 * @param nowMs clock in ms since epoch
 * @throws PrescientError PRESCIENT_ERR_SERIES_TOO_SHORT, PRESCIENT_ERR_FIT_TIMEOUT when
 *   the deadline has passed before fitting starts, PRESCIENT_ERR_FIT_FAILED
 */
export function fitSarima(values: readonly number[], ctx: FitContext, nowMs: () => number = Date.now): Fitted {
  const minLength = sarima.minLength(ctx);
  if (values.length < minLength) {
    throw new PrescientError(
      'PRESCIENT_ERR_SERIES_TOO_SHORT',
      `sarima needs at least ${minLength} values for periods [${ctx.seasonalPeriods.join(', ')}], got ${values.length}`,
    );
  }
  if (nowMs() >= ctx.deadlineMs) {
    throw new PrescientError('PRESCIENT_ERR_FIT_TIMEOUT', 'sarima fit started after its deadline');
  }
  if (!values.every(Number.isFinite)) {
    throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', 'sarima needs finite values (regularize the series first)');
  }
  const periods = usablePeriods(values.length, ctx);
  const notes = ctx.seasonalPeriods
    .filter((p) => !periods.includes(p))
    .map((p) => `season of ${p} steps dropped: fewer than ${CYCLES_PER_SEASON} full cycles of history`);

  const first = values[0] as number;
  if (values.every((v) => v === first)) {
    return new FittedSarima(constantInfo(notes), () => ({ point: new Float64Array(0), variance: new Float64Array(0) }), 'none', first);
  }

  const { values: cleaned, replaced } = removeSpikes(values, periods[0]);
  if (replaced > 0) notes.push(`${replaced} spike sample(s) replaced by their neighbourhood median before fitting`);
  const transforms: Transform[] = ['none'];
  if (cleaned.every((v) => v > 0)) transforms.push('log');
  let best: { fit: HarmonicRegressionFit; transform: Transform; score: number } | undefined;
  for (const transform of transforms) {
    if (best && nowMs() >= ctx.deadlineMs) {
      notes.push(`log transform not tried: deadline reached`);
      break;
    }
    const y = transform === 'log' ? cleaned.map(Math.log) : cleaned;
    const fit = fitHarmonicRegression(y, { periods, deadlineMs: ctx.deadlineMs, nowMs });
    if (!fit) continue;
    // AICc on the original scale: the log model's likelihood gains the Jacobian Σ log y.
    const score = transform === 'log' ? fit.aicc + 2 * y.reduce((a, v) => a + v, 0) : fit.aicc;
    if (!best || score < best.score) best = { fit, transform, score };
  }
  if (!best) throw new PrescientError('PRESCIENT_ERR_FIT_FAILED', 'sarima: the harmonic regression or its ARMA errors could not be fitted');
  const { fit, transform } = best;
  const y = transform === 'log' ? cleaned.map(Math.log) : cleaned;
  const seasonal = tryShortSeasonal(y, fit, periods, CYCLES_PER_SEASON, ctx.deadlineMs, nowMs, notes);
  if (seasonal) {
    const info = packageInfo(seasonal, transform, [...notes]);
    return new FittedSarima(
      info,
      (horizon) => {
        const { point, variance } = seasonal.predict(horizon);
        return { point: Float64Array.from(point), variance: Float64Array.from(variance) };
      },
      transform,
      undefined,
      () => seasonal.dispose(),
    );
  }
  const info = harmonicInfo(fit, transform, best.score, [...notes, ...fit.notes]);
  return new FittedSarima(info, (horizon) => forecastHarmonicRegression(fit, horizon), transform);
}

function packageInfo(fit: PackageSarimaFit, transform: Transform, notes: string[]): SarimaInfo {
  const o = fit.order;
  return {
    model: 'sarima',
    method: 'seasonal-arima',
    order: [o.p, o.d, o.q],
    seasonalOrder: [o.P, o.D, o.Q, o.s],
    harmonics: {},
    trend: false,
    transform,
    ar: fit.ar,
    ma: fit.ma,
    sar: fit.sar,
    sma: fit.sma,
    sigma2: fit.sigma2,
    aicc: Number.NaN,
    notes: [
      `${transform === 'log' ? 'on log scale: ' : ''}SARIMA(${o.p},${o.d},${o.q})(${o.P},${o.D},${o.Q})${o.s} by exact maximum likelihood (arima package)`,
      ...notes,
    ],
  };
}

/** 'log' fits log(y) and exponentiates point and bounds: the point is then the median. */
type Transform = 'none' | 'log';

function harmonicInfo(fit: HarmonicRegressionFit, transform: Transform, aicc: number, notes: string[]): SarimaInfo {
  const harmonics = Object.fromEntries([...fit.harmonicsPerPeriod].map(([p, k]) => [String(p), k]));
  const seasons = [...fit.harmonicsPerPeriod].map(([p, k]) => `K=${k} for period ${p}`).join(', ');
  const summary = `${transform === 'log' ? 'on log scale: ' : ''}harmonic regression (${seasons || 'no season'}${fit.trend ? ', linear trend' : ''}) with ARIMA(${fit.arma.p},${fit.d},${fit.arma.q}) errors`;
  return {
    model: 'sarima',
    method: 'harmonic-regression',
    order: [fit.arma.p, fit.d, fit.arma.q],
    harmonics,
    trend: fit.trend,
    transform,
    ar: fit.arma.ar,
    ma: fit.arma.ma,
    sigma2: fit.arma.sigma2,
    aicc,
    notes: [summary, ...notes],
  };
}

function constantInfo(notes: string[]): SarimaInfo {
  return {
    model: 'sarima',
    method: 'constant',
    order: [0, 0, 0],
    harmonics: {},
    trend: false,
    transform: 'none',
    ar: [],
    ma: [],
    sigma2: 0,
    aicc: Number.NEGATIVE_INFINITY,
    notes: ['the series is constant: forecasts repeat it with zero-width intervals', ...notes],
  };
}

type ForecastFn = (horizon: number) => { point: Float64Array; variance: Float64Array };

class FittedSarima implements Fitted {
  constructor(
    readonly info: SarimaInfo,
    private readonly forecast: ForecastFn,
    private readonly transform: Transform,
    private readonly constant?: number,
    private readonly release?: () => void,
  ) {}

  /** @throws PrescientError PRESCIENT_ERR_VALIDATION for a horizon below 1 or a level outside (0, 1) */
  predict(horizon: number, levels: readonly number[]): Forecast {
    if (!Number.isInteger(horizon) || horizon < 1) {
      throw new PrescientError('PRESCIENT_ERR_VALIDATION', `horizon must be a whole number of steps ≥ 1, got ${horizon}`);
    }
    const bad = levels.find((l) => !(l > 0 && l < 1));
    if (bad !== undefined) throw new PrescientError('PRESCIENT_ERR_VALIDATION', `interval levels must be in (0, 1), got ${bad}`);
    if (this.constant !== undefined) {
      const point = new Array<number>(horizon).fill(this.constant);
      return { point, intervals: levels.map((level) => ({ level, lower: [...point], upper: [...point] })) };
    }
    const { point, variance } = this.forecast(horizon);
    const sd = Array.from(variance, (v) => Math.sqrt(v));
    const back = this.transform === 'log' ? Math.exp : (v: number) => v;
    const points = Array.from(point);
    const intervals = levels.map((level) => {
      const z = zForLevel(level);
      return {
        level,
        lower: points.map((p, h) => back(p - z * (sd[h] as number))),
        upper: points.map((p, h) => back(p + z * (sd[h] as number))),
      };
    });
    return { point: points.map(back), intervals };
  }

  dispose(): void {
    this.release?.();
  }
}
