/**
 * mulberry32: a small, fast, seeded PRNG with outputs in [0, 1) and a full
 * 2^32 period. Everything seeded in Prescient (model training shuffles,
 * synthetic data, test fixtures) draws from it, so a seed means the same
 * numbers everywhere.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
