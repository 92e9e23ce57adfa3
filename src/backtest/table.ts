import { frontierRows } from './frontier-view.js';
/**
 * Plain-text tables of a backtest result, for the terminal: one row per
 * model (accuracy) and one row per policy (replay).
 */
import { DEFAULT_REFRESH_SECONDS } from '../config/schema.js';
import type { BacktestResult, PolicyResultSummary, ReplayResultSummary } from './result.js';

function render(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function num(value: number | null, digits: number): string {
  return value === null ? '—' : value.toFixed(digits);
}

function pct(value: number | null): string {
  return value === null ? '—' : `${(value * 100).toFixed(1)} %`;
}

/** Per model: MASE, sMAPE, coverage 80/95, pinball at the scaling quantile, fit time. */
export function accuracyTable(result: BacktestResult): string {
  const q = result.settings.quantile;
  const rows = result.models.map((m) => [
    m.model,
    num(m.mase, 3),
    num(m.smape, 2),
    pct(m.coverage80),
    pct(m.coverage95),
    num(m.pinball, 3),
    m.fitTimeMs === null ? '—' : `${(m.fitTimeMs / 1000).toFixed(2)} s`,
    `${m.originsScored}/${m.originsScored + m.failures}`,
  ]);
  return render(['model', 'MASE', 'sMAPE %', 'cov 80', 'cov 95', `pinball q${q}`, 'fit time', 'origins'], rows);
}

/** A policy's name for tables: the model that fed it, or the HPA target the same-cost reactive HPA ran at. */
export function policyLabel(policy: PolicyResultSummary, params: ReplayResultSummary['params']): string {
  if (policy.model) return `${policy.policy} (${policy.model})`;
  if (policy.policy === 'headroom') return `headroom (HPA at ${(params.headroomUtilisation * 100).toFixed(0)} %)`;
  return policy.policy;
}

/** Per policy: under-provisioned minutes, shortfall, peak, replica-hours, scale events, ratios to reactive. */
export function replayTable(result: BacktestResult): string {
  if (!result.replay) return '(replay skipped)';
  const ratio = (r: number | null) => (r === null ? '—' : `${r.toFixed(2)}×`);
  const params = result.replay.params;
  const rows = result.replay.policies.map((p) => [
    policyLabel(p, params),
    p.underProvisionedMinutes.toFixed(1),
    p.shortfallLoadMinutes.toPrecision(4),
    p.peakShortfall.toPrecision(4),
    p.replicaHours.toFixed(1),
    String(p.scaleEvents),
    ratio(p.ratiosToReactive.underProvisionedMinutes),
    ratio(p.ratiosToReactive.replicaHours),
  ]);
  return render(['policy', 'under-prov min', 'shortfall (load·min)', 'peak shortfall', 'replica-h', 'scale events', 'under vs HPA', 'rep-h vs HPA'], rows);
}

/**
 * The replay in one sentence: each reference policy's under-provisioned
 * minutes and replica-hours as ratios to the reactive HPA's, the predictive
 * policy first.
 */
export function replayVerdict(result: BacktestResult): string {
  if (!result.replay) return '';
  const params = result.replay.params;
  const by = new Map(result.replay.policies.map((p) => [p.policy, p]));
  const ratio = (r: number | null | undefined) => (r === null || r === undefined ? '—' : `${r.toFixed(2)}×`);
  const describe = (name: PolicyResultSummary['policy'], label: string) => {
    const p = by.get(name);
    return p ? `${label} ${ratio(p.ratiosToReactive.underProvisionedMinutes)} at ${ratio(p.ratiosToReactive.replicaHours)}` : undefined;
  };
  const parts = [
    describe('predictive', 'predictive'),
    describe('headroom', `the same replica-hours as spare capacity (HPA at ${(params.headroomUtilisation * 100).toFixed(0)} %)`),
    describe('snaive', 'seasonal naive'),
    describe('oracle', 'oracle'),
  ].filter((p) => p !== undefined);
  return `Under-provisioned minutes and replica-hours against the reactive HPA: ${parts.join('; ')}.`;
}

/**
 * A warning when the predictive model was refitted less often than the
 * service refreshes by default: its forecasts were served hours old, with
 * bands as wide as hours ahead, which the service never does. Empty otherwise.
 */
export function replayCadenceHint(result: BacktestResult): string {
  const refit = result.replay?.params.refitEverySeconds;
  if (refit === undefined || refit <= DEFAULT_REFRESH_SECONDS) return '';
  return (
    `The predictive model was refitted every ${refit} s, so it served forecasts up to that old; the service refreshes every ` +
    `${DEFAULT_REFRESH_SECONDS} s by default. --refit-every ${DEFAULT_REFRESH_SECONDS / 60}m replays that cadence (one fit per refresh: slower).`
  );
}

/** One line describing the replay's parameters. */
export function replaySummary(result: BacktestResult): string {
  if (!result.replay) return '';
  const p = result.replay.params;
  return (
    `capacity/replica ${p.capacityPerReplica.toPrecision(4)} (HPA target ${p.hpaTargetPerReplica.toPrecision(4)}, policy ${p.policyCapacityPerReplica.toPrecision(4)}${p.reactiveTrigger ? ' beside the reactive trigger' : ' alone'}), ` +
    `start-up ${p.startupDelaySeconds} s, metric lag ${p.metricLagSeconds} s, lead ${p.leadTimeSeconds} s, q ${p.quantile}, scale-in guard ${p.scaleInGuardQuantile ?? 'none'}, ` +
    `replicas ${p.minReplicas}–${p.maxReplicas}, refit every ${p.refitEverySeconds} s.\nSizing: ${p.sizing}.`
  );
}

/** The frontier as a text table (src/backtest/frontier-view.ts rows). */
export function frontierTable(replay: NonNullable<BacktestResult['replay']>): string {
  const { header, rows } = frontierRows(replay);
  return rows.length === 0 ? '' : render(header, rows);
}
