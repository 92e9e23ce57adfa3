import { describe, expect, it } from 'vitest';
import { fitArma, forecastVariances, isInvertible, isStationary, psiWeights } from '../../../src/models/arima/arma.js';
import { searchArmaOrder } from '../../../src/models/arima/auto-order.js';

/** Deterministic standard normals (an LCG + Box–Muller). */
function normals(seed: number, count: number): number[] {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 4294967296;
  };
  return Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function simulate(ar: number[], ma: number[], length: number, seed: number): Float64Array {
  const e = normals(seed, length + 200);
  const w = new Float64Array(length + 200);
  for (let t = 0; t < w.length; t++) {
    let v = e[t] as number;
    ar.forEach((phi, i) => (v += t - i - 1 >= 0 ? phi * (w[t - i - 1] as number) : 0));
    ma.forEach((theta, j) => (v += t - j - 1 >= 0 ? theta * (e[t - j - 1] as number) : 0));
    w[t] = v;
  }
  return w.subarray(200);
}

describe('ARMA by conditional sum of squares', () => {
  it('order search on AR(1) series (φ = 0.7) chooses a small model whose dynamics are those of the AR(1)', () => {
    // AICc may add a parameter that barely helps (its differences here are 1–3 points), so the check is on
    // what the chosen model does: its ψ-weights (the forecast's memory) must be φ^j, and σ² must be 1.
    for (const seed of [11, 12, 13]) {
      const w = simulate([0.7], [], 3000, seed);
      const { best, tried } = searchArmaOrder(w, { maxP: 3, maxQ: 2, deadlineMs: Number.POSITIVE_INFINITY, nowMs: () => 0 });
      expect(tried).toBe(12);
      expect(best).toBeDefined();
      expect((best?.p ?? 0) + (best?.q ?? 0)).toBeLessThanOrEqual(5);
      expect(best?.p).toBeGreaterThanOrEqual(1);
      const psi = psiWeights(best!, 8);
      for (let j = 1; j < 8; j++) expect(Math.abs((psi[j] as number) - 0.7 ** j)).toBeLessThan(0.06);
      expect(best?.sigma2).toBeGreaterThan(0.9);
      expect(best?.sigma2).toBeLessThan(1.1);
    }
  });

  it('order search stops at the deadline but keeps the first model it fitted', () => {
    const w = simulate([0.7], [], 500, 15);
    const { best, tried, stoppedAtDeadline } = searchArmaOrder(w, { maxP: 3, maxQ: 2, deadlineMs: 0, nowMs: () => 1 });
    expect(stoppedAtDeadline).toBe(true);
    expect(tried).toBe(1);
    // AR(1) is tried first because it is the best single fallback.
    expect([best?.p, best?.q]).toEqual([1, 0]);
  });

  it('recovers ARMA(1,1) coefficients in R sign convention', () => {
    const model = fitArma(simulate([0.5], [0.4], 4000, 12), 1, 1);
    expect(model?.ar[0]).toBeCloseTo(0.5, 1);
    expect(model?.ma[0]).toBeCloseTo(0.4, 1);
  });

  it('keeps estimates stationary and invertible even for a unit-root series', () => {
    const e = normals(13, 2000);
    let level = 0;
    const walk = Float64Array.from(e, (z) => (level += z));
    const model = fitArma(walk, 2, 1);
    expect(model).toBeDefined();
    expect(isStationary(model?.ar ?? [])).toBe(true);
    expect(isInvertible(model?.ma ?? [])).toBe(true);
  });

  it('ψ-weights of AR(1) are powers of φ, and one difference turns them into partial sums', () => {
    const psi = psiWeights({ ar: [0.5], ma: [] }, 4);
    expect(Array.from(psi)).toEqual([1, 0.5, 0.25, 0.125]);
    expect(Array.from(psiWeights({ ar: [0.5], ma: [] }, 4, 1))).toEqual([1, 1.5, 1.75, 1.875]);
    const model = fitArma(simulate([0.5], [], 500, 14), 1, 0);
    const variances = forecastVariances(model!, 3);
    expect(variances[0]).toBeCloseTo(model!.sigma2, 12);
  });

  it('tells stationary from explosive AR polynomials', () => {
    expect(isStationary([0.5])).toBe(true);
    expect(isStationary([1.01])).toBe(false);
    expect(isStationary([1.2, -0.5])).toBe(true);
    expect(isStationary([0.5, 0.6])).toBe(false);
  });
});
