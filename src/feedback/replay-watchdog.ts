import type { WatchdogConfig } from '../config/schema.js';
import type { Series } from '../series/series.js';
import { recentChangepoint } from './changepoint.js';
import { recordOptions } from './live-accuracy.js';
import { ServedRecord } from './served-record.js';
import { initialHealth, judge, type HealthState, type TargetHealth } from './watchdog.js';

/** A forecast the replay feeds its policy at a refit (src/backtest/replay.ts RefitForecast). */
export interface ReplayedForecast {
  readonly startMs: number;
  readonly stepSeconds: number;
  readonly point: readonly number[];
  readonly intervals: readonly { readonly level: number; readonly lower: readonly number[]; readonly upper: readonly number[] }[];
}

export interface ReplayWatchdogOptions {
  readonly config: WatchdogConfig;
  /** The levels the forecasts carry (ascending fractions). */
  readonly levels: readonly number[];
  readonly leadTimeSeconds: number;
  /** Seconds between refits: the replay's refresh interval. */
  readonly refreshIntervalSeconds: number;
  /** The scaling quantile's level (2q − 1). */
  readonly scalingLevel: number;
}

/**
 * The watchdog in a replay, as the service runs it (DESIGN.md §7): before
 * each refit's forecast is served, the actuals since the previous refits are
 * scored against the forecasts served then, and the target is judged. While
 * it is `reactive`, the forecast fed to the policy is flat at the last
 * observed load — what a demoted target's recommendation is sized on — and
 * the model's own forecast is kept as the shadow that earns promotion.
 * Returns the forecasts to feed and the state at each refit.
 */
export function watchdogReplay<F extends ReplayedForecast>(forecasts: readonly F[], series: Series, options: ReplayWatchdogOptions): { fed: F[]; states: { atMs: number; state: HealthState }[] } {
  const stepMs = series.stepSeconds * 1000;
  const day = Math.round(86_400 / series.stepSeconds);
  const record = new ServedRecord(
    recordOptions({ stepSeconds: series.stepSeconds, levels: options.levels, leadTimeSeconds: options.leadTimeSeconds, refreshIntervalSeconds: options.refreshIntervalSeconds }),
  );
  let health: TargetHealth = initialHealth(forecasts[0]?.startMs ?? series.startMs);
  const fed: F[] = [];
  const states: { atMs: number; state: HealthState }[] = [];
  for (const f of forecasts) {
    const nowMs = f.startMs;
    const index = Math.round((nowMs - series.startMs) / stepMs);
    // What the refresh at nowMs pulled: the actuals before it (three days: enough for the MASE scale).
    const from = Math.max(0, index - 3 * day);
    record.observe({ startMs: series.startMs + from * stepMs, stepSeconds: series.stepSeconds, values: series.values.slice(from, index) }, day);
    if (options.config.enabled) {
      const changepointAtMs = options.config.changepoints ? recentChangepoint(record.columns(), record.scale(), health.changepointAtMs ?? Number.NEGATIVE_INFINITY) : undefined;
      health = judge(
        health,
        {
          nowMs,
          columns: record.columns(),
          levels: options.levels,
          maseScale: record.scale(),
          scalingLevel: options.scalingLevel,
          ...(changepointAtMs === undefined ? {} : { changepointAtMs }),
        },
        options.config,
      ).health;
    }
    if (f.point.length > 0) record.record({ ...f, generatedAtMs: nowMs, lastObserved: { atMs: nowMs - stepMs } });
    states.push({ atMs: nowMs, state: health.state });
    const observed = series.values[index - 1];
    if (health.state !== 'reactive' || observed === undefined || f.point.length === 0) {
      fed.push(f);
      continue;
    }
    const flat = f.point.map(() => observed);
    fed.push({ ...f, point: flat, intervals: f.intervals.map((i) => ({ ...i, lower: flat, upper: flat })) });
  }
  return { fed, states };
}
