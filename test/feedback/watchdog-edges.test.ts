import { describe, expect, it } from 'vitest';
import { watchdogSchema } from '../../src/config/schema.js';
import type { WindowAccuracy } from '../../src/feedback/accuracy.js';
import type { ScoredColumns } from '../../src/feedback/served-record.js';
import { HEALTH_STATES, historyStartMs, initialHealth, judge, rate, type TargetHealth } from '../../src/feedback/watchdog.js';

// The edges of the watchdog that watchdog.test.ts does not reach: each
// threshold at its limit, which band and which MASE limit are judged, the
// messages people read, and what each transition keeps, drops or resets.
// Found by mutation testing (test/mutation/REPORT.md).

// Thresholds chosen to be exact in binary floating point, so a limit is hit exactly.
const config = watchdogSchema.parse({
  window: '1h',
  minScoredSteps: 4,
  coverageTolerance: 0.25,
  maxMase: 3,
  maxMaseRatio: 2,
  maxRelativeBias: 0.375,
  demoteAfter: '1h',
  promoteAfter: '2h',
  minHistoryAfterChangepoint: '1d',
});
const HOUR_MS = 3_600_000;
const STEP_MS = 300_000;
const T0 = Date.UTC(2026, 0, 5);

/** A window's accuracy: `count` steps, coverage 0.8 at level 0.8 unless given. */
function accuracy(fields: Partial<WindowAccuracy> = {}): WindowAccuracy {
  return { window: 'since-refit', count: 10, coverage: [{ level: 0.8, coverage: 0.8, count: 10 }], ...fields };
}

describe('rate: the thresholds at their limits', () => {
  it('judges nothing below minScoredSteps, and judges exactly minScoredSteps', () => {
    expect(rate(accuracy({ count: 3 }), {}, config)).toEqual({ kind: 'unknown', why: '3 scored steps, fewer than 4' });
    expect(rate(accuracy({ count: 4 }), {}, config)).toEqual({ kind: 'good', why: '4 scored steps within the thresholds' });
  });

  it('rates coverage poor only below level − tolerance, and good only from level − tolerance / 2', () => {
    const at = (coverage: number) => rate(accuracy({ coverage: [{ level: 0.75, coverage, count: 10 }] }), {}, config);
    expect(at(0.5).kind).toBe('unknown');
    expect(at(0.49).kind).toBe('poor');
    expect(at(0.49).why).toBe('coverage of the 75 % band 49 %');
    expect(at(0.625)).toEqual({ kind: 'good', why: '10 scored steps within the thresholds' });
    expect(at(0.62)).toEqual({ kind: 'unknown', why: 'coverage between the poor and good thresholds' });
  });

  it('judges the scaling level\'s band, or the widest band when there is no scaling level', () => {
    const coverage = [
      { level: 0.5, coverage: 0.1, count: 10 },
      { level: 0.8, coverage: 0.8, count: 10 },
      { level: 0.95, coverage: 0.2, count: 10 },
    ];
    expect(rate(accuracy({ coverage }), { scalingLevel: 0.8 }, config).kind).toBe('good');
    expect(rate(accuracy({ coverage }), { scalingLevel: 0.5 }, config).why).toBe('coverage of the 50 % band 10 %');
    expect(rate(accuracy({ coverage }), {}, config).why).toBe('coverage of the 95 % band 20 %');
    // A scaling level with no band: coverage is not judged at all.
    expect(rate(accuracy({ coverage }), { scalingLevel: 0.9 }, config).kind).toBe('good');
  });

  it('rates MASE against maxMase without a backtest score, against maxMaseRatio × the backtest MASE with one', () => {
    const at = (mase: number, backtestMase?: number) => rate(accuracy({ mase }), backtestMase === undefined ? {} : { backtestMase }, config);
    expect(at(3).kind).toBe('unknown');
    expect(at(3.01)).toEqual({ kind: 'poor', why: 'live MASE 3.01 > 3.00' });
    expect(at(2).kind).toBe('good');
    expect(at(2.01)).toEqual({ kind: 'unknown', why: 'MASE between the poor and good thresholds' });
    // Backtest MASE 0.75: the limit is 1.5 (good up to 1).
    expect(at(1.6, 0.75)).toEqual({ kind: 'poor', why: 'live MASE 1.60 > 1.50' });
    expect(at(1.5, 0.75).kind).toBe('unknown');
    expect(at(1, 0.75).kind).toBe('good');
    expect(at(1.01, 0.75).kind).toBe('unknown');
    // A backtest MASE of 0 says nothing: maxMase again.
    expect(at(2.5, 0).kind).toBe('unknown');
  });

  it('rates bias on its absolute value, poor past maxRelativeBias and good within two thirds of it', () => {
    const at = (relativeBias: number) => rate(accuracy({ relativeBias }), {}, config);
    expect(at(0.375).kind).toBe('unknown');
    expect(at(-0.375).kind).toBe('unknown');
    expect(at(0.38)).toEqual({ kind: 'poor', why: 'bias 38 % of the load' });
    expect(at(-0.4)).toEqual({ kind: 'poor', why: 'bias -40 % of the load' });
    expect(at(0.25).kind).toBe('good');
    expect(at(-0.25).kind).toBe('good');
    expect(at(-0.26)).toEqual({ kind: 'unknown', why: 'bias between the poor and good thresholds' });
  });

  it('names every poor measure at once, and every in-between one', () => {
    const poor = accuracy({ coverage: [{ level: 0.8, coverage: 0.5, count: 10 }], mase: 4, relativeBias: 0.5 });
    expect(rate(poor, {}, config)).toEqual({ kind: 'poor', why: 'coverage of the 80 % band 50 %, live MASE 4.00 > 3.00, bias 50 % of the load' });
    const between = accuracy({ coverage: [{ level: 0.8, coverage: 0.6, count: 10 }], mase: 2.5, relativeBias: 0.3 });
    expect(rate(between, {}, config)).toEqual({ kind: 'unknown', why: 'coverage, MASE, bias between the poor and good thresholds' });
  });
});

