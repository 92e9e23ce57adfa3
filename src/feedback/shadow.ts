import type { Samples, Series } from '../series/series.js';

/**
 * Shadow mode's record (issue 12 item 5, docs/configuration.md
 * `scaling.mode`): what the predictive policy recommended, against what
 * actually ran and the load that came. Two parts, as the served-forecast
 * record (served-record.ts):
 *
 * - `plans`: each refresh's recommended replicas per step ahead (the
 *   schedule), kept a day; the replicas "recommended at t" are those of the
 *   newest plan made at or before t.
 * - `scored`: one row per step for a week: the load, the replicas that ran
 *   (the target's `scaling.shadow.replicasQuery`) and the replicas recommended.
 *
 * Plain numbers only (persisted as JSON with the forecast).
 */
export interface ShadowPlan {
  readonly generatedAtMs: number;
  /** Step times (ms, ascending): replicas[i] holds from atMs[i] until atMs[i + 1]. */
  readonly atMs: number[];
  readonly replicas: number[];
}

export interface ShadowColumns {
  readonly atMs: number[];
  readonly load: number[];
  readonly ran: number[];
  readonly recommended: number[];
}

export interface ShadowSnapshot {
  readonly stepSeconds: number;
  readonly scoredUntilMs: number;
  readonly plans: ShadowPlan[];
  readonly scored: ShadowColumns;
}

/** One window's outcome (REST, /metrics). */
export interface ShadowWindow {
  readonly window: '1d' | '1w';
  readonly fromMs?: number;
  readonly toMs?: number;
  /** Steps with a load, a replica count that ran and a recommendation. */
  readonly count: number;
  readonly stepSeconds: number;
  /** Minutes when the load exceeded replicas × capacityPerReplica. */
  readonly underProvisionedMinutes: { readonly ran: number; readonly recommended: number };
  readonly replicaHours: { readonly ran: number; readonly recommended: number };
}

const KEEP_PLANS_MS = 86_400_000;
const KEEP_SCORED_MS = 7 * 86_400_000;
const WINDOWS = [
  { window: '1d', ms: 86_400_000 },
  { window: '1w', ms: 7 * 86_400_000 },
] as const;

export class ShadowRecord {
  private plans: ShadowPlan[] = [];
  private scored: ShadowColumns = { atMs: [], load: [], ran: [], recommended: [] };
  private scoredUntilMs = Number.NEGATIVE_INFINITY;

  constructor(readonly stepSeconds: number) {}

  static fromJSON(snapshot: ShadowSnapshot, stepSeconds: number): ShadowRecord {
    const record = new ShadowRecord(stepSeconds);
    // A record made on another step is dropped, never misread.
    if (snapshot.stepSeconds !== stepSeconds) return record;
    record.plans = snapshot.plans;
    record.scored = snapshot.scored;
    record.scoredUntilMs = snapshot.scoredUntilMs;
    return record;
  }

  toJSON(): ShadowSnapshot {
    return { stepSeconds: this.stepSeconds, scoredUntilMs: Number.isFinite(this.scoredUntilMs) ? this.scoredUntilMs : 0, plans: this.plans, scored: this.scored };
  }

  /** Where the replicas that ran must be fetched from (ms, on the step grid), or undefined while there is no plan to compare with. */
  fetchFromMs(): number | undefined {
    const first = this.plans[0];
    if (!first) return undefined;
    const stepMs = this.stepSeconds * 1000;
    const from = Math.max(first.generatedAtMs, this.scoredUntilMs + stepMs);
    return Math.floor(from / stepMs) * stepMs;
  }

  /** Keeps a plan (non-finite replicas are dropped: the record holds finite numbers only). */
  plan(plan: ShadowPlan): void {
    if (plan.atMs.length === 0 || !plan.replicas.every(Number.isFinite)) return;
    this.plans.push(plan);
    const fromMs = plan.generatedAtMs - KEEP_PLANS_MS;
    while (this.plans.length > 1 && (this.plans[0] as ShadowPlan).generatedAtMs < fromMs) this.plans.shift();
  }

