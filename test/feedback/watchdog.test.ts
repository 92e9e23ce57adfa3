import { describe, expect, it } from 'vitest';
import { watchdogSchema } from '../../src/config/schema.js';
import { recentChangepoint } from '../../src/feedback/changepoint.js';
import type { ScoredColumns } from '../../src/feedback/served-record.js';
import { historyStartMs, initialHealth, judge, type TargetHealth } from '../../src/feedback/watchdog.js';

const config = watchdogSchema.parse({ window: '1h', minScoredSteps: 6, demoteAfter: '1h', promoteAfter: '2h', minHistoryAfterChangepoint: '1d' });
const STEP_MS = 300_000;
const T0 = Date.UTC(2026, 0, 5);

/** Scored steps from `fromMs` every 5 min: actual(t), point 100, 80 % band 90–110, made 10 min before. */
function columns(fromMs: number, toMs: number, actual: (t: number) => number): ScoredColumns {
  const c: ScoredColumns = { atMs: [], actual: [], point: [], madeAtMs: [], lower: [[]], upper: [[]] };
  for (let t = fromMs; t <= toMs; t += STEP_MS) {
    c.atMs.push(t);
    c.actual.push(actual(t));
    c.point.push(100);
    c.madeAtMs.push(t - 600_000);
    c.lower[0]?.push(90);
    c.upper[0]?.push(110);
  }
  return c;
}

const good = (t: number) => 100 + (Math.floor(t / STEP_MS) % 3) - 1;
const step = (health: TargetHealth | undefined, nowMs: number, actual: (t: number) => number, changepointAtMs?: number) =>
  judge(health, { nowMs, columns: columns(T0, nowMs, actual), levels: [0.8], maseScale: 10, scalingLevel: 0.8, ...(changepointAtMs ? { changepointAtMs } : {}) }, config);

describe('watchdog', () => {
  it('stays trusted while the served forecasts hold', () => {
    const v = step(initialHealth(T0), T0 + 3_600_000, good);
    expect(v.health.state).toBe('trusted');
    expect(v.refitNow).toBe(false);
    expect(v.transition).toBeUndefined();
  });

  it('degrades and asks for a refit when coverage and MASE collapse, then demotes when the refit does not recover', () => {
    const bad = (t: number) => (t >= T0 + 3_600_000 ? 200 : good(t));
    const degraded = step(initialHealth(T0), T0 + 2 * 3_600_000, bad);
    expect(degraded.health.state).toBe('degraded');
    expect(degraded.refitNow).toBe(true);
    expect(degraded.transition).toEqual({ from: 'trusted', to: 'degraded', reason: expect.stringContaining('coverage of the 80 % band 0 %') });
    // Half an hour later, still poor: stays degraded (demoteAfter is 1 h).
    const still = step(degraded.health, T0 + 2.5 * 3_600_000, bad);
    expect(still.health.state).toBe('degraded');
    const demoted = step(still.health, T0 + 3 * 3_600_000, bad);
    expect(demoted.health.state).toBe('reactive');
    expect(demoted.health.reason).toMatch(/did not recover/);
  });

  it('returns to trusted when forecasts made after the refit are good', () => {
    const degraded: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0 + 3_600_000, judgeFromMs: T0 + 3_600_000 };
    // Bad before the refit, good after: only forecasts made since judgeFromMs count.
    const actual = (t: number) => (t < T0 + 3_600_000 ? 200 : good(t));
    const v = step(degraded, T0 + 2 * 3_600_000, actual);
    expect(v.health.state).toBe('trusted');
    expect(v.transition?.reason).toMatch(/recovered/);
  });

  it('promotes a reactive target only after an unbroken good spell of promoteAfter (hysteresis)', () => {
    let health: TargetHealth = { state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0 };
    const states: string[] = [];
    for (let h = 1; h <= 4; h += 0.5) {
      // A poor spell at 2 h breaks the good run.
      const actual = (t: number) => (t > T0 + 1.6 * 3_600_000 && t <= T0 + 2 * 3_600_000 ? 200 : good(t));
      health = step(health, T0 + h * 3_600_000, actual).health;
      states.push(`${h}:${health.state}`);
    }
    // Good from 1 h, broken at 2 h–2.5 h (the window still holds the poor steps), good again from 3 h: promoted at 5 h at the earliest.
    expect(states.every((s) => s.endsWith('reactive'))).toBe(true);
    health = step(health, T0 + 5 * 3_600_000, good).health;
    expect(health.state).toBe('trusted');
  });

  it('keeps its state between the poor and good thresholds', () => {
    // Coverage 60 %: below 0.8 − 0.125 (not good) but above 0.8 − 0.25 (not poor).
    const inBetween = (t: number) => (Math.floor(t / STEP_MS) % 5 < 3 ? 100 : 112);
    const reactive: TargetHealth = { state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: 0 };
    expect(step(reactive, T0 + 3 * 3_600_000, inBetween).health.state).toBe('reactive');
    expect(step(initialHealth(T0), T0 + 3 * 3_600_000, inBetween).health.state).toBe('trusted');
  });

  it('refits at once on a new changepoint, and fits from it only once enough history follows', () => {
    const at = T0 + 2 * 3_600_000;
    const v = step(initialHealth(T0), T0 + 2.5 * 3_600_000, good, at);
    expect(v.health).toMatchObject({ state: 'degraded', changepointAtMs: at });
    expect(v.refitNow).toBe(true);
    expect(historyStartMs(v.health, at + 3_600_000, config)).toBeUndefined();
    expect(historyStartMs(v.health, at + 86_400_000, config)).toBe(at);
    // The same changepoint again is not news.
    expect(step(v.health, T0 + 3 * 3_600_000, good, at).refitNow).toBe(false);
  });
});

describe('recentChangepoint', () => {
  it('finds where the forecast errors shift and ignores noise around zero', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 4;
    const change = T0 + 60 * STEP_MS;
    const shifted = columns(T0, T0 + 71 * STEP_MS, (t) => 100 + noise() + (t >= change ? 30 : 0));
    expect(recentChangepoint(shifted, 10, 0)).toBe(change);
    const steady = columns(T0, T0 + 71 * STEP_MS, () => 100 + noise());
    expect(recentChangepoint(steady, 10, 0)).toBeUndefined();
    // Nothing after `sinceMs` to look at.
    expect(recentChangepoint(shifted, 10, T0 + 70 * STEP_MS)).toBeUndefined();
  });
});
