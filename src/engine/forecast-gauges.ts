import { formatDuration } from '../config/duration.js';
import type { ScrapeCollector } from '../telemetry/metrics.js';
import { forecastAgeMs, isStale, type TargetState, type TargetStates } from './target-state.js';
import { sharedRecommender, type Recommender } from './recommender.js';
import { statedLevels } from './target-settings.js';

/**
 * Targets a scrape writes before it lets the event loop serve others: a
 * recommendation costs ~0.2 ms, the rest of a target's lines a few µs, so a
 * slice holds the loop ~10 ms. Written in one go, 1,000 targets (27,000
 * series, 2.8 MB) held KEDA's calls for 0.3–1 s at every scrape.
 */
export const TARGETS_PER_SLICE = 50;

/** Horizons the forecast gauges are exported at, seconds ahead of now. */
export const GAUGE_HORIZONS_SECONDS = [300, 900, 3600] as const;

/**
 * Index of the first forecast step at or after `atMs` (a forecast value holds
 * for its step, so coarse data still reports its next step at 5 m), or
 * undefined past the horizon.
 */
function stepIndexAt(state: TargetState, atMs: number): number | undefined {
  const forecast = state.forecast;
  if (!forecast) return undefined;
  const index = Math.max(0, Math.ceil((atMs - forecast.startMs) / (forecast.stepSeconds * 1000)));
  return index < forecast.point.length ? index : undefined;
}

interface Family {
  readonly name: string;
  readonly help: string;
  /** This slice's sample lines. */
  readonly lines: string[];
  /**
   * Earlier slices' lines, encoded a slice at a time: one string of every line
   * would be a long turn of its own, and bytes live outside V8's heap, where
   * the young generation's collections do not copy them again and again.
   */
  readonly text: Buffer[];
}

const family = (name: string, help: string): Family => ({ name, help, lines: [], text: [] });

function endSlice(f: Family): void {
  if (f.lines.length === 0) return;
  f.lines.push('');
  f.text.push(Buffer.from(f.lines.join('\n')));
  f.lines.length = 0;
}

/**
 * Forecast gauges computed from TargetStates at each scrape (Grafana ML
 * style names, prescient_ prefix), added to `metrics`' scrape collectors:
 * - prescient_forecast_yhat{target, horizon}: point forecast horizon ahead ("5m", "15m", "1h")
 * - prescient_forecast_yhat_lower / _upper{target, level, horizon}: interval bounds at the levels
 *   the target states (its `levels`, its scaling quantile's and guard's: target-settings.ts
 *   statedLevels); the interval at level L spans quantiles (1−L)/2 … (1+L)/2, so a stated
 *   scaling quantile q is yhat_upper at level 2q−1. Knobs chosen on the target's history may
 *   scale on another quantile: prescient_scaling_window_load is always the load sized on.
 * - prescient_recommended_replicas{target}: what the scaling policy recommends now
 * - prescient_scaling_window_load{target}: the quantile-q load over the lead window (what replicas are sized for)
 * - prescient_forecast_age_seconds{target}, prescient_forecast_stale{target} (1 = stale)
 * - prescient_observed_load{target}: the last observed value of the history behind the served
 *   forecast (what the reactive floor sizes on), so a dashboard can set the actual load beside
 *   the forecast made for that time without knowing each target's own query
 * Labels are bounded: targets come from configuration, levels (≤ 7 per target) from
 * configuration, horizons from GAUGE_HORIZONS_SECONDS. Targets without a
 * forecast (or without scaling, for the replica gauges) are left out, never reported as 0.
 *
 * The text is written here rather than through prom-client gauges: prom-client
 * sets and formats every series of a metric in one go, and these are tens of
 * series per target. Written TARGETS_PER_SLICE targets at a time, with the
 * event loop free between slices, a scrape never holds KEDA's calls for long.
 * Label values are written as they are: target names match the config's
 * TARGET_NAME (no quote, backslash or line break), levels and horizons are ours.
 * @param now clock, ms since epoch
 * @param recommender defaults to sharedRecommender(states), the one the KEDA scaler and REST routes use
 */
