import { PrescientError } from '../errors.js';
import type { Forecaster } from './forecaster.js';
import { auto } from './auto.js';
import { damped } from './damped.js';
import { driftNaive, localNaive } from './local-naive.js';
import { lstm } from './lstm.js';
import { mstl } from './mstl.js';
import { sarima } from './sarima.js';
import { seasonalMean } from './seasonal-mean.js';
import { seasonalNaive } from './seasonal-naive.js';
import { theta } from './theta.js';

/**
 * Every model Prescient can fit, by the name users give. The model contract
 * test (test/models/contract.test.ts) runs over this whole list, so a model
 * is added here and nowhere else.
 */
export const forecasters: ReadonlyMap<string, Forecaster> = new Map(
  [seasonalNaive, localNaive, driftNaive, seasonalMean, theta, damped, mstl, sarima, lstm, auto].map((f) => [f.name, f]),
);

/** @throws PrescientError PRESCIENT_ERR_MODEL_UNKNOWN */
export function getForecaster(name: string): Forecaster {
  const forecaster = forecasters.get(name);
  if (!forecaster) {
    throw new PrescientError(
      'PRESCIENT_ERR_MODEL_UNKNOWN',
      `unknown model "${name}"; known: ${[...forecasters.keys()].join(', ')}`,
    );
  }
  return forecaster;
}
