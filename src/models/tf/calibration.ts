/**
 * Intervals from calibrated residuals: the empirical distribution of the
 * model's errors (actual − forecast) on the held-out validation tail, per
 * output block, stored as quantiles on a fixed probability grid so any level
 * can be asked for later and the stored state stays small.
 *
 * Chosen over a quantile (pinball) loss head because it keeps one network
 * and one loss (the point forecast), works for any level requested after the
 * fit, and is calibrated on data the network never trained on (split
 * conformal in spirit). Its weakness: validation origins overlap, so the
 * effective sample is a few days, not thousands of windows.
 */

/** Probability grid: 0, 0.005, …, 1 (201 points), fine enough for the 2.5 % and 97.5 % quantiles. */
export const GRID_POINTS = 201;

export function gridProbability(k: number): number {
  return k / (GRID_POINTS - 1);
}

/** Quantile of sorted values at probability p (linear interpolation, R type 7). */
export function sortedQuantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const fraction = position - below;
  return (sorted[below] as number) * (1 - fraction) + (sorted[above] as number) * fraction;
}

/**
 * Builds the quantile grid of errors per block.
 * @param errors errors[origin][step], step in [0, horizonSteps)
 * @param blockEdges block j pools the steps [edges[j], edges[j+1])
 * @returns grid[block][k] = error quantile at gridProbability(k); the band
 *   never narrows from one block to the next (a forecast further out is not
 *   more certain; this also smooths the noise of few validation days).
 */
export function calibrate(errors: readonly (readonly number[])[], blockEdges: readonly number[]): number[][] {
  const grid: number[][] = [];
  for (let j = 0; j + 1 < blockEdges.length; j++) {
    const pooled: number[] = [];
    for (const row of errors) {
      for (let h = blockEdges[j] as number; h < (blockEdges[j + 1] as number); h++) {
        const e = row[h];
        if (e !== undefined && Number.isFinite(e)) pooled.push(e);
      }
    }
    pooled.sort((a, b) => a - b);
    const quantiles = Array.from({ length: GRID_POINTS }, (_, k) => sortedQuantile(pooled, gridProbability(k)));
    const previous = grid[j - 1];
    if (previous) {
      const middle = (GRID_POINTS - 1) / 2;
      for (let k = 0; k < GRID_POINTS; k++) {
        if (k < middle) quantiles[k] = Math.min(quantiles[k] as number, previous[k] as number);
        if (k > middle) quantiles[k] = Math.max(quantiles[k] as number, previous[k] as number);
      }
    }
    grid.push(quantiles);
  }
  return grid;
}

/** Error quantile at probability p from one block's grid (linear between grid points). */
export function gridQuantile(quantiles: readonly number[], p: number): number {
  const position = Math.min(1, Math.max(0, p)) * (GRID_POINTS - 1);
  const below = Math.floor(position);
  const above = Math.min(GRID_POINTS - 1, below + 1);
  const fraction = position - below;
  return (quantiles[below] as number) * (1 - fraction) + (quantiles[above] as number) * fraction;
}
