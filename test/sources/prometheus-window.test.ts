import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownBy } from '../support/errors.js';
import { planQueryChunks } from '../../src/sources/prometheus-window.js';

const STEP_S = 300;
const STEP_MS = STEP_S * 1000;

/** Every evaluation time the chunks ask for, in order. */
function expand(chunks: ReturnType<typeof planQueryChunks>, stepMs: number): number[] {
  const times: number[] = [];
  for (const c of chunks) for (let t = c.startMs; t <= c.endMs; t += stepMs) times.push(t);
  return times;
}

describe('planQueryChunks', () => {
  it('splits 28 days at 5 min (8,064 points) into requests of at most 1,000 points without losing or repeating one', () => {
    const endMs = 1_700_000_100_000 - (1_700_000_100_000 % STEP_MS);
    const startMs = endMs - 28 * 86_400_000 + STEP_MS;
    const chunks = planQueryChunks(startMs, endMs, STEP_S, 1000);
    expect(chunks).toHaveLength(9);
    expect(chunks.map((c) => c.points)).toEqual([1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 64]);
    const times = expand(chunks, STEP_MS);
    expect(times).toHaveLength(8064);
    expect(times[0]).toBe(startMs);
    expect(times.at(-1)).toBe(endMs);
    expect(new Set(times).size).toBe(times.length);
  });

  it('uses a single request when the window fits under the limit (11,000 points)', () => {
    const chunks = planQueryChunks(0, 8063 * STEP_MS, STEP_S, 11_000);
    expect(chunks).toEqual([{ startMs: 0, endMs: 8063 * STEP_MS, points: 8064 }]);
  });

  it('aligns the start up and the end down to multiples of the step', () => {
    const chunks = planQueryChunks(STEP_MS + 1, 10 * STEP_MS - 1, STEP_S, 100);
    expect(chunks).toEqual([{ startMs: 2 * STEP_MS, endMs: 9 * STEP_MS, points: 8 }]);
  });

  it('returns no chunk when no grid point lies in the window', () => {
    expect(planQueryChunks(STEP_MS + 1, 2 * STEP_MS - 1, STEP_S, 100)).toEqual([]);
  });

  it('throws PRESCIENT_ERR_VALIDATION for a step that is not positive or a non-finite time', () => {
    for (const [s, e, step] of [
      [0, 1000, 0],
      [0, 1000, -5],
      [Number.NaN, 1000, 1],
      [0, Number.POSITIVE_INFINITY, 1],
    ] as const) {
      expect(thrownBy(() => planQueryChunks(s, e, step, 100)).code, `${s}, ${e}, ${step}`).toBe('PRESCIENT_ERR_VALIDATION');
    }
  });

  it('covers exactly the aligned grid for any window, step and limit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 ** 12 }),
        fc.integer({ min: 0, max: 5_000_000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 1, max: 11_000 }),
        (startMs, lengthMs, stepSeconds, maxPoints) => {
          const stepMs = stepSeconds * 1000;
          const endMs = startMs + lengthMs * 10;
          const chunks = planQueryChunks(startMs, endMs, stepSeconds, maxPoints);
          const expected: number[] = [];
          for (let t = Math.ceil(startMs / stepMs) * stepMs; t <= endMs; t += stepMs) expected.push(t);
          expect(expand(chunks, stepMs)).toEqual(expected);
          for (const c of chunks) {
            expect(c.points).toBeLessThanOrEqual(maxPoints);
            expect(c.points).toBe((c.endMs - c.startMs) / stepMs + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
