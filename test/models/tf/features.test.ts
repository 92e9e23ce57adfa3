import { describe, expect, it } from 'vitest';
import {
  baselineAt,
  blockCount,
  calendar,
  decodeBlock,
  historyNeeded,
  type Layout,
  levelOffset,
  makeBlockEdges,
  profileAt,
  SEQUENCE_FEATURES,
  shuffleInPlace,
  sideFeatureCount,
  writeInputs,
  writeTarget,
} from '../../../src/models/tf/features.js';
import { seededRandom } from '../../../src/random.js';

const layout = (over: Partial<Layout> = {}): Layout => ({
  inputSteps: 6,
  seasonSteps: 12,
  baselineSeasons: 1,
  profileSeasons: 0,
  levelSteps: 0,
  weeklySteps: 0,
  horizonSteps: 12,
  blockEdges: makeBlockEdges(12, 4, 2),
  stepMs: 3_600_000,
  mean: 5,
  std: 2,
  ...over,
});

describe('lstm features', () => {
  it('makes block edges that start at 0, end at the horizon, are single steps first and never shrink', () => {
    for (const horizon of [1, 24, 48, 288, 1440, 2016]) {
      const edges = makeBlockEdges(horizon);
      expect(edges[0]).toBe(0);
      expect(edges[edges.length - 1]).toBe(horizon);
      expect(edges[1]).toBe(1);
      const widths = edges.slice(1).map((e, i) => e - (edges[i] as number));
      expect(widths.every((w) => w >= 1)).toBe(true);
      expect(widths.slice(0, -1).every((w, i) => i === 0 || w >= (widths[i - 1] as number))).toBe(true);
      expect(edges.length - 1).toBeLessThanOrEqual(Math.max(horizon === 24 ? 24 : 70, 1));
    }
    expect(makeBlockEdges(24)).toHaveLength(25);
  });

  it('encodes time of day and of week on the unit circle, one day apart differing only in the weekly terms', () => {
    const t = Date.UTC(2024, 0, 1, 6);
    const [s, c, sw, cw] = calendar(t);
    expect(s).toBeCloseTo(1, 9);
    expect(c).toBeCloseTo(0, 9);
    expect(sw * sw + cw * cw).toBeCloseTo(1, 9);
    const next = calendar(t + 86_400_000);
    expect(next[0]).toBeCloseTo(s, 9);
    expect(next[2]).not.toBeCloseTo(sw, 3);
  });

  it('uses the seasonal-naive baseline, the mean of several seasons, or the last value without a season', () => {
    const values = Array.from({ length: 40 }, (_, i) => i);
    expect(baselineAt(values, 30, 33, layout())).toBe(21);
    expect(baselineAt(values, 30, 33, layout({ baselineSeasons: 2 }))).toBe((21 + 9) / 2);
    expect(baselineAt(values, 30, 33, layout({ seasonSteps: 0 }))).toBe(29);
    expect(historyNeeded(layout({ baselineSeasons: 2 }))).toBe(6 + 24);
    expect(historyNeeded(layout({ weeklySteps: 30 }))).toBe(36);
  });

  it('uses the level profile: the median of several seasons shifted to the recent level', () => {
    // Season 12, three seasons back from index 40: 28, 16, 4 → median 16; one odd season does not move it.
    const values = Array.from({ length: 60 }, (_, i) => (i >= 24 && i < 36 ? 100 : 0) + (i % 12));
    const l = layout({ baselineSeasons: 3, levelSteps: 4 });
    expect(profileAt(values, 40, l)).toBe(4);
    // Over 36..39 the values equal the profile (no odd season among 24..35 for the median): no offset.
    expect(levelOffset(values, 40, l)).toBe(0);
    // A level shift of +7 over the last 4 steps moves the whole forecast by +7.
    const shifted = values.map((v, i) => (i >= 36 ? v + 7 : v));
    expect(levelOffset(shifted, 40, l)).toBe(7);
    expect(baselineAt(shifted, 40, 45, l)).toBe(9 + 7);
    expect(historyNeeded(layout({ levelSteps: 9 }))).toBe(9 + 12);
  });

  it('decodes the training target back into the actual values averaged per block, for both baselines', () => {
    for (const over of [{}, { baselineSeasons: 3, levelSteps: 6 }]) {
      const l = layout(over);
      const values = Array.from({ length: 80 }, (_, i) => 5 + 3 * Math.sin(i / 2) + (i % 5) + (i > 40 ? 4 : 0));
      const origin = 50;
      const target = new Float32Array(blockCount(l));
      writeTarget(values, origin, l, target, 0);
      const decoded = decodeBlock(values, origin, l, target);
      const edges = l.blockEdges;
      for (let j = 0; j + 1 < edges.length; j++) {
        const steps = values.slice(origin + (edges[j] as number), origin + (edges[j + 1] as number));
        const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
        const decodedMean = decoded.slice(edges[j], edges[j + 1]).reduce((a, b) => a + b, 0) / steps.length;
        expect(decodedMean).toBeCloseTo(mean, 4);
      }
    }
  });

  it('decodes the training target back into the actual values averaged per block', () => {
    const l = layout();
    const values = Array.from({ length: 60 }, (_, i) => 5 + 3 * Math.sin(i / 2) + (i % 5));
    const origin = 30;
    const target = new Float32Array(blockCount(l));
    writeTarget(values, origin, l, target, 0);
    const decoded = decodeBlock(values, origin, l, target);
    expect(decoded).toHaveLength(l.horizonSteps);
    const edges = l.blockEdges;
    for (let j = 0; j + 1 < edges.length; j++) {
      const steps = values.slice(origin + (edges[j] as number), origin + (edges[j + 1] as number));
      const mean = steps.reduce((a, b) => a + b, 0) / steps.length;
      const decodedMean = decoded.slice(edges[j], edges[j + 1]).reduce((a, b) => a + b, 0) / steps.length;
      expect(decodedMean).toBeCloseTo(mean, 4);
    }
  });

  it('writes inputs from history before the origin only', () => {
    for (const l of [layout({ weeklySteps: 24, profileSeasons: 2 }), layout({ weeklySteps: 24, baselineSeasons: 3, levelSteps: 6 })]) {
      checkNoLookAhead(l);
    }
  });

  function checkNoLookAhead(l: Layout): void {
    const values = Array.from({ length: 60 }, (_, i) => i % 7);
    const origin = historyNeeded(l);
    const sequence = new Float32Array(l.inputSteps * SEQUENCE_FEATURES);
    const side = new Float32Array(sideFeatureCount(l));
    writeInputs(values, origin, 0, l, sequence, 0, side, 0);
    const changed = values.map((v, i) => (i >= origin ? v + 1000 : v));
    const sequence2 = new Float32Array(sequence.length);
    const side2 = new Float32Array(side.length);
    writeInputs(changed, origin, 0, l, sequence2, 0, side2, 0);
    expect(sequence2).toEqual(sequence);
    expect(side2).toEqual(side);
    expect(side.every(Number.isFinite)).toBe(true);
  }

  it('shuffles the same way for the same seed', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const b = [...a];
    shuffleInPlace(a, seededRandom(42));
    shuffleInPlace(b, seededRandom(42));
    expect(a).toEqual(b);
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});
