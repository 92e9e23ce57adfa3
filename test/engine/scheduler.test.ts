import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextSlotDue, RefreshScheduler, stableFraction, type RefreshKind, type RefreshOutcome, type SchedulerHooks } from '../../src/engine/scheduler.js';

const MINUTE = 60_000;
const INTERVAL = 15 * MINUTE;

/**
 * A fake fleet: each refresh takes `fitMs` of (fake) time, records when it
 * ran, and on success stamps the target's forecast. The scheduler under
 * test only sees the hooks, as the engine gives them.
 */
class Fleet {
  readonly generatedAt = new Map<string, number>();
  readonly kinds = new Map<string, RefreshKind>();
  readonly starts: { name: string; atMs: number }[] = [];
  readonly outcomes = new Map<string, RefreshOutcome[]>();
  running = 0;
  maxRunning = 0;
  selecting = 0;
  maxSelecting = 0;

  constructor(private readonly fitMs: (name: string) => number = () => 1_000) {}

  hooks(): SchedulerHooks {
    return {
      refresh: async (name) => {
        this.starts.push({ name, atMs: Date.now() });
        const kind = this.kinds.get(name) ?? 'refit';
        this.running++;
        if (kind === 'select') this.selecting++;
        this.maxRunning = Math.max(this.maxRunning, this.running);
        this.maxSelecting = Math.max(this.maxSelecting, this.selecting);
        await new Promise((resolve) => setTimeout(resolve, this.fitMs(name)));
        this.running--;
        if (kind === 'select') this.selecting--;
        const outcome = this.outcomes.get(name)?.shift() ?? 'ok';
        if (outcome === 'ok') {
          this.generatedAt.set(name, Date.now());
          this.kinds.set(name, 'refit');
        }
        return outcome;
      },
      standing: (name) => {
        const at = this.generatedAt.get(name);
        return { ...(at === undefined ? {} : { generatedAtMs: at }), kind: this.kinds.get(name) ?? 'refit' };
      },
    };
  }

  startsOf(name: string): number[] {
    return this.starts.filter((s) => s.name === name).map((s) => s.atMs);
  }
}

const names = (n: number, prefix = 't'): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const targets = (list: string[], intervalMs = INTERVAL) => list.map((name) => ({ name, intervalMs }));

let scheduler: RefreshScheduler | undefined;
beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-12-01T00:00:00Z') });
});
afterEach(async () => {
  const stopping = scheduler?.stop();
  await vi.runOnlyPendingTimersAsync();
  await stopping;
  scheduler = undefined;
  vi.useRealTimers();
});