/** Scored steps every 5 min from `fromMs` to `toMs`: point 100, 80 % band 90–110, made `madeBeforeMs` before the step. */
function columns(fromMs: number, toMs: number, actual: (t: number) => number, madeBeforeMs = 600_000): ScoredColumns {
  const c: ScoredColumns = { atMs: [], actual: [], point: [], madeAtMs: [], lower: [[]], upper: [[]] };
  for (let t = fromMs; t <= toMs; t += STEP_MS) {
    c.atMs.push(t);
    c.actual.push(actual(t));
    c.point.push(100);
    c.madeAtMs.push(t - madeBeforeMs);
    c.lower[0]?.push(90);
    c.upper[0]?.push(110);
  }
  return c;
}
const good = () => 101;
const bad = () => 200;
const judgeAt = (health: TargetHealth | undefined, nowMs: number, actual: (t: number) => number, changepointAtMs?: number) =>
  judge(
    health,
    { nowMs, columns: columns(T0, nowMs, actual), levels: [0.8], maseScale: 10, scalingLevel: 0.8, ...(changepointAtMs === undefined ? {} : { changepointAtMs }) },
    config,
  );

describe('judge: what is judged', () => {
  it('judges only the steps in the trailing window', () => {
    // Poor steps more than an hour old do not count.
    const actual = (t: number) => (t <= T0 + 2 * HOUR_MS ? 200 : 101);
    const v = judgeAt(initialHealth(T0), T0 + 3 * HOUR_MS, actual);
    expect(v.judged).toMatchObject({ window: 'since-refit', count: 12, fromMs: T0 + 2 * HOUR_MS + STEP_MS, toMs: T0 + 3 * HOUR_MS });
    expect(v.health.state).toBe('trusted');
  });

  it('judges only forecasts made at or after judgeFromMs', () => {
    const degraded: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0, judgeFromMs: T0 + 3 * HOUR_MS - 1_800_000 };
    // Each step was forecast 10 min before it: of the last hour's 12 steps, those from 2 h 40 min on (5) were forecast since judgeFromMs.
    const v = judgeAt(degraded, T0 + 3 * HOUR_MS, good);
    expect(v.judged.count).toBe(5);
    expect(v.judged.fromMs).toBe(T0 + 3 * HOUR_MS - 1_800_000 + 600_000);
  });

  it('a first call with no health starts trusted at nowMs', () => {
    const v = judgeAt(undefined, T0 + HOUR_MS, good);
    expect(v.health).toEqual({ state: 'trusted', reason: 'no live accuracy judged yet', sinceMs: T0 + HOUR_MS, judgeFromMs: 0 });
    expect(v.transition).toBeUndefined();
    expect(v.refitNow).toBe(false);
  });
});

