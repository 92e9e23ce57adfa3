/**
 * The replay world's own rules (src/backtest/replay-world.ts), on small
 * synthetic series in milliseconds: the load held beyond the ends, the
 * forecast in force at a time (never a later or a failed one), the refusal
 * of a track made for another world, and the headroom search's answer at
 * equal cost. The HPA model and the policy are the real code.
 * test/backtest/replay-world.test.ts checks the forecast policies against
 * recommend() on real data; test/backtest/replay-policy.test.ts drives the
 * world through replay().
 */
import { describe, expect, it } from 'vitest';
import { ForecastTrack, loadInterpolator, MIN_HEADROOM_UTILISATION, ReactiveTrack, ReplayWorld, servedAt, type ServedForecastLike, type WorldOptions } from '../../src/backtest/replay-world.js';
import type { ScalingPolicy } from '../../src/scaling/policy.js';
import type { Series } from '../../src/series/series.js';

const T0 = Date.parse('2026-03-02T00:00:00Z');
const MIN = 60_000;

function flat(load: number, length = 90): Series {
  return { startMs: T0, stepSeconds: 60, values: Array.from({ length }, () => load) };
}

function world(series: Series, extra: Partial<WorldOptions> = {}): ReplayWorld {
  return new ReplayWorld({
    series,
    startIndex: 30,
    endIndex: series.values.length,
    capacityPerReplica: 100,
    startupDelaySeconds: 120,
    metricLagSeconds: 60,
    minReplicas: 1,
    maxReplicas: 1000,
    hpaUtilisation: 0.7,
    reactiveTrigger: true,
    ...extra,
  });
}

/** A forecast made at `minute`, flat at 100 for 10 steps, or a failed refit. */
function forecastAt(minute: number, failed = false): ServedForecastLike {
  const startMs = T0 + minute * MIN;
  const point = failed ? [] : Array.from({ length: 10 }, () => 100);
  return {
    model: `made at ${minute}`,
    startMs,
    stepSeconds: 60,
    point,
    intervals: failed ? [] : [{ level: 0.8, lower: point, upper: point }],
    lastObserved: { atMs: startMs, value: 100 },
    ...(failed ? { error: 'failed' } : {}),
  };
}

describe('loadInterpolator', () => {
  it('holds each sample until the next one, and the first and last beyond the ends', () => {
    const at = loadInterpolator({ startMs: 0, stepSeconds: 300, values: [1, 5, 9] });
    expect(at(0)).toBe(1);
    expect(at(299_999)).toBe(1);
    expect(at(300_000)).toBe(5);
    expect(at(600_000)).toBe(9);
    expect(at(900_000)).toBe(9);
    expect(at(10_000_000)).toBe(9);
    expect(at(-5)).toBe(1);
  });
});

describe('servedAt', () => {
  const model = (f: ReturnType<ReturnType<typeof servedAt>>) => f?.model;

  it('serves the latest refit at or before the time: none before the first, the last one after its spacing ran out', () => {
    const forecasts = [forecastAt(0), forecastAt(10), forecastAt(20)];
    const at = servedAt(forecasts, T0, 10 * MIN);
    expect(model(at(T0 - 1))).toBeUndefined();
    expect([0, 9.99, 10, 19, 20, 29].map((m) => model(at(T0 + m * MIN)))).toEqual(['made at 0', 'made at 0', 'made at 10', 'made at 10', 'made at 20', 'made at 20']);
    // Past the last refit's spacing (the replay's last stretch), the last forecast is still the one in force.
    expect(model(at(T0 + 35 * MIN))).toBe('made at 20');
  });

  it('never serves a failed refit: the forecast before it stays in force', () => {
    const at = servedAt([forecastAt(0), forecastAt(10, true), forecastAt(20)], T0, 10 * MIN);
    expect(model(at(T0 + 15 * MIN))).toBe('made at 0');
    expect(model(at(T0 + 25 * MIN))).toBe('made at 20');
    expect(servedAt([forecastAt(0, true)], T0, 10 * MIN)(T0 + 5 * MIN)).toBeUndefined();
  });

  it('never serves a refit before the time it was made, even one later than its slot', () => {
    // Refits at least 10 minutes apart; the third came 5 minutes late.
    const at = servedAt([forecastAt(0), forecastAt(10), forecastAt(25)], T0, 10 * MIN);
    expect(model(at(T0 + 22 * MIN))).toBe('made at 10');
    expect(model(at(T0 + 25 * MIN))).toBe('made at 25');
  });
});