describe('RefreshScheduler', () => {
  it('admits no more refreshes than its concurrency, so a burst of 500 new targets is never refused', async () => {
    const fleet = new Fleet();
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 2 });
    scheduler.start(targets(names(500)));
    expect(fleet.running).toBe(2);
    expect(scheduler.waiting).toBe(498);
    await vi.advanceTimersByTimeAsync(250 * 1_000 + 10);
    expect(fleet.generatedAt.size).toBe(500);
    expect(fleet.maxRunning).toBe(2);
    expect(scheduler.waiting).toBe(0);
  });

  it('refreshes targets without a forecast first, then the stalest', async () => {
    const fleet = new Fleet();
    const nowMs = Date.now();
    // Restored forecasts, both past their slot: "old" is three intervals old, "recent" one and a half.
    fleet.generatedAt.set('recent', nowMs - 1.5 * INTERVAL);
    fleet.generatedAt.set('old', nowMs - 3 * INTERVAL);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 1 });
    scheduler.start(targets(['recent', 'old', 'new-a', 'new-b']));
    await vi.advanceTimersByTimeAsync(4 * 1_000 + 10);
    const order = fleet.starts.map((s) => s.name);
    expect(order.slice(0, 2).sort()).toEqual(['new-a', 'new-b']);
    expect(order.slice(2)).toEqual(['old', 'recent']);
  });

  it('spreads steady-state refreshes over the interval, each target on its own stable slot', async () => {
    const fleet = new Fleet(() => 200);
    const list = names(300);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 2 });
    scheduler.start(targets(list));
    // First pass (30 s of fits), then two full intervals.
    await vi.advanceTimersByTimeAsync(3 * INTERVAL);
    const startMs = Date.parse('2026-12-01T00:00:00Z');
    const lastInterval = fleet.starts.filter((s) => s.atMs >= startMs + 2 * INTERVAL);
    expect(new Set(lastInterval.map((s) => s.name)).size).toBe(300);
    // 300 refreshes over 15 one-minute buckets: on average 20; a pile-up at the interval's start would put 300 in one.
    const buckets = new Array<number>(15).fill(0);
    for (const s of lastInterval) buckets[Math.floor(((s.atMs - startMs) % INTERVAL) / MINUTE)]! += 1;
    expect(Math.max(...buckets)).toBeLessThan(45);
    expect(Math.min(...buckets)).toBeGreaterThan(5);
    // In steady state every target refreshes once per interval, at its slot (a hash of its name).
    for (const name of list.slice(0, 20)) {
      const starts = fleet.startsOf(name).filter((at) => at >= startMs + INTERVAL);
      expect(starts).toHaveLength(2);
      expect(starts[1]! - starts[0]!).toBe(INTERVAL);
      const phase = Math.floor(stableFraction(name) * INTERVAL);
      expect((starts[0]! - phase) % INTERVAL).toBeLessThan(5_000);
    }
  });

  it('retries a deferred refresh (no room in the pool) within seconds, without backing off', async () => {
    const fleet = new Fleet();
    fleet.outcomes.set('busy', ['deferred', 'deferred', 'deferred', 'deferred', 'deferred']);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 1, deferMs: 1_000 });
    scheduler.start(targets(['busy']));
    await vi.advanceTimersByTimeAsync(12_000);
    expect(fleet.generatedAt.has('busy')).toBe(true);
    expect(fleet.startsOf('busy')).toHaveLength(6);
  });

  it('backs off a failing target, never longer than its interval, and keeps refreshing the others meanwhile', async () => {
    const fleet = new Fleet(() => 100);
    fleet.outcomes.set('broken', new Array<RefreshOutcome>(50).fill('failed'));
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 1, firstRetryMs: 5_000 });
    scheduler.start(targets(['broken', 'fine'], 2 * MINUTE));
    await vi.advanceTimersByTimeAsync(20 * MINUTE);
    const retries = fleet.startsOf('broken');
    const gaps = retries.slice(1).map((at, i) => at - retries[i]!);
    expect(gaps.slice(0, 4).map((g) => Math.round(g / 1_000))).toEqual([5, 10, 20, 40]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * MINUTE + 100);
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(2 * MINUTE);
    expect(fleet.startsOf('fine').length).toBeGreaterThanOrEqual(9);
  });

  it('holds re-selections to their share of the slots while refits wait', async () => {
    const fleet = new Fleet((name) => (name.startsWith('sel') ? 10_000 : 500));
    // Every target serves a forecast; the 'sel' ones (the stalest) are due for a full re-selection.
    for (const name of names(10, 'sel')) {
      fleet.kinds.set(name, 'select');
      fleet.generatedAt.set(name, Date.now() - 2 * INTERVAL);
    }
    for (const name of names(10, 'fit')) fleet.generatedAt.set(name, Date.now() - INTERVAL);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 2, maxSelections: 1 });
    scheduler.start(targets([...names(10, 'sel'), ...names(10, 'fit')]));
    await vi.advanceTimersByTimeAsync(4_900);
    // While one selection ran, the other slot served the refits.
    expect(fleet.maxSelecting).toBe(1);
    expect(names(10, 'fit').filter((n) => fleet.generatedAt.get(n)! > Date.now() - MINUTE)).toHaveLength(9);
    // With no refit waiting, selections take every slot.
    await vi.advanceTimersByTimeAsync(20_000);
    expect(fleet.maxSelecting).toBe(2);
  });

  it('never holds back a first selection: a target with no forecast goes before every refit', async () => {
    const fleet = new Fleet((name) => (name.startsWith('new') ? 10_000 : 500));
    for (const name of names(4, 'new')) fleet.kinds.set(name, 'select');
    for (const name of names(10, 'old')) fleet.generatedAt.set(name, Date.now() - 2 * INTERVAL);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 2, maxSelections: 1 });
    scheduler.start(targets([...names(10, 'old'), ...names(4, 'new')]));
    await vi.advanceTimersByTimeAsync(19_900);
    // Both slots selected the four new targets, two at a time, while the stale refits waited.
    expect(fleet.maxSelecting).toBe(2);
    expect(names(4, 'new').filter((n) => fleet.generatedAt.get(n)! >= Date.now() - 20_000)).toHaveLength(2);
    expect(fleet.starts.filter((s) => s.name.startsWith('old'))).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20_100);
    expect(names(4, 'new').every((n) => fleet.kinds.get(n) === 'refit')).toBe(true);
    expect(fleet.starts.slice(0, 4).map((s) => s.name).sort()).toEqual(names(4, 'new'));
  });

  it('schedules a restored forecast no later than one interval after it was made, not at once', () => {
    const fleet = new Fleet();
    const nowMs = Date.now();
    fleet.generatedAt.set('restored', nowMs - MINUTE);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 1 });
    scheduler.start(targets(['restored']));
    const phase = Math.floor(stableFraction('restored') * INTERVAL);
    expect(fleet.starts).toHaveLength(0);
    expect(scheduler.dueAt('restored')).toBe(nextSlotDue(nowMs - MINUTE, phase, INTERVAL));
    expect(scheduler.dueAt('restored')).toBeGreaterThanOrEqual(nowMs - MINUTE + INTERVAL / 2);
    expect(scheduler.dueAt('restored')).toBeLessThanOrEqual(nowMs - MINUTE + INTERVAL);
  });

  it('never lets a forecast outlive its interval, first pass included, and is on every slot from the third refresh', async () => {
    // 1,000 targets at 0.5 s a fit through 2 slots (the pool a quarter busy in steady state): the first
    // pass takes ~250 s of a 900 s interval, so most first fits land far from their slot (the old
    // rule, "first slot half an interval on", then left forecasts up to 1.5 intervals old).
    const fleet = new Fleet(() => 500);
    const list = names(1000);
    scheduler = new RefreshScheduler(fleet.hooks(), { concurrency: 2 });
    scheduler.start(targets(list));
    await vi.advanceTimersByTimeAsync(4 * INTERVAL);
    let worstGapMs = 0;
    let shortSteps = 0;
    for (const name of list) {
      const starts = fleet.startsOf(name);
      expect(starts.length).toBeGreaterThanOrEqual(4);
      const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
      worstGapMs = Math.max(worstGapMs, ...gaps);
      // At most two steps shorter than the interval (the drift back onto the slot), none shorter than half.
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(INTERVAL / 2 - 5_000);
      shortSteps += gaps.filter((g) => g < INTERVAL - 5_000).length > 2 ? 1 : 0;
      const phase = Math.floor(stableFraction(name) * INTERVAL);
      for (const at of starts.slice(2)) expect((at - phase) % INTERVAL).toBeLessThan(5_000);
    }
    // A start can wait seconds for a place in the pool (2 at a time), never a whole extra half interval.
    expect(worstGapMs).toBeLessThanOrEqual(INTERVAL + 5_000);
    expect(shortSteps).toBe(0);
  });
});

