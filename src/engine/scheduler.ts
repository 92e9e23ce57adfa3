/**
 * The fair refresh scheduler of one replica. Every target has a slot in its
 * refresh interval, fixed by a hash of its name (so restarts and replicas
 * agree, and a thousand targets do not all fall due at t = 0 of every
 * interval). A target that falls due waits in the scheduler, not in the
 * pool: refreshes are admitted only while fewer than `concurrency` run, so
 * the pool is never asked for more than it can serve and nothing is refused
 * with POOL_FULL. Among due targets, those with no forecast go first, then
 * the stalest. A failed refresh retries with a backoff capped at the
 * interval; a refresh the pool could not take (POOL_FULL from ad-hoc load)
 * is retried shortly without counting as a failure, so backoff never
 * starves a target. Re-selections of targets that already serve a forecast
 * (expensive) are held to a share of the slots while cheap refits wait, so a
 * day's re-selections cannot crowd out the refits that keep forecasts fresh;
 * a target's first selection is never held back, since until it ends the
 * autoscaler gets nothing for that target.
 */

/** What one refresh cost: a cheap refit of an existing choice, or a full model selection. */
export type RefreshKind = 'refit' | 'select';

/** How a refresh ended, as far as scheduling cares. */
export type RefreshOutcome = 'ok' | 'failed' | 'deferred';

/** The facts the scheduler orders by, read when it picks. */
export interface TargetStanding {
  /** When the served forecast was made (ms since epoch); absent before the first. */
  readonly generatedAtMs?: number;
  readonly kind: RefreshKind;
}

export interface SchedulerTarget {
  readonly name: string;
  readonly intervalMs: number;
}

export interface SchedulerOptions {
  /** Refreshes running at once (each holds at most one fit in the pool). */
  readonly concurrency: number;
  /** Re-selections running at once while refits wait (default half the slots, at least one). */
  readonly maxSelections?: number;
  /** First retry after a failure, ms; doubles per failure up to the interval. */
  readonly firstRetryMs?: number;
  /** Retry after a deferred refresh (the pool had no room), ms. */
  readonly deferMs?: number;
  readonly now?: () => number;
}

export interface SchedulerHooks {
  /** Runs one refresh. Never rejects: the outcome says how it went. */
  refresh(name: string): Promise<RefreshOutcome>;
  standing(name: string): TargetStanding;
  /** Called when a refresh is admitted, with how long it waited past its due time (ms). */
  onAdmit?(name: string, lagMs: number, kind: RefreshKind): void;
}

interface Entry {
  readonly target: SchedulerTarget;
  /** Offset of the target's slot inside its interval, ms in [0, interval). */
  readonly phaseMs: number;
  dueMs: number;
  failures: number;
  running: boolean;
}

/** FNV-1a of a string, as a fraction in [0, 1): stable across processes and restarts. */
export function stableFraction(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // One more avalanche round: names that differ in the last character must not land on neighbouring slots.
  hash = (hash ^ (hash >>> 16)) >>> 0;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash = (hash ^ (hash >>> 13)) >>> 0;
  return hash / 2 ** 32;
}

/** The target's first slot at or after `atMs`. */
export function slotAtOrAfter(atMs: number, phaseMs: number, intervalMs: number): number {
  return phaseMs + Math.ceil((atMs - phaseMs) / intervalMs) * intervalMs;
}

/**
 * When to refresh next after a forecast made (or a refresh started) at
 * `fromMs`: the target's last slot no later than one interval on, so a
 * forecast never outlives its interval, but never sooner than half an
 * interval on, so drifting back onto the slot costs at most one shorter
 * step (interval/2 ≤ step ≤ interval) and never a refit right after a refit.
 * On its slot, that is exactly one interval on.
 */
export function nextSlotDue(fromMs: number, phaseMs: number, intervalMs: number): number {
  const lastSlotWithinInterval = phaseMs + Math.floor((fromMs + intervalMs - phaseMs) / intervalMs) * intervalMs;
  return Math.max(lastSlotWithinInterval, fromMs + intervalMs / 2);
}

