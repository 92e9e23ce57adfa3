import { describe, expect, it } from 'vitest';
import type { OriginResult } from '../../../src/models/evaluation/rolling-origin.js';
import { blendForecasts, blendFromName, chooseBlend, type ScoredCandidate } from '../../../src/models/auto/combination.js';
import type { Forecast } from '../../../src/models/forecaster.js';

const ACTUAL = [10, 10, 10, 10];

function flat(level: number, halfWidth = 1): Forecast {
  const point = ACTUAL.map(() => level);
  return { point, intervals: [0.8, 0.95].map((l) => ({ level: l, lower: point.map((p) => p - halfWidth * l), upper: point.map((p) => p + halfWidth * l) })) };
}

/** A candidate forecasting a flat `levels[k]` at origin k, scored with a MASE scale of 1. */
function candidate(name: string, levels: readonly number[]): ScoredCandidate {
  const origins: OriginResult[] = levels.map((level, k) => {
    const forecast = flat(level);
    const mase = ACTUAL.reduce((s, a) => s + Math.abs(a - level), 0) / ACTUAL.length;
    return {
      originIndex: 100 + 4 * k,
      originMs: k,
      historyStartIndex: 0,
      actual: ACTUAL,
      forecast,
      fitTimeMs: 1,
      predictTimeMs: 0,
      scale: 1,
      metrics: { mase, smape: 0, coverage: {}, pinball: 0, scaledPinball: 0 },
    };
  });
  return { name, origins, mase: origins.reduce((s, o) => s + (o.metrics?.mase ?? 0), 0) / origins.length };
}

describe('auto combination', () => {
  it('blends points and bounds as the weighted mean of the members', () => {
    const blended = blendForecasts([flat(10, 2), flat(20, 4)], [0.75, 0.25]);
    expect(blended.point).toEqual([12.5, 12.5, 12.5, 12.5]);
    expect(blended.intervals[0]?.lower[0]).toBeCloseTo(0.75 * (10 - 1.6) + 0.25 * (20 - 3.2));
    expect(blended.intervals[1]?.upper[0]).toBeCloseTo(0.75 * (10 + 1.9) + 0.25 * (20 + 3.8));
  });

  it('serves the equal-weight mean of the three best when no single model beats it at every origin', () => {
    // a is best on average but loses to the combination at the second origin: noise, not evidence.
    const chosen = chooseBlend([candidate('a', [10, 12, 10]), candidate('b', [10.9, 11, 9.1]), candidate('c', [9.1, 11, 10.9]), candidate('d', [13, 13, 13])], 0.9);
    expect(chosen?.blend.name).toBe('combination:a+b+c');
    expect(chosen?.blend.weights).toEqual([1 / 3, 1 / 3, 1 / 3]);
    expect(chosen?.blend.reason).toMatch(/did not beat it at every one/);
    expect(chosen?.origins[0]?.forecast?.point[0]).toBeCloseTo(10);
  });

  it('leaves out members far worse than the best', () => {
    const chosen = chooseBlend([candidate('a', [11, 9, 10.5]), candidate('b', [9, 11, 9.5]), candidate('bad', [20, 0, 25])], 0.9);
    expect(chosen?.blend.members).toEqual(['a', 'b']);
  });

  it('joins the next best when only the best is within the ratio: one model alone is served only through the evidence rule', () => {
    // b is far worse on average (ratio 5), but a alone would rest on three origins' mean: the pair is weighed by the evidence rule.
    const strong = chooseBlend([candidate('a', [10.2, 9.8, 10.1]), candidate('b', [11, 9, 10.5])], 0.9);
    expect(strong?.blend.name).toBe('shrunk:a|a+b');
    expect(strong?.blend.weights).toEqual([0.75, 0.25]);
    // Where a does not beat the pair at every origin, the pair is served equally.
    const weak = chooseBlend([candidate('a', [10.5, 10.5, 10]), candidate('b', [9, 9.5, 11.5])], 0.9);
    expect(weak?.blend.name).toBe('combination:a+b');
    expect(weak?.blend.weights).toEqual([0.5, 0.5]);
    // With one member allowed (as before), a alone.
    expect(chooseBlend([candidate('a', [10.2, 9.8, 10.1]), candidate('b', [11, 9, 10.5])], 0.9, 1)?.blend.name).toBe('a');
  });

  it('shrinks a single model halfway toward the combination only when it wins every origin by the margin', () => {
    // Everyone over-forecasts; good least, by a margin at every origin.
    const strong = chooseBlend([candidate('good', [11, 11, 11]), candidate('b', [11.5, 11.5, 11.5]), candidate('c', [11.4, 11.4, 11.4])], 0.9);
    expect(strong?.blend.name).toBe('shrunk:good|good+c+b');
    expect(strong?.blend.weights[0]).toBeCloseTo(0.5 + 0.5 / 3);
    expect(strong?.blend.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1);
    expect(blendFromName('shrunk:good|good+c+b')?.weights).toEqual(strong?.blend.weights);
    // Two origins are not enough evidence, whatever the margin.
    const short = chooseBlend([candidate('good', [11, 11]), candidate('b', [11.5, 11.5]), candidate('c', [11.4, 11.4])], 0.9);
    expect(short?.blend.name).toBe('combination:good+c+b');
  });

  it('reads back the weights a served name stands for, and nothing from a plain model name', () => {
    expect(blendFromName('combination:mstl+sarima@1d')?.weights).toEqual([0.5, 0.5]);
    expect(blendFromName('combination:mstl+sarima@1d')?.members).toEqual(['mstl', 'sarima@1d']);
    expect(blendFromName('sarima')).toBeUndefined();
    expect(blendFromName('shrunk:x|a+b')).toBeUndefined();
  });
});