describe('judge: each transition, what it keeps and resets', () => {
  it('trusted → degraded on poor accuracy: refit at once, judged from now, the reason says why', () => {
    const trusted: TargetHealth = { state: 'trusted', reason: 'x', sinceMs: T0, judgeFromMs: T0 };
    const v = judgeAt(trusted, T0 + 2 * HOUR_MS, bad);
    expect(v.refitNow).toBe(true);
    expect(v.health).toEqual({
      state: 'degraded',
      reason: 'coverage of the 80 % band 0 %, live MASE 10.00 > 3.00, bias -50 % of the load',
      sinceMs: T0 + 2 * HOUR_MS,
      judgeFromMs: T0 + 2 * HOUR_MS,
    });
    expect(v.transition).toEqual({ from: 'trusted', to: 'degraded', reason: v.health.reason });
  });

  it('trusted → degraded on a changepoint, named with its time, even while accuracy is good', () => {
    const at = T0 + HOUR_MS;
    const v = judgeAt(initialHealth(T0), T0 + 2 * HOUR_MS, good, at);
    expect(v.health).toEqual({
      state: 'degraded',
      reason: 'changepoint in the forecast errors at 2026-01-05T01:00:00.000Z',
      sinceMs: T0 + 2 * HOUR_MS,
      judgeFromMs: T0 + 2 * HOUR_MS,
      changepointAtMs: at,
      historyFromMs: at,
    });
    expect(v.refitNow).toBe(true);
  });

  it('an older or equal changepoint is not news; a later one is, and the episode keeps its first changepoint as the history start', () => {
    const degraded: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0 + HOUR_MS, judgeFromMs: T0, changepointAtMs: T0 + HOUR_MS, historyFromMs: T0 + HOUR_MS / 2 };
    const older = judgeAt(degraded, T0 + 1.5 * HOUR_MS, (t) => (t > T0 + HOUR_MS ? 130 : 101), T0 + HOUR_MS / 4);
    expect(older.refitNow).toBe(false);
    expect(older.health).toEqual(degraded);
    const same = judgeAt(degraded, T0 + 1.5 * HOUR_MS, (t) => (t > T0 + HOUR_MS ? 130 : 101), T0 + HOUR_MS);
    expect(same.refitNow).toBe(false);
    expect(same.health).toEqual(degraded);
    const later = judgeAt(degraded, T0 + 1.5 * HOUR_MS, good, T0 + 1.25 * HOUR_MS);
    expect(later.refitNow).toBe(true);
    expect(later.transition).toBeUndefined();
    // Still degraded since 1 h (the demotion clock runs on), judged from now, history from the episode's first changepoint.
    expect(later.health).toEqual({
      state: 'degraded',
      reason: 'changepoint in the forecast errors at 2026-01-05T01:15:00.000Z',
      sinceMs: T0 + HOUR_MS,
      judgeFromMs: T0 + 1.5 * HOUR_MS,
      changepointAtMs: T0 + 1.25 * HOUR_MS,
      historyFromMs: T0 + HOUR_MS / 2,
    });
  });

  it('degraded → trusted when the refit recovered: the history cut dropped, the changepoint kept', () => {
    // Of the 12 steps in the window, 11 were forecast since judgeFromMs (each 10 min ahead).
    const degraded: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0, judgeFromMs: T0, changepointAtMs: T0 + HOUR_MS / 2, historyFromMs: T0 + HOUR_MS / 2 };
    const v = judgeAt(degraded, T0 + HOUR_MS, good);
    expect(v.health).toEqual({
      state: 'trusted',
      reason: 'recovered after the refit: 11 scored steps within the thresholds',
      sinceMs: T0 + HOUR_MS,
      judgeFromMs: T0 + HOUR_MS,
      changepointAtMs: T0 + HOUR_MS / 2,
    });
    expect(v.transition).toEqual({ from: 'degraded', to: 'trusted', reason: v.health.reason });
    expect(v.refitNow).toBe(false);
  });

  it('degraded → reactive exactly demoteAfter after degrading, keeping the history cut, without a refit', () => {
    const degraded: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0 + HOUR_MS, judgeFromMs: T0, historyFromMs: T0 + HOUR_MS / 2 };
    const before = judgeAt(degraded, T0 + 2 * HOUR_MS - 1, bad);
    expect(before.health).toEqual(degraded);
    expect(before.refitNow).toBe(false);
    const v = judgeAt(degraded, T0 + 2 * HOUR_MS, bad);
    expect(v.health).toEqual({
      state: 'reactive',
      reason: 'the refit did not recover within 3600 s: coverage of the 80 % band 0 %, live MASE 10.00 > 3.00, bias -50 % of the load',
      sinceMs: T0 + 2 * HOUR_MS,
      judgeFromMs: T0 + 2 * HOUR_MS,
      historyFromMs: T0 + HOUR_MS / 2,
    });
    expect(v.refitNow).toBe(false);
    expect(v.transition).toMatchObject({ from: 'degraded', to: 'reactive' });
  });

  it('reactive: a good spell starts at the first good verdict, promotes exactly promoteAfter later, says how long it held, and keeps the history cut', () => {
    const reactive: TargetHealth = { state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0, historyFromMs: T0 - HOUR_MS };
    const first = judgeAt(reactive, T0 + HOUR_MS, good);
    expect(first.health).toEqual({ ...reactive, goodSinceMs: T0 + HOUR_MS });
    expect(first.transition).toBeUndefined();
    const almost = judgeAt(first.health, T0 + 3 * HOUR_MS - 1, good);
    expect(almost.health).toEqual({ ...reactive, goodSinceMs: T0 + HOUR_MS });
    const promoted = judgeAt(first.health, T0 + 3 * HOUR_MS, good);
    expect(promoted.health).toEqual({
      state: 'trusted',
      reason: 'shadow forecasts held for 7200 s: 12 scored steps within the thresholds',
      sinceMs: T0 + 3 * HOUR_MS,
      judgeFromMs: T0 + 3 * HOUR_MS,
      // A demoted target's regime did change: fits keep starting at its changepoint.
      historyFromMs: T0 - HOUR_MS,
    });
    expect(promoted.transition).toMatchObject({ from: 'reactive', to: 'trusted' });
    expect(promoted.refitNow).toBe(false);
  });

  it('reactive: a verdict that is not good ends the spell; a new changepoint refits without ending it', () => {
    const spell: TargetHealth = { state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0, goodSinceMs: T0 + HOUR_MS };
    const broken = judgeAt(spell, T0 + 2 * HOUR_MS, bad);
    expect(broken.health).toEqual({ state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0 });
    expect(broken.refitNow).toBe(false);
    const change = judgeAt(spell, T0 + 2 * HOUR_MS, good, T0 + 1.5 * HOUR_MS);
    expect(change.refitNow).toBe(true);
    expect(change.health).toEqual({ ...spell, changepointAtMs: T0 + 1.5 * HOUR_MS, historyFromMs: T0 + 1.5 * HOUR_MS });
    const changeWhilePoor = judgeAt(spell, T0 + 2 * HOUR_MS, bad, T0 + 1.5 * HOUR_MS);
    expect(changeWhilePoor.refitNow).toBe(true);
    expect(changeWhilePoor.health.goodSinceMs).toBeUndefined();
    const promotedOnChange = judgeAt(spell, T0 + 3 * HOUR_MS, good, T0 + 2.5 * HOUR_MS);
    expect(promotedOnChange.health.state).toBe('trusted');
    expect(promotedOnChange.refitNow).toBe(true);
  });

  it('trusted and not poor stays as it is, with no refit', () => {
    const trusted: TargetHealth = { state: 'trusted', reason: 'fine', sinceMs: T0, judgeFromMs: T0, changepointAtMs: T0 - HOUR_MS };
    const v = judgeAt(trusted, T0 + HOUR_MS, good);
    expect(v.health).toEqual(trusted);
    expect(v.refitNow).toBe(false);
    expect(v.transition).toBeUndefined();
  });
});