  /**
   * Scores each step of `load` after the last one scored that has a replica
   * count in `ran` (on the same grid, ± half a step) and a plan made at or
   * before it. Returns the number of steps scored.
   */
  observe(load: Series, ran: Samples): number {
    if (load.stepSeconds !== this.stepSeconds) return 0;
    const stepMs = this.stepSeconds * 1000;
    const ranAt = new Map<number, number>();
    ran.timestampsMs.forEach((t, i) => {
      const v = ran.values[i] as number;
      if (Number.isFinite(v)) ranAt.set(Math.round(t / stepMs) * stepMs, v);
    });
    let scored = 0;
    const s = this.scored;
    for (let i = 0; i < load.values.length; i++) {
      const tMs = load.startMs + i * stepMs;
      if (tMs <= this.scoredUntilMs) continue;
      const value = load.values[i] as number;
      const replicas = ranAt.get(tMs);
      const recommended = this.recommendedAt(tMs);
      if (!Number.isFinite(value) || replicas === undefined || recommended === undefined) continue;
      s.atMs.push(tMs);
      s.load.push(value);
      s.ran.push(replicas);
      s.recommended.push(recommended);
      this.scoredUntilMs = tMs;
      scored++;
    }
    this.trim();
    return scored;
  }

  /** Outcomes over the last day and week before nowMs. */
  report(nowMs: number, capacityPerReplica: number): ShadowWindow[] {
    const s = this.scored;
    const stepHours = this.stepSeconds / 3600;
    return WINDOWS.map(({ window, ms }) => {
      let count = 0;
      let underRan = 0;
      let underRecommended = 0;
      let hoursRan = 0;
      let hoursRecommended = 0;
      let fromMs: number | undefined;
      let toMs: number | undefined;
      for (let i = 0; i < s.atMs.length; i++) {
        const t = s.atMs[i] as number;
        if (t <= nowMs - ms || t > nowMs) continue;
        fromMs ??= t;
        toMs = t;
        count++;
        const load = s.load[i] as number;
        const ran = s.ran[i] as number;
        const recommended = s.recommended[i] as number;
        if (load > ran * capacityPerReplica) underRan++;
        if (load > recommended * capacityPerReplica) underRecommended++;
        hoursRan += ran * stepHours;
        hoursRecommended += recommended * stepHours;
      }
      const minutes = this.stepSeconds / 60;
      return {
        window,
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        count,
        stepSeconds: this.stepSeconds,
        underProvisionedMinutes: { ran: underRan * minutes, recommended: underRecommended * minutes },
        replicaHours: { ran: hoursRan, recommended: hoursRecommended },
      };
    });
  }

  /** The replicas of the newest plan made at or before t that reaches t. */
  private recommendedAt(tMs: number): number | undefined {
    for (let p = this.plans.length - 1; p >= 0; p--) {
      const plan = this.plans[p] as ShadowPlan;
      if (plan.generatedAtMs > tMs) continue;
      const last = plan.atMs.length - 1;
      // Past the plan's end the newest plan has nothing to say: an older one will not either.
      if (tMs >= (plan.atMs[last] as number) + this.stepSeconds * 1000) return undefined;
      let k = last;
      while (k > 0 && (plan.atMs[k] as number) > tMs) k--;
      return plan.replicas[k];
    }
    return undefined;
  }

  private trim(): void {
    const s = this.scored;
    const newest = s.atMs[s.atMs.length - 1];
    if (newest === undefined) return;
    const drop = s.atMs.findIndex((t) => t > newest - KEEP_SCORED_MS);
    if (drop <= 0) return;
    this.scored = { atMs: s.atMs.slice(drop), load: s.load.slice(drop), ran: s.ran.slice(drop), recommended: s.recommended.slice(drop) };
  }
}