describe('ReplayWorld.forecastPolicy', () => {
  const scaling: ScalingPolicy = {
    capacityPerReplica: 100,
    minReplicas: 1,
    maxReplicas: 1000,
    scaleIn: { intervalSeconds: 60, stabilizationWindowSeconds: 300 },
    quantile: 0.9,
    scaleInGuardQuantile: null,
    utilisation: 0.9,
    leadTimeSeconds: 180,
  };

  it('refuses a track of another world, even at the same lead time, with PRESCIENT_ERR_VALIDATION', () => {
    const here = world(flat(100));
    const elsewhere = world(flat(100));
    const track = new ForecastTrack(elsewhere, () => undefined, 180);
    expect(() => here.forecastPolicy(scaling, track)).toThrow(
      expect.objectContaining({
        code: 'PRESCIENT_ERR_VALIDATION',
        message: 'a forecast track for lead 180 s of another world cannot feed a policy with lead 180 s',
      }),
    );
    // Its own track at its lead time is taken.
    expect(here.forecastPolicy(scaling, new ForecastTrack(here, () => undefined, 180)).fallbackTicks).toBe(here.ticks);
  });
});

describe('ReactiveTrack', () => {
  it('reads the observed (lagged) load at every quantile, whatever the forecasts', () => {
    const series: Series = { startMs: T0, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => 100 + i) };
    const w = world(series);
    // Read as every policy reads a track, through ForecastTrack's at(quantile).
    const track: ForecastTrack = new ReactiveTrack(w, 180);
    // 60 s of lag: the tick at minute 30 sees minute 29's load, 100 + 29.
    expect(track.at(0.9)[0]).toBe(129);
    expect([...track.at(0.9)]).toEqual([...w.observedTicks()]);
    expect([...track.at(0.975)]).toEqual([...w.observedTicks()]);
    expect(track.leadTimeSeconds).toBe(180);
  });
});

describe('ReplayWorld.sameCostReactive', () => {
  it('at equal cost, finds the lowest target running the same pods, to 12 halvings of [0.05, 0.7]', () => {
    // A flat 105 at 100 per pod: every target from 52.5 % to 70 % runs 2 pods, lower ones 3 or more.
    const w = world(flat(105));
    const reactive = w.plainHpa(0.7);
    expect(reactive.timeline.specReplicas.every((r) => r === 2)).toBe(true);
    const headroom = w.sameCostReactive(reactive, reactive.stats.replicaHours);
    expect(headroom.stats.replicaHours).toBe(reactive.stats.replicaHours);
    // 52.5 % rounded up to the 4,096-step grid of the bisection: step 2,994 (0.5251…).
    expect(headroom.utilisation).toBe(MIN_HEADROOM_UTILISATION + ((0.7 - MIN_HEADROOM_UTILISATION) * 2994) / 4096);
    expect(w.plainHpa(0.524).timeline.specReplicas[0]).toBe(3);
  });

  it('returns the plain HPA itself when it costs more than the budget, even where a slightly lower target costs less', () => {
    // 14, then 22 from minute 40, at 10 per pod. At 70 % (7 per pod) the HPA runs 2 pods, then 4: 1.63 replica-hours.
    // At 67.97 % it starts with 3, and the rise to 22 stays within its 10 % tolerance: 3 pods throughout, 1.5 replica-hours.
    const series: Series = { startMs: T0, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => (i < 40 ? 14 : 22)) };
    const w = world(series, { capacityPerReplica: 10 });
    const reactive = w.plainHpa(0.7);
    expect(reactive.stats.replicaHours).toBeCloseTo(1.6333, 4);
    const lower = w.plainHpa(0.6796875);
    expect(lower.stats.replicaHours).toBe(1.5);
    // A budget the lower target meets and the plain HPA does not: no headroom to give, the plain HPA is the answer.
    expect(w.sameCostReactive(reactive, 1.5)).toBe(reactive);
  });
});
