import { describe, expect, it } from 'vitest';
import { defaultHpaParams, rawRecommendation, simulateHpa, type HpaParams } from '../../src/backtest/hpa-model.js';
import { thrownBy } from '../support/errors.js';

const base: HpaParams = {
  ...defaultHpaParams,
  startupDelaySeconds: 0,
  minReplicas: 1,
  maxReplicas: 100,
  initialReplicas: 10,
};

/** Load per tick (index k is the sync at k × 15 s), target 10 per pod. */
function run(params: HpaParams, loads: readonly number[]) {
  return simulateHpa(params, 0, loads.length, (tMs) => [{ total: loads[tMs / 15_000] as number, targetAverageValue: 10 }]);
}

describe('HPA model', () => {
  it('ignores a change within the 10 % tolerance and acts just outside it', () => {
    // 10 pods at target 10: load 109 is ratio 1.09 (kept), 111 is 1.11 (ceil(11.1) = 12).
    expect(run(base, [109]).specReplicas).toEqual([10]);
    expect(run(base, [111]).specReplicas).toEqual([12]);
    // 91 is ratio 0.91 (kept); 89 is 0.89 → 9, but only once the stabilisation window allows.
    expect(rawRecommendation({ total: 91, targetAverageValue: 10 }, 10, 0.1)).toBe(10);
    expect(rawRecommendation({ total: 89, targetAverageValue: 10 }, 10, 0.1)).toBe(9);
  });

  it('with several metrics runs the largest proposal, each metric within its own tolerance', () => {
    // 10 pods. Tick 0: load 105 (target 10/pod → ratio 1.05, kept at 10) beside a replica
    // metric of 13 (target 1 → 13): 13 wins. Tick 1: 13 pods, load 300 → 30, replicas 13 → kept:
    // 30 wins, cut to 26 by the scale-up limit (100 %). Tick 2: load 10 → 1, replicas 12 → 12 wins
    // (no stabilisation in these params).
    const params = { ...base, scaleDownStabilizationSeconds: 0 };
    const loads = [105, 300, 10];
    const replicas = [13, 13, 12];
    const timeline = simulateHpa(params, 0, loads.length, (tMs) => {
      const k = tMs / 15_000;
      return [
        { total: loads[k] as number, targetAverageValue: 10 },
        { total: replicas[k] as number, targetAverageValue: 1 },
      ];
    });
    expect(timeline.specReplicas).toEqual([13, 26, 12]);
  });

  it('computes desired = ceil(current × metric / target)', () => {
    expect(rawRecommendation({ total: 150, targetAverageValue: 10 }, 10, 0.1)).toBe(15);
    expect(rawRecommendation({ total: 151, targetAverageValue: 10 }, 10, 0.1)).toBe(16);
    expect(rawRecommendation({ total: 20, targetAverageValue: 1 }, 10, 0.1)).toBe(20);
  });

  it('limits scale-up to the larger of 4 pods or 100 % per 15 s sync', () => {
    // From 2 pods to a load needing 20: +4 (> 100 % of 2) → 6, then 100 % → 12, then 20.
    const small = { ...base, initialReplicas: 2 };
    expect(run(small, [200, 200, 200, 200]).specReplicas).toEqual([6, 12, 20, 20]);
    // From 10: 100 % (10 pods) beats 4 → 20, then 40, then 50.
    expect(run(base, [500, 500, 500, 500]).specReplicas).toEqual([20, 40, 50, 50]);
  });

  it('holds the highest recommendation of the last 300 s before scaling down', () => {
    // Load drops from 100 (10 pods) to 50 (5 pods) at tick 1. The window holds the
    // recommendation 10 from tick 0 (t = 0 s) until it is 300 s old: at tick 20
    // (t = 300 s) it leaves the window, so the scale-down happens there.
    const loads = [100, ...Array.from({ length: 25 }, () => 50)];
    const spec = run(base, loads).specReplicas;
    expect(spec.slice(0, 20)).toEqual(Array.from({ length: 20 }, () => 10));
    expect(spec[20]).toBe(5);
    expect(run(base, loads).scaleEvents).toBe(1);
  });

  it('takes the highest of the window, not the latest: a brief dip does not scale in', () => {
    // 100 → 60 for 5 ticks → 100 again: recommendations 6 are all below the window's 10.
    const loads = [100, 60, 60, 60, 60, 60, 100, 100];
    expect(run(base, loads).specReplicas).toEqual([10, 10, 10, 10, 10, 10, 10, 10]);
  });

  it('scales down in steps as older high recommendations leave the window', () => {
    // 100 (t=0), 80 (t=15 s), then 50: at t = 300 s the 10 leaves → 8; at t = 315 s the 8 leaves → 5.
    const loads = [100, 80, ...Array.from({ length: 22 }, () => 50)];
    const spec = run(base, loads).specReplicas;
    expect(spec[19]).toBe(10);
    expect(spec[20]).toBe(8);
    expect(spec[21]).toBe(5);
  });

  it('makes new pods ready only after the start-up delay', () => {
    // 120 s start-up at 15 s syncs: pods created at tick 1 (t = 15 s) are ready at t = 135 s, tick 9.
    const params = { ...base, startupDelaySeconds: 120, initialReplicas: 10 };
    const loads = [100, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200];
    const timeline = run(params, loads);
    expect(timeline.specReplicas).toEqual([10, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20]);
    expect(timeline.readyReplicas).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 20, 20]);
  });

  it('counts starting pods in current replicas so it does not scale up again while they start', () => {
    // Load 200 needs 20; after the first scale-up the ratio is 200 / (20 × 10) = 1: no second step.
    const params = { ...base, startupDelaySeconds: 300 };
    expect(run(params, [200, 200, 200, 200]).specReplicas).toEqual([20, 20, 20, 20]);
  });

  it('removes not-ready pods first when scaling down', () => {
    // Scale up to 14 at t = 0 (4 starting, ready at 600 s), then at 300 s the load needs 8:
    // the 4 starting pods go first, then 2 ready ones; ready stays 8 right away.
    const params = { ...base, startupDelaySeconds: 600, initialReplicas: 10 };
    const loads = [140, ...Array.from({ length: 21 }, () => 80)];
    const timeline = run(params, loads);
    expect(timeline.specReplicas[0]).toBe(14);
    expect(timeline.readyReplicas[0]).toBe(10);
    expect(timeline.specReplicas[20]).toBe(8);
    expect(timeline.readyReplicas[20]).toBe(8);
  });

  it('clamps to min and max replicas', () => {
    const params = { ...base, minReplicas: 3, maxReplicas: 12, scaleDownStabilizationSeconds: 0 };
    expect(run(params, [500, 500]).specReplicas).toEqual([12, 12]);
    expect(run(params, [0]).specReplicas).toEqual([3]);
  });

  it('rejects impossible parameters with PRESCIENT_ERR_VALIDATION', () => {
    expect(() => run({ ...base, maxReplicas: 0 }, [1])).toThrow(expect.objectContaining({ code: 'PRESCIENT_ERR_VALIDATION' }));
  });

  it.each([
    [{ syncPeriodSeconds: 0 }, 'syncPeriodSeconds must be > 0'],
    [{ syncPeriodSeconds: Number.NaN }, 'syncPeriodSeconds must be > 0'],
    [{ tolerance: -0.01 }, 'tolerance must be in [0, 1)'],
    [{ tolerance: 1 }, 'tolerance must be in [0, 1)'],
    [{ startupDelaySeconds: -1 }, 'startupDelaySeconds must be ≥ 0'],
    [{ scaleDownStabilizationSeconds: -1 }, 'scaleDownStabilizationSeconds must be ≥ 0'],
    [{ minReplicas: 0 }, 'minReplicas must be an integer ≥ 1'],
    [{ minReplicas: 1.5 }, 'minReplicas must be an integer ≥ 1'],
    [{ maxReplicas: 10.5 }, 'maxReplicas must be an integer ≥ minReplicas'],
    [{ minReplicas: 5, maxReplicas: 4 }, 'maxReplicas must be an integer ≥ minReplicas'],
    [{ initialReplicas: -1 }, 'initialReplicas must be an integer ≥ 0'],
    [{ initialReplicas: 2.5 }, 'initialReplicas must be an integer ≥ 0'],
  ] as const)('rejects %o with PRESCIENT_ERR_VALIDATION naming that parameter alone', (change, problem) => {
    const err = thrownBy(() => run({ ...base, ...change }, [100]));
    expect(err.code).toBe('PRESCIENT_ERR_VALIDATION');
    expect(err.message).toBe(`HPA model: ${problem}`);
    expect(err.issues).toEqual([{ path: 'hpa', message: problem }]);
  });

  it('lists every impossible parameter at once', () => {
    const err = thrownBy(() => run({ ...base, syncPeriodSeconds: 0, tolerance: 2, minReplicas: 0 }, [100]));
    expect(err.issues.map((i) => i.message)).toEqual(['syncPeriodSeconds must be > 0', 'tolerance must be in [0, 1)', 'minReplicas must be an integer ≥ 1']);
    expect(err.message).toBe('HPA model: syncPeriodSeconds must be > 0; tolerance must be in [0, 1); minReplicas must be an integer ≥ 1');
  });

  it('accepts the edges of every range: tolerance 0, no start-up delay, no stabilisation, min = max, no initial replicas', () => {
    const edges = { ...base, tolerance: 0, startupDelaySeconds: 0, scaleDownStabilizationSeconds: 0, minReplicas: 1, maxReplicas: 1, initialReplicas: 0 };
    expect(run(edges, [100, 100]).specReplicas).toEqual([1, 1]);
    // Tolerance 0 acts on any change: 101 on 10 pods → 11.
    expect(run({ ...base, tolerance: 0 }, [101]).specReplicas).toEqual([11]);
  });

  it('scales from zero replicas to ceil(metric / target), and reads a non-finite or negative metric as 0', () => {
    expect(rawRecommendation({ total: 25, targetAverageValue: 10 }, 0, 0.1)).toBe(3);
    expect(rawRecommendation({ total: 0, targetAverageValue: 10 }, 0, 0.1)).toBe(0);
    // (`+ 0` turns the -0 of ceil(-1e-9) into 0: a replica count of zero either way.)
    expect(rawRecommendation({ total: Number.NaN, targetAverageValue: 10 }, 10, 0.1) + 0).toBe(0);
    expect(rawRecommendation({ total: Number.POSITIVE_INFINITY, targetAverageValue: 10 }, 10, 0.1) + 0).toBe(0);
    expect(rawRecommendation({ total: -50, targetAverageValue: 10 }, 10, 0.1) + 0).toBe(0);
    // The tolerance band includes its edge: with tolerance 0.5, ratio 1.5 (exact in floating point) keeps the count.
    expect(rawRecommendation({ total: 150, targetAverageValue: 10 }, 10, 0.5)).toBe(10);
    // ceil without float noise: 25 pods wanting 7 give 25 × (7 / 25) = 7.000000000000001; 7 pods, not 8.
    expect(rawRecommendation({ total: 7, targetAverageValue: 1 }, 25, 0.1)).toBe(7);
  });

  it('starts the initial replicas ready, and times every tick one sync period apart from startMs', () => {
    const params = { ...base, startupDelaySeconds: 600, initialReplicas: 3 };
    const timeline = simulateHpa(params, 1_000, 3, () => [{ total: 30, targetAverageValue: 10 }]);
    expect(timeline.timesMs).toEqual([1_000, 16_000, 31_000]);
    expect(timeline.readyReplicas).toEqual([3, 3, 3]);
    expect(timeline.scaleEvents).toBe(0);
  });

  it('keeps every pod\'s ready time beyond the first 16 pods and as the pods grow past twice their number', () => {
    // 40 ready pods hold load 400; at tick 1 load 800 wants 80 (doubling, within the 100 % limit), ready
    // 30 s later (tick 3); at tick 4 2,000 wants 200, cut to 160 by the limit and to the 100 maximum.
    const params = { ...base, startupDelaySeconds: 30, initialReplicas: 40, maxReplicas: 100 };
    const timeline = run(params, [400, 800, 800, 800, 2_000, 2_000, 2_000]);
    expect(timeline.specReplicas).toEqual([40, 80, 80, 80, 100, 100, 100]);
    expect(timeline.readyReplicas).toEqual([40, 40, 40, 80, 80, 80, 100]);
  });

  it('passes the current spec and ready replicas to the metric function', () => {
    const seen: { spec: number; ready: number }[] = [];
    const params = { ...base, startupDelaySeconds: 30, initialReplicas: 2 };
    simulateHpa(params, 0, 4, (_t, current) => {
      // One object reused from sync to sync (HpaSyncState): read during the call.
      seen.push({ spec: current.spec, ready: current.ready });
      return [{ total: 40, targetAverageValue: 10 }];
    });
    // 2 → 4 at t = 0; the 2 new pods are ready at t = 30 s (tick 2).
    expect(seen).toEqual([
      { spec: 2, ready: 2 },
      { spec: 4, ready: 2 },
      { spec: 4, ready: 4 },
      { spec: 4, ready: 4 },
    ]);
  });

  it('removes the pods that would be ready last first', () => {
    // Scale-up limited to 4 pods a sync: 10 ready, +4 at t = 0 (ready at 600 s), +4 at t = 15 s (ready at 615 s).
    // At t = 600 s (tick 40) the first 4 have just become ready and the last 4 have not; a scale-down by 4 drops those.
    const params = { ...base, startupDelaySeconds: 600, initialReplicas: 10, scaleUpPercent: 0, scaleDownStabilizationSeconds: 0 };
    const loads = [140, 180, ...Array.from({ length: 38 }, () => 180), 140];
    const timeline = run(params, loads);
    expect(timeline.specReplicas.slice(0, 2)).toEqual([14, 18]);
    expect(timeline.readyReplicas[39]).toBe(10);
    expect(timeline.specReplicas[40]).toBe(14);
    expect(timeline.readyReplicas[40]).toBe(14);
  });

  it('does not scale up to an old high recommendation that the scale-up limit cut short, once the load has dropped', () => {
    // From 2 pods the load wants 20: the limit allows 6. Then the load wants 1: the HPA keeps 6 (stabilisation), never 20.
    const small = { ...base, initialReplicas: 2 };
    expect(run(small, [200, 10, 10]).specReplicas).toEqual([6, 6, 6]);
  });
});
