/**
 * The replay benchmark's hindsight bound (benchmarks/replay-pool.ts): the
 * fewest pooled minutes any per-run choice of setting could reach within
 * 1.10× the reactive replica-hours, as the multiple-choice knapsack's linear
 * relaxation. Checked against a case worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { pool, type Figures, type RunOutcome } from '../../benchmarks/replay-pool.js';

const knobs = { quantile: 0.9, scaleInGuardQuantile: null, utilisation: 0.9, leadTimeSeconds: 180 };
const fig = (replicaHours: number, underProvisionedMinutes: number): Figures => ({ replicaHours, underProvisionedMinutes });

const checked = { knobs, fallback: null, replayed: { ...fig(10, 10), underProvisionedMinutesPerWeek: 70 }, headroom: { ...fig(10, 10), utilisation: 0.7 }, versusHeadroom: 'same' as const };

function run(options: Figures[], extra: Partial<RunOutcome> = {}): RunOutcome {
  const reactive = { ...fig(10, 10), shortfallLoadMinutes: 0, scaleEvents: 0, underRatio: 1, replicaHoursRatio: 1 };
  return {
    series: 's',
    group: 'dev',
    startupDelaySeconds: 120,
    reactiveTrigger: true,
    models: {},
    policies: { reactive },
    headroomUtilisation: 0.7,
    versusHeadroom: 'same',
    settings: options.map((o) => ({ knobs, predictive: o, snaive: o })),
    plainHpa: [],
    rule: { share: 0.15, tuningTargetMinutesPerWeek: 0, knobs, metOnTuning: true, replayed: fig(10, 10), snaive: fig(10, 10), headroom: { ...fig(10, 10), utilisation: 0.7 }, versusHeadroom: 'same' },
    defaultChecked: checked,
    ruleChecked: checked,
    budget: { maxUnderProvisionedMinutesPerWeek: 5, chosen: knobs, fallback: null, metWithoutFallback: false, versusHeadroom: 'same', versusHeadroomWithoutFallback: 'same', metOnTuning: true, reason: '', replayed: { ...fig(10, 10), underProvisionedMinutesPerWeek: 70 }, met: false, anyCould: false, hindsight: null, couldNotWhy: null, session7: { fallback: null, replayed: { ...fig(10, 10), underProvisionedMinutesPerWeek: 70 }, met: false } },
    seconds: 0,
    ...extra,
  };
}

describe('replay benchmark hindsight bound', () => {
  it('buys the steepest minute savings per replica-hour along each run\'s lower hull until 1.10x the reactive replica-hours are spent', () => {
    // Run 1: (10, 10) lies above the line from (9, 12) to (12, 2), so its hull is one step of slope −10/3.
    // Run 2: steps of slope −4 then −4/3. Start at 18 h / 24 min with 22 h to spend:
    // all of run 2's first step (−8 min for 2 h), then 2 of run 1's 3 h (−20/3 min): 28/3 min of the reactive 20.
    const pooled = pool([run([fig(9, 12), fig(10, 10), fig(12, 2)]), run([fig(9, 12), fig(11, 4), fig(14, 0)])]);
    expect(pooled.hindsightAt110.replicaHours).toBeCloseTo(1.1, 9);
    expect(pooled.hindsightAt110.under).toBeCloseTo(28 / 3 / 20, 9);
    // The inverse, 0.15× the reactive 20 min = 3 min: 24 → 16 (20 h) → 6 (23 h), then 3 of run 2's last step's 4 min (2.25 of its 3 h).
    expect(pooled.hindsightHoursFor015).toBeCloseTo(25.25 / 20, 9);
  });

  it('has no inverse bound when even the costliest choices stay above 0.15x the minutes', () => {
    expect(pool([run([fig(9, 12), fig(12, 5)])]).hindsightHoursFor015).toBeNull();
  });

  it('is absent when even the cheapest choices cost more than 1.10x', () => {
    const pooled = pool([run([fig(12, 0), fig(13, 0)])]);
    expect(pooled.hindsightAt110).toEqual({ under: null, replicaHours: null });
  });
});

describe('replay benchmark: evidence for the own-history check and for seasonal naive', () => {
  it('counts the runs a check strict enough to catch every miss would still serve predictive', () => {
    const judged = (versusHeadroom: 'fewer' | 'more', tuningMinutes: number, tuningHeadroom: number, fallback: number | null = null) => ({
      ...checked,
      fallback,
      versusHeadroom,
      tuning: { underProvisionedMinutes: tuningMinutes, headroomUnderProvisionedMinutes: tuningHeadroom },
    });
    // Margins on the tuning days: the miss won by 20 min there; of the other predictive runs only the 30-min one won by more.
    const runs = [
      run([fig(10, 10)], { defaultChecked: judged('more', 5, 25) }),
      run([fig(10, 10)], { defaultChecked: judged('fewer', 0, 30) }),
      run([fig(10, 10)], { defaultChecked: judged('fewer', 2, 12) }),
      run([fig(10, 10)], { defaultChecked: judged('fewer', 0, 0, 0.7) }),
    ];
    const stricter = pool(runs).checked.default.stricter;
    expect(stricter).toEqual({ misses: [{ run: 's 120 s', tuningMinutes: 5, tuningHeadroomMinutes: 25 }], servedPredictive: 3, beyondLargestMissMargin: 1 });
  });

  it('finds the predictive settings (grid or explored) that beat seasonal naive at 70 % on both, and the fewest minutes within its replica-hours', () => {
    const at70 = { quantile: 0.9, scaleInGuardQuantile: 0.975, utilisation: 0.7, leadTimeSeconds: 180 };
    const one = run([fig(10, 10)], {
      settings: [{ knobs: at70, predictive: fig(8, 4), snaive: fig(12, 2) }],
      explored: [
        { label: 'cheap', ...fig(11, 1) },
        { label: 'dear', ...fig(13, 0) },
      ],
    });
    const v = pool([one]).snaiveVersusFrontier;
    expect(v.snaive).toEqual({ under: 0.2, replicaHours: 1.2 });
    expect(v.beatenBy).toEqual(['cheap']);
    expect(v.fewestWithinItsHours).toEqual({ label: 'cheap', under: 0.1, replicaHours: 1.1 });
  });

  it('compares predictive with seasonal naive sized alike at every level replayed, grid and --explore sizings together, highest first', () => {
    const at = (utilisation: number, scaleInGuardQuantile: number | null = 0.975) => ({ quantile: 0.9, scaleInGuardQuantile, utilisation, leadTimeSeconds: 180 });
    const one = run([fig(10, 10)], {
      settings: [
        { knobs: at(0.7), predictive: fig(8, 4), snaive: fig(12, 2) },
        { knobs: at(0.7, null), predictive: fig(7, 6), snaive: fig(11, 3) },
      ],
      alsoSized: [
        { knobs: at(0.5), predictive: fig(12, 1), snaive: fig(16, 2) },
        { knobs: at(0.5, null), predictive: fig(11, 2), snaive: fig(15, 1) },
      ],
    });
    const levels = pool([one]).sizedAlike;
    expect(levels.map((l) => l.utilisation)).toEqual([0.7, 0.5]);
    // At 70 %: cheaper but shorter in both pairs; at 50 %: better on both with the guard only.
    expect(levels[0]).toMatchObject({ betterOnBoth: 0, fewerHours: 2, fewerMinutes: 0 });
    expect(levels[1]).toMatchObject({ betterOnBoth: 1, fewerHours: 2, fewerMinutes: 1 });
    expect(levels[1]?.settings[0]).toEqual({ knobs: at(0.5), predictive: { under: 0.1, replicaHours: 1.2 }, snaive: { under: 0.2, replicaHours: 1.6 } });
  });
});