describe('judge: the health it hands on', () => {
  it('leaves a field out rather than setting it to undefined, in every state and transition', () => {
    const cut: TargetHealth = { state: 'degraded', reason: 'x', sinceMs: T0, judgeFromMs: T0, historyFromMs: T0 };
    const verdicts = [
      judgeAt(undefined, T0 + HOUR_MS, good),
      judgeAt({ state: 'trusted', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS, good),
      judgeAt({ state: 'trusted', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS, bad),
      judgeAt({ state: 'degraded', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS / 2, bad),
      judgeAt({ state: 'degraded', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS, good),
      judgeAt(cut, T0 + HOUR_MS / 2, bad),
      judgeAt({ state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS, bad),
      judgeAt({ state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0 }, T0 + HOUR_MS, good),
    ];
    for (const v of verdicts) expect(Object.entries(v.health).filter(([, value]) => value === undefined)).toEqual([]);
    // The health is persisted and served as JSON: the same fields either way.
    for (const v of verdicts) expect(JSON.parse(JSON.stringify(v.health))).toStrictEqual(v.health);
  });

  it('lists the three states in the order they degrade', () => {
    expect(HEALTH_STATES).toEqual(['trusted', 'degraded', 'reactive']);
  });
});

describe('historyStartMs', () => {
  it('starts at the changepoint from exactly minHistoryAfterChangepoint after it, and never without one', () => {
    const health: TargetHealth = { state: 'reactive', reason: 'x', sinceMs: T0, judgeFromMs: T0, historyFromMs: T0 };
    expect(historyStartMs(health, T0 + 86_400_000 - 1, config)).toBeUndefined();
    expect(historyStartMs(health, T0 + 86_400_000, config)).toBe(T0);
    expect(historyStartMs(initialHealth(T0), T0 + 10 * 86_400_000, config)).toBeUndefined();
    expect(historyStartMs(undefined, T0, config)).toBeUndefined();
  });
});
