/**
 * The frontier as people read it (issue 13): a table for the CLI and the
 * report, one sentence under it, and the plot of under-provisioned minutes
 * against replica-hours (src/backtest/report.ts draws it).
 */
import type { BacktestResult } from './result.js';

type Replay = NonNullable<BacktestResult['replay']>;
type ReplayFrontier = NonNullable<Replay['frontier']>;
type Knobs = ReplayFrontier['points'][number]['knobs'];

/**
 * The setting marked on the frontier: the budget's choice, else the one the
 * replay served (its params); -1 when the budget's choice fell back to
 * reactive scaling, as no predictive setting is served then ({@link servedFallback}).
 */
export function markedIndex(replay: Replay): number {
  const frontier = replay.frontier;
  if (!frontier) return -1;
  if (frontier.chosen?.fallback) return -1;
  if (frontier.chosen) return frontier.chosen.index;
  const p = replay.params;
  return frontier.points.findIndex(
    (x) => x.knobs.quantile === p.quantile && x.knobs.scaleInGuardQuantile === p.scaleInGuardQuantile && x.knobs.utilisation === p.policyUtilisation,
  );
}

/** The reactive scaling served instead of the budget's choice, when that choice did not beat headroom on the target's own history. */
export function servedFallback(replay: Replay): NonNullable<NonNullable<ReplayFrontier['chosen']>['fallback']> | null {
  return replay.frontier?.chosen?.fallback ?? null;
}

export function fallbackLabel(utilisation: number): string {
  return `reactive fallback: plain HPA at ${(utilisation * 100).toFixed(0)} %`;
}

export function knobsLabel(k: Knobs): string {
  return `q ${k.quantile}, guard ${k.scaleInGuardQuantile ?? 'none'}, at ${(k.utilisation * 100).toFixed(0)} %`;
}

/** Rows: one per setting (predictive, and seasonal naive sized alike), then the plain HPA's targets. */
export function frontierRows(replay: Replay): { header: string[]; rows: string[][] } {
  const frontier = replay.frontier;
  if (!frontier) return { header: [], rows: [] };
  const marked = markedIndex(replay);
  const rows = frontier.points.map((p, k) => [
    `${k === marked ? '* ' : ''}${knobsLabel(p.knobs)}`,
    p.underProvisionedMinutes.toFixed(1),
    p.replicaHours.toFixed(1),
    (frontier.snaive[k]?.underProvisionedMinutes ?? Number.NaN).toFixed(1),
    (frontier.snaive[k]?.replicaHours ?? Number.NaN).toFixed(1),
  ]);
  for (const h of frontier.plainHpa) {
    rows.push([`plain HPA at ${(h.utilisation * 100).toFixed(0)} %`, h.underProvisionedMinutes.toFixed(1), h.replicaHours.toFixed(1), '', '']);
  }
  const fallback = servedFallback(replay);
  if (fallback) rows.push([`* ${fallbackLabel(fallback.utilisation)}`, fallback.underProvisionedMinutes.toFixed(1), fallback.replicaHours.toFixed(1), '', '']);
  return { header: ['setting (* served)', 'under-prov min', 'replica-h', 'snaive under-prov min', 'snaive replica-h'], rows };
}

/**
 * The plain HPA's under-provisioned minutes at `replicaHours`, on the line
 * through its targets (linear between neighbours); null outside its range.
 */
function plainHpaAt(frontier: ReplayFrontier, replicaHours: number): number | null {
  const line = [...frontier.plainHpa].sort((a, b) => a.replicaHours - b.replicaHours);
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1] as (typeof line)[number];
    const b = line[i] as (typeof line)[number];
    if (replicaHours >= a.replicaHours && replicaHours <= b.replicaHours) {
      const t = b.replicaHours === a.replicaHours ? 0 : (replicaHours - a.replicaHours) / (b.replicaHours - a.replicaHours);
      return a.underProvisionedMinutes + t * (b.underProvisionedMinutes - a.underProvisionedMinutes);
    }
  }
  return null;
}

/**
 * One sentence under the frontier: whether the predictive policy beat the
 * same budget spent as headroom (the plain HPA at the predictive policy's
 * replica-hours), and how many settings lie below the plain HPA's line; with
 * a budget, which setting it chose and why.
 */
export function frontierVerdict(replay: Replay): string {
  const frontier = replay.frontier;
  if (!frontier) return '';
  const by = new Map(replay.policies.map((p) => [p.policy, p]));
  const predictive = by.get('predictive');
  const headroom = by.get('headroom');
  const parts: string[] = [];
  if (predictive && headroom) {
    const a = predictive.underProvisionedMinutes;
    const b = headroom.underProvisionedMinutes;
    const verdict = a < b ? 'beat' : a === b ? 'matched' : 'did not beat';
    parts.push(
      `The predictive policy ${verdict} the same budget spent as headroom: ${a.toFixed(1)} under-provisioned minutes at ${predictive.replicaHours.toFixed(1)} replica-hours, ` +
        `against ${b.toFixed(1)} for the plain HPA at ${(replay.params.headroomUtilisation * 100).toFixed(0)} % (${headroom.replicaHours.toFixed(1)} replica-hours).`,
    );
  }
  let below = 0;
  let comparable = 0;
  for (const p of frontier.points) {
    const line = plainHpaAt(frontier, p.replicaHours);
    if (line === null) continue;
    comparable++;
    if (p.underProvisionedMinutes < line) below++;
  }
  parts.push(`${below} of the ${comparable} settings within the plain HPA's range of replica-hours were short fewer minutes than its line.`);
  if (frontier.chosen && frontier.budget) {
    parts.push(`Budget ${frontier.budget.maxUnderProvisionedMinutesPerWeek} min/week: ${frontier.chosen.reason}.`);
  }
  return parts.join(' ');
}
