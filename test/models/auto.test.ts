import { describe, expect, it } from 'vitest';
import { coverage } from '../../src/models/evaluation/metrics.js';
import { auto, createAutoForecaster } from '../../src/models/auto.js';
import type { FitContext, Fitted, Forecaster, ModelSelection } from '../../src/models/forecaster.js';
import { forecasters } from '../../src/models/registry.js';
import { seasonalNaive } from '../../src/models/seasonal-naive.js';

const FIVE_MIN = 300;
const DAY = 288;

/** Seeded standard normal noise (Box–Muller over an LCG), so runs repeat. */
function noise(seed: number): () => number {
  let state = seed;
  const uniform = (): number => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return (state + 1) / 2_147_483_649;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** 5-minute load with a daily cycle, a trend and noise. */
function load(days: number, seed = 1, trendPerDay = 0): number[] {
  const n = noise(seed);
  return Array.from({ length: days * DAY }, (_, i) => 100 + 40 * Math.sin((2 * Math.PI * i) / DAY) + (trendPerDay * i) / DAY + 5 * n());
}

function ctx(periods: number[], deadlineMs = Date.now() + 60_000): FitContext {
  return { stepSeconds: FIVE_MIN, startMs: Date.UTC(2024, 0, 1), seasonalPeriods: periods, deadlineMs, seed: 1 };
}

/** Seasonal naive with its intervals shrunk to a fifth: a model whose own intervals are far too narrow. */
const narrowNaive: Forecaster = {
  name: 'narrow-naive',
  minLength: (c) => seasonalNaive.minLength(c),
  async fit(values, c) {
    const inner = await seasonalNaive.fit(values, c);
    return {
      info: { model: 'narrow-naive', notes: [] },
      predict(horizon, levels) {
        const f = inner.predict(horizon, levels);
        return {
          point: f.point,
          intervals: f.intervals.map((i) => ({
            level: i.level,
            lower: f.point.map((p, h) => p - (p - (i.lower[h] as number)) / 5),
            upper: f.point.map((p, h) => p + ((i.upper[h] as number) - p) / 5),
          })),
        };
      },
      dispose: () => inner.dispose(),
    };
  },
};

/** A model that fits short histories but fails on longer ones (as a fragile model might on the full history). */
function failsAbove(length: number, base: Forecaster): Forecaster {
  return {
    name: `fragile-${base.name}`,
    minLength: (c) => base.minLength(c),
    async fit(values, c) {
      if (values.length > length) throw new Error('numerical failure');
      const inner = await base.fit(values, c);
      return {
        ...inner,
        info: { model: `fragile-${base.name}`, notes: [] },
        predict: inner.predict.bind(inner),
        dispose: () => inner.dispose(),
      };
    },
  };
}

/** A model whose fitted predict fails for horizons longer than a day. */
const shortSighted: Forecaster = {
  name: 'short-sighted',
  minLength: () => 2,
  async fit(values) {
    const last = values[values.length - 1] as number;
    const fitted: Fitted = {
      info: { model: 'short-sighted', notes: [] },
      predict(horizon, levels) {
        if (horizon > DAY) throw new Error('cannot see that far');
        return {
          point: Array(horizon).fill(last),
          intervals: levels.map((level) => ({ level, lower: Array(horizon).fill(last - 1), upper: Array(horizon).fill(last + 1) })),
        };
      },
      dispose() {},
    };
    return fitted;
  },
};

describe('auto', () => {
  it('is registered and never lists itself as a candidate', async () => {
    expect(forecasters.get('auto')).toBe(auto);
    const fitted = await auto.fit(load(4), ctx([DAY]));
    expect(Object.keys(fitted.info.scores ?? {})).not.toContain('auto');
    expect(Object.keys(fitted.info.scores ?? {})).toEqual(expect.arrayContaining(['lnaive', 'dnaive', 'mstl']));
    // lnaive takes snaive's place (it is snaive wherever the day fits), so the same forecast never fills two places.
    expect(Object.keys(fitted.info.scores ?? {})).not.toContain('snaive');
    fitted.dispose();
  });

  it('serves seasonal naive with widened intervals and says so when history is under two days', async () => {
    const values = load(1.5);
    const fitted = await auto.fit(values, ctx([DAY]));
    expect(fitted.info.model).toBe('snaive');
    expect(fitted.info.notes.join(' ')).toMatch(/cold start: 36\.0 h of history/);
    const own = (await seasonalNaive.fit(values, ctx([DAY]))).predict(DAY, [0.8]);
    const wide = fitted.predict(DAY, [0.8]);
    expect(wide.point).toEqual(own.point);
    const width = (f: typeof own): number => (f.intervals[0]!.upper[0] as number) - (f.intervals[0]!.lower[0] as number);
    expect(width(wide)).toBeGreaterThan(width(own));
    // At least ±z₀.₈·sd(history) ≈ ±1.28 · 29.
    expect(width(wide)).toBeGreaterThan(2 * 1.28 * 25);
  });

  it('falls to the last value when there is not even one season of history', async () => {
    const fitted = await auto.fit(load(0.5), ctx([DAY]));
    expect(fitted.info.notes.join(' ')).toMatch(/the last value/);
    expect(new Set(fitted.predict(10, [0.8]).point).size).toBe(1);
  });

  it('drops the weekly season with less than two weeks of history', async () => {
    const fitted = await auto.fit(load(5), ctx([DAY, 7 * DAY]));
    expect(fitted.info.notes.join(' ')).toMatch(/weekly season \(2016 steps\) dropped/);
    fitted.dispose();
  });

  it('serves the candidate with the lowest backtest MASE and records every score', async () => {
    const values = load(6, 3, 15);
    const fitted = await createAutoForecaster({ ensemble: false }).fit(values, ctx([DAY]));
    const scores = fitted.info.scores ?? {};
    const best = Object.entries(scores).sort(([, a], [, b]) => (a['mase'] as number) - (b['mase'] as number))[0]?.[0];
    expect(fitted.info.model).toBe(best);
    expect(scores['lnaive']?.['origins']).toBe(3);
    // Coverage is a share of the scored steps, and the 95 % band (containing the 80 % one) covers at least as much.
    const c80 = scores['lnaive']?.['coverage0.8'] as number;
    const c95 = scores['lnaive']?.['coverage0.95'] as number;
    expect(c80).toBeGreaterThan(0);
    expect(c80).toBeLessThanOrEqual(1);
    expect(c95).toBeGreaterThanOrEqual(c80);
    expect(c95).toBeLessThanOrEqual(1);
    expect(fitted.info.notes.join(' ')).toMatch(new RegExp(`chose ${best} by backtest`));
    const forecast = fitted.predict(DAY, [0.8, 0.95]);
    expect(forecast.point).toHaveLength(DAY);
    expect(forecast.intervals.map((i) => i.level)).toEqual([0.8, 0.95]);
    fitted.dispose();
  });

  it('also tries the cheap candidates with a daily season when none is given, and serves one when it wins', async () => {
    // A clear daily cycle, but the caller passes no seasons (as when the detector finds none in noisier data).
    const values = load(6, 4);
    const withDaily = await createAutoForecaster({ candidates: ['snaive', 'mstl'], ensemble: false }).fit(values, ctx([]));
    const scores = withDaily.info.scores ?? {};
    expect(Object.keys(scores).sort()).toEqual(['mstl', 'mstl@1d', 'snaive', 'snaive@1d']);
    // Without the season, snaive is the last value: far behind its daily variant on this series.
    expect(scores['snaive@1d']?.['mase']).toBeLessThan((scores['snaive']?.['mase'] as number) / 2);
    expect(withDaily.info.model).toMatch(/@1d$/);
    expect(withDaily.info.notes.join(' ')).toMatch(/no daily season given: candidates also tried with one \(288 steps\)/);
    withDaily.dispose();

    // Not when the day is already among the seasons, nor when turned off.
    for (const [options, periods] of [[{}, [DAY]], [{ dailyVariants: false }, []]] as const) {
      const fitted = await createAutoForecaster({ candidates: ['snaive', 'mstl'], ensemble: false, ...options }).fit(values, ctx([...periods]));
      expect(Object.keys(fitted.info.scores ?? {}).sort()).toEqual(['mstl', 'snaive']);
      fitted.dispose();
    }
  });

  it('reuses an earlier selection on a fresher history until it is a day old, then chooses again', async () => {
    // Counts fits per candidate, to tell a backtest (many fits) from a reuse (one fit of the chosen).
    const fits = new Map<string, number>();
    const counted = (name: string): Forecaster => {
      const inner = forecasters.get(name) as Forecaster;
      return {
        name,
        minLength: (c) => inner.minLength(c),
        fit: (values, c) => {
          fits.set(name, (fits.get(name) ?? 0) + 1);
          return inner.fit(values, c);
        },
      };
    };
    const forecaster = createAutoForecaster({ candidates: [counted('snaive'), counted('mstl')], ensemble: false });
    const all = load(8, 6);
    const at = (days: number, hours: number): number[] => all.slice(0, days * DAY + hours * 12);
    const first = await forecaster.fit(at(6, 0), ctx([DAY]));
    const selection = first.info.selection;
    expect(selection?.model).toBe(first.info.model);
    expect(selection?.members).toEqual([first.info.model]);
    expect(selection?.selectedAtMs).toBe(Date.UTC(2024, 0, 1) + 6 * 86_400_000);
    first.dispose();

    // Two hours later: one fit of the chosen model, same calibration and scores, said so in the notes.
    fits.clear();
    const again = await forecaster.fit(at(6, 2), { ...ctx([DAY]), selection });
    expect([...fits.values()].reduce((a, b) => a + b, 0)).toBe(1);
    expect(fits.get(first.info.model)).toBe(1);
    expect(again.info.model).toBe(first.info.model);
    // The same selection, now also carrying the start of the forecast served two hours later.
    const { served: servedNow, ...reused } = again.info.selection!;
    const { served: servedFirst, ...chosen } = selection!;
    expect(reused).toEqual(chosen);
    const twoHoursLater = Date.UTC(2024, 0, 1) + 6 * 86_400_000 + 2 * 3_600_000;
    expect(servedNow?.map((s) => s.startMs)).toEqual([...(servedFirst ?? []).map((s) => s.startMs), twoHoursLater]);
    expect(again.info.scores).toEqual(first.info.scores);
    expect(again.info.notes.join(' ')).toMatch(/refitted on the fresh history, as chosen by the backtest at 2024-01-07T00:00:00.000Z/);
    expect(again.predict(DAY, [0.8, 0.95]).point).toHaveLength(DAY);
    again.dispose();

    // A day after the selection, or for other seasons, it chooses again (a backtest: many fits).
    for (const [values, periods] of [[at(7, 0), [DAY]], [at(6, 2), []]] as const) {
      fits.clear();
      const chosen = await forecaster.fit(values, { ...ctx([...periods]), selection });
      expect([...fits.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(2);
      expect(chosen.info.notes.join(' ')).toMatch(/chose .* by backtest/);
      chosen.dispose();
    }
  });

  it('serves the equal-weight combination of the best candidates, records its score, and refits it on reuse', async () => {
    const forecaster = createAutoForecaster({ candidates: ['snaive', 'mstl', 'smean'] });
    const fitted = await forecaster.fit(load(6, 5), ctx([DAY]));
    const scores = fitted.info.scores ?? {};
    const served = fitted.info.model;
    expect(served).toMatch(/^(combination|shrunk):/);
    expect(scores[served]?.['mase']).toBeGreaterThan(0);
    expect(fitted.info.notes.join(' ')).toMatch(/serving (combination|shrunk):/);
    const forecast = fitted.predict(DAY, [0.8, 0.95]);
    expect(forecast.point).toHaveLength(DAY);
    expect(forecast.point.every(Number.isFinite)).toBe(true);
    const selection = fitted.info.selection;
    expect(selection?.members).toEqual([served]);
    fitted.dispose();
    // The next refresh refits the same combination (members resolved from its name), no backtest.
    const again = await forecaster.fit(load(6, 5).slice(12), { ...ctx([DAY]), startMs: Date.UTC(2024, 0, 1) + 12 * FIVE_MIN * 1000, ...(selection ? { selection } : {}) });
    expect(again.info.model).toBe(served);
    expect(again.info.notes.join(' ')).toMatch(/refitted on the fresh history/);
    again.dispose();
  });

  it('serves the combination when it beats every single model, and a single one with combinations off', async () => {
    // Seasonal naive shifted up and down by the same amount: each alone is biased, their equal-weight mean
    // is not, so the combination of the two must be served.
    const shifted = (name: string, delta: number): Forecaster => ({
      name,
      minLength: (c) => seasonalNaive.minLength(c),
      async fit(values, c) {
        const inner = await seasonalNaive.fit(values, c);
        const shift = (xs: readonly number[]) => xs.map((x) => x + delta);
        return {
          info: { model: name, notes: [] },
          predict(horizon, levels) {
            const f = inner.predict(horizon, levels);
            return { point: shift(f.point), intervals: f.intervals.map((i) => ({ level: i.level, lower: shift(i.lower), upper: shift(i.upper) })) };
          },
          dispose: () => inner.dispose(),
        };
      },
    });
    const candidates = [shifted('high', 30), shifted('low', -30)];
    const fitted = await createAutoForecaster({ candidates }).fit(load(6, 5), ctx([DAY]));
    const scores = fitted.info.scores ?? {};
    expect(fitted.info.model).toMatch(/^combination:(high\+low|low\+high)$/);
    expect(scores[fitted.info.model]?.['mase']).toBeLessThan(Math.min(scores['high']?.['mase'] as number, scores['low']?.['mase'] as number));
    fitted.dispose();
    const single = await createAutoForecaster({ candidates, ensemble: false }).fit(load(6, 5), ctx([DAY]));
    expect(['high', 'low']).toContain(single.info.model);
    expect(Object.keys(single.info.scores ?? {}).some((k) => k.startsWith('combination:'))).toBe(false);
    single.dispose();
  });

  it('calibrates intervals that are too narrow so that about 80 % and 95 % of the next day is covered', async () => {
    const values = load(9, 11);
    const history = values.slice(0, 8 * DAY);
    const nextDay = values.slice(8 * DAY);
    const forecaster = createAutoForecaster({ candidates: [narrowNaive], ensemble: false });
    const fitted = await forecaster.fit(history, ctx([DAY]));
    expect(fitted.info.notes.join(' ')).toMatch(/calibrated by split conformal/);
    const raw = (await narrowNaive.fit(history, ctx([DAY]))).predict(DAY, [0.8, 0.95]);
    const served = fitted.predict(DAY, [0.8, 0.95]);
    const cov = (f: typeof raw, k: number): number => coverage(nextDay, f.intervals[k]!.lower, f.intervals[k]!.upper);
    expect(cov(raw, 0)).toBeLessThan(0.35);
    expect(cov(served, 0)).toBeGreaterThan(0.7);
    expect(cov(served, 0)).toBeLessThan(0.9);
    expect(cov(served, 1)).toBeGreaterThan(0.9);
    for (const interval of served.intervals) {
      interval.lower.forEach((l, h) => expect(l).toBeLessThanOrEqual(served.point[h] as number));
      interval.upper.forEach((u, h) => expect(u).toBeGreaterThanOrEqual(served.point[h] as number));
    }
  });

  it('widens conformal bands when the backtest days were calmer than the history before them', async () => {
    // Twelve days; a three-hour incident (+30) on days 1, 3 and 5 and on day 11 (the day after the history).
    // Days 6–10 are calm, so the three backtest days (8–10, forecast from 7–9 by seasonal naive) saw no incident.
    const base = load(12, 17);
    const values = base.map((v, i) => {
      const day = Math.floor(i / DAY);
      const inIncident = i % DAY >= 120 && i % DAY < 156;
      return inIncident && [1, 3, 5, 11].includes(day) ? v + 30 : v;
    });
    const history = values.slice(0, 11 * DAY);
    const nextDay = values.slice(11 * DAY);
    const widened = await createAutoForecaster({ candidates: ['snaive'], ensemble: false }).fit(history, ctx([DAY]));
    const plain = await createAutoForecaster({ candidates: ['snaive'], ensemble: false, tailWidening: false }).fit(history, ctx([DAY]));
    expect(widened.info.notes.join(' ')).toMatch(/widened where the history shows a heavier tail than the backtest days/);
    expect(plain.info.notes.join(' ')).not.toMatch(/widened where/);
    const w = widened.predict(DAY, [0.8, 0.95]);
    const p = plain.predict(DAY, [0.8, 0.95]);
    const halfWidth = (f: typeof w, k: number): number => (f.intervals[k]!.upper[0] as number) - f.point[0]!;
    // Incidents move 7.5 % of the long run's lag-day differences (each shows twice: on and after its day), so
    // its 95 % quantile is an incident's size, well above the calm days' noise; its 80 % quantile is not.
    expect(halfWidth(w, 1)).toBeGreaterThan(1.5 * halfWidth(p, 1));
    const cov = (f: typeof w, k: number): number => coverage(nextDay, f.intervals[k]!.lower, f.intervals[k]!.upper);
    console.log(
      `next-day 95 % coverage: widened ${cov(w, 1).toFixed(3)}, plain ${cov(p, 1).toFixed(3)}; 80 %: ${cov(w, 0).toFixed(3)}, ${cov(p, 0).toFixed(3)}`,
    );
    expect(cov(w, 1)).toBeGreaterThan(cov(p, 1));
    widened.dispose();
    plain.dispose();
  });

  it('calibrates the first hour on the forecasts it served, once their actuals are in', async () => {
    // The daily cycle is known exactly (a model that forecasts it, own 80 % band ±1); noise is 5 for eight days,
    // then 1. Refreshed every 15 min and carrying its selection, auto's first-hour band follows the calm
    // (scored on what it served), while its day-ahead band stays the backtest's.
    const T0 = Date.UTC(2024, 0, 1);
    const cycle = (i: number): number => 100 + 40 * Math.sin((2 * Math.PI * i) / DAY);
    const cycleModel: Forecaster = {
      name: 'cycle',
      minLength: () => 1,
      async fit(v, c) {
        const next = Math.round((c.startMs - T0) / (FIVE_MIN * 1000)) + v.length;
        return {
          info: { model: 'cycle', notes: [] },
          predict(horizon, levels) {
            const point = Array.from({ length: horizon }, (_, h) => cycle(next + h));
            return { point, intervals: levels.map((level) => ({ level, lower: point.map((p) => p - 1), upper: point.map((p) => p + 1) })) };
          },
          dispose() {},
        };
      },
    };
    const n = noise(31);
    const values = Array.from({ length: 9 * DAY }, (_, i) => cycle(i) + (i < 8 * DAY ? 5 : 1) * n());
    const forecaster = createAutoForecaster({ candidates: [cycleModel], ensemble: false, dailyVariants: false, tailWidening: false });
    const fitAt = async (end: number, selection?: ModelSelection) =>
      forecaster.fit(values.slice(0, end), { ...ctx([DAY]), startMs: T0, ...(selection ? { selection } : {}) });
    const halfWidth = (f: Fitted, h: number): number => {
      const forecast = f.predict(DAY, [0.8]);
      return (forecast.intervals[0]!.upper[h] as number) - forecast.point[h]!;
    };
    let fitted = await fitAt(8 * DAY);
    const first = { near: halfWidth(fitted, 0), far: halfWidth(fitted, DAY / 2) };
    expect(fitted.info.selection?.served).toHaveLength(1);
    // Six hours of refreshes, every 3 steps (15 min).
    for (let end = 8 * DAY + 3; end <= 8 * DAY + 72; end += 3) {
      const selection = fitted.info.selection!;
      fitted.dispose();
      fitted = await fitAt(end, selection);
    }
    expect(fitted.info.notes.join(' ')).toMatch(/first 12 steps calibrated on \d+ scored steps of the 24 forecasts served over the last 24 h/);
    expect(fitted.info.selection?.served).toHaveLength(25);
    // Noise 5 → 1: the first-hour band shrinks about five-fold; the day-ahead band is unchanged.
    expect(halfWidth(fitted, 0)).toBeLessThan(first.near / 3);
    expect(halfWidth(fitted, DAY / 2)).toBeCloseTo(first.far, 9);
    // The 80 % band covers about 80 % of the calm hour that follows.
    const next = fitted.predict(12, [0.8]);
    const covered = values.slice(8 * DAY + 72, 8 * DAY + 84).filter((a, h) => a >= next.intervals[0]!.lower[h]! && a <= next.intervals[0]!.upper[h]!).length;
    expect(covered).toBeGreaterThanOrEqual(7);
    // Choosing again a day later, the same model (known by its members, whatever the name) keeps its served forecasts.
    const earlier = fitted.info.selection!;
    const stale = { ...earlier, model: 'renamed', selectedAtMs: earlier.selectedAtMs - 2 * 86_400_000 };
    const chosenAgain = await fitAt(8 * DAY + 72, stale);
    expect(chosenAgain.info.notes.join(' ')).toMatch(/chose cycle by backtest/);
    expect(chosenAgain.info.notes.join(' ')).toMatch(/first 12 steps calibrated on \d+ scored steps of the 24 forecasts served/);
    expect(halfWidth(chosenAgain, 0)).toBeCloseTo(halfWidth(fitted, 0), 9);
    fitted.dispose();
    chosenAgain.dispose();
  });

  it('with widen-only, keeps intervals that over-cover and widens ones that under-cover', async () => {
    const values = load(8, 13);
    const wide: Forecaster = {
      name: 'wide-naive',
      minLength: (c) => seasonalNaive.minLength(c),
      async fit(v, c) {
        const inner = await seasonalNaive.fit(v, c);
        return {
          info: { model: 'wide-naive', notes: [] },
          predict(horizon, levels) {
            const f = inner.predict(horizon, levels);
            const stretch = (p: number, b: number): number => p + (b - p) * 5;
            return {
              point: f.point,
              intervals: f.intervals.map((i) => ({
                level: i.level,
                lower: f.point.map((p, h) => stretch(p, i.lower[h] as number)),
                upper: f.point.map((p, h) => stretch(p, i.upper[h] as number)),
              })),
            };
          },
          dispose: () => inner.dispose(),
        };
      },
    };
    const own = (await wide.fit(values, ctx([DAY]))).predict(DAY, [0.8]);
    const kept = await createAutoForecaster({ candidates: [wide], calibration: 'widen-only' }).fit(values, ctx([DAY]));
    expect(kept.info.notes.join(' ')).not.toMatch(/calibrated/);
    expect(kept.predict(DAY, [0.8]).intervals[0]?.upper).toEqual(own.intervals[0]?.upper);
    const narrowed = await createAutoForecaster({ candidates: [wide], calibration: 'when-off' }).fit(values, ctx([DAY]));
    expect(narrowed.info.notes.join(' ')).toMatch(/calibrated/);
    expect(narrowed.predict(DAY, [0.8]).intervals[0]!.upper[0]!).toBeLessThan(own.intervals[0]!.upper[0]!);
    const widened = await createAutoForecaster({ candidates: [narrowNaive], calibration: 'widen-only' }).fit(values, ctx([DAY]));
    const narrowOwn = (await narrowNaive.fit(values, ctx([DAY]))).predict(DAY, [0.8]);
    expect(widened.info.notes.join(' ')).toMatch(/calibrated/);
    widened.predict(DAY, [0.8]).intervals[0]!.upper.forEach((u, h) => expect(u).toBeGreaterThanOrEqual(narrowOwn.intervals[0]!.upper[h]!));
  });

  it('says so and chooses again when the model it chose no longer fits the fresh history', async () => {
    const values = load(6, 2);
    // Chosen on five days (the only candidate), it fails on the next refresh's longer history.
    const fragile = failsAbove(5 * DAY, seasonalNaive);
    const forecaster = createAutoForecaster({ candidates: [fragile], ensemble: false, dailyVariants: false });
    const first = await forecaster.fit(values.slice(0, 5 * DAY), ctx([DAY]));
    expect(first.info.model).toBe('fragile-snaive');
    const again = await forecaster.fit(values.slice(0, 5 * DAY + 3), { ...ctx([DAY]), selection: first.info.selection! });
    expect(again.info.notes.join(' ')).toMatch(/fragile-snaive, chosen at .*, failed on the fresh history \(PRESCIENT_ERR_\w+\): choosing again/);
    expect(again.info.notes.join(' ')).not.toMatch(/refitted on the fresh history/);
    first.dispose();
    again.dispose();
  });

  it('falls back to the next best when the chosen model fails on the full history, and records it', async () => {
    const values = load(5, 2);
    // Fits every backtest origin (≤ 4 days of history) but not the 5-day history.
    const fragile = failsAbove(4 * DAY, seasonalNaive);
    const fitted = await createAutoForecaster({ candidates: [fragile], ensemble: false }).fit(values, ctx([DAY]));
    // The only candidate failed: the ladder ends at seasonal naive with a note.
    expect(fitted.info.model).toBe('snaive');
    expect(fitted.info.notes.join(' ')).toMatch(/fragile-snaive failed on the full history/);

    // A fragile copy of mstl wins the backtest over seasonal naive, then fails on the full history.
    const fragileMstl = failsAbove(4 * DAY, forecasters.get('mstl') as Forecaster);
    const fallen = await createAutoForecaster({ candidates: [fragileMstl, 'snaive'], ensemble: false }).fit(values, ctx([DAY]));
    const scores = fallen.info.scores ?? {};
    expect(scores['fragile-mstl']?.['mase']).toBeLessThan(scores['snaive']?.['mase'] as number);
    expect(fallen.info.model).toBe('snaive');
    expect(fallen.info.fallbackFrom).toBe('fragile-mstl');
    expect(fallen.predict(DAY, [0.8]).point).toHaveLength(DAY);
    fallen.dispose();
  });

  it('serves seasonal naive when the chosen model fails at predict time, and records the fallback', async () => {
    const fitted = await createAutoForecaster({ candidates: [shortSighted], ensemble: false }).fit(load(4, 4), ctx([DAY]));
    expect(fitted.info.model).toBe('short-sighted');
    expect(fitted.predict(DAY, [0.8]).point).toHaveLength(DAY);
    const long = fitted.predict(2 * DAY, [0.8]);
    expect(long.point).toHaveLength(2 * DAY);
    expect(fitted.info.model).toBe('snaive');
    expect(fitted.info.fallbackFrom).toBe('short-sighted');
    expect(fitted.info.notes.join(' ')).toMatch(/failed at predict time/);
  });

  it('throws PRESCIENT_ERR_SERIES_TOO_SHORT below two values', async () => {
    await expect(auto.fit([1], ctx([]))).rejects.toMatchObject({ code: 'PRESCIENT_ERR_SERIES_TOO_SHORT' });
  });
});
