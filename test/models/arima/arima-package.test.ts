import { describe, expect, it } from 'vitest';
import { fitPackageSarima, parseSummary } from '../../../src/models/arima/arima-package.js';
import { AIR_PASSENGERS } from '../../fixtures/air-passengers.js';

describe('arima package adapter', () => {
  it('reproduces the airline model SARIMA(0,1,1)(0,1,1)12 on log(AirPassengers) (R agrees)', () => {
    const fit = fitPackageSarima(AIR_PASSENGERS.map(Math.log), { p: 0, d: 1, q: 1, P: 0, D: 1, Q: 1, s: 12 });
    try {
      expect(fit.ma[0]).toBeCloseTo(-0.4018, 3);
      expect(fit.sma[0]).toBeCloseTo(-0.5569, 3);
      expect(fit.sigma2).toBeCloseTo(0.0013481, 6);
      expect(fit.logLik).toBeCloseTo(244.697, 2);
      const { point, variance } = fit.predict(12);
      expect(point).toHaveLength(12);
      // The one-step forecast variance is σ²; later ones grow.
      expect(variance[0]).toBeCloseTo(fit.sigma2, 6);
      for (let h = 1; h < 12; h++) expect(variance[h]).toBeGreaterThan(variance[h - 1] as number);
      // January 1961 on the log scale: R's forecast is 6.110.
      expect(point[0]).toBeCloseTo(6.11, 2);
    } finally {
      fit.dispose();
    }
  });

  it('refuses long seasonal periods with PRESCIENT_ERR_FIT_FAILED instead of crashing the WASM heap', () => {
    expect(() => fitPackageSarima(new Array(2000).fill(1), { p: 1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: 288 })).toThrow(
      expect.objectContaining({ code: 'PRESCIENT_ERR_FIT_FAILED' }),
    );
  });

  it('parses the printed summary, flipping MA signs to R convention only in the adapter', () => {
    const parsed = parseSummary(
      'MA1              0.401823            0.0896454\nSIGMA^2          0.0013481\nLog Likelihood : 244.697 \nAIC criterion : -483.393 ',
    );
    expect(parsed.coefficients.get('MA1')).toBeCloseTo(0.401823, 6);
    expect(parsed.sigma2).toBeCloseTo(0.0013481, 7);
    expect(parsed.aic).toBeCloseTo(-483.393, 3);
  });
});