export class RefreshScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly maxSelections: number;
  private readonly firstRetryMs: number;
  private readonly deferMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private running = 0;
  private selecting = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private stopped = true;

  constructor(
    private readonly hooks: SchedulerHooks,
    private readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? (() => Date.now());
    this.maxSelections = Math.max(1, options.maxSelections ?? Math.floor(options.concurrency / 2));
    this.firstRetryMs = options.firstRetryMs ?? 5_000;
    this.deferMs = options.deferMs ?? 1_000;
  }

  /**
   * Starts scheduling `targets`. A target without a forecast is due at
   * once; one restored with a forecast is due as if that forecast had just
   * been made ({@link nextSlotDue}; at once when that time has passed).
   */
  start(targets: readonly SchedulerTarget[]): void {
    const nowMs = this.now();
    for (const target of targets) {
      const phaseMs = Math.floor(stableFraction(target.name) * target.intervalMs);
      const generatedAtMs = this.hooks.standing(target.name).generatedAtMs;
      const dueMs = generatedAtMs === undefined ? nowMs : nextSlotDue(generatedAtMs, phaseMs, target.intervalMs);
      this.entries.set(target.name, { target, phaseMs, dueMs, failures: 0, running: false });
    }
    this.stopped = false;
    this.pump();
  }

  /** Stops admitting; resolves when the refreshes under way have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Targets due now and not yet admitted. */
  get waiting(): number {
    const nowMs = this.now();
    let count = 0;
    for (const entry of this.entries.values()) if (!entry.running && entry.dueMs <= nowMs) count++;
    return count;
  }

  /** When the target is next due (ms since epoch), or undefined for an unknown or running one. */
  dueAt(name: string): number | undefined {
    const entry = this.entries.get(name);
    return entry && !entry.running ? entry.dueMs : undefined;
  }

  /** Admits due targets while slots are free, then sleeps until the next one falls due. */
  private pump(): void {
    if (this.stopped) return;
    const nowMs = this.now();
    while (this.running < this.options.concurrency) {
      const next = this.pick(nowMs);
      if (!next) break;
      this.admit(next.entry, next.kind, nowMs);
    }
    this.arm(nowMs);
  }

  /**
   * The due target that matters most: no forecast first, then the oldest
   * forecast, then the earliest due. A re-selection (the target has a
   * forecast) is passed over while the selection share is used up and a
   * refit is waiting; a first selection never is.
   */
  private pick(nowMs: number): { entry: Entry; kind: RefreshKind } | undefined {
    let best: { entry: Entry; kind: RefreshKind; age: number } | undefined;
    let bestRefit: typeof best;
    for (const entry of this.entries.values()) {
      if (entry.running || entry.dueMs > nowMs) continue;
      const standing = this.hooks.standing(entry.target.name);
      const age = standing.generatedAtMs === undefined ? Number.POSITIVE_INFINITY : nowMs - standing.generatedAtMs;
      const candidate = { entry, kind: standing.kind, age };
      if (!best || outranks(candidate, best)) best = candidate;
      if (standing.kind === 'refit' && (!bestRefit || outranks(candidate, bestRefit))) bestRefit = candidate;
    }
    const heldBack = best?.kind === 'select' && best.age !== Number.POSITIVE_INFINITY && this.selecting >= this.maxSelections;
    if (heldBack && bestRefit) return bestRefit;
    return best;
  }

  private admit(entry: Entry, kind: RefreshKind, nowMs: number): void {
    entry.running = true;
    this.running++;
    if (kind === 'select') this.selecting++;
    this.hooks.onAdmit?.(entry.target.name, Math.max(0, nowMs - entry.dueMs), kind);
    const startedMs = nowMs;
    const done = (outcome: RefreshOutcome): void => {
      this.running--;
      if (kind === 'select') this.selecting--;
      entry.running = false;
      entry.dueMs = this.nextDue(entry, outcome, startedMs);
      this.inFlight.delete(run);
      this.pump();
    };
    // One `then`, so the next due time is set in the same tick the refresh settles.
    const run: Promise<void> = this.hooks.refresh(entry.target.name).then(done, () => done('failed'));
    this.inFlight.add(run);
  }

  private nextDue(entry: Entry, outcome: RefreshOutcome, startedMs: number): number {
    const { intervalMs } = entry.target;
    if (outcome === 'deferred') return this.now() + this.deferMs;
    if (outcome === 'failed') {
      entry.failures++;
      return this.now() + Math.min(intervalMs, this.firstRetryMs * 2 ** (entry.failures - 1));
    }
    entry.failures = 0;
    // One interval after an on-time start; a start off the slot (first pass, overload) drifts back
    // onto the target's own slot without its forecast outliving the interval.
    return nextSlotDue(startedMs, entry.phaseMs, intervalMs);
  }

  private arm(nowMs: number): void {
    if (this.running >= this.options.concurrency) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const entry of this.entries.values()) if (!entry.running && entry.dueMs > nowMs && entry.dueMs < earliest) earliest = entry.dueMs;
    if (earliest === this.timerAtMs && this.timer) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAtMs = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.pump();
    }, earliest - nowMs);
    this.timer.unref();
  }
}

function outranks(a: { age: number; entry: Entry }, b: { age: number; entry: Entry }): boolean {
  if (a.age !== b.age) return a.age > b.age;
  return a.entry.dueMs < b.entry.dueMs;
}
