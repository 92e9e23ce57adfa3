/**
 * Synthetic workload history in OpenMetrics text, for backfilling a real
 * Prometheus with `promtool tsdb create-blocks-from openmetrics`. Seeded, so
 * every run writes the same values for the same end time.
 *
 * Series written:
 * - `prescient_test_load` (gauge, every `stepSeconds`): daily and weekly
 *   cycles plus noise, a gap of `gapHours` with no samples, and a short run of
 *   NaN samples (a broken exporter).
 * - `prescient_test_requests_total` (counter, every `counterStepSeconds`,
 *   1 min by default so `rate(...[5m])` always has several samples): reset to
 *   zero halfway through the history.
 * - `prescient_test_multi{instance="a"|"b"|"c"}` (gauge, every `stepSeconds`):
 *   several series for the multiple-series and aggregation cases.
 */

import { seededRandom } from '../../src/random.js';

export interface SyntheticHistoryOptions {
  /** Last sample time, ms since epoch; aligned down to the step. Default: now. */
  readonly endMs?: number;
  readonly days?: number;
  readonly stepSeconds?: number;
  readonly counterStepSeconds?: number;
  readonly gapHours?: number;
  readonly seed?: number;
}

export interface SyntheticSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Sample times (ms) and values as written; NaN where the sample is NaN. */
  readonly timestampsMs: readonly number[];
  readonly values: readonly number[];
}

export interface SyntheticHistory {
  readonly openMetrics: string;
  /** First and last sample time of the 5-minute series, ms since epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly stepSeconds: number;
  readonly load: SyntheticSeries;
  /** The load gauge has no samples in [gapStartMs, gapEndMs). */
  readonly gapStartMs: number;
  readonly gapEndMs: number;
  /** Times of the NaN samples of the load gauge. */
  readonly nanTimestampsMs: readonly number[];
  readonly requests: SyntheticSeries;
  /** First counter sample after the reset. */
  readonly resetAtMs: number;
  /** The true request rate (per second) used to build the counter, per counter sample. */
  readonly requestRatePerSecond: readonly number[];
  readonly multi: readonly SyntheticSeries[];
}

function gaussian(random: () => number): number {
  // Box–Muller; 1 - u keeps the log argument above zero.
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/** The noiseless load shape at time t (ms): a daily peak, a weekly swell. */
export function loadShape(tMs: number): number {
  const daily = Math.sin((2 * Math.PI * (tMs % DAY_MS)) / DAY_MS - Math.PI / 2);
  const weekly = Math.sin((2 * Math.PI * (tMs % WEEK_MS)) / WEEK_MS);
  return 200 + 80 * daily + 30 * weekly;
}

export function generateSyntheticHistory(options: SyntheticHistoryOptions = {}): SyntheticHistory {
  const stepSeconds = options.stepSeconds ?? 300;
  const counterStepSeconds = options.counterStepSeconds ?? 60;
  const days = options.days ?? 28;
  const gapHours = options.gapHours ?? 3;
  const random = seededRandom(options.seed ?? 42);
  const stepMs = stepSeconds * 1000;
  const endMs = Math.floor((options.endMs ?? Date.now()) / stepMs) * stepMs;
  const startMs = endMs - days * DAY_MS + stepMs;
  const points = Math.round((endMs - startMs) / stepMs) + 1;

  // The gap sits 60 % into the history, the NaN run at 30 %, on the step grid.
  const gapStartMs = startMs + Math.round(points * 0.6) * stepMs;
  const gapEndMs = gapStartMs + gapHours * 3_600_000;
  const nanStartMs = startMs + Math.round(points * 0.3) * stepMs;
  const nanTimestampsMs = [nanStartMs, nanStartMs + stepMs];

  const lines: string[] = [];
  const load = { labels: { job: 'synthetic' }, timestampsMs: [] as number[], values: [] as number[] };
  lines.push('# HELP prescient_test_load Synthetic load with daily and weekly cycles.', '# TYPE prescient_test_load gauge');
  for (let i = 0; i < points; i++) {
    const t = startMs + i * stepMs;
    if (t >= gapStartMs && t < gapEndMs) continue;
    // Rounded as written, so tests compare what Prometheus stored.
    const value = nanTimestampsMs.includes(t) ? Number.NaN : Number(Math.max(0, loadShape(t) + 8 * gaussian(random)).toFixed(3));
    load.timestampsMs.push(t);
    load.values.push(value);
    lines.push(`prescient_test_load{job="synthetic"} ${formatValue(value)} ${t / 1000}`);
  }

  const counterStepMs = counterStepSeconds * 1000;
  const counterPoints = Math.floor((endMs - startMs) / counterStepMs) + 1;
  const resetAtMs = startMs + Math.floor(counterPoints / 2) * counterStepMs;
  const requests = { labels: { job: 'synthetic' }, timestampsMs: [] as number[], values: [] as number[] };
  const requestRatePerSecond: number[] = [];
  lines.push('# HELP prescient_test_requests Synthetic request counter with one reset.', '# TYPE prescient_test_requests counter');
  let total = 1000;
  for (let i = 0; i < counterPoints; i++) {
    const t = startMs + i * counterStepMs;
    const rate = Math.max(0, loadShape(t) / 4 + 3 * gaussian(random));
    if (t === resetAtMs) total = 0; // the process restarted
    total += Math.round(rate * counterStepSeconds);
    requests.timestampsMs.push(t);
    requests.values.push(total);
    requestRatePerSecond.push(rate);
    lines.push(`prescient_test_requests_total{job="synthetic"} ${total} ${t / 1000}`);
  }

  const multi: SyntheticSeries[] = [];
  lines.push('# HELP prescient_test_multi Synthetic per-instance load (several series).', '# TYPE prescient_test_multi gauge');
  ['a', 'b', 'c'].forEach((instance, k) => {
    const series = { labels: { instance, job: 'synthetic' }, timestampsMs: [] as number[], values: [] as number[] };
    for (let i = 0; i < points; i++) {
      const t = startMs + i * stepMs;
      // Whole numbers keep sums exact when a test compares them.
      const value = Math.round(10 * (k + 1) + loadShape(t) / 10 + 2 * gaussian(random));
      series.timestampsMs.push(t);
      series.values.push(value);
      lines.push(`prescient_test_multi{instance="${instance}",job="synthetic"} ${value} ${t / 1000}`);
    }
    multi.push(series);
  });
  lines.push('# EOF', '');

  return {
    openMetrics: lines.join('\n'),
    startMs,
    endMs,
    stepSeconds,
    load,
    gapStartMs,
    gapEndMs,
    nanTimestampsMs,
    requests,
    resetAtMs,
    requestRatePerSecond,
    multi,
  };
}

function formatValue(value: number): string {
  return Number.isNaN(value) ? 'NaN' : value.toFixed(3);
}
