/**
 * Bounded automatic ARMA order search: every (p, q) with p ≤ maxP and
 * q ≤ maxQ, smallest models first, scored by AICc; it stops early at the
 * deadline and keeps the best model fitted so far.
 */

import { type ArmaModel, fitArma } from './arma.js';

export interface OrderSearchOptions {
  readonly maxP: number;
  readonly maxQ: number;
  /** ms since epoch; no new candidate starts after it. */
  readonly deadlineMs: number;
  /** Clock in ms since epoch (injectable so tests can exercise the deadline deterministically). */
  readonly nowMs: () => number;
}

export interface OrderSearchResult {
  /** Best model by AICc, or undefined when no candidate could be fitted. */
  readonly best: ArmaModel | undefined;
  readonly tried: number;
  /** True when the deadline cut the search short. */
  readonly stoppedAtDeadline: boolean;
}

/** Candidates in the order they are tried: fewest parameters first, so a deadline keeps the simple ones. */
export function candidateOrders(maxP: number, maxQ: number): Array<[number, number]> {
  const orders: Array<[number, number]> = [];
  for (let p = 0; p <= maxP; p++) for (let q = 0; q <= maxQ; q++) orders.push([p, q]);
  // AR(1) first: it is the usual answer for capacity residuals and the best fallback when time runs out.
  return orders.sort((a, b) => (a[0] === 1 && a[1] === 0 ? -1 : b[0] === 1 && b[1] === 0 ? 1 : a[0] + a[1] - (b[0] + b[1]) || a[1] - b[1]));
}

/**
 * Searches ARMA orders for a zero-mean series.
 * @param w the series, mean removed
 */
export function searchArmaOrder(w: Float64Array, options: OrderSearchOptions): OrderSearchResult {
  let best: ArmaModel | undefined;
  let tried = 0;
  for (const [p, q] of candidateOrders(options.maxP, options.maxQ)) {
    if (tried > 0 && options.nowMs() >= options.deadlineMs) return { best, tried, stoppedAtDeadline: true };
    tried++;
    // Every candidate conditions on the same first maxP values, so their likelihoods cover the same steps.
    const model = fitArma(w, p, q, options.maxP);
    if (model && (!best || model.aicc < best.aicc)) best = model;
  }
  return { best, tried, stoppedAtDeadline: false };
}
