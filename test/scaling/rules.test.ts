import { describe, expect, it } from 'vitest';
import { decide, type RecommendationRecord } from '../../src/scaling/rules.js';
import { scalingOf } from './helpers.js';

// src/scaling/rules.ts on its own: the policy's rules on window loads, as the
// replay of many knob settings calls them (src/backtest/replay-world.ts).
// policy.test.ts and policy-edges.test.ts reach them through recommend();
// this file holds what only a history given by hand can show.

const T = Date.parse('2026-03-02T08:00:00Z');
const MINUTE_MS = 60_000;

describe('decide: the scale-in rate counts the replicas in force during the last interval', () => {
  // Capacity 100, one replica removed per minute at most, stabilisation over 1 s (out of the way).
  const scaling = scalingOf({ capacityPerReplica: 100, scaleIn: { maxReplicas: 1, interval: '1m', stabilizationWindow: '1s' } });
  const loads = { windowMaxLoad: 100, windowMaxUpperLoad: 100, observedLoad: 0 };

  it('a record replaced at the same moment, exactly at the interval\'s start, was never in force and does not count', () => {
    // 10 recommended and replaced by 4 at the same instant, one interval ago: only 4 was in force since.
    const history: RecommendationRecord[] = [
      { atMs: T - MINUTE_MS, desired: 10, replicas: 10 },
      { atMs: T - MINUTE_MS, desired: 4, replicas: 4 },
    ];
    const d = decide(scaling, T, loads, history);
    expect(d.replicas).toBe(3);
    expect(d.clampedBy).toEqual(['scaleInRate']);
    expect(d.previous).toBe(4);
  });

  it('a record set at the interval\'s start and in force after it counts', () => {
    const history: RecommendationRecord[] = [
      { atMs: T - MINUTE_MS, desired: 10, replicas: 10 },
      { atMs: T - MINUTE_MS + 1, desired: 4, replicas: 4 },
    ];
    // 10 was in force for 1 ms inside the interval: the rate counts from 10, so 4 may not fall further (9 > 4).
    expect(decide(scaling, T, loads, history)).toMatchObject({ replicas: 4, clampedBy: ['scaleInRate'] });
  });
});
