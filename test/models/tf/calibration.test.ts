import { describe, expect, it } from 'vitest';
import { calibrate, GRID_POINTS, gridQuantile, sortedQuantile } from '../../../src/models/tf/calibration.js';

describe('lstm interval calibration', () => {
  it('computes type-7 quantiles', () => {
    expect(sortedQuantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(sortedQuantile([1, 2, 3, 4], 0)).toBe(1);
    expect(sortedQuantile([1, 2, 3, 4], 1)).toBe(4);
  });

  it('recovers the error quantiles of each block and never narrows the band further out', () => {
    // Block 0 (step 0): errors −1…1; block 1 (steps 1–2): errors −0.5…0.5, narrower, so it inherits block 0's band.
    const errors = Array.from({ length: 201 }, (_, i) => {
      const e = (i - 100) / 100;
      return [e, e / 2, e / 2];
    });
    const grid = calibrate(errors, [0, 1, 3]);
    expect(grid).toHaveLength(2);
    expect(grid[0]).toHaveLength(GRID_POINTS);
    expect(gridQuantile(grid[0] as number[], 0.9)).toBeCloseTo(0.8, 9);
    expect(gridQuantile(grid[0] as number[], 0.1)).toBeCloseTo(-0.8, 9);
    expect(gridQuantile(grid[0] as number[], 0.5)).toBeCloseTo(0, 9);
    expect(gridQuantile(grid[1] as number[], 0.9)).toBeCloseTo(0.8, 9);
    expect(gridQuantile(grid[1] as number[], 0.975)).toBeCloseTo(0.95, 9);
  });

  it('covers the nominal share of errors drawn from the same distribution', () => {
    let seed = 3;
    const next = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const fit = Array.from({ length: 2000 }, () => [next()]);
    const grid = calibrate(fit, [0, 1])[0] as number[];
    const fresh = Array.from({ length: 4000 }, () => next());
    const inside = fresh.filter((e) => e >= gridQuantile(grid, 0.1) && e <= gridQuantile(grid, 0.9)).length / fresh.length;
    expect(inside).toBeGreaterThan(0.77);
    expect(inside).toBeLessThan(0.83);
  });
});
