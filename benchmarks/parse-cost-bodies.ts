import { seededRandom } from '../src/random.js';

/** The request bodies of benchmarks/parse-cost.ts, fixed (a seeded value series), built the same in every process. */
export function parseCostBodies(): Array<{ name: string; body: string }> {
  const random = seededRandom(20261206);
  const series = (n: number) => Array.from({ length: n }, (_, i) => Math.round((100 + 50 * Math.sin((2 * Math.PI * i) / 1440) + 10 * random()) * 1000) / 1000);
  // The same series written with every digit a double has (17 significant): the largest honest body the route allows.
  const longDigits = (n: number) => series(n).map((v, i) => (v + i * 1e-9).toPrecision(17));
  return [
    { name: 'accepted: 60 000 values (limits.maxPoints), snaive', body: JSON.stringify({ values: series(60_000), step: 60, horizon: 3600, model: 'snaive' }) },
    { name: 'accepted: 60 000 values of 17 digits, snaive', body: `{"values":[${longDigits(60_000).join(',')}],"step":60,"horizon":3600,"model":"snaive"}` },
    { name: '60 000 values as strings of 17 digits', body: JSON.stringify({ values: longDigits(60_000), step: 60, horizon: 3600 }) },
    // Passes every limit checked while the body streams in: refused only once parsed (src/api/early-refusals.ts).
    { name: '60 000 values out of range (passes the shape limits)', body: `{"values":[${series(60_000).map((v) => (v * 1e14).toPrecision(17)).join(',')}],"step":60,"horizon":3600}` },
    { name: '99 000 values (beyond limits.maxPoints)', body: JSON.stringify({ values: series(99_000), step: 60, horizon: 3600, model: 'snaive' }) },
    { name: 'one 3.9 MB string', body: JSON.stringify({ values: 'x'.repeat(3_900_000), step: 60, horizon: 60 }) },
    { name: 'flat 1.9 M-element array (3.8 MB)', body: `{"values":[${'1,'.repeat(1_900_000)}1],"step":60,"horizon":60}` },
    { name: '4 MB of nesting', body: `${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}` },
    // Not a goal's body (far below 1 MB): what any accepted request costs the loop, whatever its size.
    { name: 'accepted: 1 000 values (the per-request floor), snaive', body: JSON.stringify({ values: series(1_000), step: 60, horizon: 3600, model: 'snaive' }) },
  ];
}

/** Indexes into parseCostBodies(): the largest accepted body, the per-request floor, and the storms' bodies. */
export const ACCEPTED_LONG_BODY = 1;
export const FLOOR_BODY = 8;
export const FLAT_BODY = 6;
export const NESTED_BODY = 7;