export function registerForecastGauges(
  metrics: { readonly scrapeCollectors: ScrapeCollector[] },
  states: TargetStates,
  now: () => number = Date.now,
  recommender: Recommender = sharedRecommender(states),
): void {
  const horizons = GAUGE_HORIZONS_SECONDS.map((seconds) => ({ seconds, label: formatDuration(seconds) }));
  metrics.scrapeCollectors.push(async () => {
    const yhat = family('prescient_forecast_yhat', 'Point forecast of the target series, horizon ahead of now.');
    const bounds = {
      lower: family(
        'prescient_forecast_yhat_lower',
        'Lower bound of the forecast interval at level (quantile (1−level)/2), horizon ahead of now.',
      ),
      upper: family(
        'prescient_forecast_yhat_upper',
        'Upper bound of the forecast interval at level (quantile (1+level)/2), horizon ahead of now.',
      ),
    };
    const replicas = family('prescient_recommended_replicas', 'Replicas the scaling policy recommends now.');
    const windowLoad = family(
      'prescient_scaling_window_load',
      'Highest forecast load at the scaling quantile over the lead window: what the recommended replicas are sized for.',
    );
    const observed = family(
      'prescient_observed_load',
      'Last observed value of the history behind the served forecast (the load the reactive floor sizes on), in the series unit; updated at each refresh.',
    );
    const age = family(
      'prescient_forecast_age_seconds',
      'Age of the data behind the served forecast, seconds: from the end of its fitted history (or when it was made, if earlier) to now.',
    );
    const stale = family(
      'prescient_forecast_stale',
      '1 when the served forecast is stale (last refresh failed, or its age past staleAfter), else 0.',
    );

    const families = [yhat, bounds.lower, bounds.upper, replicas, windowLoad, observed, age, stale];
    const nowMs = now();
    const all = states.list();
    for (let from = 0; from < all.length; from += TARGETS_PER_SLICE) {
      if (from > 0) {
        for (const f of families) endSlice(f);
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const state of all.slice(from, from + TARGETS_PER_SLICE)) {
        const forecast = state.forecast;
        if (!forecast) continue;
        const target = state.config.name;
        const levels = statedLevels(state.config);
        for (const h of horizons) {
          const i = stepIndexAt(state, nowMs + h.seconds * 1000);
          if (i === undefined) continue;
          const point = forecast.point[i];
          if (point !== undefined && Number.isFinite(point))
            yhat.lines.push(`prescient_forecast_yhat{target="${target}",horizon="${h.label}"} ${point}`);
          for (const interval of forecast.intervals) {
            if (!levels.includes(interval.level)) continue;
            for (const bound of ['lower', 'upper'] as const) {
              const value = interval[bound][i];
              if (value !== undefined && Number.isFinite(value)) {
                bounds[bound].lines.push(
                  `prescient_forecast_yhat_${bound}{target="${target}",level="${interval.level}",horizon="${h.label}"} ${value}`,
                );
              }
            }
          }
        }
        if (state.config.scaling) {
          try {
            const rec = recommender.recommend(target, nowMs);
            replicas.lines.push(`prescient_recommended_replicas{target="${target}"} ${rec.replicas}`);
            if (Number.isFinite(rec.basis.windowMaxLoad))
              windowLoad.lines.push(`prescient_scaling_window_load{target="${target}"} ${rec.basis.windowMaxLoad}`);
          } catch {
            // Not recommendable now (e.g. stale): left out, never a fake value.
          }
        }
        const last = forecast.lastObserved.value;
        if (Number.isFinite(last)) observed.lines.push(`prescient_observed_load{target="${target}"} ${last}`);
        age.lines.push(`prescient_forecast_age_seconds{target="${target}"} ${forecastAgeMs(forecast, nowMs) / 1000}`);
        stale.lines.push(`prescient_forecast_stale{target="${target}"} ${isStale(state, nowMs) ? 1 : 0}`);
      }
    }
    for (const f of families) endSlice(f);
    return families.flatMap((f, i) => [Buffer.from(`${i > 0 ? '\n' : ''}# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`), ...f.text]);
  });
}