describe('nextSlotDue', () => {
  const phase = 123_456;
  it('is exactly one interval on from the slot itself', () => {
    const slot = phase + 7 * INTERVAL;
    expect(nextSlotDue(slot, phase, INTERVAL)).toBe(slot + INTERVAL);
  });

  it('from anywhere, steps between half an interval and one interval, and reaches the slot in at most two steps', () => {
    for (let offset = 0; offset < INTERVAL; offset += 7_919) {
      const from = phase + 3 * INTERVAL + offset;
      const first = nextSlotDue(from, phase, INTERVAL);
      expect(first - from).toBeGreaterThanOrEqual(INTERVAL / 2);
      expect(first - from).toBeLessThanOrEqual(INTERVAL);
      const second = nextSlotDue(first, phase, INTERVAL);
      expect(second - first).toBeGreaterThanOrEqual(INTERVAL / 2);
      expect(second - first).toBeLessThanOrEqual(INTERVAL);
      expect((second - phase) % INTERVAL).toBe(0);
    }
  });
});

describe('stableFraction', () => {
  it('is stable per name and spreads similar names over [0, 1)', () => {
    expect(stableFraction('checkout-rps')).toBe(stableFraction('checkout-rps'));
    const values = names(1000).map((n) => stableFraction(n));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const tenths = new Array<number>(10).fill(0);
    for (const v of values) tenths[Math.floor(v * 10)]! += 1;
    expect(Math.min(...tenths)).toBeGreaterThan(70);
  });
});
