/**
 * Fixed, seeded dev/holdout splits and samples for the accuracy benchmarks
 * (issue 16): what is tuned on a few series does not carry over, so choices
 * are tuned on the dev part and the holdout part is reported apart. The same
 * seed gives the same split on every machine (src/random.ts).
 */
import { seededRandom } from '../src/random.js';

/** A Fisher–Yates shuffle driven by the seeded generator. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Splits names into a dev half (rounded down) and a holdout half, by a seeded shuffle; each half keeps the input order. */
export function seededSplit(names: readonly string[], seed: number): { dev: string[]; holdout: string[] } {
  const dev = new Set(shuffled(names, seed).slice(0, Math.floor(names.length / 2)));
  return { dev: names.filter((n) => dev.has(n)), holdout: names.filter((n) => !dev.has(n)) };
}

/** `count` items drawn without replacement by a seeded shuffle, in input order. */
export function seededSample<T>(items: readonly T[], count: number, seed: number): T[] {
  const picked = new Set(shuffled(items.map((_, i) => i), seed).slice(0, count));
  return items.filter((_, i) => picked.has(i));
}
